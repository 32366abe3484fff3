package origin_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// firstSegmentURLs returns the init and first media segment URL of the
// first video track of the demo's DASH manifest.
func firstSegmentURLs(t *testing.T, o *testOrigin, loc string) (string, string) {
	mu := o.base + "/" + loc + "/demo.ism/manifest(format=mpd-time-csf)"
	r := do(t, http.MethodGet, mu, nil)
	if r.status != 200 {
		t.Fatalf("manifest: %s", r)
	}
	plans := planDASH(t, mu, r.body)
	return plans[0].init, plans[0].media[0]
}

func TestHTTPBehaviour(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	o.locator("clear-demo", "demo", "Predefined_ClearStreamingOnly", nil)
	initURL, segURL := firstSegmentURLs(t, o, "clear-demo")

	t.Run("content types", func(t *testing.T) {
		for path, want := range map[string]string{
			"/clear-demo/demo.ism/manifest(format=mpd-time-csf)": "application/dash+xml",
			"/clear-demo/demo.ism/manifest(format=m3u8-cmaf)":    "application/vnd.apple.mpegurl",
			"/clear-demo/demo.ism/manifest":                      "application/vnd.ms-sstr+xml",
		} {
			if r := o.get(path); r.status != 200 || r.header.Get("Content-Type") != want {
				t.Errorf("%s: %d %q, want 200 %q", path, r.status, r.header.Get("Content-Type"), want)
			}
		}
		if r := do(t, "GET", segURL, nil); r.header.Get("Content-Type") != "video/mp4" {
			t.Errorf("segment content type %q", r.header.Get("Content-Type"))
		}
	})

	t.Run("byte-identical, ETag, 304, immutable", func(t *testing.T) {
		a, b := do(t, "GET", segURL, nil), do(t, "GET", segURL, nil)
		if a.status != 200 || !bytes.Equal(a.body, b.body) || a.header.Get("ETag") == "" || a.header.Get("ETag") != b.header.Get("ETag") {
			t.Fatalf("two GETs differ: %s / %s, ETags %q %q", a, b, a.header.Get("ETag"), b.header.Get("ETag"))
		}
		if cc := a.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("segment Cache-Control %q", cc)
		}
		if got := a.header.Get("Content-Length"); got != strconv.Itoa(len(a.body)) {
			t.Errorf("Content-Length %q for %d bytes", got, len(a.body))
		}
		nm := do(t, "GET", segURL, nil, "If-None-Match", a.header.Get("ETag"))
		if nm.status != http.StatusNotModified || len(nm.body) != 0 {
			t.Errorf("If-None-Match: %s", nm)
		}
		m1 := o.get("/clear-demo/demo.ism/manifest(format=mpd-time-csf)")
		m2 := o.get("/clear-demo/demo.ism/manifest(format=mpd-time-csf)")
		if !bytes.Equal(m1.body, m2.body) || m1.header.Get("ETag") == "" {
			t.Errorf("manifest not byte-identical or without ETag")
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		full := do(t, "GET", segURL, nil)
		h := do(t, "HEAD", segURL, nil)
		if h.status != 200 || len(h.body) != 0 || h.header.Get("Content-Length") != strconv.Itoa(len(full.body)) {
			t.Errorf("HEAD: %s, Content-Length %q, want %d", h, h.header.Get("Content-Length"), len(full.body))
		}
	})

	t.Run("ranges", func(t *testing.T) {
		full := do(t, "GET", segURL, nil)
		n := len(full.body)
		for _, c := range []struct {
			spec       string
			start, end int
		}{{"bytes=0-99", 0, 99}, {"bytes=100-", 100, n - 1}, {"bytes=-50", n - 50, n - 1}, {"bytes=10-999999999", 10, n - 1}} {
			r := do(t, "GET", segURL, nil, "Range", c.spec)
			if r.status != http.StatusPartialContent || !bytes.Equal(r.body, full.body[c.start:c.end+1]) {
				t.Errorf("%s: %d, %d bytes", c.spec, r.status, len(r.body))
			}
			want := "bytes " + strconv.Itoa(c.start) + "-" + strconv.Itoa(c.end) + "/" + strconv.Itoa(n)
			if cr := r.header.Get("Content-Range"); cr != want {
				t.Errorf("%s: Content-Range %q, want %q", c.spec, cr, want)
			}
		}
		if r := do(t, "GET", segURL, nil, "Range", "bytes="+strconv.Itoa(n)+"-"); r.status != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("range past the end: %s", r)
		}
		// An init segment's range must not disturb later full answers.
		ri := do(t, "GET", initURL, nil, "Range", "bytes=8-15")
		fi := do(t, "GET", initURL, nil)
		if ri.status != 206 || !bytes.Equal(ri.body, fi.body[8:16]) {
			t.Errorf("init range: %s", ri)
		}
	})

	t.Run("CORS", func(t *testing.T) {
		r := do(t, "GET", segURL, nil, "Origin", "https://player.example")
		if r.header.Get("Access-Control-Allow-Origin") == "" {
			t.Error("no Access-Control-Allow-Origin on a segment")
		}
		p := do(t, "OPTIONS", segURL, nil, "Origin", "https://player.example", "Access-Control-Request-Method", "GET",
			"Access-Control-Request-Headers", "range")
		if p.status/100 != 2 || !strings.Contains(strings.ToLower(p.header.Get("Access-Control-Allow-Headers")), "range") {
			t.Errorf("preflight: %s %v", p, p.header)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for path, want := range map[string]int{
			"/no-such-locator/demo.ism/manifest(format=mpd-time-csf)":                              404,
			"/clear-demo/other.ism/manifest(format=mpd-time-csf)":                                  404,
			"/clear-demo/demo.ism/manifest(format=mpd-time-csf,bogus=1)":                           400,
			"/clear-demo/demo.ism/manifest(format=mpd-time-csf,encryption=cbc)":                    400,
			"/clear-demo/demo.ism/manifest(format=mpd-time-csf,encryption=cenc)":                   403,
			"/clear-demo/demo.ism/QualityLevels(1)/Fragments(video=0,format=mpd-time-csf)":         404,
			"/clear-demo/demo.ism/QualityLevels(600000)/Fragments(video=1,format=mpd-time-csf)":    404,
			"/clear-demo/demo.ism/QualityLevels(600000)/Fragments(nothing=0,format=mpd-time-csf)":  404,
			"/clear-demo/demo.ism/QualityLevels(600000)/Fragments(video=0,format=mpd-time-csf,x=)": 400,
			"/clear-demo/../demo.ism/manifest":                                                     404,
			"/healthz":                                                                             200,
			"/readyz":                                                                              200,
		} {
			r := o.get(path)
			if r.status != want {
				t.Errorf("%s: %s, want %d", path, r, want)
			}
			if r.status >= 400 && (!strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || len(r.body) > 300) {
				t.Errorf("%s: error answer should be short plain text, got %q %q", path, r.header.Get("Content-Type"), r.body)
			}
		}
		long := "/clear-demo/demo.ism/manifest(format=" + strings.Repeat("a", 9000) + ")"
		if r := o.get(long); r.status != 414 && r.status != 431 {
			t.Errorf("a 9 KiB request line: %d, want 414", r.status)
		}
		if r := o.get("/healthz", "X-Big", strings.Repeat("b", 20000)); r.status != 431 {
			t.Errorf("20 KiB of headers: %d, want 431", r.status)
		}
		if r := do(t, "POST", segURL, nil); r.status != 405 {
			t.Errorf("POST a segment: %d, want 405", r.status)
		}
	})
}

// TestFailClosed: a locator whose policy enables no clear streaming never
// gets a clear segment, for any URL.
func TestFailClosed(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	o.locator("clear-demo", "demo", "Predefined_ClearStreamingOnly", nil)
	o.locator("drm-demo", "demo", "Predefined_MultiDrmCencStreaming", nil)
	_, seg := firstSegmentURLs(t, o, "clear-demo")
	drmSeg := strings.Replace(seg, "/clear-demo/", "/drm-demo/", 1)
	clear := mdatPayload(do(t, "GET", seg, nil).body)
	if len(clear) == 0 {
		t.Fatal("the clear segment has no mdat")
	}
	for _, u := range []string{
		drmSeg,
		strings.Replace(drmSeg, "format=mpd-time-csf", "format=mpd-time-csf,encryption=cenc", 1),
		strings.Replace(drmSeg, ",format=mpd-time-csf", "", 1),
		strings.Replace(drmSeg, "format=mpd-time-csf", "format=m3u8-cmaf", 1),
		strings.Replace(drmSeg, "format=mpd-time-csf", "format=m3u8-aapl", 1) + ".ts",
		strings.Replace(drmSeg, "format=mpd-time-csf", "format=m3u8-cmaf,encryption=cbcs", 1),
	} {
		r := do(t, "GET", u, nil)
		if r.status != 200 {
			continue // refused: fine
		}
		// Served: the media must be encrypted. cenc protects nearly every
		// byte of the video samples; even cbcs's 1:9 pattern changes more
		// than 5% of them.
		got := mdatPayload(r.body)
		same := 0
		for i := 0; i < len(got) && i < len(clear); i++ {
			if got[i] == clear[i] {
				same++
			}
		}
		if len(got) != len(clear) || same > len(clear)*95/100 {
			t.Errorf("%s: 200 with %d of %d mdat bytes equal to the clear segment: a locator without clear streaming answered clear media",
				u, same, len(clear))
		}
	}
}

// mdatPayload returns the payload of the first top-level mdat box.
func mdatPayload(b []byte) []byte {
	for len(b) >= 8 {
		size := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if size < 8 || size > len(b) {
			return nil
		}
		if string(b[4:8]) == "mdat" {
			return b[8:size]
		}
		b = b[size:]
	}
	return nil
}

// TestDamagedAssetIsIsolated: a truncated or corrupt track file is left out
// of its asset (the rest of it is served, and the management API says
// what was left out); the process and the other assets carry on.
func TestDamagedAssetIsIsolated(t *testing.T) {
	src := mediaRoot(t)
	root := t.TempDir()
	copyDir(t, filepath.Join(src, "demo"), filepath.Join(root, "good"))
	copyDir(t, filepath.Join(src, "demo"), filepath.Join(root, "truncated"))
	copyDir(t, filepath.Join(src, "demo"), filepath.Join(root, "garbage"))
	os.Rename(filepath.Join(root, "good", "demo.ism"), filepath.Join(root, "good", "good.ism"))
	os.Rename(filepath.Join(root, "truncated", "demo.ism"), filepath.Join(root, "truncated", "truncated.ism"))
	os.Rename(filepath.Join(root, "garbage", "demo.ism"), filepath.Join(root, "garbage", "garbage.ism"))
	v := filepath.Join(root, "truncated", "video_640x360.mp4")
	b, _ := os.ReadFile(v)
	os.WriteFile(v, b[:len(b)*2/3], 0o644)
	g := filepath.Join(root, "garbage", "audio_eng.mp4")
	gb, _ := os.ReadFile(g)
	for i := 0; i < len(gb); i += 97 {
		gb[i] ^= 0x5a
	}
	os.WriteFile(g, gb, 0o644)

	o := startOrigin(t, root, "")
	for _, a := range []string{"good", "truncated", "garbage"} {
		o.locator("loc-"+a, a, "Predefined_ClearStreamingOnly", nil)
	}
	for _, c := range []struct{ asset, file, gone string }{
		{"truncated", "video_640x360.mp4", `width="640"`},
		{"garbage", "audio_eng.mp4", `lang="eng"`},
	} {
		r := o.get("/loc-" + c.asset + "/" + c.asset + ".ism/manifest(format=mpd-time-csf)")
		if r.status != 200 || bytes.Contains(r.body, []byte(c.gone)) {
			t.Errorf("asset %s with a damaged %s: %s, want 200 without its track", c.asset, c.file, r)
		}
		a := o.api("GET", "/api/v1/assets/"+c.asset, nil)
		if a.status != 200 || !bytes.Contains(a.body, []byte(`"state":"partial"`)) || !bytes.Contains(a.body, []byte(`"file":"`+c.file+`"`)) {
			t.Errorf("GET /api/v1/assets/%s: %s, want state partial naming %s", c.asset, a, c.file)
		}
	}
	if r := o.get("/loc-good/good.ism/manifest(format=mpd-time-csf)"); r.status != 200 {
		t.Fatalf("the good asset stopped working: %s", r)
	}
	if r := o.get("/healthz"); r.status != 200 {
		t.Fatalf("process unhealthy after damaged assets: %s", r)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
