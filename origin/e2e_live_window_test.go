package origin_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// mediaPlaylist is what a player reads of a live HLS media playlist: the
// sequence number of its first segment, its segments' URIs and durations.
type mediaPlaylist struct {
	seq     int
	uris    []string
	span    float64
	endlist bool
}

func readMediaPlaylist(t *testing.T, body string) mediaPlaylist {
	t.Helper()
	var p mediaPlaylist
	seen := false
	inf := false
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "#EXT-X-MEDIA-SEQUENCE:"):
			n, err := strconv.Atoi(strings.TrimPrefix(l, "#EXT-X-MEDIA-SEQUENCE:"))
			if err != nil {
				t.Fatalf("media sequence %q: %v", l, err)
			}
			p.seq, seen = n, true
		case strings.HasPrefix(l, "#EXTINF:"):
			d, err := strconv.ParseFloat(strings.TrimSuffix(strings.SplitN(strings.TrimPrefix(l, "#EXTINF:"), ",", 2)[0], ","), 64)
			if err != nil {
				t.Fatalf("EXTINF %q: %v", l, err)
			}
			p.span += d
			inf = true
		case l == "#EXT-X-ENDLIST":
			p.endlist = true
		case l != "" && !strings.HasPrefix(l, "#") && inf:
			p.uris = append(p.uris, l)
			inf = false
		}
	}
	if !seen || len(p.uris) == 0 {
		t.Fatalf("a media playlist without EXT-X-MEDIA-SEQUENCE or segments:\n%s", body)
	}
	return p
}

// TestLiveWindowSlidesForPlayers: a one-minute window (PT1M) over a feed
// pushed faster than real time (an ffmpeg ismv feed, its fragments through
// Hub.Ingest): what a player sees slides. HLS's EXT-X-MEDIA-SEQUENCE
// counts the segments dropped, every segment keeps its sequence number
// (the same URI at the same number in both playlists), the playlist spans
// at most the window and a segment, a dropped segment's URL answers 404,
// and the DASH MPD's timeline starts later with timeShiftBufferDepth PT60S.
func TestLiveWindowSlidesForPlayers(t *testing.T) {
	needTool(t, "ffmpeg", "ffmpeg")
	f := makeLiveFeed(t, 100)
	lo := startLiveOrigin(t, t.TempDir())
	lo.startOutput(t, "slide", "slide", time.Minute)
	lo.locator("w", "slide", "Predefined_ClearStreamingOnly", nil)
	const media = "/w/slide.ism/QualityLevels(400000)/Manifest(video,format=m3u8-cmaf)"
	const dash = "/w/slide.ism/manifest(format=mpd-time-csf)"
	half := len(f.frags) / 2
	lo.push(t, "s1", f, f.frags[:half]) // ~50 s: within the window
	r1 := lo.get(media)
	if r1.status != 200 {
		t.Fatalf("media playlist: %s", r1)
	}
	p1 := readMediaPlaylist(t, string(r1.body))
	if p1.seq != 0 || p1.endlist {
		t.Fatalf("before the window is full: media sequence %d, ENDLIST %v, want 0 and no ENDLIST", p1.seq, p1.endlist)
	}
	d1 := lo.get(dash)

	lo.push(t, "s1", f, f.frags[half:]) // 100 s in all: 40 s slid out
	r2 := lo.get(media)
	p2 := readMediaPlaylist(t, string(r2.body))
	if p2.seq <= p1.seq || p2.endlist {
		t.Fatalf("the window did not slide: media sequence %d then %d (ENDLIST %v)", p1.seq, p2.seq, p2.endlist)
	}
	if p2.span > 60+2.01 || p2.span < 60-2.01 {
		t.Errorf("the playlist spans %.2f s, want the 60 s window (± a segment)", p2.span)
	}
	// A segment still in both playlists has the same sequence number.
	kept := 0
	for i, u := range p1.uris {
		if n := p1.seq + i - p2.seq; n >= 0 && n < len(p2.uris) {
			if p2.uris[n] != u {
				t.Errorf("segment %d: %s, then %s at the same sequence number", p1.seq+i, u, p2.uris[n])
			}
			kept++
		}
	}
	if kept == 0 {
		t.Error("no segment in both playlists: the test does not check sequence numbers")
	}
	// A dropped segment has left: its URL answers 404.
	base := lo.base + media[:strings.LastIndex(media, "/")+1]
	dropped := p1.uris[0]
	if !strings.Contains(dropped, "://") {
		dropped = base + dropped
	}
	if r := lo.get(strings.TrimPrefix(dropped, lo.base)); r.status != 404 {
		t.Errorf("a segment that left the window: %s, want 404", r)
	}
	d2 := lo.get(dash)
	if !strings.Contains(string(d2.body), `timeShiftBufferDepth="PT60S"`) {
		t.Errorf("the MPD's timeShiftBufferDepth is not the 60 s window:\n%.600s", d2.body)
	}
	if first := firstS(string(d2.body)); first <= firstS(string(d1.body)) {
		t.Errorf("the MPD's timeline did not slide: first S@t %d, before %d", first, firstS(string(d1.body)))
	}
	t.Logf("media sequence %d → %d, %d segments (%.1f s) in the window", p1.seq, p2.seq, len(p2.uris), p2.span)
}

// firstS is the t of an MPD's first SegmentTimeline S (-1 if none).
func firstS(mpd string) int64 {
	i := strings.Index(mpd, "<S t=\"")
	if i < 0 {
		return -1
	}
	s := mpd[i+6:]
	n, err := strconv.ParseInt(s[:strings.IndexByte(s, '"')], 10, 64)
	if err != nil {
		return -1
	}
	return n
}
