package manifest_test

import (
	"bytes"
	"encoding/xml"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/grafov/m3u8"
	"github.com/zencoder/go-dash/v3/mpd"

	"github.com/drmorigin/drmorigin/manifest"
)

func itoa(v int) string { return strconv.Itoa(v) }

func opts(o manifest.Options) string {
	if o.URLOptions == "" {
		return ""
	}
	return "," + o.URLOptions
}

func peak(t *manifest.Track) int { return max(t.Bitrate, t.PeakBitrate) }

// seg is a segment as a manifest timeline describes it.
type seg struct{ t, d uint64 }

func want(tr *manifest.Track) []seg {
	out := make([]seg, len(tr.Segments))
	for i, s := range tr.Segments {
		out[i] = seg{s.Time, s.Duration}
	}
	return out
}

func equalSegs(a, b []seg) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sum(segs []seg) (total uint64) {
	for _, s := range segs {
		total += s.d
	}
	return total
}

// expandDASH turns a SegmentTimeline back into segments (S@r counts the
// repeats after the first).
func expandDASH(tl *mpd.SegmentTimeline) []seg {
	var out []seg
	var next uint64
	for _, s := range tl.Segments {
		if s.StartTime != nil {
			next = *s.StartTime
		}
		n := 1
		if s.RepeatCount != nil {
			n += *s.RepeatCount
		}
		for range n {
			out = append(out, seg{next, s.Duration})
			next += s.Duration
		}
	}
	return out
}

// checkDASH parses out with go-dash and checks it against p.
func checkDASH(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte) {
	t.Helper()
	m, err := mpd.ReadFromString(string(out))
	if err != nil {
		t.Fatalf("go-dash: %v", err)
	}
	if bytes.Contains(out, []byte("startNumber")) {
		t.Error("startNumber present: ffmpeg 5.1 would skip the first segment")
	}
	if m.Type == nil || *m.Type != "static" {
		t.Errorf("type = %v, want static", m.Type)
	}
	if !strings.Contains(*m.Profiles, "urn:mpeg:dash:profile:isoff-live:2011") ||
		strings.Contains(*m.Profiles, "urn:mpeg:dash:profile:cmaf:2019") != o.CMAF {
		t.Errorf("profiles = %q (cmaf %v)", *m.Profiles, o.CMAF)
	}
	if len(m.Periods) != 1 {
		t.Fatalf("%d periods, want 1", len(m.Periods))
	}
	var longest float64
	for i := range p.Tracks {
		longest = max(longest, float64(p.Tracks[i].Duration())/float64(p.Tracks[i].Timescale))
	}
	if d, err := mpd.ParseDuration(*m.MediaPresentationDuration); err != nil || math.Abs(d.Seconds()-longest) > 1e-6 {
		t.Errorf("mediaPresentationDuration = %s (%v), want %gs", *m.MediaPresentationDuration, err, longest)
	}
	firstAudio := true
	for i := range p.Tracks {
		tr := &p.Tracks[i]
		id := tr.Name + "_" + itoa(tr.Bitrate)
		var as *mpd.AdaptationSet
		var rep *mpd.Representation
		for _, a := range m.Periods[0].AdaptationSets {
			for _, r := range a.Representations {
				if r.ID != nil && *r.ID == id {
					as, rep = a, r
				}
			}
		}
		if rep == nil {
			t.Errorf("no Representation %s", id)
			continue
		}
		st := rep.SegmentTemplate
		if st == nil {
			st = as.SegmentTemplate
		}
		if st == nil || st.SegmentTimeline == nil {
			t.Errorf("%s: no SegmentTemplate with a SegmentTimeline", id)
			continue
		}
		if *st.Timescale != int64(tr.Timescale) {
			t.Errorf("%s: timescale %d, want %d", id, *st.Timescale, tr.Timescale)
		}
		if got, want := *st.Initialization, "QualityLevels($Bandwidth$)/Fragments("+tr.Name+"=i"+opts(o)+")"; got != want {
			t.Errorf("%s: initialization %q, want %q", id, got, want)
		}
		if got, want := *st.Media, "QualityLevels($Bandwidth$)/Fragments("+tr.Name+"=$Time$"+opts(o)+")"; got != want {
			t.Errorf("%s: media %q, want %q", id, got, want)
		}
		got := expandDASH(st.SegmentTimeline)
		if !equalSegs(got, want(tr)) || got[len(got)-1].t+got[len(got)-1].d-got[0].t != tr.Duration() {
			t.Errorf("%s: timeline %v, want %v (duration %d)", id, got, want(tr), tr.Duration())
		}
		if *rep.Bandwidth != int64(tr.Bitrate) || *rep.Codecs != tr.Codecs {
			t.Errorf("%s: bandwidth %d codecs %s", id, *rep.Bandwidth, *rep.Codecs)
		}
		switch tr.Kind {
		case manifest.Video:
			if *as.MimeType != "video/mp4" || *rep.Width != int64(tr.Width) || *rep.Height != int64(tr.Height) || rep.FrameRate == nil {
				t.Errorf("%s: video attributes wrong", id)
			}
		case manifest.Audio:
			if *as.MimeType != "audio/mp4" || *rep.AudioSamplingRate != int64(tr.SampleRate) ||
				rep.AudioChannelConfiguration == nil || *rep.AudioChannelConfiguration.Value != itoa(tr.Channels) {
				t.Errorf("%s: audio attributes wrong", id)
			}
			if as.Lang == nil || *as.Lang != tr.Language {
				t.Errorf("%s: lang %v, want %s", id, as.Lang, tr.Language)
			}
			hasMain := len(as.Roles) == 1 && *as.Roles[0].Value == "main"
			if hasMain != firstAudio {
				t.Errorf("%s: Role main = %v, want %v", id, hasMain, firstAudio)
			}
			firstAudio = false
		}
	}
}

// checkMultivariant parses out with grafov/m3u8 and checks it against p.
func checkMultivariant(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte) {
	t.Helper()
	pl, typ, err := m3u8.DecodeFrom(bytes.NewReader(out), true)
	if err != nil || typ != m3u8.MASTER {
		t.Fatalf("m3u8: %v (type %v)", err, typ)
	}
	for _, tag := range []string{"#EXT-X-VERSION:7\n", "#EXT-X-INDEPENDENT-SEGMENTS\n"} {
		if !bytes.Contains(out, []byte(tag)) {
			t.Errorf("no %q", tag)
		}
	}
	master := pl.(*m3u8.MasterPlaylist)
	var video, audio []*manifest.Track
	audioPeak, audioAvg := 0, 0
	for i := range p.Tracks {
		if tr := &p.Tracks[i]; tr.Kind == manifest.Video {
			video = append(video, tr)
		} else {
			audio = append(audio, tr)
			audioPeak, audioAvg = max(audioPeak, peak(tr)), max(audioAvg, tr.Bitrate)
		}
	}
	if len(video) == 0 {
		if len(master.Variants) != len(audio) {
			t.Fatalf("%d variants, want one per audio track (%d)", len(master.Variants), len(audio))
		}
		return
	}
	if len(master.Variants) != len(video) {
		t.Fatalf("%d variants, want %d", len(master.Variants), len(video))
	}
	for i, v := range master.Variants {
		tr := video[i]
		if want := "QualityLevels(" + itoa(tr.Bitrate) + ")/Manifest(" + tr.Name + opts(o) + ")"; v.URI != want {
			t.Errorf("variant %d: URI %q, want %q", i, v.URI, want)
		}
		if int(v.Bandwidth) != peak(tr)+audioPeak || int(v.AverageBandwidth) != tr.Bitrate+audioAvg {
			t.Errorf("variant %d: BANDWIDTH %d AVERAGE-BANDWIDTH %d", i, v.Bandwidth, v.AverageBandwidth)
		}
		wantCodecs := tr.Codecs
		if len(audio) > 0 {
			wantCodecs += "," + audio[0].Codecs
		}
		if v.Resolution != itoa(tr.Width)+"x"+itoa(tr.Height) || v.Codecs != wantCodecs {
			t.Errorf("variant %d: RESOLUTION %s CODECS %s", i, v.Resolution, v.Codecs)
		}
		if want := float64(tr.FrameRateNum) / float64(tr.FrameRateDen); math.Abs(v.FrameRate-want) > 0.0005 {
			t.Errorf("variant %d: FRAME-RATE %v, want %v", i, v.FrameRate, want)
		}
		if len(audio) > 0 && v.Audio != "audio" {
			t.Errorf("variant %d: AUDIO %q", i, v.Audio)
		}
		checkRenditions(t, i, v, audio, o)
	}
}

var extinf = regexp.MustCompile(`(?m)^#EXTINF:[0-9]+\.[0-9]{3,},$`)

// checkMedia parses out with grafov/m3u8 and checks it against tr.
// checkRenditions checks variant i's audio renditions: one per track of
// audio, in order, the first the default. grafov v0.12.1 attaches each
// rendition to a variant more than once: it compares the distinct ones.
func checkRenditions(t *testing.T, i int, v *m3u8.Variant, audio []*manifest.Track, o manifest.Options) {
	t.Helper()
	var alts []*m3u8.Alternative
	for _, a := range v.Alternatives {
		if !slices.ContainsFunc(alts, func(b *m3u8.Alternative) bool { return *a == *b }) {
			alts = append(alts, a)
		}
	}
	if len(alts) != len(audio) {
		t.Fatalf("variant %d: %d renditions, want %d", i, len(alts), len(audio))
	}
	for j, a := range alts {
		tr := audio[j]
		want := "QualityLevels(" + itoa(tr.Bitrate) + ")/Manifest(" + tr.Name + opts(o) + ")"
		if a.URI != want || a.Type != "AUDIO" || a.GroupId != "audio" || a.Language != tr.Language || a.Default != (j == 0) {
			t.Errorf("rendition %d: %+v, want URI %q", j, a, want)
		}
	}
}

func checkMedia(t *testing.T, tr *manifest.Track, o manifest.Options, out []byte) {
	t.Helper()
	pl, typ, err := m3u8.DecodeFrom(bytes.NewReader(out), true)
	if err != nil || typ != m3u8.MEDIA {
		t.Fatalf("m3u8: %v (type %v)", err, typ)
	}
	media := pl.(*m3u8.MediaPlaylist)
	if !media.Closed || media.MediaType != m3u8.VOD || media.SeqNo != 0 {
		t.Errorf("closed %v type %v seq %d", media.Closed, media.MediaType, media.SeqNo)
	}
	if want := "Fragments(" + tr.Name + "=i" + opts(o) + ").mp4"; media.Map == nil || media.Map.URI != want {
		t.Errorf("EXT-X-MAP %+v, want URI %q", media.Map, want)
	}
	if n := len(extinf.FindAll(out, -1)); n != len(tr.Segments) {
		t.Errorf("%d EXTINF lines with 3+ decimals, want %d", n, len(tr.Segments))
	}
	if int(media.Count()) != len(tr.Segments) {
		t.Fatalf("%d segments, want %d", media.Count(), len(tr.Segments))
	}
	var total, longest float64
	for i, s := range media.Segments[:media.Count()] {
		ts := tr.Segments[i]
		if want := "Fragments(" + tr.Name + "=" + strconv.FormatUint(ts.Time, 10) + opts(o) + ").m4s"; s.URI != want {
			t.Errorf("segment %d: URI %q, want %q", i, s.URI, want)
		}
		exact := float64(ts.Duration) / float64(tr.Timescale)
		if math.Abs(s.Duration-exact) > 5e-7 {
			t.Errorf("segment %d: EXTINF %v, want %v", i, s.Duration, exact)
		}
		total += s.Duration
		longest = max(longest, exact)
	}
	if want := float64(sum(want(tr))) / float64(tr.Timescale); math.Abs(total-want) > 1e-6*float64(len(tr.Segments)) {
		t.Errorf("EXTINF sum %v, want %v", total, want)
	}
	if want := math.Ceil(longest); media.TargetDuration != max(want, 1) {
		t.Errorf("TARGETDURATION %v, want %v", media.TargetDuration, want)
	}
}

// ssm is a Smooth client manifest, as the tests read it.
type ssm struct {
	XMLName      xml.Name    `xml:"SmoothStreamingMedia"`
	MajorVersion int         `xml:",attr"`
	MinorVersion int         `xml:",attr"`
	Duration     uint64      `xml:",attr"`
	TimeScale    uint64      `xml:",attr"`
	Streams      []ssmStream `xml:"StreamIndex"`
}

type ssmStream struct {
	Type          string `xml:",attr"`
	Name          string `xml:",attr"`
	Language      string `xml:",attr"`
	URL           string `xml:"Url,attr"`
	Chunks        int    `xml:",attr"`
	QualityLevels int    `xml:",attr"`
	TimeScale     uint32 `xml:",attr"`
	Levels        []struct {
		Index   int    `xml:",attr"`
		Bitrate int    `xml:",attr"`
		FourCC  string `xml:",attr"`
	} `xml:"QualityLevel"`
	C []struct {
		T *uint64 `xml:"t,attr"`
		D uint64  `xml:"d,attr"`
		R int     `xml:"r,attr"`
	} `xml:"c"`
}

// checkSmooth parses out with encoding/xml and checks it against p.
func checkSmooth(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte) {
	t.Helper()
	var m ssm
	if err := xml.Unmarshal(out, &m); err != nil {
		t.Fatalf("xml: %v", err)
	}
	if m.MajorVersion != 2 || m.MinorVersion != 2 || m.TimeScale != 10_000_000 {
		t.Errorf("version %d.%d timescale %d", m.MajorVersion, m.MinorVersion, m.TimeScale)
	}
	var longest float64
	for i := range p.Tracks {
		longest = max(longest, float64(p.Tracks[i].Duration())/float64(p.Tracks[i].Timescale))
	}
	if want := uint64(math.Round(longest * 1e7)); m.Duration != want {
		t.Errorf("Duration %d, want %d", m.Duration, want)
	}
	for i := range p.Tracks {
		tr := &p.Tracks[i]
		found := false
		for _, s := range m.Streams {
			if s.Name != tr.Name {
				continue
			}
			for _, l := range s.Levels {
				if l.Bitrate != tr.Bitrate {
					continue
				}
				found = true
				if s.Type != tr.Kind.String() || s.TimeScale != tr.Timescale || l.FourCC != tr.FourCC {
					t.Errorf("%s: Type %s TimeScale %d FourCC %s", tr.Name, s.Type, s.TimeScale, l.FourCC)
				}
				if want := "QualityLevels({bitrate})/Fragments(" + tr.Name + "={start time}" + opts(o) + ")"; s.URL != want {
					t.Errorf("%s: Url %q, want %q", tr.Name, s.URL, want)
				}
				var got []seg
				var next uint64
				for _, c := range s.C {
					if c.T != nil {
						next = *c.T
					}
					for range max(c.R, 1) { // r counts the chunks, the first included
						got = append(got, seg{next, c.D})
						next += c.D
					}
				}
				if !equalSegs(got, want(tr)) || s.Chunks != len(tr.Segments) || got[len(got)-1].t+got[len(got)-1].d-got[0].t != tr.Duration() {
					t.Errorf("%s: chunks %v (Chunks=%d), want %v", tr.Name, got, s.Chunks, want(tr))
				}
			}
		}
		if !found {
			t.Errorf("no QualityLevel for %s/%d", tr.Name, tr.Bitrate)
		}
	}
}
