package origin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/keyclient/redistest"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// liveBucket is an object store that live origins archive into and serve
// from, as `drmorigin serve` opens one with storage.root s3:// or
// azblob://.
type liveBucket struct {
	// open returns one origin's store: a cache of its own over the
	// shared bucket.
	open func() *storage.RemoteStore
	// list returns the objects directly under prefix, asked of the server.
	list func(prefix string) []storage.Entry
}

func listOf(t *testing.T, r storage.Remote) func(string) []storage.Entry {
	return func(prefix string) []storage.Entry {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		es, err := r.List(ctx, prefix)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("list %s: %v", prefix, err)
		}
		return es
	}
}

// minioLiveBucket is a MinIO bucket, the assets under the key prefix lib/.
func minioLiveBucket(t *testing.T) liveBucket {
	srv := testservers.MinIO(t)
	srv.MakeBucket("live")
	return liveBucketOf(t, func() storage.Remote { return minioRemote(t, srv, "s3://live/lib") })
}

// azuriteLiveBucket is Azurite with a container per asset: the live
// output's first write creates its asset's container.
func azuriteLiveBucket(t *testing.T) liveBucket {
	srv := testservers.Azurite(t)
	return liveBucketOf(t, func() storage.Remote { return azuriteRemote(t, srv) })
}

// liveBucketOf is the liveBucket whose Remotes remote makes.
func liveBucketOf(t *testing.T, remote func() storage.Remote) liveBucket {
	return liveBucket{
		open: func() *storage.RemoteStore { return storage.NewRemote(remote(), storage.RemoteOptions{}) },
		list: listOf(t, remote()),
	}
}

// TestLiveObjectStore: live over object storage (spec/live.md, "Durability
// and replicas"), on MinIO and on Azurite. Two origins share one Redis and
// one bucket, each with its own remote Store (block cache) over it, as a
// fleet's replicas do. An ffmpeg feed of 72 s is pushed, fragment by
// fragment, into A's ingest listener with a one-minute window:
//   - after each fragment B lists it within a second, with the same DASH
//     manifest as A;
//   - the window slides: HLS MEDIA-SEQUENCE advances, a segment that left
//     answers 404 on both, and the bucket holds exactly the window's
//     fragment objects (one per fragment, the reclaimed ones deleted);
//   - manifests in every format, clear and encrypted, and every segment
//     of the window are byte-identical on A and B;
//   - once the live output is deleted both serve the archive as VOD from
//     the bucket, every segment with the bytes it had live.
func TestLiveObjectStore(t *testing.T) {
	needTool(t, "ffmpeg", "ffmpeg")
	f := makeLiveFeed(t, 72)
	old := packager.ReclaimDelay
	packager.ReclaimDelay = 0 // reclaimed at once: the bucket then holds exactly the window
	t.Cleanup(func() { packager.ReclaimDelay = old })
	for _, be := range []struct {
		name string
		make func(*testing.T) liveBucket
	}{{"minio", minioLiveBucket}, {"azurite", azuriteLiveBucket}} {
		t.Run(be.name, func(t *testing.T) { testLiveObjectStore(t, be.make(t), f) })
	}
}

func testLiveObjectStore(t *testing.T, bk liveBucket, f liveFeed) {
	redis := redistest.Start(t)
	a, alib := startLiveReplicaStore(t, bk.open(), t.TempDir(), redis)
	b, blib := startLiveReplicaStore(t, bk.open(), t.TempDir(), redis)
	a.startFleetEvent("PT1M")
	if es := bk.list("fleet/"); !slices.ContainsFunc(es, func(e storage.Entry) bool { return e.Name == "live.json" }) {
		t.Fatalf("the live output's live.json is not in the bucket: %+v", es)
	}

	host := strings.TrimPrefix(a.base, "http://")
	const (
		dash  = "/clr/show.ism/manifest(format=mpd-time-csf)"
		media = "/clr/show.ism/QualityLevels(400000)/Manifest(video,format=m3u8-cmaf)"
	)
	var first *mediaPlaylist // the media playlist early on, its first segment to leave the window
	worst, listed := pushAndFollow(t, a, b, alib, blib, "fleet", host, dash, f, func(i int) {
		if r := getAs(t, b.testOrigin, host, dash); !bytes.Contains(r.body, []byte(`type="dynamic"`)) {
			t.Fatalf("fragment %d: the replica's MPD is not dynamic: %s", i, r)
		}
		if first == nil && i >= 6 {
			p := readMediaPlaylist(t, string(getAs(t, a.testOrigin, host, media).body))
			first = &p
		}
	})
	t.Logf("%d of %d fragments listed: the replica listed each within %v of the ingesting origin", listed, len(f.frags), worst)

	// The window slid, the same on both.
	ma, mb := getAs(t, a.testOrigin, host, media), getAs(t, b.testOrigin, host, media)
	if ma.status != 200 || !bytes.Equal(ma.body, mb.body) {
		t.Fatalf("media playlists: A %s, B %s", ma, mb)
	}
	p := readMediaPlaylist(t, string(ma.body))
	if first == nil || p.seq <= first.seq || p.endlist {
		t.Fatalf("the window did not slide: media sequence %v then %d", first, p.seq)
	}
	gone := resolve(t, a.base+media, first.uris[0])
	for _, o := range []*liveAPIOrigin{a, b} {
		if r := getAs(t, o.testOrigin, host, strings.TrimPrefix(gone, a.base)); r.status != 404 {
			t.Errorf("%s: a segment that left the window answers %s, want 404", o.base, r)
		}
	}

	// The bucket holds exactly the window: one object per fragment.
	checkBucket := func(when string) {
		t.Helper()
		asset, err := alib.Asset("fleet")
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range asset.Tracks {
			dir := "fleet/" + path.Base(tr.Path) + "/"
			var want []string
			for i, fr := range tr.Fragments {
				want = append(want, fmt.Sprintf("%010d-%020d.m4s", tr.Sequence+uint64(i), fr.Time))
			}
			var got []string
			deadline := time.Now().Add(2 * time.Second)
			for {
				got = got[:0]
				for _, e := range bk.list(dir) {
					if strings.HasSuffix(e.Name, ".m4s") {
						got = append(got, e.Name)
					}
				}
				slices.Sort(got)
				if slices.Equal(got, want) || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: %s holds %d fragment objects, the window %d:\nobjects %v\nwindow  %v", when, dir, len(got), len(want), got, want)
			}
			if tr.Sequence == 0 {
				t.Errorf("%s: %s: nothing left its window", when, dir)
			}
		}
		t.Logf("%s: the bucket holds the %d tracks' windows and nothing else", when, len(asset.Tracks))
	}
	checkBucket("live")

	// Every format, clear and encrypted, and every segment: the same bytes
	// from both origins.
	same := func(p string) *response {
		t.Helper()
		ra, rb := getAs(t, a.testOrigin, host, p), getAs(t, b.testOrigin, host, p)
		if ra.status != 200 || rb.status != ra.status || !bytes.Equal(ra.body, rb.body) {
			t.Fatalf("%s: the replica answers %s, the ingesting origin %s", p, rb, ra)
		}
		return ra
	}
	for _, m := range []string{
		"/clr/show.ism/manifest", dash, "/clr/show.ism/manifest(format=m3u8-cmaf)", "/clr/show.ism/manifest(format=m3u8-aapl)",
		"/drm/show.ism/manifest(format=mpd-time-csf,encryption=cenc)", "/drm/show.ism/manifest(format=m3u8-cmaf,encryption=cbcs)",
	} {
		same(m)
	}
	liveSegs := map[string][]byte{}
	for _, mu := range []string{dash, "/drm/show.ism/manifest(format=mpd-time-csf,encryption=cenc)"} {
		for _, pl := range planDASH(t, a.base+mu, getAs(t, a.testOrigin, host, mu).body) {
			for _, u := range append([]string{pl.init}, pl.media...) {
				p := strings.TrimPrefix(u, a.base)
				liveSegs[p] = same(p).body
			}
		}
	}
	t.Logf("%d segments byte-identical on both origins", len(liveSegs))

	// The end: VOD from the bucket, on both, with the same bytes.
	a.wantAPI("DELETE", "/api/v1/liveEvents/ev/liveOutputs/o", "", 204, "")
	for _, o := range []*liveAPIOrigin{a, b} {
		deadline := time.Now().Add(5 * time.Second)
		for {
			r := getAs(t, o.testOrigin, host, dash)
			if r.status == 200 && bytes.Contains(r.body, []byte(`type="static"`)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the MPD is not static 5 s after the output was deleted: %s", o.base, r)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	same(dash)
	if m := same(media); !bytes.Contains(m.body, []byte("#EXT-X-ENDLIST")) {
		t.Errorf("media playlist after the end has no ENDLIST:\n%s", m.body)
	}
	for p, want := range liveSegs {
		if got := same(p); !bytes.Equal(got.body, want) {
			t.Fatalf("%s: after the end other bytes than live", p)
		}
	}
	checkBucket("ended")
}
