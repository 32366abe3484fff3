package manifest_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/grafov/m3u8"
	"github.com/zencoder/go-dash/v3/mpd"

	"github.com/drmorigin/drmorigin/manifest"
)

// demoTrick is demo with the key samples of its video tracks known: one
// per 2 s fragment of 50 frames, as the demo asset's GOPs are.
func demoTrick() *manifest.Presentation {
	p := demo()
	for i := range p.Tracks {
		tr := &p.Tracks[i]
		if tr.Kind == manifest.Video {
			tr.KeyCount, tr.Samples = 4, 200
			tr.KeyBitrate, tr.KeyPeakBitrate = tr.Bitrate/8, tr.PeakBitrate/7
		}
	}
	return p
}

// demoFrames are I-frame entries of the 640x360 track: one per segment at
// its start, and in segment 2 a second one mid-segment (a fragment of two
// GOPs, written as two chunks); withMap gives that one an EXT-X-MAP (TS).
func demoFrames(withMap bool) []manifest.IFrame {
	var fs []manifest.IFrame
	for i := range 4 {
		f := manifest.IFrame{Segment: i, Duration: 25600, Offset: 0, Length: int64(21000 + 16*i)}
		f.IV[15] = byte(i)
		if i == 2 {
			f.Duration = 12800
		}
		fs = append(fs, f)
		if i == 2 {
			g := manifest.IFrame{Segment: 2, Duration: 12800, Offset: 80_016, Length: 19_024}
			g.IV[0], g.IV[15] = 0xAB, 0x22
			if withMap {
				g.Offset = 80_088
			}
			fs = append(fs, g)
		}
	}
	return fs
}

type trickCase struct {
	file   string
	format manifest.HLSFormat
	method manifest.Method // 0: clear
	build  string          // "multivariant", "iframes", "dash"
}

func trickCases() []trickCase {
	cm, v4, v3 := manifest.HLSCMAF, manifest.HLSTSv4, manifest.HLSTSv3
	return []trickCase{
		{"trick.m3u8", cm, 0, "multivariant"},
		{"trick-ts.m3u8", v4, 0, "multivariant"},
		{"trick-ts-v3.m3u8", v3, 0, "multivariant"},
		{"trick-cbc.m3u8", cm, manifest.MethodAES128, "multivariant"},
		{"trick_iframes_video_640000.m3u8", cm, 0, "iframes"},
		{"trick-cbc_iframes_video_640000.m3u8", cm, manifest.MethodAES128, "iframes"},
		{"trick-cenc_iframes_video_640000.m3u8", cm, manifest.MethodCENC, "iframes"},
		{"trick-cbcs_iframes_video_640000.m3u8", cm, manifest.MethodCBCS, "iframes"},
		{"trick-ts_iframes_video_640000.m3u8", v4, 0, "iframes"},
		{"trick-ts-cbc_iframes_video_640000.m3u8", v4, manifest.MethodAES128, "iframes"},
		{"trick-ts-sample-aes_iframes_video_640000.m3u8", v4, manifest.MethodSampleAES, "iframes"},
		{"trick-ts-v3_iframes_video_640000.m3u8", v3, 0, "iframes"},
		{"trick.mpd", cm, 0, "dash"},
		{"trick-cenc.mpd", cm, manifest.MethodCENC, "dash"},
		{"trick-cbcs-cmaf.mpd", cm, manifest.MethodCBCS, "dash"},
	}
}

func (c trickCase) options(t *testing.T, p *manifest.Presentation) manifest.Options {
	var o manifest.Options
	switch c.build {
	case "dash":
		o = manifest.Options{URLOptions: "format=mpd-time-csf"}
		if strings.Contains(c.file, "cmaf") {
			o = manifest.Options{URLOptions: "format=mpd-time-cmaf", CMAF: true}
		}
	default:
		o = manifest.Options{URLOptions: "format=" + c.format.String(), HLSFormat: c.format}
	}
	if c.method != 0 {
		o.URLOptions += ",encryption=" + c.method.String()
		o.Protection = protect(t, p, c.method, c.format == manifest.HLSTSv3)
		if c.format != manifest.HLSCMAF {
			o.Protection = protectTS(t, p, c.method, c.format == manifest.HLSTSv3)
		}
	}
	return o
}

func (c trickCase) run(t *testing.T, p *manifest.Presentation) ([]byte, error) {
	o := c.options(t, p)
	switch c.build {
	case "multivariant":
		return manifest.HLSMultivariant(p, o)
	case "iframes":
		return manifest.HLSIFrames(p, &p.Tracks[0], o, demoFrames(c.format != manifest.HLSCMAF))
	}
	return manifest.DASH(p, o)
}

// TestTrickGolden pins the trick-play forms (players.md "Trick play") and
// checks them with grafov/m3u8 and go-dash, and line by line.
func TestTrickGolden(t *testing.T) {
	for _, c := range trickCases() {
		t.Run(c.file, func(t *testing.T) {
			p := demoTrick()
			out, err := c.run(t, p)
			if err != nil {
				t.Fatal(err)
			}
			again, err := c.run(t, demoTrick())
			if err != nil || !bytes.Equal(out, again) {
				t.Fatalf("second build differs (%v)", err)
			}
			compareOrUpdate(t, "demo-"+c.file, out)
			noKeys(t, out)
			switch c.build {
			case "multivariant":
				checkIFrameStreams(t, p, c.options(t, p), out)
			case "iframes":
				checkIFramePlaylist(t, p, c, out)
			case "dash":
				checkTrickDASH(t, p, c.options(t, p), out)
			}
		})
	}
}

func checkIFrameStreams(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte) {
	t.Helper()
	pl, typ, err := m3u8.DecodeFrom(bytes.NewReader(out), true)
	if err != nil || typ != m3u8.MASTER {
		t.Fatalf("m3u8: %v (type %v)", err, typ)
	}
	var iframes []*m3u8.Variant
	for _, v := range pl.(*m3u8.MasterPlaylist).Variants {
		if v.Iframe {
			iframes = append(iframes, v)
		}
	}
	var video []*manifest.Track
	for i := range p.Tracks {
		if p.Tracks[i].Kind == manifest.Video {
			video = append(video, &p.Tracks[i])
		}
	}
	if len(iframes) != len(video) {
		t.Fatalf("%d I-frame streams, want one per video variant (%d)", len(iframes), len(video))
	}
	for k, v := range iframes {
		tr := video[k]
		res := strconv.Itoa(tr.Width) + "x" + strconv.Itoa(tr.Height)
		wantURI := "QualityLevels(" + strconv.Itoa(tr.Bitrate) + ")/IFrames(video," + o.URLOptions + ")"
		if v.Bandwidth != uint32(tr.KeyPeakBitrate) || v.Codecs != tr.Codecs || v.Resolution != res || v.URI != wantURI {
			t.Errorf("I-frame stream %d: BANDWIDTH=%d CODECS=%q RESOLUTION=%s URI=%q, want %d %q %s %q",
				k, v.Bandwidth, v.Codecs, v.Resolution, v.URI, tr.KeyPeakBitrate, tr.Codecs, res, wantURI)
		}
	}
}

func checkIFramePlaylist(t *testing.T, p *manifest.Presentation, c trickCase, out []byte) {
	t.Helper()
	text := string(out)
	if !strings.Contains(text, "\n#EXT-X-I-FRAMES-ONLY\n") {
		t.Fatal("no EXT-X-I-FRAMES-ONLY")
	}
	frames := demoFrames(c.format != manifest.HLSCMAF)
	ranges := linesWith(out, "#EXT-X-BYTERANGE:")
	if len(ranges) != len(frames) {
		t.Fatalf("%d byte ranges, want %d", len(ranges), len(frames))
	}
	for k, f := range frames {
		want := "#EXT-X-BYTERANGE:" + strconv.FormatInt(f.Length, 10) + "@" + strconv.FormatInt(f.Offset, 10)
		if ranges[k] != want {
			t.Errorf("entry %d: %s, want %s", k, ranges[k], want)
		}
	}
	keys := linesWith(out, "#EXT-X-KEY:")
	switch c.method {
	case 0:
		if len(keys) != 0 {
			t.Errorf("clear I-frame playlist with key tags: %v", keys)
		}
	case manifest.MethodAES128:
		// One before each entry with its own IV.
		if want := len(frames); len(keys) != want {
			t.Fatalf("%d key tags, want %d", len(keys), want)
		}
		if !strings.Contains(text, "IV=0xAB000000000000000000000000000022") {
			t.Error("the mid-segment entry's IV is not stated")
		}
	default:
		if len(keys) == 0 {
			t.Error("encrypted I-frame playlist without key tags")
		}
	}
	pl, typ, err := m3u8.DecodeFrom(bytes.NewReader(out), true)
	if err != nil || typ != m3u8.MEDIA {
		t.Fatalf("m3u8: %v (type %v)", err, typ)
	}
	mp := pl.(*m3u8.MediaPlaylist)
	if !mp.Iframe {
		t.Error("grafov does not see EXT-X-I-FRAMES-ONLY")
	}
	n := 0
	for _, s := range mp.Segments {
		if s == nil {
			continue
		}
		f := frames[n]
		wantURI := "Fragments(video=" + strconv.FormatUint(p.Tracks[0].Segments[f.Segment].Time, 10) + "," + c.options(t, p).URLOptions + ")"
		if !strings.HasPrefix(s.URI, wantURI) || s.Limit != f.Length || s.Offset != f.Offset {
			t.Errorf("entry %d: %s %d@%d, want %s… %d@%d", n, s.URI, s.Limit, s.Offset, wantURI, f.Length, f.Offset)
		}
		n++
	}
	if n != len(frames) {
		t.Errorf("grafov reads %d entries, want %d", n, len(frames))
	}
	maps := linesWith(out, "#EXT-X-MAP:")
	if len(maps) != 1 || strings.Index(text, maps[0]) > strings.Index(text+"#EXT-X-KEY:", "#EXT-X-KEY:") {
		t.Errorf("want one EXT-X-MAP, before any EXT-X-KEY (the PAT and PMT, or the init segment, stay clear): %v", maps)
	}
	wantMap := ".mp4\""
	if c.format != manifest.HLSCMAF {
		wantMap = ".ts\""
	}
	if len(maps) == 1 && !strings.Contains(maps[0], "Fragments(video=i,") || !strings.HasSuffix(maps[0], wantMap) {
		t.Errorf("EXT-X-MAP %v: want Fragments(video=i,…)%s", maps, wantMap)
	}
}

func checkTrickDASH(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte) {
	t.Helper()
	m, err := mpd.ReadFromString(string(out))
	if err != nil {
		t.Fatalf("go-dash: %v", err)
	}
	sets := m.Periods[0].AdaptationSets
	byID := map[string]*mpd.AdaptationSet{}
	for _, as := range sets {
		byID[*as.ID] = as
	}
	tricks := 0
	for _, as := range sets {
		if len(as.EssentialProperty) == 0 {
			continue
		}
		tricks++
		ep := as.EssentialProperty[0]
		if *ep.SchemeIDURI != "http://dashif.org/guidelines/trickmode" {
			t.Fatalf("EssentialProperty %s", *ep.SchemeIDURI)
		}
		main := byID[*ep.Value]
		if main == nil || *main.ContentType != "video" {
			t.Fatalf("trick set %s names %s, not a video set", *as.ID, *ep.Value)
		}
		if len(as.ContentProtection) != len(main.ContentProtection) || (o.Protection != nil) != (len(as.ContentProtection) > 0) {
			t.Errorf("trick set has %d ContentProtection, main %d (protected: %v)", len(as.ContentProtection), len(main.ContentProtection), o.Protection != nil)
		}
		if len(as.Representations) != len(main.Representations) {
			t.Fatalf("trick set has %d representations, main %d", len(as.Representations), len(main.Representations))
		}
		for _, r := range as.Representations {
			if r.MaxPlayoutRate == nil || *r.MaxPlayoutRate != "50" {
				t.Errorf("representation %s: maxPlayoutRate %v, want 50 (200 samples, 4 key samples)", *r.ID, r.MaxPlayoutRate)
			}
			media := *r.SegmentTemplate.Media
			if !strings.Contains(media, "/KeyFrames(video=$Time$,"+o.URLOptions+")") || strings.Contains(media, "$Bandwidth$") {
				t.Errorf("representation %s: media %s", *r.ID, media)
			}
		}
	}
	if tricks != 1 {
		t.Fatalf("%d trick-mode sets, want 1 (one video set)", tricks)
	}
}
