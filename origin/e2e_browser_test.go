package origin_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	Trick       map[string]float64 `json:"trick"`
	Live        map[string]float64 `json:"live"` // --live: currentTime and seekable end, two polls
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
	r := playResult(o, web, stream, extra...)
	if r.Error != "" && r.Player == "" && strings.HasPrefix(r.Error, "play.mjs printed no result") {
		t.Fatal(r.Error)
	}
	return r
}

// playResult is play for any goroutine: play.mjs printing no result is
// the result's Error.
func playResult(o *testOrigin, web, stream string, extra ...string) browserResult {
	args := append([]string{filepath.Join(web, "e2e", "play.mjs"), o.base + "/player/", stream}, extra...)
	out, _ := exec.Command("node", args...).Output()
	var r browserResult
	if err := json.Unmarshal(out, &r); err != nil {
		return browserResult{Error: fmt.Sprintf("play.mjs printed no result (%v): %s", err, out)}
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
		{"hls.js HLS TS", "/clear-demo/demo.ism/manifest(format=m3u8-aapl)", "hls"},
		{"hls.js HLS TS v3", "/clear-demo/demo.ism/manifest(format=m3u8-aapl-v3)", "hls"},
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

// TestBrowserPlaysEncrypted: shaka-player plays DASH cenc with a ClearKey
// license from the origin's key delivery (token in the request), hls.js
// plays HLS AES-128 with its key from key delivery; with no token or a
// wrong one, playback fails.
func TestBrowserPlaysEncrypted(t *testing.T) {
	web := webDir(t)
	o := startOriginWith(t, mediaRoot(t), "", func(c *originConfig) { c.PlayerDir = web })
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/premium", tokenPolicy("premium", nil)); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	o.locator("ck", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "premium"})
	good := mint(t, testSecret, "HS256", nil)
	bad := mint(t, []byte("not-the-policy-secret-not-the-po"), "HS256", nil)
	for _, c := range []struct{ name, url, player string }{
		{"shaka DASH cenc ClearKey", "/ck/demo.ism/manifest(format=mpd-time-csf,encryption=cenc)", "shaka"},
		{"hls.js HLS AES-128", "/ck/demo.ism/manifest(format=m3u8-cmaf,encryption=cbc)", "hls"},
		{"hls.js HLS TS AES-128", "/ck/demo.ism/manifest(format=m3u8-aapl,encryption=cbc)", "hls"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := play(t, o, web, o.base+c.url, "--player", c.player, "--token", good, "--seconds", "3")
			if !r.OK {
				t.Fatalf("%s did not play %s with a good token: %+v", c.player, c.url, r)
			}
			t.Logf("good token: reached %.2fs, decoded %v", r.CurrentTime, r.Decoded)
			for _, tok := range []struct{ name, value string }{{"no token", ""}, {"wrong token", bad}} {
				args := []string{"--player", c.player, "--seconds", "2", "--timeout", "15000"}
				if tok.value != "" {
					args = append(args, "--token", tok.value)
				}
				r := play(t, o, web, o.base+c.url, args...)
				if r.OK || r.CurrentTime >= 2 {
					t.Errorf("%s played with %s: %+v", c.player, tok.name, r)
				}
				t.Logf("%s: failed as it should: %s", tok.name, r.Error)
			}
		})
	}
}
