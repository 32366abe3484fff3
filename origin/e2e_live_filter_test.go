package origin_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// mediaSequence returns a media playlist's EXT-X-MEDIA-SEQUENCE and its
// segment URIs.
func mediaSequence(t *testing.T, playlist []byte) (uint64, []string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^#EXT-X-MEDIA-SEQUENCE:(\d+)`).FindSubmatch(playlist)
	if m == nil {
		t.Fatalf("no EXT-X-MEDIA-SEQUENCE in\n%s", playlist)
	}
	seq, _ := strconv.ParseUint(string(m[1]), 10, 64)
	var uris []string
	for _, l := range strings.Split(string(playlist), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			uris = append(uris, l)
		}
	}
	return seq, uris
}

// TestLiveFilterWindow: a filter's liveBackoffDuration and
// presentationWindowDuration (players.md) cut a live presentation at its
// live edge, segments keep their sequence numbers, a segment behind the
// backoff is 404 with no-cache (it is listed later), and an ended archive
// is VOD, which they do not cut.
func TestLiveFilterWindow(t *testing.T) {
	needTool(t, "ffmpeg", "ffmpeg")
	f := makeLiveFeed(t, 10)
	lo := startLiveShow(t)
	lo.locator("live", "liveshow", "Predefined_ClearStreamingOnly", nil)
	lo.push(t, "s1", f, f.frags)
	// 2 s of backoff, a 4 s window, in the default 10 MHz timescale.
	if r := lo.api("PUT", "/api/v1/accountFilters/edge", `{"presentationTimeRange":{"liveBackoffDuration":20000000,"presentationWindowDuration":40000000}}`); r.status != 201 {
		t.Fatalf("PUT filter: %s", r)
	}
	const media = "/live/show.ism/QualityLevels(400000)/Manifest(video,format=m3u8-cmaf%s)"
	full := lo.get(strings.Replace(media, "%s", "", 1))
	cut := lo.get(strings.Replace(media, "%s", ",filter=edge", 1))
	if full.status != 200 || cut.status != 200 {
		t.Fatalf("media playlists: %s / %s", full, cut)
	}
	seq0, all := mediaSequence(t, full.body)
	seq1, kept := mediaSequence(t, cut.body)
	if len(all) < 4 {
		t.Fatalf("the feed gave %d video segments, want at least 4", len(all))
	}
	// The newest segment (2 s) is behind the backoff; the window keeps the
	// two 2 s segments before it.
	if len(kept) != 2 {
		t.Fatalf("filtered live playlist lists %d segments, want 2:\n%s", len(kept), cut.body)
	}
	if want := seq0 + uint64(len(all)-3); seq1 != want {
		t.Errorf("filtered EXT-X-MEDIA-SEQUENCE %d, want %d (every segment keeps its number)", seq1, want)
	}
	for i, u := range kept {
		if want := strings.Replace(all[len(all)-3+i], "format=m3u8-cmaf", "format=m3u8-cmaf,filter=edge", 1); u != want {
			t.Errorf("filtered segment %d is %s, want %s", i, u, want)
		}
	}
	newest := "/live/show.ism/QualityLevels(400000)/" + strings.Replace(all[len(all)-1], "format=m3u8-cmaf", "format=m3u8-cmaf,filter=edge", 1)
	if r := lo.get(newest); r.status != 404 || r.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("segment behind the backoff: %d, Cache-Control %q; want 404, no-cache", r.status, r.header.Get("Cache-Control"))
	}

	if err := lo.hub.EndOutput("ev", "out"); err != nil {
		t.Fatal(err)
	}
	vod := lo.get(strings.Replace(media, "%s", ",filter=edge", 1))
	if _, uris := mediaSequence(t, vod.body); vod.status != 200 || len(uris) != len(all) {
		t.Errorf("the ended archive under the live-only filter lists %d segments, want all %d", len(uris), len(all))
	}
}
