package manifest_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/grafov/m3u8"
	"github.com/zencoder/go-dash/v3/mpd"

	"github.com/drmorigin/drmorigin/manifest"
)

// demoWithTexts is the demo presentation with two subtitle tracks: Swedish
// from a WebVTT side file and English from a TTML one, on the video's
// timeline (timescale 12800, four 2 s segments).
func demoWithTexts() *manifest.Presentation {
	p := demo()
	v := p.Tracks[0]
	for _, tt := range []manifest.TextTrack{
		{Name: "textstream_swe", Bitrate: 1000, Language: "swe", Codecs: "wvtt"},
		{Name: "textstream_eng", Bitrate: 1000, Language: "eng", Codecs: "stpp.ttml.im1t"},
	} {
		tt.Timescale = v.Timescale
		for _, s := range v.Segments {
			tt.Segments = append(tt.Segments, manifest.Segment{Time: s.Time, Duration: s.Duration})
		}
		p.Texts = append(p.Texts, tt)
	}
	return p
}

// TestGoldenText: the manifest forms with subtitles, in every format, clear
// and encrypted (text stays clear: no key tags, no ContentProtection).
func TestGoldenText(t *testing.T) {
	hls := manifest.Options{URLOptions: "format=m3u8-cmaf"}
	aapl := tsOptions(manifest.HLSTSv4, 0)
	v3 := tsOptions(manifest.HLSTSv3, 0)
	csf := manifest.Options{URLOptions: "format=mpd-time-csf"}
	for _, c := range []struct {
		file  string
		build func(p *manifest.Presentation) ([]byte, error)
		check func(t *testing.T, p *manifest.Presentation, out []byte)
	}{
		{"text.m3u8", func(p *manifest.Presentation) ([]byte, error) { return manifest.HLSMultivariant(p, hls) }, checkTextMultivariant},
		{"text-aapl.m3u8", func(p *manifest.Presentation) ([]byte, error) { return manifest.HLSMultivariant(p, aapl) }, checkTextMultivariant},
		{"text-aapl-v3.m3u8", func(p *manifest.Presentation) ([]byte, error) { return manifest.HLSMultivariant(p, v3) }, checkTextMultivariant},
		{"text_textstream_swe_1000.m3u8", func(p *manifest.Presentation) ([]byte, error) { return manifest.HLSTextMedia(p, &p.Texts[0], hls) }, checkTextMedia},
		{"text-aapl_textstream_swe_1000.m3u8", func(p *manifest.Presentation) ([]byte, error) { return manifest.HLSTextMedia(p, &p.Texts[0], aapl) }, checkTextMedia},
		{"text.mpd", func(p *manifest.Presentation) ([]byte, error) { return manifest.DASH(p, csf) }, checkTextDASH},
		{"text-cenc.mpd", func(p *manifest.Presentation) ([]byte, error) {
			o := manifest.Options{URLOptions: "format=mpd-time-csf,encryption=cenc"}
			o.Protection = protect(t, p, manifest.MethodCENC, true)
			return manifest.DASH(p, o)
		}, checkTextDASH},
		{"text-cbc.m3u8", func(p *manifest.Presentation) ([]byte, error) {
			o := manifest.Options{URLOptions: "format=m3u8-cmaf,encryption=cbc"}
			o.Protection = protect(t, p, manifest.MethodAES128, true)
			return manifest.HLSMultivariant(p, o)
		}, checkTextMultivariant},
		{"text.ismc", func(p *manifest.Presentation) ([]byte, error) { return manifest.Smooth(p, manifest.Options{}) }, checkTextSmooth},
	} {
		t.Run(c.file, func(t *testing.T) {
			p := demoWithTexts()
			out, err := c.build(p)
			if err != nil {
				t.Fatal(err)
			}
			compareOrUpdate(t, c.file, out)
			c.check(t, p, out)
		})
	}
}

func checkTextMultivariant(t *testing.T, p *manifest.Presentation, out []byte) {
	pl, typ, err := m3u8.DecodeFrom(bytes.NewReader(out), true)
	if err != nil || typ != m3u8.MASTER {
		t.Fatalf("m3u8: %v", err)
	}
	langs := map[string]string{}
	for _, v := range pl.(*m3u8.MasterPlaylist).Variants {
		if v.Subtitles != "subs" {
			t.Errorf("variant %s: SUBTITLES=%q, want subs", v.URI, v.Subtitles)
		}
		for _, a := range v.Alternatives {
			if a.Type == "SUBTITLES" {
				langs[a.Language] = a.URI
				if a.GroupId != "subs" || a.Default || a.Autoselect != "YES" || a.Name == "" {
					t.Errorf("rendition %+v", a)
				}
			}
		}
	}
	if langs["sv"] != "QualityLevels(1000)/Manifest(textstream_swe"+optsOf(out)+")" || langs["en"] == "" || len(langs) != 2 {
		t.Errorf("subtitle renditions %v", langs)
	}
}

// optsOf is the URL options the playlist writes after a track name.
func optsOf(out []byte) string {
	s := string(out)
	i := strings.Index(s, "Manifest(textstream_swe")
	j := strings.Index(s[i:], ")")
	return s[i+len("Manifest(textstream_swe") : i+j]
}

func checkTextMedia(t *testing.T, p *manifest.Presentation, out []byte) {
	pl, typ, err := m3u8.DecodeFrom(bytes.NewReader(out), true)
	if err != nil || typ != m3u8.MEDIA {
		t.Fatalf("m3u8: %v", err)
	}
	m := pl.(*m3u8.MediaPlaylist)
	n := 0
	for i, s := range m.Segments {
		if s == nil {
			continue
		}
		n++
		want := p.Texts[0].Segments[i]
		if !strings.HasSuffix(s.URI, ").vtt") || !strings.Contains(s.URI, "textstream_swe="+itoa(int(want.Time))) || s.Key != nil {
			t.Errorf("segment %d: %s (key %v)", i, s.URI, s.Key)
		}
	}
	if n != len(p.Tracks[0].Segments) || bytes.Contains(out, []byte("EXT-X-KEY")) || bytes.Contains(out, []byte("EXT-X-MAP")) {
		t.Errorf("%d segments for %d video segments, or key / map tags:\n%s", n, len(p.Tracks[0].Segments), out)
	}
}

func checkTextDASH(t *testing.T, p *manifest.Presentation, out []byte) {
	m, err := mpd.ReadFromString(string(out))
	if err != nil {
		t.Fatalf("go-dash: %v", err)
	}
	var texts []*mpd.AdaptationSet
	var videoPTO *uint64
	for _, as := range m.Periods[0].AdaptationSets {
		if as.ContentType != nil && *as.ContentType == "text" {
			texts = append(texts, as)
		} else if as.ContentType != nil && *as.ContentType == "video" {
			videoPTO = as.SegmentTemplate.PresentationTimeOffset
		}
	}
	if len(texts) != 2 {
		t.Fatalf("%d text AdaptationSets, want 2", len(texts))
	}
	for i, as := range texts {
		tt := p.Texts[i]
		if len(as.ContentProtection) != 0 {
			t.Errorf("text set %d has ContentProtection", i)
		}
		if *as.Lang != map[string]string{"swe": "sv", "eng": "en"}[tt.Language] || len(as.Roles) != 1 || *as.Roles[0].Value != "subtitle" ||
			*as.MimeType != "application/mp4" || *as.Representations[0].Codecs != tt.Codecs {
			t.Errorf("text set %d: lang %v roles %v mime %v", i, *as.Lang, as.Roles, *as.MimeType)
		}
		if (videoPTO == nil) != (as.SegmentTemplate.PresentationTimeOffset == nil) ||
			videoPTO != nil && *videoPTO != *as.SegmentTemplate.PresentationTimeOffset {
			t.Errorf("text set %d: presentationTimeOffset differs from the video's", i)
		}
		if n := len(expandDASH(as.SegmentTemplate.SegmentTimeline)); n != len(p.Tracks[0].Segments) {
			t.Errorf("text set %d: %d segments", i, n)
		}
	}
}

func checkTextSmooth(t *testing.T, p *manifest.Presentation, out []byte) {
	var m struct {
		Streams []struct {
			Type, Name, Subtype, Language string `xml:",attr"`
			Levels                        []struct {
				FourCC string `xml:",attr"`
			} `xml:"QualityLevel"`
			Chunks int `xml:",attr"`
		} `xml:"StreamIndex"`
	}
	if err := xml.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range m.Streams {
		if s.Type != "text" {
			continue
		}
		n++
		if s.Subtype != "SUBT" || s.Levels[0].FourCC != "TTML" || s.Chunks != len(p.Tracks[0].Segments) || s.Language == "" {
			t.Errorf("text stream %+v", s)
		}
	}
	if n != 2 {
		t.Errorf("%d text streams, want 2", n)
	}
}
