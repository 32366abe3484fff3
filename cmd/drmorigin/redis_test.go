package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient/redistest"
	"github.com/drmorigin/drmorigin/origin/token"
)

// serveProcess runs `drmorigin serve` as its own process on loopback ports.
type serveProcess struct {
	listen, admin string
	dir           string      // working directory
	errb          *syncBuffer // what the process wrote to stderr
	outb          *syncBuffer // what it wrote to stdout
	cmd           *exec.Cmd
	done          chan struct{} // closed when the process has exited
	waitErr       error         // its exit status, once done is closed
}

func startServe(t *testing.T, store, kek string) *serveProcess {
	t.Helper()
	media, _ := filepath.Abs("../../testdata/media")
	return startServeEnv(t, store, kek, "DRMORIGIN_STORAGE_ROOT="+media)
}

// startServeEnv is startServe with more environment (which may set
// DRMORIGIN_STORAGE_ROOT); the process's stderr is returned in errb.
func startServeEnv(t *testing.T, store, kek string, env ...string) *serveProcess {
	t.Helper()
	return startServeWith(t, serveOpts{store: store, kek: kek, env: env})
}

// serveOpts configures startServeWith and launchServe.
type serveOpts struct {
	store, kek string
	dir        string   // working directory; default a new temporary one
	args       []string // after "serve"
	env        []string // after the defaults, which they override
}

// launchServe starts `drmorigin serve` without waiting for it: admin token
// tok, the store and KEK of o (an empty kek leaves DRMORIGIN_KEK unset).
// The process is stopped (SIGINT, then killed) in t.Cleanup.
func launchServe(t *testing.T, o serveOpts) *serveProcess {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatalf("go build: %v", err)
	}
	if o.dir == "" {
		o.dir = t.TempDir()
	}
	p := &serveProcess{listen: freeAddr(t), admin: freeAddr(t), dir: o.dir, errb: &syncBuffer{}, outb: &syncBuffer{},
		done: make(chan struct{})}
	cmd := exec.Command(bin, append([]string{"serve"}, o.args...)...)
	cmd.Dir = o.dir
	env := append(os.Environ(), "DRMORIGIN_LISTEN="+p.listen, "DRMORIGIN_ADMIN_LISTEN="+p.admin, "DRMORIGIN_INGEST_LISTEN=127.0.0.1:0",
		"DRMORIGIN_ADMIN_TOKEN=tok", "DRMORIGIN_STORE="+o.store)
	if o.kek != "" {
		env = append(env, "DRMORIGIN_KEK="+o.kek)
	}
	cmd.Env = append(env, o.env...)
	cmd.Stdout, cmd.Stderr = p.outb, p.errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd = cmd
	go func() { p.waitErr = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// startServeWith launches serve and waits until /readyz answers 200.
func startServeWith(t *testing.T, o serveOpts) *serveProcess {
	t.Helper()
	p := launchServe(t, o)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if p.ready() {
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("serve exited (%v) before it was ready: %s", p.waitErr, p.errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become ready: %s", p.errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ready reports whether /readyz answers 200.
func (p *serveProcess) ready() bool {
	r, err := http.Get("http://" + p.listen + "/readyz")
	if err != nil {
		return false
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return r.StatusCode == 200
}

// serveMustFail launches serve and requires it to exit with an error within
// 20 s without ever answering /readyz with 200; it returns its stderr.
func serveMustFail(t *testing.T, o serveOpts) string {
	t.Helper()
	p := launchServe(t, o)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case <-p.done:
			if p.waitErr == nil {
				t.Fatalf("serve exited with status 0, want an error: %s", p.errb.String())
			}
			return p.errb.String()
		case <-deadline:
			t.Fatalf("serve still running after 20 s, want it to refuse to start: %s", p.errb.String())
		case <-time.After(50 * time.Millisecond):
		}
		if p.ready() {
			t.Fatalf("serve became ready, want it to refuse to start: %s", p.errb.String())
		}
	}
}

// stop sends sig and waits up to 15 s for the process to exit; it returns
// the exit status.
func (p *serveProcess) stop(t *testing.T, sig os.Signal) error {
	t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(15 * time.Second):
		t.Fatalf("serve still running 15 s after %v: %s", sig, p.errb.String())
		return nil
	}
}

func (p *serveProcess) status(t *testing.T, path string, hdr ...string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+p.listen+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return r.StatusCode
}

func (p *serveProcess) api(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+p.admin+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	return r.StatusCode, string(b)
}

func waitStatus(t *testing.T, p *serveProcess, path string, want int, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := p.status(t, path)
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: %d after %v, want %d", path, got, within, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTwoProcessesShareRedis: two drmorigin serve processes share one
// Redis. A locator created, then deleted, through one process's management
// API is seen by the other within a second; a token with maxuses=2 is
// honoured twice in all across the two.
func TestTwoProcessesShareRedis(t *testing.T) {
	redis := redistest.Start(t)
	kek := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	a, b := startServe(t, redis, kek), startServe(t, redis, kek)
	path := "/two/demo.ism/manifest(format=mpd-time-csf)"
	if s := b.status(t, path); s != 404 {
		t.Fatalf("before create: %d", s)
	}
	if s, body := a.api(t, "PUT", "/api/v1/streamingLocators/two",
		`{"name":"two","assetName":"demo","streamingPolicyName":"Predefined_ClearStreamingOnly"}`); s != 201 {
		t.Fatalf("create on a: %d %s", s, body)
	}
	t.Logf("create seen by the other process after %v", waitStatus(t, b, path, 200, time.Second))
	if s, body := a.api(t, "DELETE", "/api/v1/streamingLocators/two", ""); s/100 != 2 {
		t.Fatalf("delete on a: %d %s", s, body)
	}
	t.Logf("delete seen by the other process after %v", waitStatus(t, b, path, 404, time.Second))

	// maxuses across processes.
	secret := bytes.Repeat([]byte{9}, 32)
	policy := `{"name":"p","options":[{"configuration":{"type":"aesEnvelope"},"restriction":{"type":"token","tokenType":"jwt",` +
		`"issuer":"iss","audience":"aud","primaryVerificationKey":{"type":"symmetric","value":"CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk="}}}]}`
	if s, body := a.api(t, "PUT", "/api/v1/contentKeyPolicies/p", policy); s/100 != 2 {
		t.Fatalf("policy: %d %s", s, body)
	}
	if s, body := a.api(t, "PUT", "/api/v1/streamingLocators/mu",
		`{"name":"mu","assetName":"demo","streamingPolicyName":"Predefined_ClearKey","defaultContentKeyPolicyName":"p"}`); s != 201 {
		t.Fatalf("locator: %d %s", s, body)
	}
	_, keys := a.api(t, "POST", "/api/v1/streamingLocators/mu/listContentKeys", "")
	i := strings.Index(keys, `"type":"envelopeEncryption"`)
	j := strings.LastIndex(keys[:i], `"id":"`)
	kid := keys[j+6 : j+6+36]
	tok, err := token.MintJWT(secret, "HS256", token.MintOptions{Issuer: "iss", Audience: "aud", MaxUses: 2, Lifetime: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, p := range []*serveProcess{a, b, a, b} {
		got = append(got, p.status(t, "/keys/aes/"+kid, "Authorization", "Bearer "+tok))
	}
	if got[0] != 200 || got[1] != 200 || got[2] == 200 || got[3] == 200 {
		t.Fatalf("maxuses=2 across two processes: statuses %v, want 200, 200, then refused", got)
	}
}
