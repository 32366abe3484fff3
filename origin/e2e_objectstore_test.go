package origin_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/keyclient/redistest"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/azblob"
	"github.com/drmorigin/drmorigin/storage/s3"
)

// objectStoreAssets are the testdata/media assets uploaded to the object
// stores: a fragmented one and a progressive one (most stored assets are).
var objectStoreAssets = []string{"demo", "progressive"}

// mediaFiles returns testdata/media's files of those assets, by name
// relative to the root ("demo/video.mp4").
func mediaFiles(t testing.TB, assets ...string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, a := range assets {
		dir := filepath.Join(mediaRoot(t), a)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[a+"/"+e.Name()] = b
		}
	}
	return out
}

// objectBackend is one object store holding objectStoreAssets, and a
// storage.Store over it as drmorigin serve opens one.
type objectBackend struct {
	name  string
	store *storage.RemoteStore
	stop  func()
	start func()
	gets  func(name string) int // GETs the server saw for the object of that store name
}

// minioBackend is a MinIO server with the assets under s3://media/lib/.
func minioBackend(t *testing.T, opt storage.RemoteOptions) objectBackend {
	srv := testservers.MinIO(t)
	srv.MakeBucket("media")
	for name, b := range mediaFiles(t, objectStoreAssets...) {
		srv.Put("media", "lib/"+name, b)
	}
	return objectBackend{
		name: "minio", store: storage.NewRemote(minioRemote(t, srv, "s3://media/lib"), opt), stop: srv.Stop, start: srv.Start,
		gets: func(name string) int { return srv.Gets("media", "lib/"+name) },
	}
}

// minioRemote is the Remote of root (s3://bucket[/prefix]) on srv, with
// its keys, as serve opens one from storage.root.
func minioRemote(t *testing.T, srv *testservers.MinIOServer, root string) *s3.Remote {
	t.Helper()
	cfg, err := s3.ParseURL(root + "?pathStyle=true&endpoint=" + srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AccessKey, cfg.SecretKey = srv.AccessKey, srv.SecretKey
	r, err := s3.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// azuriteRemote is the Remote of srv's account with a container per asset
// (azblob://devstoreaccount1), with its key.
func azuriteRemote(t *testing.T, srv *testservers.AzuriteServer) *azblob.Remote {
	t.Helper()
	cfg, err := azblob.ParseURL("azblob://" + srv.Account + "?endpoint=" + srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AccountKey = srv.Key
	r, err := azblob.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// azuriteBackend is Azurite with the cloud media service's layout: a
// container per asset (azblob://devstoreaccount1, no container).
func azuriteBackend(t *testing.T, opt storage.RemoteOptions) objectBackend {
	srv := testservers.Azurite(t)
	for _, a := range objectStoreAssets {
		srv.CreateContainer(a)
	}
	for name, b := range mediaFiles(t, objectStoreAssets...) {
		container, blob, _ := strings.Cut(name, "/")
		srv.Put(container, blob, b)
	}
	return objectBackend{
		name: "azurite", store: storage.NewRemote(azuriteRemote(t, srv), opt), stop: srv.Stop, start: srv.Start,
		gets: func(name string) int {
			container, blob, _ := strings.Cut(name, "/")
			return srv.Gets(container, blob)
		},
	}
}

var objectBackends = []struct {
	name string
	make func(*testing.T, storage.RemoteOptions) objectBackend
}{{"minio", minioBackend}, {"azurite", azuriteBackend}}

// streamLocators creates, on o, a locator of each kind of protection for
// asset: clear, multi-DRM (cenc, cbcs, PIFF, SAMPLE-AES) and ClearKey with
// AES-128 envelope; it returns their names.
func streamLocators(t *testing.T, o *testOrigin, asset string) []string {
	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}},
		map[string]any{"configuration": map[string]any{"type": "clearKey"}, "restriction": map[string]any{"type": "open"}}}}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	o.locator(asset+"-clr", asset, "Predefined_ClearStreamingOnly", nil)
	o.locator(asset+"-drm", asset, "Predefined_MultiDrmStreaming", nil)
	o.locator(asset+"-ck", asset, "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "open"})
	return []string{asset + "-clr", asset + "-drm", asset + "-ck"}
}

// streamingPaths is every manifest path listPaths gives for the locator.
func streamingPaths(t *testing.T, o *testOrigin, locator string) []string {
	r := o.api("POST", "/api/v1/streamingLocators/"+locator+"/listPaths", nil)
	var out struct {
		StreamingPaths []struct{ Paths []string } `json:"streamingPaths"`
	}
	if r.status != 200 || jsonInto(r.body, &out) != nil {
		t.Fatalf("listPaths %s: %s", locator, r)
	}
	var paths []string
	for _, sp := range out.StreamingPaths {
		paths = append(paths, sp.Paths...)
	}
	if len(paths) == 0 {
		t.Fatalf("listPaths %s: no paths", locator)
	}
	return paths
}

// hlsRef matches a playlist's references: URI lines, and URI="…"
// attributes (renditions, EXT-X-MAP, keys).
var hlsRef = regexp.MustCompile(`(?m)^[^#\s][^\s]*$|URI="([^"]+)"`)

// streamURLs lists what a client fetches of the stream at u (a manifest on
// o): for DASH and Smooth every track's init and media segments, for HLS
// every playlist and what they reference (keys left out).
func streamURLs(t *testing.T, o *testOrigin, u string, body []byte) []string {
	switch {
	case strings.Contains(u, "format=mpd"):
		return planURLs(planDASH(t, u, body))
	case strings.Contains(u, "format=m3u8"):
		var out []string
		for _, m := range hlsRef.FindAllStringSubmatch(string(body), -1) {
			ref := m[0]
			if m[1] != "" {
				ref = m[1]
			}
			if strings.Contains(ref, "/keys/") || strings.HasPrefix(ref, "skd:") || strings.HasPrefix(ref, "data:") {
				continue
			}
			ru := resolve(t, u, ref)
			out = append(out, ru)
			if strings.Contains(ref, "Manifest(") {
				r := do(t, http.MethodGet, ru, nil)
				if r.status != 200 {
					t.Fatalf("GET %s: %s", ru, r)
				}
				out = append(out, streamURLs(t, o, ru, r.body)...)
			}
		}
		return out
	default:
		return planURLs(planSmooth(t, u, body))
	}
}

func planURLs(plans []trackPlan) []string {
	var out []string
	for _, p := range plans {
		out = append(out, p.init)
		out = append(out, p.media...)
	}
	return out
}

// TestObjectStoreServesLikeLocalDisk: every format and scheme of a
// fragmented and a progressive asset, from a real MinIO server and from
// Azurite (a container per asset), gives the same bytes as from local
// disk: manifests, inits and every media segment of every track, fetched
// over HTTP as a client would. The two origins share one Redis, as a
// fleet's replicas do, so the same locators and keys serve both.
func TestObjectStoreServesLikeLocalDisk(t *testing.T) {
	redis := redistest.Start(t)
	local := startOrigin(t, mediaRoot(t), redis)
	var locators []string
	for _, a := range objectStoreAssets {
		locators = append(locators, streamLocators(t, local, a)...)
	}
	for _, be := range objectBackends {
		t.Run(be.name, func(t *testing.T) {
			b := be.make(t, storage.RemoteOptions{})
			remote := startOriginStore(t, b.store, mediaRoot(t), redis, nil)
			compared := 0
			for _, loc := range locators {
				for _, p := range streamingPaths(t, local, loc) {
					lu := local.base + p
					lm := do(t, http.MethodGet, lu, nil)
					rm := remote.waitStatus(p, lm.status, 2*time.Second) // the locator reaches it through Redis
					if lm.status != 200 || !bytes.Equal(bytes.ReplaceAll(rm.body, []byte(remote.base), []byte(local.base)), lm.body) {
						t.Fatalf("%s: local %d, %s %d: manifests differ", p, lm.status, be.name, rm.status)
					}
					for _, u := range streamURLs(t, local, lu, lm.body) {
						want := do(t, http.MethodGet, u, nil)
						got := do(t, http.MethodGet, strings.Replace(u, local.base, remote.base, 1), nil)
						if want.status != 200 || got.status != 200 || !bytes.Equal(bytes.ReplaceAll(got.body, []byte(remote.base), []byte(local.base)), want.body) {
							t.Fatalf("%s: local %d (%d bytes), %s %d (%d bytes): differ", u, want.status, len(want.body), be.name, got.status, len(got.body))
						}
						compared++
					}
				}
			}
			st := b.store.Stats()
			t.Logf("%s: %d playlists, segments and inits identical to local disk; %d ranged reads, %d bytes, cache hits %d misses %d",
				be.name, compared, st.Fetches, st.Bytes, st.Hits, st.Misses)
		})
	}
}

// TestObjectStoreColdSegmentOneRead: 100 concurrent requests for one cold
// segment of a progressive asset make one GET of media, counted at the
// server's side (a proxy in front of it), and every response is whole.
func TestObjectStoreColdSegmentOneRead(t *testing.T) {
	for _, be := range objectBackends {
		t.Run(be.name, func(t *testing.T) {
			// Small blocks, so that indexing this small asset leaves
			// its media uncached.
			b := be.make(t, storage.RemoteOptions{BlockSize: 16 << 10})
			o := startOriginStore(t, b.store, mediaRoot(t), "", nil)
			o.locator("cold", "progressive", "Predefined_ClearStreamingOnly", nil)
			mu := o.base + "/cold/progressive.ism/manifest(format=mpd-time-cmaf)"
			m := do(t, http.MethodGet, mu, nil)
			if m.status != 200 {
				t.Fatalf("manifest: %s", m)
			}
			plan := planDASH(t, mu, m.body)[0]
			seg := plan.media[len(plan.media)/2]
			file := "progressive/" + filepath.Base(o.sourceTracks("progressive")[plan.key()])
			before := b.gets(file)
			var wg sync.WaitGroup
			bodies := make([][]byte, 100)
			status := make([]int, 100)
			for i := range bodies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := do(t, http.MethodGet, seg, nil)
					bodies[i], status[i] = r.body, r.status
				}()
			}
			wg.Wait()
			for i := range bodies {
				if status[i] != 200 || !bytes.Equal(bodies[i], bodies[0]) {
					t.Fatalf("response %d: %d, %d bytes (first: %d bytes)", i, status[i], len(bodies[i]), len(bodies[0]))
				}
			}
			if got := b.gets(file) - before; got != 1 {
				t.Fatalf("100 concurrent requests for a cold segment made %d GETs of %s, want 1", got, file)
			}
		})
	}
}

// TestObjectStoreOutage: with the store stopped, uncached segments get a
// clean 503 (with Retry-After, never a short body), cached ones 200 and
// whole; when it is back, service resumes by itself.
func TestObjectStoreOutage(t *testing.T) {
	for _, be := range objectBackends {
		t.Run(be.name, func(t *testing.T) {
			b := be.make(t, storage.RemoteOptions{BlockSize: 16 << 10, Timeout: 300 * time.Millisecond, Backoff: 10 * time.Millisecond})
			o := startOriginStore(t, b.store, mediaRoot(t), "", nil)
			o.locator("out", "progressive", "Predefined_ClearStreamingOnly", nil)
			mu := o.base + "/out/progressive.ism/manifest(format=mpd-time-cmaf)"
			m := do(t, http.MethodGet, mu, nil)
			if m.status != 200 {
				t.Fatalf("manifest: %s", m)
			}
			plan := planDASH(t, mu, m.body)[0]
			cached := do(t, http.MethodGet, plan.media[0], nil)
			if cached.status != 200 {
				t.Fatalf("segment 0: %s", cached)
			}
			b.stop()
			start := time.Now()
			r := do(t, http.MethodGet, plan.media[len(plan.media)-1], nil)
			if r.status != 503 || r.header.Get("Retry-After") == "" || strings.Contains(string(r.body), "ftyp") {
				t.Fatalf("uncached segment with the store stopped: %s", r)
			}
			t.Logf("503 after %v", time.Since(start))
			if again := do(t, http.MethodGet, plan.media[0], nil); again.status != 200 || !bytes.Equal(again.body, cached.body) {
				t.Fatalf("cached segment with the store stopped: %d, %d bytes, want %d", again.status, len(again.body), len(cached.body))
			}
			b.start()
			deadline := time.Now().Add(10 * time.Second)
			for {
				r := do(t, http.MethodGet, plan.media[len(plan.media)-1], nil)
				if r.status == 200 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("store restarted 10 s ago, segment still %s", r)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}

// TestBrowserPlaysFromObjectStore: players in headless Chromium play the
// progressive asset from MinIO and from Azurite: shaka-player DASH cenc
// with a ClearKey license from key delivery, hls.js HLS TS with AES-128,
// dash.js Smooth Streaming.
func TestBrowserPlaysFromObjectStore(t *testing.T) {
	web := webDir(t)
	for _, be := range objectBackends {
		t.Run(be.name, func(t *testing.T) {
			b := be.make(t, storage.RemoteOptions{})
			o := startOriginStore(t, b.store, mediaRoot(t), "", func(c *originConfig) { c.PlayerDir = web })
			streamLocators(t, o, "progressive")
			for _, c := range []struct{ name, url, player string }{
				{"shaka DASH cenc ClearKey", "/progressive-ck/progressive.ism/manifest(format=mpd-time-csf,encryption=cenc)", "shaka"},
				{"hls.js HLS TS AES-128", "/progressive-ck/progressive.ism/manifest(format=m3u8-aapl,encryption=cbc)", "hls"},
				{"dash.js Smooth", "/progressive-clr/progressive.ism/manifest", "dashjs"},
			} {
				t.Run(c.name, func(t *testing.T) {
					r := play(t, o, web, o.base+c.url, "--player", c.player, "--seconds", "3")
					if !r.OK || r.Player != c.player {
						t.Fatalf("%s did not play %s from %s: %+v", c.player, c.url, be.name, r)
					}
					t.Logf("%s: reached %.2fs, decoded %v", c.player, r.CurrentTime, r.Decoded)
				})
			}
		})
	}
}

// TestObjectStoreReplacedAsset: a track file replaced in MinIO while its
// index is cached is never mixed with the old one: the read that finds it
// changed is a 503, and the asset is indexed again, manifests included.
func TestObjectStoreReplacedAsset(t *testing.T) {
	srv := testservers.MinIO(t)
	srv.MakeBucket("media")
	for name, b := range mediaFiles(t, "progressive") {
		srv.Put("media", name, b)
	}
	o := startOriginStore(t, storage.NewRemote(minioRemote(t, srv, "s3://media"), storage.RemoteOptions{BlockSize: 16 << 10}), mediaRoot(t), "", nil)
	o.locator("rep", "progressive", "Predefined_ClearStreamingOnly", nil)
	mu := o.base + "/rep/progressive.ism/manifest(format=mpd-time-cmaf)"
	m1 := do(t, http.MethodGet, mu, nil)
	if m1.status != 200 {
		t.Fatalf("manifest: %s", m1)
	}
	plan := planDASH(t, mu, m1.body)[0]
	if r := do(t, http.MethodGet, plan.media[0], nil); r.status != 200 {
		t.Fatalf("segment 0: %s", r)
	}
	// The same name, other media: the hevc asset's video.
	var other []byte
	for name, b := range mediaFiles(t, "hevc") {
		if strings.HasSuffix(name, ".mp4") && len(b) > len(other) {
			other = b
		}
	}
	srv.Put("media", "progressive/progressive.mp4", other)
	last := do(t, http.MethodGet, plan.media[len(plan.media)-1], nil)
	if last.status != 503 {
		t.Fatalf("uncached segment of a replaced file: %s, want 503", last)
	}
	m2 := do(t, http.MethodGet, mu, nil)
	if m2.status != 200 || bytes.Equal(m2.body, m1.body) || !strings.Contains(string(m2.body), "hvc1") {
		t.Fatalf("manifest after the replace: %d, unchanged %v", m2.status, bytes.Equal(m2.body, m1.body))
	}
}
