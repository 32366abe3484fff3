package origin_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// browserResult is what web/e2e/play.mjs prints.
type browserResult struct {
	OK          bool               `json:"ok"`
	Player      string             `json:"player"`
	CurrentTime float64            `json:"currentTime"`
	Error       string             `json:"error"`
	Decoded     map[string]float64 `json:"decoded"`
	Console     []string           `json:"console"`
}

// webDir is the directory with player.html and the npm libraries; the test
// fails, saying how to install them, when anything is missing.
func webDir(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs("../web")
	needTool(t, "node", "nodejs npm")
	if _, err := os.Stat("/usr/bin/chromium"); err != nil && os.Getenv("CHROMIUM") == "" {
		t.Fatal("chromium not found: apt-get install -y chromium")
	}
	for _, m := range []string{"playwright-core", "shaka-player", "hls.js", "dashjs"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", m)); err != nil {
			t.Fatalf("web/node_modules/%s missing: run `make web` (npm ci in web/)", m)
		}
	}
	return dir
}

// play runs a real headless Chromium on the origin's player page.
func play(t *testing.T, o *testOrigin, web, stream string, extra ...string) browserResult {
	t.Helper()
	args := append([]string{filepath.Join(web, "e2e", "play.mjs"), o.base + "/player/", stream}, extra...)
	out, _ := exec.Command("node", args...).Output()
	var r browserResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("play.mjs printed no result (%v): %s", err, out)
	}
	return r
}

// TestBrowserPlaysClear: shaka-player plays DASH, hls.js plays HLS (CMAF)
// and dash.js plays Smooth Streaming from the origin in headless Chromium;
// playback advances and both video and audio are decoded.
func TestBrowserPlaysClear(t *testing.T) {
	web := webDir(t)
	o := startOriginWith(t, mediaRoot(t), "", func(c *originConfig) { c.PlayerDir = web })
	o.locator("clear-demo", "demo", "Predefined_ClearStreamingOnly", nil)
	for _, c := range []struct{ name, url, player string }{
		{"shaka DASH", "/clear-demo/demo.ism/manifest(format=mpd-time-csf)", "shaka"},
		{"shaka DASH CMAF", "/clear-demo/demo.ism/manifest(format=mpd-time-cmaf)", "shaka"},
		{"hls.js HLS CMAF", "/clear-demo/demo.ism/manifest(format=m3u8-cmaf)", "hls"},
		{"dash.js Smooth", "/clear-demo/demo.ism/manifest", "dashjs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := play(t, o, web, o.base+c.url, "--player", c.player, "--seconds", "3")
			if !r.OK || r.Player != c.player {
				t.Errorf("%s did not play %s: %+v", c.player, c.url, r)
			}
			t.Logf("%s: reached %.2fs, decoded %v", c.player, r.CurrentTime, r.Decoded)
		})
	}
}
