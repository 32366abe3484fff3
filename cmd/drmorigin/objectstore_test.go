package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/internal/testmedia"
	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/keyclient/redistest"
	"github.com/drmorigin/drmorigin/storage/s3"
)

// getBody fetches a streaming path of p.
func (p *serveProcess) getBody(t *testing.T, path string) (int, []byte) {
	t.Helper()
	r, err := http.Get("http://" + p.listen + path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r.StatusCode, b
}

// TestTwoReplicasShareRedisAndMinIO: two `drmorigin serve` processes with
// storage.root s3://… on one MinIO server (credentials from the AWS
// environment variables, the SDK's standard chain, for one; from
// storage.s3.accessKeyId/secretAccessKey for the other) and one Redis serve one
// locator byte-identically, manifests and segments, and neither writes
// the secret key to its output.
func TestTwoReplicasShareRedisAndMinIO(t *testing.T) {
	srv := testservers.MinIO(t)
	srv.MakeBucket("fleet")
	media, _ := filepath.Abs("../../testdata/media/progressive")
	entries, err := os.ReadDir(media)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(media, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		srv.Put("fleet", "assets/progressive/"+e.Name(), b)
	}
	redis := redistest.Start(t)
	kek := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	root := []string{"DRMORIGIN_STORAGE_ROOT=s3://fleet/assets?pathStyle=true&endpoint=" + srv.Endpoint, "DRMORIGIN_LOG_LEVEL=debug"}
	// a finds its credentials where the AWS SDKs look, b in its own
	// configuration.
	a := startServeEnv(t, redis, kek, append(root, "AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey)...)
	b := startServeEnv(t, redis, kek, append(root, "DRMORIGIN_STORAGE_S3_ACCESSKEYID="+srv.AccessKey, "DRMORIGIN_STORAGE_S3_SECRETACCESSKEY="+srv.SecretKey)...)
	if s, body := a.api(t, "PUT", "/api/v1/streamingLocators/fleet",
		`{"name":"fleet","assetName":"progressive","streamingPolicyName":"Predefined_MultiDrmStreaming"}`); s != 201 {
		t.Fatalf("create on a: %d %s", s, body)
	}
	// Playlist references: URI lines, and URI="…" attributes (renditions,
	// EXT-X-MAP) other than keys.
	segRef := regexp.MustCompile(`(?m)^[^#\s][^\s]*$|URI="([^"]+)"`)
	refs := func(body []byte) []string {
		var out []string
		for _, m := range segRef.FindAllStringSubmatch(string(body), -1) {
			ref := m[0]
			if m[1] != "" {
				ref = m[1]
			}
			if !strings.Contains(ref, "://") && !strings.Contains(ref, "/keys/") && !strings.HasPrefix(ref, "data:") {
				out = append(out, ref)
			}
		}
		return out
	}
	compared := 0
	for _, m := range []string{
		"/fleet/progressive.ism/manifest(format=m3u8-cmaf,encryption=cenc)",
		"/fleet/progressive.ism/manifest(format=m3u8-aapl,encryption=cbcs-aapl)",
	} {
		waitStatus(t, b, m, 200, 2*time.Second)
		sa, ma := a.getBody(t, m)
		sb, mb := b.getBody(t, m)
		if sa != 200 || sb != 200 || !bytes.Equal(ma, mb) {
			t.Fatalf("%s: %d / %d, equal %v", m, sa, sb, bytes.Equal(ma, mb))
		}
		base := m[:strings.LastIndex(m, "/")+1]
		for _, variant := range refs(ma) {
			vp := base + variant
			_, pa := a.getBody(t, vp)
			_, pb := b.getBody(t, vp)
			if !bytes.Equal(pa, pb) {
				t.Fatalf("%s: playlists differ", vp)
			}
			vbase := vp[:strings.LastIndex(vp, "/")+1]
			for _, seg := range refs(pa) {
				sp := vbase + seg
				s1, b1 := a.getBody(t, sp)
				s2, b2 := b.getBody(t, sp)
				if s1 != 200 || s2 != 200 || !bytes.Equal(b1, b2) {
					t.Fatalf("%s: %d / %d, equal %v", sp, s1, s2, bytes.Equal(b1, b2))
				}
				compared++
			}
		}
	}
	if compared < 10 {
		t.Fatalf("only %d segments compared", compared)
	}
	t.Logf("%d segments and inits identical from both replicas", compared)
	for _, p := range []*serveProcess{a, b} {
		if out := p.errb.String(); strings.Contains(out, srv.SecretKey) {
			t.Fatalf("the secret key is in serve's output:\n%s", out)
		}
	}
}

// TestServeLiveOnObjectStore: `drmorigin serve` with storage.root s3://…
// runs its live room over the bucket (no 503 from the ingest listener): an
// encoder's POST is archived there, one object per fragment, and served
// live from it.
func TestServeLiveOnObjectStore(t *testing.T) {
	srv := testservers.MinIO(t)
	srv.MakeBucket("fleet")
	feed, _ := testmedia.LiveFeed(t, t.TempDir(), 6)
	body, err := os.ReadFile(feed)
	if err != nil {
		t.Fatal(err)
	}
	ingest := freeAddr(t)
	p := startServeEnv(t, redistest.Start(t), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"DRMORIGIN_STORAGE_ROOT=s3://fleet/assets?pathStyle=true&endpoint="+srv.Endpoint,
		"AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey, "DRMORIGIN_INGEST_LISTEN="+ingest)
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/api/v1/liveEvents/ev", `{"input":{"accessToken":"tok123"}}`},
		{"POST", "/api/v1/liveEvents/ev/start", ""},
		{"PUT", "/api/v1/liveEvents/ev/liveOutputs/o", `{"assetName":"show","archiveWindowLength":"PT1H"}`},
		{"PUT", "/api/v1/streamingLocators/live", `{"name":"live","assetName":"show","streamingPolicyName":"Predefined_ClearStreamingOnly"}`},
	} {
		if s, b := p.api(t, c.method, c.path, c.body); s/100 != 2 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, s, b)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, b := p.api(t, "GET", "/api/v1/liveEvents/ev", "")
		if strings.Contains(b, `"Running"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("event not Running within 10 s: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Post("http://"+ingest+"/ev/tok123/ingest.isml/Streams(s1)", "video/mp4", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("ingest POST: %d %s\n%s", resp.StatusCode, b, p.errb)
	}
	s, mpd := p.getBody(t, "/live/show.ism/manifest(format=mpd-time-csf)")
	if s != 200 || !bytes.Contains(mpd, []byte(`type="dynamic"`)) {
		t.Fatalf("live MPD: %d %s", s, mpd)
	}
	r, err := s3.New(s3.Config{Bucket: "fleet", Prefix: "assets", Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	es, err := r.List(ctx, "show/s1-1.live/")
	if err != nil {
		t.Fatal(err)
	}
	frags := 0
	for _, e := range es {
		if strings.HasSuffix(e.Name, ".m4s") {
			frags++
		}
	}
	if frags < 2 {
		t.Fatalf("the bucket holds %d fragment objects of the first track: %+v", frags, es)
	}
	t.Logf("%d fragment objects of the first track in the bucket", frags)
}
