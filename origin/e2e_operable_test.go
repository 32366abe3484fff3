package origin_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
)

// logger is a debug-level logger into l (logBuffer: e2e_logs_test.go).
func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// copyTree copies the files of src into dst.
func copyTree(t *testing.T, src, dst string, files ...string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// breakMoof makes the second moof of a fragmented file claim a size past
// the end of the file.
func breakMoof(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for off := 0; off+8 <= len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		if string(b[off+4:off+8]) == "moof" {
			if n == 1 {
				binary.BigEndian.PutUint32(b[off:], 0xfffffff0)
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			n++
		}
		if size < 8 {
			break
		}
		off += size
	}
	t.Fatalf("%s: no second moof", path)
}

// assetState is what GET /api/v1/assets/{name} says of an asset's state.
type assetState struct {
	Name    string `json:"name"`
	State   string `json:"state"`
	Reason  string `json:"reason"`
	Tracks  []struct{ File string }
	Skipped []struct {
		File    string `json:"file"`
		TrackID uint32 `json:"trackId"`
		Reason  string `json:"reason"`
	} `json:"skippedTracks"`
}

var demoFiles = []string{"demo.ism", "video_640x360.mp4", "video_320x180.mp4", "audio_eng.mp4", "audio_fra.mp4"}

// TestDamagedTrackServedWithout (issue 19, defect 8): one damaged track
// file took its whole asset offline (every manifest 500). The other
// tracks are served, in every format, and the damaged one is left out of
// the manifests, logged once, and reported by the management API (state
// partial, the file and why). Only an asset with nothing left answers 500.
func TestDamagedTrackServedWithout(t *testing.T) {
	root := t.TempDir()
	demo := filepath.Join(mediaRoot(t), "demo")
	copyTree(t, demo, filepath.Join(root, "partial"), demoFiles...)
	breakMoof(t, filepath.Join(root, "partial", "video_640x360.mp4"))
	copyTree(t, demo, filepath.Join(root, "broken"), "video_640x360.mp4")
	breakMoof(t, filepath.Join(root, "broken", "video_640x360.mp4"))
	var logs logBuffer
	o := startOriginWith(t, root, "", func(c *originConfig) { c.Logger = logs.logger() })
	o.locator("partial", "partial", "Predefined_ClearStreamingOnly", nil)
	o.locator("broken", "broken", "Predefined_ClearStreamingOnly", nil)

	for _, f := range []string{"(format=mpd-time-csf)", "(format=mpd-time-cmaf)", "(format=m3u8-cmaf)", "(format=m3u8-aapl)", ""} {
		r := o.get("/partial/demo.ism/manifest" + f)
		if r.status != 200 {
			t.Errorf("manifest%s of an asset with one damaged track of four: %s, want 200", f, r)
			continue
		}
		if bytes.Contains(r.body, []byte("640x360")) || bytes.Contains(r.body, []byte(`="640"`)) || !bytes.Contains(r.body, []byte("320")) {
			t.Errorf("manifest%s: the damaged 640x360 track is listed, or the 320x180 one is not:\n%s", f, r.body)
		}
		if r := o.get("/broken/broken.ism/manifest" + f); r.status != 500 {
			t.Errorf("manifest%s of an asset of one damaged file: %s, want 500", f, r)
		}
	}
	mu := o.base + "/partial/demo.ism/manifest(format=mpd-time-csf)"
	if r := do(t, "GET", mu, nil); r.status == 200 {
		for _, p := range planDASH(t, mu, r.body) {
			for _, u := range append([]string{p.init}, p.media...) {
				if s := do(t, "GET", u, nil); s.status != 200 {
					t.Errorf("%s: %s", u, s)
				}
			}
		}
	}
	if !strings.Contains(logs.String(), "video_640x360.mp4") || strings.Count(logs.String(), "left out") != 2 {
		t.Errorf("the origin's log should say once per asset which file it left out and why:\n%s", logs.String())
	}

	var st assetState
	if r := o.api("GET", "/api/v1/assets/partial", nil); r.status != 200 || json.Unmarshal(r.body, &st) != nil {
		t.Fatalf("GET /api/v1/assets/partial: %s", r)
	}
	if st.State != "partial" || len(st.Tracks) != 3 || len(st.Skipped) != 1 || st.Skipped[0].File != "video_640x360.mp4" ||
		!strings.Contains(st.Skipped[0].Reason, "moof") {
		t.Errorf("asset partial: %+v, want state partial, 3 tracks, video_640x360.mp4 skipped with its reason", st)
	}
	st = assetState{}
	if r := o.api("GET", "/api/v1/assets/broken", nil); r.status != 200 || json.Unmarshal(r.body, &st) != nil ||
		st.State != "unservable" || !strings.Contains(st.Reason, "video_640x360.mp4") || len(st.Skipped) != 1 {
		t.Errorf("GET /api/v1/assets/broken: %s, want state unservable naming video_640x360.mp4", r)
	}
}

// TestUnsupportedMediaReported (issue 19, defect 4): an asset of
// unsupported media (MP3 audio) answered players 500 and told the
// operator nothing; the reason was only in the server log. Players get
// 400 "unsupported media", and GET /api/v1/assets and /assets/{name} give
// each asset's state and the reason it cannot be served.
func TestUnsupportedMediaReported(t *testing.T) {
	ff := needTool(t, "ffmpeg", "ffmpeg")
	root := t.TempDir()
	copyTree(t, filepath.Join(mediaRoot(t), "demo"), filepath.Join(root, "demo"), demoFiles...)
	if err := os.MkdirAll(filepath.Join(root, "mp3"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(ff, "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=duration=2",
		"-c:a", "libmp3lame", "-movflags", "+frag_keyframe+empty_moov+default_base_moof",
		filepath.Join(root, "mp3", "a.mp4")).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := startOrigin(t, root, "")
	o.locator("mp3", "mp3", "Predefined_ClearStreamingOnly", nil)
	for _, f := range []string{"(format=mpd-time-csf)", "(format=m3u8-cmaf)", ""} {
		if r := o.get("/mp3/mp3.ism/manifest" + f); r.status != 400 || !bytes.Contains(r.body, []byte("unsupported media")) {
			t.Errorf("manifest%s of an MP3 asset: %s, want 400 unsupported media", f, r)
		}
	}
	var st assetState
	if r := o.api("GET", "/api/v1/assets/mp3", nil); r.status != 200 || json.Unmarshal(r.body, &st) != nil ||
		st.State != "unservable" || !strings.Contains(st.Reason, "0x6B") || len(st.Skipped) != 1 || st.Skipped[0].File != "a.mp4" {
		t.Errorf("GET /api/v1/assets/mp3: %s, want state unservable with the reason (object type 0x6B)", r)
	}
	var list struct{ Value []assetState }
	if r := o.api("GET", "/api/v1/assets", nil); r.status != 200 || json.Unmarshal(r.body, &list) != nil {
		t.Fatalf("GET /api/v1/assets: %s", r)
	}
	want := map[string]string{"demo": "ready", "empty": "unservable", "mp3": "unservable"}
	for _, a := range list.Value {
		if a.State != want[a.Name] || (a.State != "ready") != (a.Reason != "") {
			t.Errorf("asset list: %s is %q (%q), want %q with a reason unless ready", a.Name, a.State, a.Reason, want[a.Name])
		}
		delete(want, a.Name)
	}
	if len(want) != 0 {
		t.Errorf("asset list lacks %v", want)
	}
}

// TestRequestLineLimit (issue 19, defect 7): a request line over 8 KiB is
// 414, even when it (or it with the headers) does not fit the read buffer,
// where fasthttp answered 431; headers over 16 KiB stay 431.
func TestRequestLineLimit(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	line := func(n int) string { return "GET /" + strings.Repeat("a", n) + " HTTP/1.1\r\nHost: x\r\n" }
	for _, c := range []struct {
		name, req string
		want      int
	}{
		{"120 kB request line", line(120000) + "\r\n", 414},
		{"10 kB request line", line(10000) + "\r\n", 414},
		{"10 kB request line, 15 kB of headers", line(10000) + "X-B: " + strings.Repeat("b", 15000) + "\r\n\r\n", 414},
		{"short request line, 30 kB of headers", line(1) + "X-B: " + strings.Repeat("b", 30000) + "\r\n\r\n", 431},
		{"/, 30 kB of headers", "GET / HTTP/1.1\r\nHost: x\r\nX-B: " + strings.Repeat("b", 30000) + "\r\n\r\n", 431},
		{"short request line, 17 kB of headers", line(1) + "X-B: " + strings.Repeat("b", 17000) + "\r\n\r\n", 431},
	} {
		for _, base := range []string{o.base, o.admin} {
			if got := rawStatus(t, base, c.req); got != c.want {
				t.Errorf("%s (%s): %d, want %d", c.name, base, got, c.want)
			}
		}
	}
}

// flakyStore is an asset store that can be taken down: every call then
// fails with storage.ErrUnavailable, as an object store's would.
type flakyStore struct {
	storage.Store
	down atomic.Bool
}

func (s *flakyStore) Open(name string) (storage.Object, error) {
	if s.down.Load() {
		return nil, errors.Join(storage.ErrUnavailable, errors.New("test: down"))
	}
	return s.Store.Open(name)
}

func (s *flakyStore) List(prefix string) ([]storage.Entry, error) {
	if s.down.Load() {
		return nil, errors.Join(storage.ErrUnavailable, errors.New("test: down"))
	}
	return s.Store.List(prefix)
}

// TestManagementMistakes (issue 19, defect 5): mistakes the management
// API accepted silently are refused with a status and a message that name
// what is wrong.
func TestManagementMistakes(t *testing.T) {
	root := t.TempDir()
	copyTree(t, filepath.Join(mediaRoot(t), "demo"), filepath.Join(root, "demo"), demoFiles...)
	flaky := &flakyStore{Store: storage.NewLocal(root, storage.LocalOptions{})}
	o := startOriginStore(t, flaky, root, "", nil)
	errOf := func(r *response) (code, msg, target string) {
		var e struct {
			Error struct{ Code, Message, Target string }
		}
		json.Unmarshal(r.body, &e)
		return e.Error.Code, e.Error.Message, e.Error.Target
	}
	loc := func(name, asset, policy string, extra ...string) string {
		b := `{"name":"` + name + `","assetName":"` + asset + `","streamingPolicyName":"` + policy + `"`
		for i := 0; i+1 < len(extra); i += 2 {
			b += `,"` + extra[i] + `":"` + extra[i+1] + `"`
		}
		return b + "}"
	}

	t.Run("no such asset", func(t *testing.T) {
		r := o.api("PUT", "/api/v1/streamingLocators/l1", loc("l1", "nosuch", "Predefined_ClearStreamingOnly"))
		if _, msg, target := errOf(r); r.status != 400 || target != "assetName" || !strings.Contains(msg, `"nosuch"`) {
			t.Errorf("a locator of an asset that does not exist: %s, want 400 naming assetName and the asset", r)
		}
		if r := o.api("GET", "/api/v1/streamingLocators/l1", nil); r.status != 404 {
			t.Errorf("refused locator was written: %s", r)
		}
	})
	t.Run("asset store unavailable", func(t *testing.T) {
		flaky.down.Store(true)
		defer flaky.down.Store(false)
		r := o.api("PUT", "/api/v1/streamingLocators/l2", loc("l2", "other", "Predefined_ClearStreamingOnly"))
		if r.status != 503 || r.header.Get("Retry-After") == "" || strings.Contains(string(r.body), "no asset") {
			t.Errorf("a locator while the asset store cannot be read: %s, want 503 with Retry-After (not \"no such asset\")", r)
		}
	})
	t.Run("no content key policy", func(t *testing.T) {
		r := o.api("PUT", "/api/v1/streamingLocators/l3", loc("l3", "demo", "Predefined_ClearKey"))
		if _, msg, target := errOf(r); r.status != 400 || target != "defaultContentKeyPolicyName" || !strings.Contains(msg, "content key policy") {
			t.Errorf("a ClearKey locator without a content key policy: %s, want 400 naming defaultContentKeyPolicyName", r)
		}
	})
	t.Run("a name with a slash", func(t *testing.T) {
		for _, m := range []string{"PUT", "GET", "DELETE"} {
			r := o.api(m, "/api/v1/streamingLocators/a%2Fb", loc("a/b", "demo", "Predefined_ClearStreamingOnly"))
			if _, msg, target := errOf(r); r.status != 400 || target != "name" || !strings.Contains(msg, `"a/b"`) {
				t.Errorf("%s streamingLocators/a%%2Fb: %s, want 400 naming the invalid name", m, r)
			}
		}
		if r := o.api("GET", "/api/v1/assets/a%2Fb", nil); r.status != 400 {
			t.Errorf("GET assets/a%%2Fb: %s, want 400", r)
		}
		if r := o.api("GET", "/api/v1/assets/demo/x", nil); r.status != 404 {
			t.Errorf("GET assets/demo/x: %s, want 404", r)
		}
	})
	t.Run("delete blocked by a locator", func(t *testing.T) {
		ckp := `{"name":"ckp","options":[{"configuration":{"type":"aesEnvelope"},"restriction":{"type":"open"}}]}`
		if r := o.api("PUT", "/api/v1/contentKeyPolicies/ckp", ckp); r.status != 201 {
			t.Fatalf("PUT policy: %s", r)
		}
		o.locator("uses-ckp", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "ckp"})
		r := o.api("DELETE", "/api/v1/contentKeyPolicies/ckp", nil)
		if _, msg, _ := errOf(r); r.status != 409 || !strings.Contains(msg, "uses-ckp") {
			t.Errorf("delete a content key policy a locator uses: %s, want 409 naming the locator", r)
		}
	})
	t.Run("empty lists are []", func(t *testing.T) {
		o.locator("clear", "demo", "Predefined_ClearStreamingOnly", nil)
		for _, c := range []struct{ method, path string }{
			{"GET", "/api/v1/streamingLocators"}, {"GET", "/api/v1/streamingLocators/clear"},
			{"GET", "/api/v1/streamingPolicies"}, {"GET", "/api/v1/contentKeyPolicies"},
			{"GET", "/api/v1/assets"}, {"GET", "/api/v1/assets/demo"},
			{"POST", "/api/v1/streamingLocators/clear/listContentKeys"},
			{"POST", "/api/v1/streamingLocators/clear/listPaths"},
			{"GET", "/api/v1/streamingLocators?$top=1&$skiptoken=enp6"},
		} {
			r := o.api(c.method, c.path, nil)
			var v any
			if r.status != 200 || json.Unmarshal(r.body, &v) != nil {
				t.Errorf("%s %s: %s", c.method, c.path, r)
				continue
			}
			if p := nullList(v, ""); p != "" {
				t.Errorf("%s %s: %s is null, want [] (%s)", c.method, c.path, p, r)
			}
		}
	})
}

// nullList returns the path of the first null in v whose field is not one
// the API documents as null when absent (times, disabled schemes, absent
// objects): every list is [] when empty.
func nullList(v any, path string) string {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				switch k {
				case "startTime", "endTime", "noEncryption", "envelopeEncryption", "commonEncryptionCenc", "commonEncryptionCbcs",
					"openIdConnectDiscoveryDocument", "primaryVerificationKey":
					continue
				}
				return path + "." + k
			}
			if p := nullList(e, path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range x {
			if p := nullList(e, path+"["+itoa(i)+"]"); p != "" {
				return p
			}
		}
	}
	return ""
}
