package origin_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// pushFFmpegLive starts ffmpeg pushing a real-time (-re) feed of seconds:
// two H.264 renditions and AAC, the ismv muxer over HTTP POST, into the
// hub's event ev as stream s1 (a loopback handler calling Hub.Ingest, as
// the ingest listener does). It is killed at the test's end.
func pushFFmpegLive(t *testing.T, hub *live.Hub, seconds int) {
	t.Helper()
	ffmpeg := needTool(t, "ffmpeg", "ffmpeg")
	ing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := hub.Ingest(r.Context(), "ev", "s1", r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	}))
	d := strconv.Itoa(seconds)
	cmd := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration="+d,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration="+d,
		"-map", "0:v", "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-b:v:0", "400k", "-b:v:1", "200k", "-s:v:1", "160x90", "-c:a", "aac", "-b:a", "64k",
		"-movflags", "isml+frag_keyframe", "-f", "ismv", "-method", "POST",
		ing.URL+"/ev/token/ingest.isml/Streams(s1)")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		ing.Close()
	})
}

// TestLivePlayersFollowEdge: while ffmpeg pushes a real-time feed,
// shaka-player plays DASH cenc with ClearKey licenses from key delivery
// (with a token), hls.js plays HLS AES-128, dash.js plays clear DASH, and
// dash.js (its mss module) plays live Smooth, which grows its timeline
// from the fragments' tfrf look-ahead, in headless Chromium; in each the
// live edge advances (currentTime and the seekable end both grow between
// two polls) with no player error.
func TestLivePlayersFollowEdge(t *testing.T) {
	web := webDir(t)
	root := t.TempDir()
	st := storage.NewLocal(root, storage.LocalOptions{})
	o := startOriginStore(t, st, root, "", func(c *originConfig) { c.PlayerDir = web })
	lib := o.srv.Assets.(*packager.Library)
	hub := live.NewHub(live.Config{Store: st, Writer: st, Assets: lib, StallTimeout: 5 * time.Second})
	t.Cleanup(func() { hub.Close() })
	hub.StartEvent("ev")
	if err := hub.AddOutput(live.Output{Event: "ev", Name: "out", Asset: "onair", Manifest: "onair", Window: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/premium", tokenPolicy("premium", nil)); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	o.locator("ck", "onair", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "premium"})
	o.locator("clr", "onair", "Predefined_ClearStreamingOnly", nil)
	good := mint(t, testSecret, "HS256", nil)

	pushFFmpegLive(t, hub, 120) // killed when the players are done
	// The players start with two segments in the window.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := o.get("/clr/onair.ism/QualityLevels(400000)/Manifest(video,format=m3u8-cmaf)")
		if r.status == 200 && bytes.Count(r.body, []byte("#EXTINF")) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no two live segments within 20 s: %s", r)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The three players at once (t.Parallel would wait for -parallel
	// slots, and the feed is real time).
	cases := []struct{ name, url, player, token string }{
		{"shaka DASH cenc ClearKey", "/ck/onair.ism/manifest(format=mpd-time-csf,encryption=cenc)", "shaka", good},
		{"hls.js HLS AES-128", "/ck/onair.ism/manifest(format=m3u8-cmaf,encryption=cbc)", "hls", good},
		{"dash.js DASH clear", "/clr/onair.ism/manifest(format=mpd-time-csf)", "dashjs", ""},
		{"dash.js Smooth clear", "/clr/onair.ism/manifest", "dashjs", ""},
	}
	results := make([]browserResult, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		args := []string{"--player", c.player, "--seconds", "0.5", "--timeout", "30000", "--live", "15000"}
		if c.token != "" {
			args = append(args, "--token", c.token)
		}
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = playResult(o, web, o.base+c.url, args...) }()
	}
	wg.Wait()
	for i, c := range cases {
		r := results[i]
		if !r.OK || r.Player != c.player || r.Error != "" {
			t.Errorf("%s: %s did not follow the live edge of %s: %+v", c.name, c.player, c.url, r)
			continue
		}
		t.Logf("%s: currentTime %.2f → %.2f, seekable end %.2f → %.2f, decoded %v", c.name,
			r.Live["t1"], r.Live["t2"], r.Live["end1"], r.Live["end2"], r.Decoded)
	}
}
