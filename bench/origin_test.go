package bench

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testOrigin builds drmorigin and runs it as the suite does (startOrigin:
// `drmorigin serve` on loopback, an embedded store in a temporary
// directory), over the committed demo media. It returns the streaming base
// URL and a function that publishes a locator through the management API:
// like the suite, the test talks to the origin over HTTP only. On failure
// the origin's log is shown.
func testOrigin(t *testing.T) (base string, locator func(name, asset, policy string)) {
	t.Helper()
	root, err := filepath.Abs("../testdata/media")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "demo")); err != nil {
		t.Fatalf("demo media missing (%v): run ./testdata/make-demo.sh", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "drmorigin")
	build := exec.Command(goTool(), "build", "-o", bin, "./cmd/drmorigin")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build drmorigin: %v\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(dir, "origin.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("drmorigin log:\n%s", b)
		}
	})
	o, err := startOrigin(bin, "", root, dir, logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.stop)
	return o.base, func(name, asset, policy string) {
		t.Helper()
		if err := o.locator(name, asset, policy); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFollowOrigin loads every clear format of the demo asset from a real
// origin, checks the parsed tracks, and pulls and plays them without an
// error. Encrypted and TS pairs either play the same way or are refused
// with a status (they are being wired in): both are accepted.
func TestFollowOrigin(t *testing.T) {
	base, locator := testOrigin(t)
	locator("clear", "demo", "Predefined_ClearStreamingOnly")
	locator("cenc", "demo", "Predefined_MultiDrmCencStreaming")
	locator("multi", "demo", "Predefined_MultiDrmStreaming")
	locator("ck", "demo", "Predefined_ClearKey")
	locs := map[string]string{"none": "clear", "cenc": "cenc", "cbcs": "multi", "cbc": "ck"}
	for _, u := range ComboURLs(base, "demo", locs) {
		rec := NewRecorder()
		c := NewClient(rec, 4)
		p, err := Load(c, u, true)
		var se *StatusError
		if errors.As(err, &se) {
			t.Logf("%s: %v (refused: reported as unavailable)", u, err)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		// m3u8-aapl-v3 muxes the audio into the video variants; TS
		// formats have no init segments.
		ts := strings.Contains(u, "format=m3u8-aapl")
		muxed := strings.Contains(u, "format=m3u8-aapl-v3")
		wantAudio, wantPlayed := 2, int64(8)
		if muxed {
			wantAudio, wantPlayed = 0, 4
		}
		video, audio := p.Video(), p.Audio()
		if len(video) != 2 || len(audio) != wantAudio {
			t.Errorf("%s: %d video and %d audio tracks, want 2 and %d", u, len(video), len(audio), wantAudio)
		}
		var segs, inits int64
		for _, tr := range p.Tracks {
			if len(tr.Segments) != 4 {
				t.Errorf("%s: track %s has %d segments, want 4", u, tr.Name, len(tr.Segments))
			}
			if d := tr.Duration(); d < 7*time.Second || d > 9*time.Second {
				t.Errorf("%s: track %s lasts %v, want about 8 s", u, tr.Name, d)
			}
			segs += int64(len(tr.Segments))
			if tr.InitURL != "" {
				inits++
			}
		}
		if p.Format != "smooth" && !ts && inits != int64(len(p.Tracks)) {
			t.Errorf("%s: %d of %d tracks have an init segment", u, inits, len(p.Tracks))
		}
		Pull(context.Background(), c, p, 4)
		if n := rec.Count(KindSegment); n != segs {
			t.Errorf("%s: pulled %d segments, want %d", u, n, segs)
		}
		for _, k := range []Kind{KindManifest, KindInit, KindSegment} {
			if e := rec.Errors(k); len(e) > 0 && p.Licenses == nil {
				t.Errorf("%s: %s errors %v", u, k, e)
			}
		}
		prec := NewRecorder()
		pc := NewClient(prec, 2)
		if err := Play(context.Background(), pc, PlayerConfig{ManifestURL: u}, nil); err != nil {
			t.Errorf("play %s: %v", u, err)
		}
		if n := prec.Count(KindSegment); n != wantPlayed {
			t.Errorf("play %s: %d segments, want %d (video and audio)", u, n, wantPlayed)
		}
		if e := prec.Errors(KindSegment); len(e) > 0 {
			t.Errorf("play %s: segment errors %v", u, e)
		}
	}
}

// TestRawLoadOrigin drives the real origin's manifests and playlists with
// the raw generator (the manifest step's instrument): every answer is
// read whole and none is an error, closed loop and paced.
func TestRawLoadOrigin(t *testing.T) {
	base, locator := testOrigin(t)
	locator("clear", "demo", "Predefined_ClearStreamingOnly")
	locator("cenc", "demo", "Predefined_MultiDrmCencStreaming")
	c := NewClient(NewRecorder(), 2)
	defer c.Close()
	var urls []string
	for _, u := range ComboURLs(base, "demo", map[string]string{"none": "clear", "cenc": "cenc"}) {
		p, err := Load(c, u, true)
		if err != nil {
			continue // a pair the origin refuses
		}
		urls = append(append(urls, u), p.Playlists...)
	}
	if len(urls) < 4 {
		t.Fatalf("only %d manifest URLs answered", len(urls))
	}
	targets, err := rawTargets(c, urls)
	if err != nil {
		t.Fatal(err)
	}
	for _, rate := range []float64{0, 1000} {
		res, err := rawLoad(context.Background(), base, targets, 8, rate, 300*time.Millisecond)
		if err != nil {
			t.Fatalf("rate %v: %v", rate, err)
		}
		sum := res.rec.Summary(res.wall)
		if len(sum) != 1 || sum[0].Requests < int64(len(urls)) || len(sum[0].Errors) != 0 {
			t.Errorf("rate %v over %d URLs: %+v", rate, len(urls), sum)
		}
	}

	// The manifest floor: the same answers written out and read back by
	// path, as the suite's floor server does, serve every URL with the
	// origin's bytes.
	dir := t.TempDir()
	bodies := map[string][]byte{}
	for _, u := range urls {
		bodies[strings.TrimPrefix(u, base)] = c.Get(KindManifest, u, true, nil).Body
	}
	for p, b := range bodies {
		f := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "/")))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	back, err := LoadFloorDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fs := &FloorServer{Bodies: back}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go fs.Serve(ln)
	defer fs.Close()
	fc := NewClient(NewRecorder(), 1)
	defer fc.Close()
	for p, b := range bodies {
		if r := fc.Get(KindManifest, "http://"+ln.Addr().String()+p, true, nil); r.Err != "" || !bytes.Equal(r.Body, b) {
			t.Errorf("floor %s: %s, %d bytes, want the origin's %d", p, r.Err, len(r.Body), len(b))
		}
	}
}
