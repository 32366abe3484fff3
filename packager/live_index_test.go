package packager_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// countingRemote counts every request that reaches the object store: a
// stat, a ranged read, a listing.
type countingRemote struct {
	*storagetest.Remote
	n atomic.Int64
}

func (c *countingRemote) Stat(ctx context.Context, name string) (int64, string, error) {
	c.n.Add(1)
	return c.Remote.Stat(ctx, name)
}

func (c *countingRemote) ReadRange(ctx context.Context, name, version string, off, n int64) (io.ReadCloser, error) {
	c.n.Add(1)
	return c.Remote.ReadRange(ctx, name, version, off, n)
}

func (c *countingRemote) List(ctx context.Context, prefix string) ([]storage.Entry, error) {
	c.n.Add(1)
	return c.Remote.List(ctx, prefix)
}

func (c *countingRemote) ListPrefix(ctx context.Context, dir, start string) ([]storage.Entry, error) {
	c.n.Add(1)
	return c.Remote.ListPrefix(ctx, dir, start)
}

// archiveLong archives n fragments of the feed's first video rendition
// (its fragments in turn, each at the end of the one before) into dir of
// r with a window of window, and ends it: the index's last chunk stored.
func archiveLong(t *testing.T, r *storagetest.Remote, dir string, n int, window time.Duration) *packager.LiveTrack {
	t.Helper()
	f := readISMVFeed(t)
	opt := storage.RemoteOptions{Timeout: time.Second, Attempts: 1}
	st := storage.NewRemote(r, opt)
	ing, err := packager.OpenLiveTrack(st, st, dir, &f.init, packager.LiveTrackMeta{Name: "video", Bitrate: 400000})
	if err != nil {
		t.Fatal(err)
	}
	next := f.times[0]
	for k := range n {
		i := k % (len(f.frags) - 1)
		if err := ing.Append(f.frags[i], next, window, time.Now()); err != nil {
			t.Fatalf("fragment %d: %v", k, err)
		}
		if err := ing.RemoveReclaimed(); err != nil {
			t.Fatal(err)
		}
		if err := ing.StoreIndex(false); err != nil {
			t.Fatal(err)
		}
		next += f.times[i+1] - f.times[i]
	}
	if err := ing.Reclaim(); err != nil {
		t.Fatal(err)
	}
	if err := ing.StoreIndex(true); err != nil {
		t.Fatal(err)
	}
	return ing
}

// openCounted opens dir of r read only (an ended archive served as VOD)
// through a fresh remote Store (a cold cache) and returns the track and
// the requests it took.
func openCounted(t *testing.T, r *storagetest.Remote, dir string) (*packager.Track, int64) {
	t.Helper()
	c := &countingRemote{Remote: r}
	st := storage.NewRemote(c, storage.RemoteOptions{Timeout: time.Second, Attempts: 1})
	lt, err := packager.OpenLiveTrack(st, nil, dir, nil, packager.LiveTrackMeta{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lt.Close)
	return lt.Track(), c.n.Load()
}

// sameTrack fails unless got indexes exactly what want does and serves
// every fragment with the same bytes, in CMAF, Smooth and TS.
func sameTrack(t *testing.T, when string, got, want *packager.Track) {
	t.Helper()
	if len(got.Fragments) != len(want.Fragments) || got.Sequence != want.Sequence {
		t.Fatalf("%s: %d fragments from %d, want %d from %d", when, len(got.Fragments), got.Sequence, len(want.Fragments), want.Sequence)
	}
	if !slices.Equal(got.Fragments, want.Fragments) || !slices.Equal(got.Plans(), want.Plans()) {
		t.Fatalf("%s: the fragments differ", when)
	}
	if got.PeakBitrate != want.PeakBitrate || got.FrameRateNum != want.FrameRateNum || got.FrameRateDen != want.FrameRateDen || got.LeastCTO() != want.LeastCTO() {
		t.Fatalf("%s: peak %d, frame rate %d/%d, shift %d; want %d, %d/%d, %d", when, got.PeakBitrate, got.FrameRateNum, got.FrameRateDen, got.LeastCTO(),
			want.PeakBitrate, want.FrameRateNum, want.FrameRateDen, want.LeastCTO())
	}
	for i := range want.Fragments {
		for _, out := range []packager.Output{packager.CMAF, packager.Smooth, packager.TS} {
			a, err := got.AppendSegment(nil, i, out, nil, nil)
			if err != nil {
				t.Fatalf("%s: segment %d: %v", when, i, err)
			}
			b, err := want.AppendSegment(nil, i, out, nil, nil)
			if err != nil {
				t.Fatalf("%s: segment %d: %v", when, i, err)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("%s: segment %d differs (%d and %d bytes)", when, i, len(a), len(b))
			}
		}
	}
}

// withIndexEvery sets packager.LiveIndexEvery for the test.
func withIndexEvery(t *testing.T, n uint64) {
	old := packager.LiveIndexEvery
	packager.LiveIndexEvery = n
	t.Cleanup(func() { packager.LiveIndexEvery = old })
}

// TestLiveIndexOpensLongArchive: an ended archive over an object store
// opens from its index, one read per chunk of fragments, where it took
// one head read per fragment; and the track it opens is the one the
// fragments' heads give, serving every fragment with the same bytes.
// Without its index (an archive written before the index existed) it
// opens as before.
func TestLiveIndexOpensLongArchive(t *testing.T) {
	withIndexEvery(t, 32)
	const n, dir = 1000, "show/video.live"
	r := storagetest.NewRemote()
	ing := archiveLong(t, r, dir, n, 0)
	indexed, withIdx := openCounted(t, r, dir)
	if len(indexed.Fragments) != n {
		t.Fatalf("opened %d fragments, archived %d", len(indexed.Fragments), n)
	}
	var chunks []string
	for _, e := range listDir(t, r, dir) {
		if strings.HasPrefix(e.Name, "index-") {
			chunks = append(chunks, e.Name)
			r.Delete(dir + "/" + e.Name)
		}
	}
	if len(chunks) != (n+31)/32 {
		t.Errorf("%d index chunks for %d fragments, 32 each: %v", len(chunks), n, chunks)
	}
	heads, without := openCounted(t, r, dir)
	t.Logf("opening %d fragments: %d requests with the index (%d chunks), %d without", n, withIdx, len(chunks), without)
	// A listing, init.mp4 and track.json, a stat and a read per chunk,
	// and the first fragment's head.
	if want := int64(1 + 4 + 2*len(chunks) + 2); withIdx > want {
		t.Errorf("%d requests with the index, want at most %d", withIdx, want)
	}
	if without < 2*n {
		t.Errorf("%d requests without the index, want one head (stat and read) per fragment, %d", without, 2*n)
	}
	sameTrack(t, "indexed vs heads", indexed, heads)
	sameTrack(t, "indexed vs live", indexed, ing.Track())
}

func listDir(t *testing.T, r *storagetest.Remote, dir string) []storage.Entry {
	t.Helper()
	es, err := r.List(context.Background(), dir+"/")
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestLiveIndexDamaged: an index chunk that is truncated, has a byte
// changed, vouches for a fragment of another size (a valid checksum over
// a wrong entry) or disagrees with the first fragment itself is not
// trusted: the archive opens as its fragments' heads say, serving the
// same bytes, reading the heads of the fragments the damaged chunk
// covered.
func TestLiveIndexDamaged(t *testing.T) {
	withIndexEvery(t, 16)
	const n, dir = 100, "show/video.live"
	r := storagetest.NewRemote()
	ing := archiveLong(t, r, dir, n, 0)
	want := ing.Track()
	_, clean := openCounted(t, r, dir)
	read := func(name string) []byte {
		c := &countingRemote{Remote: r}
		b, err := io.ReadAll(mustOpenRead(t, storage.NewRemote(c, storage.RemoteOptions{Timeout: time.Second, Attempts: 1}), dir+"/"+name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name  string
		chunk uint64
		harm  func([]byte) []byte
		extra int64 // head reads (2 requests each) it costs at least
	}{
		{"truncated", 16, func(b []byte) []byte { return b[:len(b)/2] }, 16},
		{"empty", 32, func(b []byte) []byte { return nil }, 16},
		{"a byte changed", 48, func(b []byte) []byte { b[20] ^= 1; return b }, 16},
		{"not an index", 64, func(b []byte) []byte { return []byte("<html>503 Slow Down</html>") }, 16},
		{"a wrong size, checksum right", 80, func(b []byte) []byte {
			binary.BigEndian.PutUint64(b[12+3*8:], binary.BigEndian.Uint64(b[12+3*8:])+1) // entry 0's size
			return reseal(b)
		}, 1},
		{"the first fragment's entry wrong, checksum right", 0, func(b []byte) []byte {
			binary.BigEndian.PutUint64(b[12+4*8:], binary.BigEndian.Uint64(b[12+4*8:])+1) // entry 0's sample bytes
			return reseal(b)
		}, n - 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := packager.LiveIndexName(c.chunk)
			orig := read(name)
			r.Put(dir+"/"+name, c.harm(bytes.Clone(orig)))
			defer r.Put(dir+"/"+name, orig)
			got, reqs := openCounted(t, r, dir)
			sameTrack(t, c.name, got, want)
			// The damaged chunk's own read may cost one request less.
			if reqs < clean-1+2*c.extra {
				t.Errorf("%d requests, %d with the index intact: the damaged chunk's %d fragments were not read head by head", reqs, clean, c.extra)
			}
		})
	}
}

func mustOpenRead(t *testing.T, st storage.Store, name string) io.Reader {
	t.Helper()
	o, err := st.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return io.NewSectionReader(o, 0, o.Size())
}

// reseal recomputes a chunk's checksum after a change to its entries.
func reseal(b []byte) []byte {
	body := b[:len(b)-4]
	binary.BigEndian.PutUint32(b[len(body):], packager.CRC32C(body))
	return b
}

// TestLiveIndexSlides: as the window slides, an index chunk leaves
// storage with the last fragment of its range, and an archive opened
// mid-chunk (its first fragments reclaimed) still opens from the index.
func TestLiveIndexSlides(t *testing.T) {
	withIndexEvery(t, 8)
	old := packager.ReclaimDelay
	packager.ReclaimDelay = 0
	t.Cleanup(func() { packager.ReclaimDelay = old })
	const dir = "show/video.live"
	r := storagetest.NewRemote()
	ing := archiveLong(t, r, dir, 60, 20*time.Second)
	tr := ing.Track()
	if tr.Sequence == 0 || tr.Sequence%8 == 0 {
		t.Fatalf("the window starts at fragment %d: want one that slid to the middle of a chunk", tr.Sequence)
	}
	var chunks []string
	for _, e := range listDir(t, r, dir) {
		if strings.HasPrefix(e.Name, "index-") {
			chunks = append(chunks, e.Name)
		}
	}
	slices.Sort(chunks)
	first := tr.Sequence / 8 * 8
	if len(chunks) == 0 || chunks[0] != packager.LiveIndexName(first) {
		t.Errorf("window from fragment %d: chunks %v, want the first to be %s", tr.Sequence, chunks, packager.LiveIndexName(first))
	}
	got, reqs := openCounted(t, r, dir)
	sameTrack(t, "slid", got, tr)
	if max := int64(1 + 4 + 2*len(chunks) + 2); reqs > max {
		t.Errorf("%d requests to open %d fragments, want at most %d", reqs, len(tr.Fragments), max)
	}
}

// TestLiveIndexResumed: a track resumed mid-chunk (an origin restarted
// before its chunk in progress was stored) reads the heads of that
// chunk's fragments once, and the chunk it completes then vouches for
// them too: the archive opens from its index alone.
func TestLiveIndexResumed(t *testing.T) {
	withIndexEvery(t, 8)
	f := readISMVFeed(t)
	const dir = "show/video.live"
	r := storagetest.NewRemote()
	opt := storage.RemoteOptions{Timeout: time.Second, Attempts: 1}
	next, k := f.times[0], 0
	archive := func(lt *packager.LiveTrack, n int) {
		t.Helper()
		for range n {
			i := k % (len(f.frags) - 1)
			if err := lt.Append(f.frags[i], next, 0, time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := lt.StoreIndex(false); err != nil {
				t.Fatal(err)
			}
			next += f.times[i+1] - f.times[i]
			k++
		}
	}
	st := storage.NewRemote(r, opt)
	first, err := packager.OpenLiveTrack(st, st, dir, &f.init, packager.LiveTrackMeta{Name: "video", Bitrate: 400000})
	if err != nil {
		t.Fatal(err)
	}
	archive(first, 11) // chunk 0 stored; 8, 9, 10 in progress when the origin dies
	st = storage.NewRemote(r, opt)
	resumed, err := packager.OpenLiveTrack(st, st, dir, &f.init, packager.LiveTrackMeta{Name: "video", Bitrate: 400000})
	if err != nil {
		t.Fatal(err)
	}
	archive(resumed, 9) // 11 to 19: chunk 8 complete at 15
	if err := resumed.StoreIndex(true); err != nil {
		t.Fatal(err)
	}
	got, reqs := openCounted(t, r, dir)
	sameTrack(t, "resumed", got, resumed.Track())
	// A listing, init.mp4 and track.json, three chunks, the first head.
	if want := int64(1 + 4 + 2*3 + 2); reqs != want {
		t.Errorf("%d requests to open the resumed archive, want %d (from its index alone)", reqs, want)
	}
}
