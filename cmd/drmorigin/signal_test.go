package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/drmorigin/drmorigin/keyclient/redistest"
)

// header fetches path from p's streaming listener with request headers
// hdr (name, value, …) and returns the status and one response header.
func (p *serveProcess) header(t *testing.T, method, path, name string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+p.listen+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v (serve: %s)", method, path, err, p.errb.String())
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return r.StatusCode, r.Header.Get(name)
}

func (p *serveProcess) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// TestSIGHUPReloads (issue 19, defect 3): SIGHUP re-reads the
// configuration and applies what a running origin can change (manifest
// Cache-Control, the key delivery CORS allow-list, the log level), says
// which changed keys wait for a restart, and keeps running; a broken file
// is reported and the running configuration kept.
func TestSIGHUPReloads(t *testing.T) {
	media, _ := filepath.Abs("../../testdata/media")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "drmorigin.yaml")
	write := func(maxAge, origin, level, ttl string) {
		y := "storage:\n  root: " + media + "\ncache:\n  manifestControl: \"public, max-age=" + maxAge + "\"\n  ttl: " + ttl +
			"\nkeys:\n  allowedOrigins: " + origin + "\nlog:\n  level: " + level + "\n"
		if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("30", "https://a.example", "info", "5m")
	kek, _ := testKEK(1)
	p := startServeWith(t, serveOpts{store: "file://" + filepath.Join(dir, "data", "x.db"), kek: kek, dir: dir,
		args: []string{"--config", cfg}})
	if s, body := p.api(t, "PUT", "/api/v1/streamingLocators/hup",
		`{"name":"hup","assetName":"demo","streamingPolicyName":"Predefined_ClearStreamingOnly"}`); s != 201 {
		t.Fatalf("locator: %d %s", s, body)
	}
	manifest := "/hup/demo.ism/manifest(format=mpd-time-csf)"
	if s, cc := p.header(t, "GET", manifest, "Cache-Control"); s != 200 || cc != "public, max-age=30" {
		t.Fatalf("before SIGHUP: %d Cache-Control %q", s, cc)
	}
	if _, acao := p.header(t, "OPTIONS", "/keys/clearkey", "Access-Control-Allow-Origin", "Origin", "https://b.example"); acao != "" {
		t.Fatalf("before SIGHUP: an origin off the allow-list got Access-Control-Allow-Origin %q", acao)
	}

	write("7", "https://b.example", "debug", "1m")
	p.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if !p.alive() {
			t.Fatalf("SIGHUP stopped serve (%v): %s", p.waitErr, p.errb.String())
		}
		if _, cc := p.header(t, "GET", manifest, "Cache-Control"); cc == "public, max-age=7" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Cache-Control not reloaded 5 s after SIGHUP: %s", p.errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, acao := p.header(t, "OPTIONS", "/keys/clearkey", "Access-Control-Allow-Origin", "Origin", "https://b.example"); acao != "https://b.example" {
		t.Errorf("after SIGHUP: the newly allowed origin got Access-Control-Allow-Origin %q", acao)
	}
	logs := p.errb.String()
	mustContain(t, "the log of the reload", logs, "SIGHUP", "cache.manifestControl", "keys.allowedOrigins", "log.level", "cache.ttl", "restart")

	// A broken file: reported, the running configuration kept.
	if err := os.WriteFile(cfg, []byte("log:\n  level: loud\ncache:\n  manifestControl: \"no-store\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	deadline = time.Now().Add(5 * time.Second)
	for !strings.Contains(p.errb.String()[len(logs):], "log.level") {
		if time.Now().After(deadline) || !p.alive() {
			t.Fatalf("a broken file at SIGHUP was not reported (alive %v): %s", p.alive(), p.errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, cc := p.header(t, "GET", manifest, "Cache-Control"); cc != "public, max-age=7" {
		t.Errorf("after a rejected reload: Cache-Control %q, want the running value", cc)
	}
}

// slowStore makes every Redis command wait for d (CLIENT PAUSE), so that
// a request that misses the locator cache stays in flight that long.
func slowStore(t *testing.T, url string, d time.Duration) {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	if err := c.Do(context.Background(), "CLIENT", "PAUSE", d.Milliseconds()).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestSIGTERMDrains (issue 19, defect 3): on SIGTERM a request in flight
// finishes within shutdown.timeout, the process exits 0, and the log says
// when the drain started and ended; a request slower than the timeout is
// cut off at the timeout.
func TestSIGTERMDrains(t *testing.T) {
	url := redistest.Start(t)
	kek, _ := testKEK(1)
	media, _ := filepath.Abs("../../testdata/media")
	start := func(timeout string) *serveProcess {
		p := startServeWith(t, serveOpts{store: url, kek: kek,
			env: []string{"DRMORIGIN_STORAGE_ROOT=" + media, "DRMORIGIN_SHUTDOWN_TIMEOUT=" + timeout}})
		for _, name := range []string{"drain", "cut"} {
			if s, body := p.api(t, "PUT", "/api/v1/streamingLocators/"+name,
				`{"name":"`+name+`","assetName":"demo","streamingPolicyName":"Predefined_ClearStreamingOnly"}`); s/100 != 2 {
				t.Fatalf("locator: %d %s", s, body)
			}
		}
		return p
	}
	type result struct {
		status int
		err    error
		at     time.Time
	}
	inFlight := func(p *serveProcess, locator string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			r, err := http.Get("http://" + p.listen + "/" + locator + "/demo.ism/manifest(format=m3u8-cmaf)")
			if err != nil {
				ch <- result{err: err, at: time.Now()}
				return
			}
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			ch <- result{status: r.StatusCode, at: time.Now()}
		}()
		return ch
	}

	t.Run("Drained", func(t *testing.T) {
		p := start("10s")
		slowStore(t, url, 1500*time.Millisecond)
		ch := inFlight(p, "drain")
		time.Sleep(300 * time.Millisecond)
		if err := p.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("exit status after SIGTERM: %v\n%s", err, p.errb.String())
		}
		r := <-ch
		if r.err != nil || r.status != 200 {
			t.Errorf("the request in flight at SIGTERM: %d %v, want 200", r.status, r.err)
		}
		mustContain(t, "the shutdown log", p.errb.String(), "SIGTERM", "draining", "shutdown complete", "timeout=10s")
	})
	t.Run("TimedOut", func(t *testing.T) {
		time.Sleep(1600 * time.Millisecond) // the first pause ends
		p := start("300ms")
		slowStore(t, url, 3*time.Second)
		ch := inFlight(p, "cut")
		time.Sleep(300 * time.Millisecond)
		sent := time.Now()
		p.stop(t, syscall.SIGTERM)
		if d := time.Since(sent); d > 1500*time.Millisecond {
			t.Errorf("serve took %v to stop with shutdown.timeout 300ms", d)
		}
		<-ch
		mustContain(t, "the shutdown log", p.errb.String(), "draining", "timeout=300ms", "shutdown timed out")
	})
}
