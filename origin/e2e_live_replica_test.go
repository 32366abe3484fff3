package origin_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient/redistest"
	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/origin"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// startLiveReplica is one replica of a fleet as serve wires it: an origin
// over the store at storeURL and the storage root, its live room (a real
// Hub) archiving into root and announcing through the origin
// (Server.AnnounceLive), and the ingest listener.
func startLiveReplica(t *testing.T, root, storeURL string) (*liveAPIOrigin, *packager.Library) {
	t.Helper()
	return startLiveReplicaStore(t, storage.NewLocal(root, storage.LocalOptions{}), root, storeURL)
}

// startLiveReplicaStore is startLiveReplica over any storage that can be
// written (a remote Store over an object store, as serve opens one).
func startLiveReplicaStore(t *testing.T, st storage.Store, root, storeURL string) (*liveAPIOrigin, *packager.Library) {
	t.Helper()
	w := storage.WriterOf(st)
	if w == nil {
		t.Fatalf("the storage %s cannot be written", st.Locate(""))
	}
	var lib *packager.Library
	o := launchOrigin(t, originSpec{assets: st, root: root, storeURL: storeURL, logs: &logBuffer{}, ingest: true,
		liveRoom: func(l *packager.Library, srv *origin.Server) (live.Ingester, func()) {
			lib = l
			hub := live.NewHub(live.Config{Store: st, Writer: w, Assets: l, StallTimeout: 5 * time.Second, Log: srv.Config.Logger,
				Announce: func(a live.Announcement) { srv.AnnounceLive(a) }})
			return hub, func() { hub.Close() }
		}})
	return o, lib
}

// startFleetEvent makes, on o, one replica of a fleet, the running event
// ev (its input's token ingestToken) with the live output o into the
// asset fleet (manifest show, the archive window given) and the locators
// clr (clear) and drm (multi-DRM) to it, and waits until every replica's
// live room has heard of them.
func (o *liveAPIOrigin) startFleetEvent(window string) {
	o.t.Helper()
	time.Sleep(300 * time.Millisecond) // subscriptions established
	o.wantAPI("PUT", "/api/v1/liveEvents/ev", `{"input":{"accessToken":"`+ingestToken+`"}}`, 201, "")
	o.wantAPI("POST", "/api/v1/liveEvents/ev/start", "", 200, "")
	o.wantAPI("PUT", "/api/v1/liveEvents/ev/liveOutputs/o", `{"assetName":"fleet","manifestName":"show","archiveWindowLength":"`+window+`"}`, 201, "")
	o.locator("clr", "fleet", "Predefined_ClearStreamingOnly", nil)
	o.locator("drm", "fleet", "Predefined_MultiDrmStreaming", nil)
	// Every live room hears of the running event and its output.
	deadline := time.Now().Add(10 * time.Second)
	for o.event("ev").ResourceState != "Running" {
		if time.Now().After(deadline) {
			o.t.Fatal("event not Running within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
}

// liveFragments is the fragment index of each of a live asset's tracks,
// as the replica's live room published it ("" while it has none).
func liveFragments(lib *packager.Library, asset string) string {
	a, err := lib.Asset(asset)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, tr := range a.Tracks {
		fmt.Fprintf(&b, "%s %d %v\n", tr.Name, tr.Sequence, tr.Fragments)
	}
	return b.String()
}

// getAs fetches path from o as a request for host would: replicas behind
// one load balancer see the same Host.
func getAs(t *testing.T, o *testOrigin, host, path string) *response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, o.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

// TestLiveReplicaFollows: two origins sharing Redis and one storage root.
// An ffmpeg feed is pushed, fragment by fragment, into A's ingest
// listener; after each fragment B lists it within a second (A announces
// it over Redis pub/sub, B's live room indexes the storage), and B's
// manifests in every format, clear and encrypted, and every segment of
// the window are byte-identical to A's.
func TestLiveReplicaFollows(t *testing.T) {
	needTool(t, "ffmpeg", "ffmpeg")
	f := makeLiveFeed(t, 8)
	url := redistest.Start(t)
	root := t.TempDir()
	a, alib := startLiveReplica(t, root, url)
	b, blib := startLiveReplica(t, root, url)
	a.startFleetEvent("PT1H")

	host := strings.TrimPrefix(a.base, "http://")
	const dash = "/clr/show.ism/manifest(format=mpd-time-csf)"
	worst, listed := pushAndFollow(t, a, b, alib, blib, "fleet", host, dash, f, nil)
	t.Logf("%d of %d fragments listed: the replica listed each within %v of the ingesting origin", listed, len(f.frags), worst)

	same := func(path string) *response {
		t.Helper()
		ra, rb := getAs(t, a.testOrigin, host, path), getAs(t, b.testOrigin, host, path)
		if ra.status != 200 || rb.status != ra.status || !bytes.Equal(ra.body, rb.body) {
			t.Fatalf("%s: the replica answers %s, the ingesting origin %s", path, rb, ra)
		}
		return ra
	}
	for _, m := range []string{
		"/clr/show.ism/manifest", "/clr/show.ism/manifest(format=mpd-time-csf)", "/clr/show.ism/manifest(format=m3u8-cmaf)",
		"/clr/show.ism/manifest(format=m3u8-aapl)", "/drm/show.ism/manifest(format=mpd-time-csf,encryption=cenc)",
		"/drm/show.ism/manifest(format=mpd-time-csf,encryption=cbcs)", "/drm/show.ism/manifest(format=m3u8-cmaf,encryption=cbcs)",
	} {
		r := same(m)
		if !bytes.Contains(r.body, []byte("dynamic")) && !bytes.Contains(r.body, []byte("IsLive")) && bytes.Contains(r.body, []byte("ENDLIST")) {
			t.Errorf("%s: not live", m)
		}
	}
	segs := 0
	for _, mu := range []string{"/clr/show.ism/manifest(format=mpd-time-csf)", "/drm/show.ism/manifest(format=mpd-time-csf,encryption=cenc)"} {
		body := getAs(t, a.testOrigin, host, mu).body
		for _, p := range planDASH(t, a.base+mu, body) {
			for _, u := range append([]string{p.init}, p.media...) {
				same(strings.TrimPrefix(u, a.base))
				segs++
			}
		}
	}
	if segs == 0 {
		t.Fatal("no segment compared")
	}
	t.Logf("%d segments byte-identical on both replicas", segs)
	// The live room's archiving is on /metrics: nothing waits, nothing stalled.
	m := string(do(t, "GET", a.admin+"/metrics", nil).body)
	for _, want := range []string{"drmorigin_live_archive_queued 0", "drmorigin_live_archive_stalled 0", "drmorigin_live_archive_stalls_total ", "drmorigin_live_archive_waits_total "} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// pushAndFollow pushes f, fragment by fragment, into a's ingest listener
// (event ev, stream s1) and, after each fragment a indexes into asset,
// waits for b to list it and answer the DASH manifest at path dash
// byte-identically, failing if that takes over a second. each, when set,
// is called after each fragment both list. It returns the longest wait and
// how many fragments changed the index.
func pushAndFollow(t *testing.T, a, b *liveAPIOrigin, alib, blib *packager.Library, asset, host, dash string, f liveFeed, each func(i int)) (time.Duration, int) {
	t.Helper()
	pr, pw := io.Pipe()
	posted := make(chan error, 1)
	go func() {
		resp, err := http.Post(a.ingest+"/ev/"+ingestToken+"/ingest.isml/Streams(s1)", "video/mp4", pr)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				err = &url2xxError{resp.StatusCode}
			}
		}
		posted <- err
	}()
	if _, err := pw.Write(f.init); err != nil {
		t.Fatal(err)
	}
	var prev string
	var worst time.Duration
	listed, unlisted := 0, 0
	for i, frag := range f.frags {
		if _, err := pw.Write(frag); err != nil {
			t.Fatalf("fragment %d: %v", i, err)
		}
		// A has it once its live room indexed it (every fragment: the
		// feed's first audio fragment, primed before time 0, is kept from
		// 0 on).
		var fa string
		deadline := time.Now().Add(2 * time.Second)
		for {
			if fa = liveFragments(alib, asset); fa != prev || time.Now().After(deadline) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		if fa == prev {
			if unlisted++; unlisted > 0 {
				t.Fatalf("fragment %d: the ingesting origin does not index it within 2 s\nlogs: %s", i, a.logs)
			}
			continue
		}
		listed++
		had := time.Now()
		ra := getAs(t, a.testOrigin, host, dash)
		for {
			fb := liveFragments(blib, asset)
			rb := getAs(t, b.testOrigin, host, dash)
			if fb == fa && rb.status == 200 && bytes.Equal(rb.body, ra.body) {
				break
			}
			if time.Since(had) > time.Second {
				t.Fatalf("fragment %d: the replica does not list it within 1 s:\nA: %s\nB: %s\nA's MPD: %s\nB's MPD: %s", i, fa, fb, ra.body, rb.body)
			}
			time.Sleep(2 * time.Millisecond)
		}
		worst = max(worst, time.Since(had))
		prev = fa
		if each != nil {
			each(i)
		}
	}
	pw.Close()
	if err := <-posted; err != nil {
		t.Fatalf("ingest POST: %v", err)
	}
	return worst, listed
}

type url2xxError struct{ status int }

func (e *url2xxError) Error() string { return "ingest answered " + http.StatusText(e.status) }
