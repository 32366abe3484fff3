package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/keyclient/redistest"
)

// testKEK returns the base64 of 32 bytes of b, and its KEK id.
func testKEK(b byte) (string, string) {
	raw := bytes.Repeat([]byte{b}, keyclient.KEKSize)
	return base64.StdEncoding.EncodeToString(raw), keyclient.KEKID(raw)
}

// runCLI runs the drmorigin binary in dir with the test environment plus
// env, and returns its combined output.
func runCLI(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatalf("go build: %v", err)
	}
	c := exec.Command(bin, args...)
	c.Dir, c.Env = dir, append(os.Environ(), env...)
	out, err := c.CombinedOutput()
	return string(out), err
}

const openKeyPolicy = `{"name":"open","options":[{"configuration":{"type":"aesEnvelope"},"restriction":{"type":"open"}}]}`

// protectedLocator creates a locator whose envelope key is delivered to
// anyone (an open content key policy) and returns that key's KID and value.
func (p *serveProcess) protectedLocator(t *testing.T, name string) (kid string, value []byte) {
	t.Helper()
	if s, body := p.api(t, "PUT", "/api/v1/contentKeyPolicies/open", openKeyPolicy); s/100 != 2 {
		t.Fatalf("content key policy: %d %s", s, body)
	}
	if s, body := p.api(t, "PUT", "/api/v1/streamingLocators/"+name, `{"name":"`+name+
		`","assetName":"demo","streamingPolicyName":"Predefined_ClearKey","defaultContentKeyPolicyName":"open"}`); s != 201 {
		t.Fatalf("locator %s: %d %s", name, s, body)
	}
	s, body := p.api(t, "POST", "/api/v1/streamingLocators/"+name+"/listContentKeys", "")
	var keys struct {
		ContentKeys []struct {
			ID    string
			Value []byte
			Type  string
		}
	}
	if err := json.Unmarshal([]byte(body), &keys); s != 200 || err != nil {
		t.Fatalf("listContentKeys: %d %s", s, body)
	}
	for _, k := range keys.ContentKeys {
		if k.Type == "envelopeEncryption" {
			return k.ID, k.Value
		}
	}
	t.Fatalf("no envelope key in %s", body)
	return "", nil
}

// key fetches /keys/aes/{kid}.
func (p *serveProcess) key(t *testing.T, kid string) (int, []byte) {
	t.Helper()
	r, err := http.Get("http://" + p.listen + "/keys/aes/" + kid)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, b
}

func (p *serveProcess) readyz(t *testing.T) int {
	t.Helper()
	return p.status(t, "/readyz")
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// TestSharedStoreNeedsTheFleetsKEK (issue 19, defect 2): on a shared store
// a replica without a KEK, or with a KEK that cannot unwrap the stored
// keys, refuses to start and says what to set, rather than generating its
// own and answering every key request with an error.
func TestSharedStoreNeedsTheFleetsKEK(t *testing.T) {
	redis := redistest.Start(t)
	k1, id1 := testKEK(1)
	k2, id2 := testKEK(2)
	media, _ := filepath.Abs("../../testdata/media")
	env := []string{"DRMORIGIN_STORAGE_ROOT=" + media}
	a := startServeWith(t, serveOpts{store: redis, kek: k1, env: env})
	kid, value := a.protectedLocator(t, "shared")

	// Another KEK: refused, naming both KEK ids and what to set.
	msg := serveMustFail(t, serveOpts{store: redis, kek: k2, env: env})
	mustContain(t, "the refusal of another KEK", msg, "DRMORIGIN_KEK", "kek", id1, id2)
	if strings.Contains(msg, k2) || strings.Contains(msg, k1) {
		t.Errorf("a KEK was logged:\n%s", msg)
	}
	// No KEK on a shared store: refused; nothing generated.
	dir := t.TempDir()
	msg = serveMustFail(t, serveOpts{store: redis, dir: dir, env: env})
	mustContain(t, "the refusal to start without a KEK", msg, "DRMORIGIN_KEK", "kek:")
	if _, err := os.Stat(filepath.Join(dir, "data", "kek")); err == nil {
		t.Errorf("a KEK was generated into %s for a shared store", dir)
	}
	// The first replica is unharmed.
	if s := a.readyz(t); s != 200 {
		t.Errorf("replica with the store's KEK: /readyz %d", s)
	}
	if s, got := a.key(t, kid); s != 200 || !bytes.Equal(got, value) {
		t.Errorf("key from the replica with the store's KEK: %d", s)
	}
}

// TestKEKRotationRedis follows README's rotation on a fleet: every replica
// learns the new KEK as kekPrevious, then switches to it with the old
// one as kekPrevious, `drmorigin kek rewrap` rewraps every stored key,
// and the old KEK goes. /readyz says not ready on each replica that can
// no longer unwrap what the store holds, and key values never change.
func TestKEKRotationRedis(t *testing.T) {
	redis := redistest.Start(t)
	k1, id1 := testKEK(1)
	k2, id2 := testKEK(2)
	media, _ := filepath.Abs("../../testdata/media")
	env := func(more ...string) []string { return append([]string{"DRMORIGIN_STORAGE_ROOT=" + media}, more...) }

	old := startServeWith(t, serveOpts{store: redis, kek: k1, env: env()})
	kid1, v1 := old.protectedLocator(t, "before")

	// 1. Replicas learn the new KEK (still wrapping with the old one).
	learn := startServeWith(t, serveOpts{store: redis, kek: k1, env: env("DRMORIGIN_KEKPREVIOUS=" + k2)})
	// 2. Replicas wrap with the new KEK and still unwrap the old.
	next := startServeWith(t, serveOpts{store: redis, kek: k2, env: env("DRMORIGIN_KEKPREVIOUS=" + k1)})
	kid2, v2 := next.protectedLocator(t, "during")
	if s, got := learn.key(t, kid2); s != 200 || !bytes.Equal(got, v2) {
		t.Errorf("a replica that knows the new KEK as previous: key wrapped under it: %d", s)
	}
	// A replica that skipped step 1 cannot unwrap the new key: not ready,
	// and its key answers are 503, not 500.
	if s := old.readyz(t); s != 503 {
		t.Errorf("replica with the old KEK alone after the new one wrapped a key: /readyz %d, want 503", s)
	}
	if s, _ := old.key(t, kid2); s != 503 {
		t.Errorf("replica with the old KEK alone: key under the new one: %d, want 503", s)
	}
	mustContain(t, "the log of a replica missing a KEK", old.errb.String(), id2)

	// 3. Rewrap.
	out, err := runCLI(t, t.TempDir(), []string{"DRMORIGIN_STORE=" + redis, "DRMORIGIN_KEK=" + k2, "DRMORIGIN_KEKPREVIOUS=" + k1},
		"kek", "rewrap")
	if err != nil {
		t.Fatalf("kek rewrap: %v\n%s", err, out)
	}
	mustContain(t, "kek rewrap", out, id2, "rewrapped")
	out, err = runCLI(t, t.TempDir(), []string{"DRMORIGIN_STORE=" + redis, "DRMORIGIN_KEK=" + k2}, "kek", "status")
	if err != nil {
		t.Fatalf("kek status: %v\n%s", err, out)
	}
	mustContain(t, "kek status after rewrap", out, id2)
	if strings.Contains(out, id1) {
		t.Errorf("kek status after rewrap still names the old KEK:\n%s", out)
	}
	dump, err := keyclientDump(t, redis)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump, id1) || !strings.Contains(dump, id2) {
		t.Errorf("after rewrap the store still holds values under the old KEK:\n%s", dump)
	}

	// 4. The old KEK goes: a replica with only the new one serves both keys.
	final := startServeWith(t, serveOpts{store: redis, kek: k2, env: env()})
	for kid, v := range map[string][]byte{kid1: v1, kid2: v2} {
		if s, got := final.key(t, kid); s != 200 || !bytes.Equal(got, v) {
			t.Errorf("after rotation, key %s: %d (value equal: %v)", kid, s, bytes.Equal(got, v))
		}
	}
	// The replica still wrapping with the retired KEK must not say ready.
	if s := learn.readyz(t); s != 503 {
		t.Errorf("replica whose kek was retired by the rewrap: /readyz %d, want 503", s)
	}
	if s := next.readyz(t); s != 200 {
		t.Errorf("replica with the new KEK: /readyz %d", s)
	}
	// And a replica with the retired KEK alone refuses to start.
	msg := serveMustFail(t, serveOpts{store: redis, kek: k1, env: env()})
	mustContain(t, "refusal of the retired KEK", msg, id1, id2, "DRMORIGIN_KEK")
}

// keyclientDump dumps a Redis store as text.
func keyclientDump(t *testing.T, url string) (string, error) {
	t.Helper()
	st, err := keyclient.OpenStore(t.Context(), url)
	if err != nil {
		return "", err
	}
	defer st.Close()
	b, err := st.(keyclient.Dumper).Dump(t.Context())
	return string(b), err
}

// TestKEKRotationEmbedded: the embedded store generates its KEK on first
// start; rewrap moves its keys to a configured KEK while serve is stopped;
// the old KEK then no longer opens it, and a lost kek file is never
// replaced by a new one while the store holds keys.
func TestKEKRotationEmbedded(t *testing.T) {
	media, _ := filepath.Abs("../../testdata/media")
	dir := t.TempDir()
	store := "file://" + filepath.Join(dir, "data", "drmorigin.db")
	env := func(more ...string) []string { return append([]string{"DRMORIGIN_STORAGE_ROOT=" + media}, more...) }
	first := startServeWith(t, serveOpts{store: store, dir: dir, env: env()})
	kid, v := first.protectedLocator(t, "embedded")
	if err := first.stop(t, os.Interrupt); err != nil {
		t.Fatalf("serve exit: %v", err)
	}
	generated, err := os.ReadFile(filepath.Join(dir, "data", "kek"))
	if err != nil {
		t.Fatalf("no generated KEK: %v", err)
	}
	k1 := strings.TrimSpace(string(generated))
	k2, id2 := testKEK(2)

	out, err := runCLI(t, dir, []string{"DRMORIGIN_STORE=" + store, "DRMORIGIN_KEK=" + k2, "DRMORIGIN_KEKPREVIOUS=" + k1}, "kek", "rewrap")
	if err != nil {
		t.Fatalf("kek rewrap: %v\n%s", err, out)
	}
	mustContain(t, "kek rewrap", out, id2, "rewrapped")

	next := startServeWith(t, serveOpts{store: store, dir: dir, kek: k2, env: env()})
	if s, got := next.key(t, kid); s != 200 || !bytes.Equal(got, v) {
		t.Errorf("after rewrap: key %d (value equal: %v)", s, bytes.Equal(got, v))
	}
	if err := next.stop(t, os.Interrupt); err != nil {
		t.Fatalf("serve exit: %v", err)
	}
	// The generated file holds the retired KEK now: refused.
	msg := serveMustFail(t, serveOpts{store: store, dir: dir, env: env()})
	mustContain(t, "refusal of the retired KEK", msg, id2, "DRMORIGIN_KEK")
	// Without the file, no new KEK is generated for a store that holds keys.
	os.Remove(filepath.Join(dir, "data", "kek"))
	msg = serveMustFail(t, serveOpts{store: store, dir: dir, env: env()})
	mustContain(t, "refusal to generate a KEK for a store with keys", msg, "DRMORIGIN_KEK", id2)
	if _, err := os.Stat(filepath.Join(dir, "data", "kek")); err == nil {
		t.Errorf("a new KEK was generated for a store that holds keys")
	}
}

// TestKEKCheckWaitsForTheStore: a replica that starts while Redis is down
// runs but is not ready; once Redis
// answers, the KEK check runs: with
// the fleet's KEK it becomes ready, with another it stays not ready and
// logs why. (Redis keeps its data over the restart: appendonly.)
func TestKEKCheckWaitsForTheStore(t *testing.T) {
	srv := redistest.StartServer(t, "--appendonly", "yes")
	k1, _ := testKEK(1)
	k2, id2 := testKEK(2)
	media, _ := filepath.Abs("../../testdata/media")
	env := []string{"DRMORIGIN_STORAGE_ROOT=" + media}
	a := startServeWith(t, serveOpts{store: srv.URL(), kek: k1, env: env})
	a.protectedLocator(t, "waits")
	a.stop(t, os.Interrupt)

	srv.Stop()
	good := launchServe(t, serveOpts{store: srv.URL(), kek: k1, env: env})
	bad := launchServe(t, serveOpts{store: srv.URL(), kek: k2, env: env})
	// serve tries the store once at start (go-redis retrying the dial),
	// then serves, not ready.
	time.Sleep(3 * time.Second)
	for _, p := range []*serveProcess{good, bad} {
		if !p.alive() {
			t.Fatalf("serve exited while the store was down: %s", p.errb.String())
		}
		if p.ready() {
			t.Fatalf("ready while the store is down")
		}
	}
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for !good.ready() {
		if time.Now().After(deadline) {
			t.Fatalf("the replica with the fleet's KEK did not become ready: %s", good.errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The other replica stays not ready, saying why (or, had the store come
	// back while serve still tried it at start, refuses to start).
	for !strings.Contains(bad.errb.String(), "DRMORIGIN_KEK") {
		if time.Now().After(deadline) {
			t.Fatalf("the replica with another KEK did not say why it is not ready: %s", bad.errb.String())
		}
		if bad.ready() {
			t.Fatalf("the replica with another KEK became ready: %s", bad.errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if bad.alive() {
		if bad.ready() {
			t.Errorf("the replica with another KEK became ready")
		}
		mustContain(t, "the log of the replica with another KEK", bad.errb.String(), id2, "not ready")
	} else {
		<-bad.done
		mustContain(t, "the refusal of the replica with another KEK", bad.errb.String(), id2)
	}
}
