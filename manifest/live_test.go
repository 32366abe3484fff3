package manifest_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/grafov/m3u8"
	"github.com/zencoder/go-dash/v3/mpd"

	"github.com/drmorigin/drmorigin/manifest"
)

// liveDemo is demo() as a live window: the first 3 segments of each track
// have left it (a 6 s window of 2 s segments), its Start fixed.
func liveDemo() *manifest.Presentation {
	p := demo()
	p.Name = "show"
	p.Live = &manifest.Live{
		Start:   time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC),
		Window:  6 * time.Second,
		TimeURL: "http://origin.example/time",
	}
	for i := range p.Tracks {
		t := &p.Tracks[i]
		t.Segments = t.Segments[1:]
		t.Sequence = 1
	}
	return p
}

func TestGoldenLive(t *testing.T) {
	csf := manifest.Options{URLOptions: "format=mpd-time-csf"}
	hls := manifest.Options{URLOptions: "format=m3u8-cmaf"}
	cases := []struct {
		file  string
		build func(p *manifest.Presentation) ([]byte, error)
		check func(t *testing.T, p *manifest.Presentation, out []byte)
	}{
		{"live.mpd", func(p *manifest.Presentation) ([]byte, error) { return manifest.DASH(p, csf) }, checkLiveDASH},
		{"live_video_640000.m3u8", func(p *manifest.Presentation) ([]byte, error) { return manifest.HLSMedia(p, &p.Tracks[0], hls) }, checkLiveMedia},
		{"live.ismc", func(p *manifest.Presentation) ([]byte, error) { return manifest.Smooth(p, manifest.Options{}) }, checkLiveSmooth},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			out, err := c.build(liveDemo())
			if err != nil {
				t.Fatal(err)
			}
			compareOrUpdate(t, c.file, out)
			c.check(t, liveDemo(), out)
		})
	}
}

func checkLiveDASH(t *testing.T, p *manifest.Presentation, out []byte) {
	m, err := mpd.ReadFromString(string(out))
	if err != nil {
		t.Fatalf("go-dash: %v", err)
	}
	if *m.Type != "dynamic" || m.MediaPresentationDuration != nil && *m.MediaPresentationDuration != "" {
		t.Errorf("type %v duration %v", *m.Type, m.MediaPresentationDuration)
	}
	want := map[string]string{
		"availabilityStartTime": "2026-12-07T10:00:00.000Z",
		// the newest end: 5 segments of 2 s (audio's last ends later)
		"timeShiftBufferDepth": "PT6S",
		"minimumUpdatePeriod":  "PT1.984S",
	}
	for k, v := range want {
		if !bytes.Contains(out, []byte(k+`="`+v+`"`)) {
			t.Errorf("%s is not %q", k, v)
		}
	}
	if !bytes.Contains(out, []byte(`<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="http://origin.example/time"`)) {
		t.Error("no http-iso UTCTiming")
	}
	if bytes.Contains(out, []byte("presentationTimeOffset")) {
		t.Error("presentationTimeOffset in a live MPD: period time 0 is media time 0")
	}
	if !bytes.Contains(out, []byte(`publishTime="2026-12-07T10:00:`)) {
		t.Error("no publishTime")
	}
	// The timeline is the window's.
	first := p.Tracks[0].Segments[0].Time
	if !bytes.Contains(out, []byte(`<S t="`+itoa(int(first))+`"`)) {
		t.Errorf("timeline does not start at the window's first segment %d", first)
	}
}

func checkLiveMedia(t *testing.T, p *manifest.Presentation, out []byte) {
	pl, typ, err := m3u8.DecodeFrom(bytes.NewReader(out), true)
	if err != nil || typ != m3u8.MEDIA {
		t.Fatalf("m3u8: %v (type %v)", err, typ)
	}
	media := pl.(*m3u8.MediaPlaylist)
	if media.Closed || media.MediaType == m3u8.VOD || media.SeqNo != 1 {
		t.Errorf("closed %v type %v seq %d; want open, not VOD, 1", media.Closed, media.MediaType, media.SeqNo)
	}
	if n := strings.Count(string(out), "#EXT-X-PROGRAM-DATE-TIME:"); n != 1 {
		t.Errorf("%d PROGRAM-DATE-TIME tags, want 1", n)
	}
	// Segment 1 of the video starts at 2 s: 10:00:02.
	if !bytes.Contains(out, []byte("#EXT-X-PROGRAM-DATE-TIME:2026-12-07T10:00:02.000Z\n#EXTINF")) {
		t.Error("PROGRAM-DATE-TIME is not the first segment's wall clock")
	}
}

func checkLiveSmooth(t *testing.T, p *manifest.Presentation, out []byte) {
	var m struct {
		IsLive                 string `xml:"IsLive,attr"`
		DVRWindowLength        int64  `xml:"DVRWindowLength,attr"`
		LookAheadFragmentCount int    `xml:"LookAheadFragmentCount,attr"`
		Duration               int64  `xml:"Duration,attr"`
	}
	if err := xml.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if m.IsLive != "TRUE" || m.DVRWindowLength != 60_000_000 || m.LookAheadFragmentCount != 2 || m.Duration != 0 {
		t.Errorf("%+v", m)
	}
}

// TestLiveAligned: renditions of one group arrive one after the other; a
// live Smooth manifest (and DASH's shared template) lists the segments all
// of them have, where VOD would refuse the presentation.
func TestLiveAligned(t *testing.T) {
	p := liveDemo()
	p.Tracks[0].Segments = append(p.Tracks[0].Segments, manifest.Segment{Time: 102400, Duration: 25600, Size: 1000})
	out, err := manifest.Smooth(p, manifest.Options{})
	if err != nil {
		t.Fatalf("live Smooth with one rendition ahead: %v", err)
	}
	if bytes.Contains(out, []byte(`t="102400"`)) || !bytes.Contains(out, []byte(`Chunks="3"`)) {
		t.Errorf("the segment only one rendition has is listed:\n%s", out)
	}
	d, err := manifest.DASH(p, manifest.Options{})
	if err != nil || bytes.Count(d, []byte("<SegmentTemplate")) != 3 {
		t.Errorf("live DASH does not share one template per group (%v)", err)
	}
	if len(p.Tracks[0].Segments) != 4 {
		t.Error("the builder changed the caller's presentation")
	}
}
