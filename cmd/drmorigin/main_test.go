package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// buildBinary builds drmorigin once per test binary.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "drmorigin-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "drmorigin")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// syncBuffer collects a process's output while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeDemoAndCLI runs the binary the way README's first command does:
// serve --demo on the embedded store, configured through the environment,
// then checks that the printed URLs play, that the demo says which assets
// it skipped and why, and that the CLI manages locators (tables for
// people, -o json for scripts, errors that name the flag at fault).
func TestServeDemoAndCLI(t *testing.T) {
	bin, err := buildOnce()
	if err != nil {
		t.Fatalf("go build: %v", err)
	}
	// The demo media, and an asset whose only file is not MP4 at all.
	media := t.TempDir()
	src, _ := filepath.Abs("../../testdata/media")
	if err := os.CopyFS(media, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(media, "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(media, "broken", "video.mp4"), bytes.Repeat([]byte("not mp4 "), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	listen, admin := freeAddr(t), freeAddr(t)
	env := append(os.Environ(),
		"DRMORIGIN_LISTEN="+listen,
		"DRMORIGIN_ADMIN_LISTEN="+admin,
		"DRMORIGIN_INGEST_LISTEN=127.0.0.1:0",
		"DRMORIGIN_STORAGE_ROOT="+media,
		"DRMORIGIN_STORE=file://"+filepath.Join(work, "data", "store.db"),
	)
	cmd := exec.Command(bin, "serve", "--demo")
	cmd.Env, cmd.Dir = env, work
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Error("serve did not stop within 10 s of SIGINT")
		}
	})
	// Wait for the demo URLs to be printed.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stdout.String(), "Play one with") {
		if time.Now().After(deadline) {
			t.Fatalf("serve --demo printed no URLs in 30 s.\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(stdout.String(), "management API token") {
		t.Errorf("first start did not print the generated admin token:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "key-encryption key") {
		t.Errorf("first start did not warn about the generated KEK:\n%s", stderr.String())
	}
	if o := stdout.String(); !strings.Contains(o, "Skipped") || !strings.Contains(o, "asset broken:") || !strings.Contains(o, "video.mp4") {
		t.Errorf("serve --demo does not say it skipped asset broken, and why:\n%s", o)
	}
	var urls []string
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "http://") {
			urls = append(urls, l)
		}
	}
	if len(urls) < 3 {
		t.Fatalf("want DASH, HLS and Smooth URLs, got:\n%s", stdout.String())
	}
	for _, u := range urls {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("printed URL %s answers %d", u, resp.StatusCode)
		}
	}

	// The CLI reads the same environment and the generated token.
	cli := func(args ...string) (string, error) {
		c := exec.Command(bin, args...)
		c.Env, c.Dir = env, work
		out, err := c.CombinedOutput()
		return string(out), err
	}
	if out, err := cli("locator", "create", "cli-loc", "--asset", "demo", "--policy", "Predefined_ClearStreamingOnly"); err != nil {
		t.Fatalf("locator create: %v\n%s", err, out)
	}
	out, err := cli("locator", "paths", "cli-loc")
	if err != nil || !strings.Contains(out, "/cli-loc/demo.ism/manifest(format=mpd-time-csf)") {
		t.Fatalf("locator paths: %v\n%s", err, out)
	}
	out, err = cli("locator", "get", "cli-loc", "-o", "json")
	var loc map[string]any
	if err != nil || json.Unmarshal([]byte(out), &loc) != nil || loc["assetName"] != "demo" {
		t.Fatalf("locator get -o json: %v\n%s", err, out)
	}
	if out, err := cli("locator", "get", "cli-loc"); err != nil || !strings.Contains(out, "Streaming policy:") ||
		!strings.Contains(out, "Predefined_ClearStreamingOnly") {
		t.Errorf("locator get (a table): %v\n%s", err, out)
	}
	// Mistakes are refused, naming the flag at fault.
	if out, err := cli("locator", "create", "nope", "--asset", "nosuch", "--policy", "Predefined_ClearStreamingOnly"); err == nil ||
		!strings.Contains(out, `--asset "nosuch"`) {
		t.Errorf("a locator of an asset that does not exist: %v\n%s", err, out)
	}
	if out, err := cli("locator", "create", "nope", "--asset", "demo", "--policy", "Predefined_ClearKey"); err == nil ||
		!strings.Contains(out, "--content-key-policy") {
		t.Errorf("a ClearKey locator without a content key policy: %v\n%s", err, out)
	}
	out, err = cli("asset", "list")
	if err != nil || !strings.Contains(out, "STATE") || !regexp.MustCompile(`(?m)^broken +unservable`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^demo +ready`).MatchString(out) {
		t.Errorf("asset list: %v\n%s", err, out)
	}
	if out, err := cli("locator", "create", "cli-loc", "--asset", "demo", "--policy", "Predefined_ClearKey"); err == nil || !strings.Contains(out, "409") {
		t.Errorf("changing a locator through the CLI: want a 409 error, got %v\n%s", err, out)
	}
	if out, err := cli("locator", "list"); err != nil || !strings.Contains(out, "cli-loc") {
		t.Errorf("locator list: %v\n%s", err, out)
	}
	// drmorigin token mints what key delivery accepts.
	policy := `{"name":"premium","options":[{"name":"aes","configuration":{"type":"aesEnvelope"},
	  "restriction":{"type":"token","tokenType":"jwt","issuer":"https://sts.test/","audience":"urn:test",
	  "primaryVerificationKey":{"type":"symmetric","value":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="},
	  "requiredClaims":[{"type":"groups","value":"EntitledUsers"}]}}]}`
	pf := filepath.Join(work, "policy.json")
	os.WriteFile(pf, []byte(policy), 0o600)
	if out, err := cli("content-key-policy", "put", "premium", "-f", pf); err != nil {
		t.Fatalf("content-key-policy put: %v\n%s", err, out)
	}
	swtPolicy := strings.Replace(strings.Replace(policy, `"jwt"`, `"swt"`, 1), `"premium"`, `"premium-swt"`, 1)
	os.WriteFile(pf, []byte(swtPolicy), 0o600)
	if out, err := cli("content-key-policy", "put", "premium-swt", "-f", pf); err != nil {
		t.Fatalf("content-key-policy put: %v\n%s", err, out)
	}
	for _, c := range []struct {
		policy string
		swt    bool
	}{{"premium", false}, {"premium-swt", true}} {
		loc := "tok-" + c.policy
		if out, err := cli("locator", "create", loc, "--asset", "demo", "--policy", "Predefined_ClearKey", "--content-key-policy", c.policy); err != nil {
			t.Fatalf("locator create: %v\n%s", err, out)
		}
		out, err := cli("locator", "keys", loc, "-o", "json")
		var keys struct{ ContentKeys []struct{ ID, Type string } }
		if err != nil || json.Unmarshal([]byte(out), &keys) != nil {
			t.Fatalf("locator keys: %v\n%s", err, out)
		}
		var kid string
		for _, k := range keys.ContentKeys {
			if k.Type == "envelopeEncryption" {
				kid = k.ID
			}
		}
		args := []string{"token", "--policy", c.policy, "--kid", kid}
		if c.swt {
			args = append(args, "--swt")
		}
		tok, err := cli(args...)
		if err != nil {
			t.Fatalf("token: %v\n%s", err, tok)
		}
		req, _ := http.NewRequest("GET", "http://"+listen+"/keys/aes/"+kid, nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tok))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) != 16 {
			t.Errorf("key with a minted token (%s): %d %q", c.policy, resp.StatusCode, body)
		}
	}
	if out, err := cli("token", "--policy", "premium", "--swt"); err == nil || !strings.Contains(out, "--swt") {
		t.Errorf("token --swt for a JWT policy: %v\n%s", err, out)
	}
	if out, err := cli("content-key-policy", "delete", "premium"); err == nil || !strings.Contains(out, "409") || !strings.Contains(out, "tok-premium") {
		t.Errorf("delete a content key policy a locator uses: %v, want 409 naming the locator\n%s", err, out)
	}
	if out, err := cli("locator", "delete", "cli-loc"); err != nil {
		t.Errorf("locator delete: %v\n%s", err, out)
	}
	if out, err := cli("locator", "get", "cli-loc"); err == nil || !strings.Contains(out, "404") {
		t.Errorf("get after delete: want 404, got %v\n%s", err, out)
	}
}
