//go:build !race

package origin_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/drmorigin/drmorigin/origin"
)

// TestAllocsServeSegment: a whole segment request, through fasthttp, makes
// a small constant number of allocations that does not grow with the
// number of samples in the segment (quality.md): the same count for a
// fragment of ~10 AAC frames and one of ~1,000.
func TestAllocsServeSegment(t *testing.T) {
	needTool(t, "ffmpeg", "ffmpeg")
	root := t.TempDir()
	for _, a := range []struct {
		name string
		frag string // -frag_duration in µs
		secs string
	}{{"few", "213334", "1"}, {"many", "21333334", "22"}} {
		dir := filepath.Join(root, a.name)
		os.MkdirAll(dir, 0o755)
		out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi",
			"-i", "sine=frequency=440:sample_rate=48000:duration="+a.secs, "-c:a", "aac", "-b:a", "64k",
			"-frag_duration", a.frag, "-movflags", "+frag_keyframe+empty_moov+default_base_moof",
			"-f", "mp4", filepath.Join(dir, "audio.mp4")).CombinedOutput()
		if err != nil {
			t.Fatalf("ffmpeg: %v: %s", err, out)
		}
	}
	o := startOrigin(t, root, "")
	p := newInProcess(o)
	counts := map[string]float64{}
	for _, a := range []string{"few", "many"} {
		o.locator(a+"-clear", a, "Predefined_ClearStreamingOnly", nil)
		o.locator(a+"-drm", a, "Predefined_MultiDrmStreaming", nil)
		var info struct {
			Tracks []struct{ Bitrate, Fragments int }
		}
		if r := o.api("GET", "/api/v1/assets/"+a, nil); r.status != 200 || jsonInto(r.body, &info) != nil || len(info.Tracks) != 1 {
			t.Fatalf("asset %s: %s", a, r)
		}
		br := itoa(info.Tracks[0].Bitrate)
		for _, c := range []struct{ scheme, path string }{
			{"manifest", "/" + a + "-clear/" + a + ".ism/manifest(format=mpd-time-csf)"},
			{"clear", "/" + a + "-clear/" + a + ".ism/QualityLevels(" + br + ")/Fragments(audio=0,format=mpd-time-csf)"},
			{"cenc", "/" + a + "-drm/" + a + ".ism/QualityLevels(" + br + ")/Fragments(audio=0,format=mpd-time-csf,encryption=cenc)"},
			{"cbcs", "/" + a + "-drm/" + a + ".ism/QualityLevels(" + br + ")/Fragments(audio=0,format=mpd-time-csf,encryption=cbcs)"},
		} {
			req := getRequest(c.path)
			n, err := p.serve(req)
			if err != nil || n < 500 {
				t.Fatalf("%s: %d bytes, %v", c.path, n, err)
			}
			counts[a+"/"+c.scheme] = allocsPerRunNoGC(50, func() { p.serve(req) })
		}
	}
	t.Logf("allocations per request: %v", counts)
	// A cached manifest costs no allocation at all: the cache key is built
	// in a pooled buffer and looked up without a string.
	for _, a := range []string{"few", "many"} {
		if n := counts[a+"/manifest"]; n != 0 {
			t.Errorf("%s: %v allocations per cached manifest request, want 0", a, n)
		}
	}
	for _, s := range []string{"clear", "cenc", "cbcs"} {
		few, many := counts["few/"+s], counts["many/"+s]
		if few != many {
			t.Errorf("%s: %v allocations for ~10 samples, %v for ~1,000: the count grows with the samples", s, few, many)
		}
		if many > 4 {
			t.Errorf("%s: %v allocations per segment request, want a small constant (<= 4)", s, many)
		}
	}
}

// allocsPerRunNoGC is testing.AllocsPerRun with the garbage collector off
// and the pools warm. The request path takes its scratch (request context,
// response and segment buffers, TS and encryption state) from sync.Pools,
// and each GC moves a pool's contents to its victim cache and drops what
// was there: after two, a Get allocates afresh. A GC can start during the
// measurement whatever the path does (the heap is small and other
// goroutines of the test process allocate), and with a GC before every
// request this test counts 9 to 10 allocations per request on a path that
// makes none in steady state. With GC off (restored on return) and a few
// warm-up requests to refill what an earlier GC emptied, the count is that
// steady state, and the assertions stay exact.
func allocsPerRunNoGC(runs int, f func()) float64 {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range 3 {
		f()
	}
	return testing.AllocsPerRun(runs, f)
}

// TestAllocsAccessLogAndMetrics: the metrics every request records, and
// the access log when it is on (either format), add no allocation to a
// segment or a cached manifest request: the same counts as with the
// access log off (TestAllocsServeSegment holds those to a small constant).
func TestAllocsAccessLogAndMetrics(t *testing.T) {
	counts := map[string]float64{}
	for _, f := range []origin.AccessLogFormat{"", origin.AccessLogCombined, origin.AccessLogJSON} {
		o := startOriginWith(t, mediaRoot(t), "", func(c *originConfig) {
			if f != "" {
				c.AccessLog, c.AccessLogFormat = io.Discard, f
			}
		})
		o.locator("clear", "demo", "Predefined_ClearStreamingOnly", nil)
		o.locator("drm", "demo", "Predefined_MultiDrmStreaming", nil)
		p := newInProcess(o)
		for _, c := range []struct{ name, path string }{
			{"manifest", "/clear/demo.ism/manifest(format=mpd-time-csf)"},
			{"clear", "/clear" + videoSeg + ",format=mpd-time-csf)"},
			{"cenc", "/drm" + videoSeg + ",format=mpd-time-csf,encryption=cenc)"},
			{"404", "/nope/demo.ism/manifest(format=mpd-time-csf)"},
		} {
			req := getRequest(c.path)
			if _, err := p.serve(req); err != nil {
				t.Fatal(err)
			}
			counts[string(f)+"/"+c.name] = allocsPerRunNoGC(50, func() { p.serve(req) })
		}
	}
	t.Logf("allocations per request (access log off, combined, json): %v", counts)
	for _, c := range []string{"manifest", "clear", "cenc", "404"} {
		off := counts["/"+c]
		for _, f := range []origin.AccessLogFormat{origin.AccessLogCombined, origin.AccessLogJSON} {
			if on := counts[string(f)+"/"+c]; on != off {
				t.Errorf("%s: %v allocations with the %s access log, %v without", c, on, f, off)
			}
		}
	}
	if counts["/manifest"] != 0 {
		t.Errorf("a cached manifest: %v allocations, want 0", counts["/manifest"])
	}
	// A segment's stream, its writev's vector included, is pooled
	// (segment_stream.go).
	for _, c := range []string{"clear", "cenc"} {
		if counts["/"+c] != 0 {
			t.Errorf("a %s segment: %v allocations, want 0", c, counts["/"+c])
		}
	}
}

// TestAllocsFilteredSegment: a segment request under a filter allocates as
// many objects as the same request unfiltered, whether the filter is the
// URL's or the locator's: the filter's view of the asset is cached beside
// the filtered manifest's key (filter_views.go), not built per request.
func TestAllocsFilteredSegment(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	o.locator("clear", "demo", "Predefined_ClearStreamingOnly", nil)
	all := `{"presentationTimeRange":{"startTimestamp":0},"tracks":[{"trackSelections":[{"property":"Type","value":"Video"},` +
		`{"property":"Bitrate","value":"0-100000000"}]},{"trackSelections":[{"property":"Type","value":"Audio"}]}]}`
	if r := o.api("PUT", "/api/v1/accountFilters/all", all); r.status != 201 {
		t.Fatalf("PUT filter: %s", r)
	}
	o.locator("filtered", "demo", "Predefined_ClearStreamingOnly", map[string]any{"filters": []string{"all"}})
	p := newInProcess(o)
	counts := map[string]float64{}
	for _, c := range []struct{ name, path string }{
		{"unfiltered", "/clear" + videoSeg + ",format=mpd-time-csf)"},
		{"url filter", "/clear" + videoSeg + ",format=mpd-time-csf,filter=all)"},
		{"locator filter", "/filtered" + videoSeg + ",format=mpd-time-csf)"},
		{"unfiltered init", "/clear/demo.ism/QualityLevels(600000)/Fragments(video=i,format=mpd-time-csf)"},
		{"url filter init", "/clear/demo.ism/QualityLevels(600000)/Fragments(video=i,format=mpd-time-csf,filter=all)"},
	} {
		req := getRequest(c.path)
		if n, err := p.serve(req); err != nil || n < 500 {
			t.Fatalf("%s: %d bytes, %v", c.path, n, err)
		}
		counts[c.name] = allocsPerRunNoGC(50, func() { p.serve(req) })
	}
	t.Logf("allocations per request: %v", counts)
	for _, c := range []string{"url filter", "locator filter"} {
		if counts[c] != counts["unfiltered"] {
			t.Errorf("segment, %s: %v allocations, unfiltered %v", c, counts[c], counts["unfiltered"])
		}
	}
	if counts["url filter init"] != counts["unfiltered init"] {
		t.Errorf("init, url filter: %v allocations, unfiltered %v", counts["url filter init"], counts["unfiltered init"])
	}
}
