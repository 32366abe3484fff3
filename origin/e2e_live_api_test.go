package origin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/keyclient/redistest"
	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/origin"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// fakeIngester is the live room as the origin sees it (live.Ingester): it
// records what it is told, and its Ingest does what the test says.
type fakeIngester struct {
	mu      sync.Mutex
	calls   []string
	streams []live.Stream
	ingest  func(ctx context.Context, event, stream string, body io.Reader) error
	// addFails is how many AddOutput calls fail (their storage cannot
	// be read) before they succeed.
	addFails int
}

var _ live.Ingester = (*fakeIngester)(nil)

func (f *fakeIngester) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeIngester) saw() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeIngester) StartEvent(event string) error { f.record("start " + event); return nil }
func (f *fakeIngester) StopEvent(event string) error  { f.record("stop " + event); return nil }
func (f *fakeIngester) AddOutput(o live.Output) error {
	f.mu.Lock()
	fail := f.addFails > 0
	f.addFails--
	f.mu.Unlock()
	if fail {
		f.record("add failed " + o.Event + "/" + o.Name)
		return errors.New("storage: unavailable")
	}
	f.record(fmt.Sprintf("add %s/%s asset=%s manifest=%s window=%s", o.Event, o.Name, o.Asset, o.Manifest, o.Window))
	return nil
}
func (f *fakeIngester) EndOutput(event, output string) error {
	f.record("end " + event + "/" + output)
	return nil
}
func (f *fakeIngester) Ingest(ctx context.Context, event, stream string, body io.Reader) error {
	f.record("ingest " + event + " " + stream)
	if f.ingest != nil {
		return f.ingest(ctx, event, stream, body)
	}
	_, err := io.Copy(io.Discard, body)
	return err
}
func (f *fakeIngester) Streams(event string) []live.Stream {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.streams)
}

// liveAPIOrigin is a testOrigin with the ingest listener and a live room.
type liveAPIOrigin struct {
	*testOrigin
	ingest string // the ingest listener's base URL
	logs   *logBuffer
}

// startLiveAPIOrigin runs an origin over the demo media with ing as its live
// room (nil: none), the store at storeURL ("" for a fresh embedded one),
// and its application and audit logs in logs.
func startLiveAPIOrigin(t *testing.T, ing live.Ingester, storeURL string, adjust func(*originConfig)) *liveAPIOrigin {
	t.Helper()
	root := mediaRoot(t)
	return launchOrigin(t, originSpec{assets: storage.NewLocal(root, storage.LocalOptions{}), root: root, storeURL: storeURL,
		adjust: adjust, logs: &logBuffer{}, ingest: true,
		liveRoom: func(*packager.Library, *origin.Server) (live.Ingester, func()) { return ing, nil }})
}

// liveEventDoc is a live event as the API gives it.
type liveEventDoc struct {
	Name  string `json:"name"`
	Input struct {
		StreamingProtocol string `json:"streamingProtocol"`
		AccessToken       string `json:"accessToken"`
		IngestURL         string `json:"ingestUrl"`
	} `json:"input"`
	ResourceState string `json:"resourceState"`
	Streams       []struct {
		Name             string `json:"name"`
		LastFragmentTime string `json:"lastFragmentTime"`
		Bitrate          int    `json:"bitrate"`
	} `json:"streams"`
}

func (o *liveAPIOrigin) event(name string) liveEventDoc {
	o.t.Helper()
	r := o.api("GET", "/api/v1/liveEvents/"+name, nil)
	var e liveEventDoc
	if r.status != 200 || jsonInto(r.body, &e) != nil {
		o.t.Fatalf("GET liveEvents/%s: %s", name, r)
	}
	return e
}

// wantAPI makes a management call and fails unless it answers status
// (and, for an error, names target when target is not empty).
func (o *liveAPIOrigin) wantAPI(method, path, body string, status int, target string) *response {
	o.t.Helper()
	var b any
	if body != "" {
		b = body
	}
	r := o.api(method, path, b)
	if r.status != status {
		o.t.Fatalf("%s %s: %s, want %d", method, path, r, status)
	}
	if target != "" {
		var e struct {
			Error struct{ Target string } `json:"error"`
		}
		if jsonInto(r.body, &e) != nil || e.Error.Target != target {
			o.t.Fatalf("%s %s: %s, want the error's target %q", method, path, r, target)
		}
	}
	return r
}

// TestLiveEventsAPI: the shapes of live.md's resources, the 400s naming
// their fields, the 409s, the state machine with the live room told of
// each change, paging and the audit log.
func TestLiveEventsAPI(t *testing.T) {
	f := &fakeIngester{}
	o := startLiveAPIOrigin(t, f, "", nil)
	const ev = "/api/v1/liveEvents/ev1"

	r := o.wantAPI("PUT", ev, `{"input":{}}`, 201, "")
	var e liveEventDoc
	if err := jsonInto(r.body, &e); err != nil {
		t.Fatal(err)
	}
	tok := e.Input.AccessToken
	if e.Name != "ev1" || len(tok) != 32 || e.Input.StreamingProtocol != "FragmentedMP4" || e.ResourceState != "Stopped" ||
		e.Streams == nil || len(e.Streams) != 0 || e.Input.IngestURL != o.ingest+"/ev1/"+tok+"/ingest.isml" {
		t.Fatalf("created: %s", r.body)
	}
	if !strings.Contains(string(r.body), `"streams":[]`) {
		t.Errorf("streams is not an empty list: %s", r.body)
	}
	if got := o.event("ev1"); got.Input.AccessToken != tok {
		t.Fatalf("GET: token %q, want %q", got.Input.AccessToken, tok)
	}
	o.wantAPI("PUT", ev, `{"input":{"streamingProtocol":"FragmentedMP4"}}`, 200, "")
	o.wantAPI("PUT", ev, `{"input":{"streamingProtocol":"RTMP"}}`, 400, "input.streamingProtocol")
	o.wantAPI("PUT", ev, `{"input":{"accessToken":"a/b"}}`, 400, "input.accessToken")
	o.wantAPI("PUT", ev, `{}`, 400, "input")
	o.wantAPI("PUT", "/api/v1/liveEvents/a.b", `{"input":{}}`, 400, "name")
	o.wantAPI("POST", "/api/v1/liveEvents/nope/start", "", 404, "")
	o.wantAPI("GET", ev+"/start", "", 405, "")

	r = o.wantAPI("POST", ev+"/start", "", 200, "")
	if err := jsonInto(r.body, &e); err != nil || e.ResourceState != "Running" {
		t.Fatalf("start: %s", r.body)
	}
	if got := o.event("ev1"); got.ResourceState != "Running" {
		t.Fatalf("after start: %s", got.ResourceState)
	}
	o.wantAPI("POST", ev+"/start", "", 200, "") // again: idempotent
	arrived := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	f.mu.Lock()
	f.streams = []live.Stream{{Name: "video", LastFragmentTime: arrived, Bitrate: 1234567}}
	f.mu.Unlock()
	if got := o.event("ev1"); len(got.Streams) != 1 || got.Streams[0].Name != "video" || got.Streams[0].Bitrate != 1234567 ||
		got.Streams[0].LastFragmentTime != "2026-12-07T10:00:00Z" {
		t.Fatalf("streams: %+v", got.Streams)
	}
	o.wantAPI("DELETE", ev, "", 409, "")
	o.wantAPI("PUT", ev, `{"input":{"accessToken":"another"}}`, 409, "")

	out := `{"assetName":"arch1","manifestName":"live","archiveWindowLength":"PT2M"}`
	o.wantAPI("PUT", ev+"/liveOutputs/out1", out, 201, "")
	o.wantAPI("PUT", ev+"/liveOutputs/out1", out, 200, "")
	// A locator on the output's asset, before any fragment reached storage.
	o.wantAPI("PUT", "/api/v1/streamingLocators/live1", `{"assetName":"arch1","streamingPolicyName":"Predefined_ClearStreamingOnly"}`, 201, "")
	o.wantAPI("PUT", "/api/v1/streamingLocators/none", `{"assetName":"nosuch","streamingPolicyName":"Predefined_ClearStreamingOnly"}`, 400, "assetName")
	o.wantAPI("PUT", ev+"/liveOutputs/out1", `{"assetName":"arch1","archiveWindowLength":"PT3M"}`, 409, "")
	for _, w := range []string{"PT59S", "PT25H1S", "P2D", "PT1Y", "1h"} {
		o.wantAPI("PUT", ev+"/liveOutputs/bad", `{"assetName":"x","archiveWindowLength":"`+w+`"}`, 400, "archiveWindowLength")
	}
	o.wantAPI("PUT", ev+"/liveOutputs/bad", `{"archiveWindowLength":"PT1H"}`, 400, "assetName")
	o.wantAPI("PUT", ev+"/liveOutputs/bad", `{"assetName":"demo","archiveWindowLength":"PT1H"}`, 409, "assetName") // a VOD asset
	o.wantAPI("PUT", ev+"/liveOutputs/bad", `{"assetName":"arch1","archiveWindowLength":"PT1H"}`, 409, "assetName")
	o.wantAPI("PUT", "/api/v1/liveEvents/nope/liveOutputs/x", out, 404, "")
	o.wantAPI("PUT", ev+"/liveOutputs/a.b", out, 400, "name")
	r = o.wantAPI("GET", ev+"/liveOutputs/out1", "", 200, "")
	if string(r.body) != `{"name":"out1","assetName":"arch1","manifestName":"live","archiveWindowLength":"PT2M"}` {
		t.Fatalf("GET output: %s", r.body)
	}

	r = o.wantAPI("POST", ev+"/stop", "", 200, "")
	if err := jsonInto(r.body, &e); err != nil || e.ResourceState != "Stopped" {
		t.Fatalf("stop: %s", r.body)
	}
	// An output may be created while its event is stopped.
	o.wantAPI("PUT", ev+"/liveOutputs/out2", `{"assetName":"arch2","archiveWindowLength":"PT25H"}`, 201, "")
	r = o.wantAPI("GET", ev+"/liveOutputs?$top=1", "", 200, "")
	var page struct {
		Value    []struct{ Name string }
		NextLink string
	}
	if jsonInto(r.body, &page) != nil || len(page.Value) != 1 || page.Value[0].Name != "out1" || page.NextLink == "" {
		t.Fatalf("page 1: %s", r.body)
	}
	r = o.wantAPI("GET", page.NextLink, "", 200, "")
	page.NextLink = ""
	if jsonInto(r.body, &page) != nil || len(page.Value) != 1 || page.Value[0].Name != "out2" || page.NextLink != "" {
		t.Fatalf("page 2: %s", r.body)
	}
	o.wantAPI("GET", "/api/v1/liveEvents?$top=0", "", 400, "$top")
	r = o.wantAPI("GET", "/api/v1/liveEvents/", "", 200, "")
	if !strings.Contains(string(r.body), `"resourceState":"Stopped"`) {
		t.Fatalf("list: %s", r.body)
	}
	o.wantAPI("DELETE", ev, "", 409, "") // it has outputs
	o.wantAPI("DELETE", ev+"/liveOutputs/out1", "", 204, "")
	o.wantAPI("DELETE", ev+"/liveOutputs/out1", "", 404, "")
	o.wantAPI("DELETE", ev+"/liveOutputs/out2", "", 204, "")
	o.wantAPI("DELETE", ev, "", 204, "")
	o.wantAPI("GET", ev, "", 404, "")

	// Start and stop are told again as the store's invalidations come
	// back (they are idempotent); outputs are given and taken back once.
	want := []string{"start ev1", "add ev1/out1 asset=arch1 manifest=live window=2m0s", "stop ev1",
		"add ev1/out2 asset=arch2 manifest=arch2 window=25h0m0s", "end ev1/out1", "end ev1/out2"}
	if got := f.saw(); !toldInOrder(got, want) {
		t.Errorf("the live room was told:\n%s\nwant, in this order, each add and end once:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	logs := o.logs.String()
	for _, line := range []string{"method=PUT resource=liveEvents name=ev1", "method=POST resource=liveEvents name=ev1 action=start",
		"method=POST resource=liveEvents name=ev1 action=stop", "method=PUT resource=liveOutputs name=ev1/out1",
		"method=DELETE resource=liveOutputs name=ev1/out2", "method=DELETE resource=liveEvents name=ev1"} {
		if !strings.Contains(logs, line) {
			t.Errorf("no audit line with %q", line)
		}
	}
	if strings.Contains(logs, tok) {
		t.Error("the access token is in the logs")
	}
}

// TestLiveRestore: an origin that starts over a store with live events
// and outputs tells its live room of every output, then starts every
// Running (or Starting) event and stops every Stopping one, settling
// their states.
// TestLiveRestoreRetries: an output whose archive cannot be read as the
// origin starts (an object store not reachable yet) is restored when it
// can be, without a restart: the restore is tried again.
func TestLiveRestoreRetries(t *testing.T) {
	url := "file://" + filepath.Join(t.TempDir(), "store.db")
	st, err := keyclient.OpenStore(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	kek, _ := keyclient.NewKEK(bytes.Repeat([]byte{7}, 32))
	svc := keyclient.NewService(st, kek, keyclient.BuiltinConfig{})
	ctx := context.Background()
	if _, _, err := svc.PutLiveEvent(ctx, "run", []byte(`{"input":{}}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.PutLiveOutput(ctx, "run", "o", []byte(`{"assetName":"a-run","archiveWindowLength":"PT10M"}`), nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	f := &fakeIngester{addFails: 2}
	startLiveAPIOrigin(t, f, url, nil)
	want := []string{"add failed run/o", "add failed run/o", "add run/o asset=a-run manifest=a-run window=10m0s"}
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(f.saw(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the live room was told:\n%s\nwant:\n%s", strings.Join(f.saw(), "\n"), strings.Join(want, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLiveRestore(t *testing.T) {
	url := "file://" + filepath.Join(t.TempDir(), "store.db")
	st, err := keyclient.OpenStore(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	kek, _ := keyclient.NewKEK(bytes.Repeat([]byte{7}, 32))
	svc := keyclient.NewService(st, kek, keyclient.BuiltinConfig{})
	ctx := context.Background()
	for _, c := range []struct{ name, state string }{{"run", "Running"}, {"half", "Starting"}, {"ending", "Stopping"}, {"off", "Stopped"}} {
		if _, _, err := svc.PutLiveEvent(ctx, c.name, []byte(`{"input":{}}`)); err != nil {
			t.Fatal(err)
		}
		if c.state != "Stopped" {
			if _, _, err := svc.SetLiveEventState(ctx, c.name, c.state, "Stopped"); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, ev := range []string{"run", "off"} {
		if _, _, err := svc.PutLiveOutput(ctx, ev, "o", []byte(`{"assetName":"a-`+ev+`","archiveWindowLength":"PT10M"}`), nil); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	f := &fakeIngester{}
	o := startLiveAPIOrigin(t, f, url, nil)
	want := []string{"add off/o asset=a-off manifest=a-off window=10m0s", "add run/o asset=a-run manifest=a-run window=10m0s",
		"stop ending", "start half", "start run"} // outputs first
	deadline := time.Now().Add(5 * time.Second)
	for !toldInOrder(f.saw(), want) || !slices.Equal(f.saw()[:2], want[:2]) {
		if time.Now().After(deadline) {
			t.Fatalf("the live room was told:\n%s\nwant:\n%s", strings.Join(f.saw(), "\n"), strings.Join(want, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for ev, state := range map[string]string{"run": "Running", "half": "Running", "ending": "Stopped", "off": "Stopped"} {
		if got := o.event(ev).ResourceState; got != state {
			t.Errorf("%s: %s after the restart, want %s", ev, got, state)
		}
	}
}

// toldInOrder reports whether want is a subsequence of got and every add
// and end in got is told once.
func toldInOrder(got, want []string) bool {
	seen := map[string]bool{}
	for _, g := range got {
		if strings.HasPrefix(g, "add ") || strings.HasPrefix(g, "end ") {
			if seen[g] {
				return false
			}
			seen[g] = true
		}
	}
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// TestLiveReplicas: two origins sharing a Redis store: what one is told
// through its management API, the other's live room hears too (through
// the store's invalidations), so either takes the encoder's POST and
// serves the output.
func TestLiveReplicas(t *testing.T) {
	url := redistest.Start(t)
	fa, fb := &fakeIngester{}, &fakeIngester{}
	a := startLiveAPIOrigin(t, fa, url, nil)
	startLiveAPIOrigin(t, fb, url, nil)
	time.Sleep(300 * time.Millisecond) // subscriptions established
	want := []string{"start ev", "add ev/o asset=arch manifest=arch window=1h0m0s", "end ev/o", "stop ev"}
	heard := func(n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !toldInOrder(fb.saw(), want[:n]) {
			if time.Now().After(deadline) {
				t.Fatalf("the other replica's live room was told:\n%s\nwant:\n%s", strings.Join(fb.saw(), "\n"), strings.Join(want[:n], "\n"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	a.wantAPI("PUT", "/api/v1/liveEvents/ev", `{"input":{}}`, 201, "")
	a.wantAPI("POST", "/api/v1/liveEvents/ev/start", "", 200, "")
	heard(1)
	a.wantAPI("PUT", "/api/v1/liveEvents/ev/liveOutputs/o", `{"assetName":"arch","archiveWindowLength":"PT1H"}`, 201, "")
	heard(2)
	a.wantAPI("DELETE", "/api/v1/liveEvents/ev/liveOutputs/o", "", 204, "")
	heard(3)
	a.wantAPI("POST", "/api/v1/liveEvents/ev/stop", "", 200, "")
	heard(4)
	if !toldInOrder(fa.saw(), want) {
		t.Errorf("this replica's live room was told:\n%s", strings.Join(fa.saw(), "\n"))
	}
}
