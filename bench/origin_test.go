package bench

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// testOrigin runs drmorigin in-process on loopback over the committed demo
// media, as origin/harness_test.go does, and returns its streaming base URL
// and a function that publishes a locator.
func testOrigin(t *testing.T) (base string, locator func(name, asset, policy string)) {
	t.Helper()
	root, err := filepath.Abs("../testdata/media")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "demo")); err != nil {
		t.Fatalf("demo media missing (%v): run ./testdata/make-demo.sh", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	store, err := keyclient.OpenStore(ctx, "file://"+filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	kek, err := keyclient.NewKEK(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := keyclient.NewService(store, kek, keyclient.BuiltinConfig{})
	res := keyclient.NewResolver(svc, keyclient.ResolverConfig{TTL: time.Minute, LookupTimeout: time.Second})
	go res.Run(ctx)
	lib := packager.NewLibrary(storage.NewLocal(root, storage.LocalOptions{}), 16)
	srv := &origin.Server{
		Config:   origin.Config{AdminToken: "t", StoreTimeout: time.Second},
		Assets:   lib,
		Resolver: res,
		Service:  svc,
		Ready:    store.Ping,
	}
	if err := srv.Initialize(); err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	aln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, aln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("origin did not stop within 10 s")
		}
		lib.Close()
		store.Close()
	})
	return "http://" + ln.Addr().String(), func(name, asset, policy string) {
		t.Helper()
		body := []byte(`{"name":"` + name + `","assetName":"` + asset + `","streamingPolicyName":"` + policy + `"}`)
		if _, _, err := svc.Put(context.Background(), keyclient.KindStreamingLocators, name, body); err != nil {
			t.Fatalf("locator %s: %v", name, err)
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
