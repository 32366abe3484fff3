package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

func testBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func fastOptions() storage.RemoteOptions {
	return storage.RemoteOptions{BlockSize: 1000, CacheSize: 1 << 20, Timeout: 200 * time.Millisecond, Attempts: 3, Backoff: time.Millisecond}
}

func TestRemoteReadAtMatchesSource(t *testing.T) {
	r := storagetest.NewRemote()
	data := testBytes(10_500, 1)
	r.Put("a/f.mp4", data)
	s := storage.NewRemote(r, fastOptions())
	o, err := s.Open("a/f.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if o.Size() != int64(len(data)) || o.Identity() != "v1" {
		t.Fatalf("size %d identity %q", o.Size(), o.Identity())
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for i := 0; i < 500; i++ {
		off := rng.Int64N(int64(len(data)))
		p := make([]byte, rng.IntN(3500))
		n, err := o.ReadAt(p, off)
		want := min(len(p), len(data)-int(off))
		if n != want || !bytes.Equal(p[:n], data[off:off+int64(n)]) {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d bytes of the source", len(p), off, n, err, want)
		}
		if (len(p) > want) != (err == io.EOF) {
			t.Fatalf("ReadAt(%d bytes at %d): err %v", len(p), off, err)
		}
	}
	if n, err := o.ReadAt(make([]byte, 1), int64(len(data))); n != 0 || err != io.EOF {
		t.Fatalf("read at the end: %d, %v", n, err)
	}
	st := s.Stats()
	if st.Fetches > 11 || st.Cached > int64(len(data)) {
		t.Fatalf("%+v: each block should have been read once", st)
	}
}

// TestRemoteOneReadForConcurrentMisses is the "a thousand players asking
// for one cold segment cost one GET" rule.
func TestRemoteOneReadForConcurrentMisses(t *testing.T) {
	r := storagetest.NewRemote()
	data := testBytes(50_000, 3)
	r.Put("a/f.mp4", data)
	r.Delay.Store(int64(20 * time.Millisecond)) // keep the first read in flight while the others arrive
	s := storage.NewRemote(r, fastOptions())
	o, err := s.Open("a/f.mp4")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := make([]byte, 12_345)
			if _, err := o.ReadAt(p, 4_321); err != nil || !bytes.Equal(p, data[4_321:4_321+12_345]) {
				errs <- fmt.Errorf("read: %v (bytes equal: %v)", err, bytes.Equal(p, data[4_321:4_321+12_345]))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := r.Reads.Load(); got != 1 {
		t.Fatalf("%d ranged reads for 100 concurrent reads of one cold range, want 1", got)
	}
}

func TestRemotePrefetchThenReadsCostOneRead(t *testing.T) {
	r := storagetest.NewRemote()
	data := testBytes(30_000, 4)
	r.Put("a/f.mp4", data)
	s := storage.NewRemote(r, fastOptions())
	o, _ := s.Open("a/f.mp4")
	if err := storage.Prefetch(o, 2_500, 20_000); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 100)
	o.ReadAt(p, 2_500) // a moof
	q := make([]byte, 19_000)
	o.ReadAt(q, 3_400) // its samples
	if !bytes.Equal(p, data[2_500:2_600]) || !bytes.Equal(q, data[3_400:22_400]) {
		t.Fatal("bytes differ")
	}
	if got := r.Reads.Load(); got != 1 {
		t.Fatalf("%d reads, want 1", got)
	}
	// A read that misses blocks on both sides of cached ones reads the
	// whole span once.
	o.ReadAt(make([]byte, 28_000), 1_000)
	if got := r.Reads.Load(); got != 2 {
		t.Fatalf("%d reads, want 2", got)
	}
}

func TestRemoteFaults(t *testing.T) {
	r := storagetest.NewRemote()
	data := testBytes(20_000, 5)
	r.Put("a/f.mp4", data)
	s := storage.NewRemote(r, fastOptions())
	o, _ := s.Open("a/f.mp4")
	cached := make([]byte, 1_000)
	if _, err := o.ReadAt(cached, 0); err != nil {
		t.Fatal(err)
	}

	t.Run("a fault then success is retried", func(t *testing.T) {
		r.Fail.Store(1)
		p := make([]byte, 500)
		if _, err := o.ReadAt(p, 3_000); err != nil || !bytes.Equal(p, data[3_000:3_500]) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("a short body is retried", func(t *testing.T) {
		r.Short.Store(1)
		p := make([]byte, 500)
		if _, err := o.ReadAt(p, 5_000); err != nil || !bytes.Equal(p, data[5_000:5_500]) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("a store that stays down is storage.ErrUnavailable, cached blocks still read", func(t *testing.T) {
		r.Down.Store(true)
		defer r.Down.Store(false)
		p := make([]byte, 500)
		n, err := o.ReadAt(p, 9_000)
		if !errors.Is(err, storage.ErrUnavailable) || n != 0 {
			t.Fatalf("ReadAt with the store down: %d, %v", n, err)
		}
		if _, err := o.ReadAt(p, 100); err != nil || !bytes.Equal(p, data[100:600]) {
			t.Fatalf("cached read with the store down: %v", err)
		}
		if _, err := s.Open("a/f.mp4"); !errors.Is(err, storage.ErrUnavailable) {
			t.Fatalf("Open with the store down: %v", err)
		}
	})
	t.Run("a slow store times out in bounded time", func(t *testing.T) {
		r.Delay.Store(int64(time.Second))
		defer r.Delay.Store(0)
		start := time.Now()
		_, err := o.ReadAt(make([]byte, 10), 15_000)
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Fatalf("slow read: %v", err)
		}
		if took := time.Since(start); took > 3*200*time.Millisecond+500*time.Millisecond {
			t.Fatalf("slow read took %v", took)
		}
	})
	t.Run("the store is back", func(t *testing.T) {
		p := make([]byte, 500)
		if _, err := o.ReadAt(p, 9_000); err != nil || !bytes.Equal(p, data[9_000:9_500]) {
			t.Fatalf("%v", err)
		}
	})
	if st := s.Stats(); st.Faults == 0 || st.Hits == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRemoteReplacedObjectIsNeverMixed(t *testing.T) {
	r := storagetest.NewRemote()
	old, new := testBytes(5_000, 6), testBytes(5_000, 7)
	r.Put("a/f.mp4", old)
	s := storage.NewRemote(r, fastOptions())
	o, _ := s.Open("a/f.mp4")
	p := make([]byte, 100)
	o.ReadAt(p, 0)
	r.Put("a/f.mp4", new)
	if _, err := o.ReadAt(p, 0); err != nil || !bytes.Equal(p, old[:100]) {
		t.Fatalf("cached block of the version opened: %v", err)
	}
	if _, err := o.ReadAt(p, 3_000); !errors.Is(err, storage.ErrChanged) || errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("uncached read of a replaced object: %v, want storage.ErrChanged", err)
	}
	o2, _ := s.Open("a/f.mp4")
	if o2.Identity() == o.Identity() {
		t.Fatal("same identity after a replace")
	}
	if _, err := o2.ReadAt(p, 0); err != nil || !bytes.Equal(p, new[:100]) {
		t.Fatalf("new version: %v", err)
	}
	r.Delete("a/f.mp4")
	if _, err := o2.ReadAt(p, 4_000); !errors.Is(err, storage.ErrChanged) {
		t.Fatalf("read of a deleted object: %v, want storage.ErrChanged", err)
	}
	if _, err := s.Open("a/f.mp4"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("open of a deleted object: %v", err)
	}
}

func TestRemoteCacheIsBounded(t *testing.T) {
	r := storagetest.NewRemote()
	data := testBytes(100_000, 8)
	r.Put("a/f.mp4", data)
	opt := fastOptions()
	opt.CacheSize = 10_000
	s := storage.NewRemote(r, opt)
	o, _ := s.Open("a/f.mp4")
	p := make([]byte, 30_000) // larger than the cache: still read whole
	for off := int64(0); off+30_000 <= 100_000; off += 7_000 {
		if _, err := o.ReadAt(p, off); err != nil || !bytes.Equal(p, data[off:off+30_000]) {
			t.Fatalf("read at %d: %v", off, err)
		}
		if st := s.Stats(); st.Cached > opt.CacheSize {
			t.Fatalf("cache holds %d bytes, bound %d", st.Cached, opt.CacheSize)
		}
	}
	if s.Stats().Evictions == 0 {
		t.Fatal("no evictions")
	}
}

func TestRemoteList(t *testing.T) {
	r := storagetest.NewRemote()
	r.Put("b/v.mp4", []byte("12345"))
	r.Put("a/v.mp4", []byte("1"))
	r.Put("a/sub/x.mp4", []byte("1"))
	r.Put("a/.hidden", []byte("1"))
	r.Put(".git/x", []byte("1"))
	s := storage.NewRemote(r, fastOptions())
	root, err := s.List("")
	if err != nil || fmt.Sprint(root) != "[{a true 0} {b true 0}]" {
		t.Fatalf("List(\"\") = %v, %v", root, err)
	}
	a, err := s.List("a/")
	if err != nil || fmt.Sprint(a) != "[{sub true 0} {v.mp4 false 1}]" {
		t.Fatalf("List(a/) = %v, %v", a, err)
	}
	if _, err := s.List("c/"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("List(c/): %v", err)
	}
	if _, err := s.List("../"); !errors.Is(err, storage.ErrInvalidName) {
		t.Fatalf("List(../): %v", err)
	}
	if _, err := s.Open("../x"); !errors.Is(err, storage.ErrInvalidName) {
		t.Fatalf("Open(../x): %v", err)
	}
	if _, err := s.Open("a/none.mp4"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Open(a/none.mp4): %v", err)
	}
}

// TestRemoteView: the slices View lends are the object's bytes, split
// where blocks end, and stay intact after the cache drops their blocks.
func TestRemoteView(t *testing.T) {
	r := storagetest.NewRemote()
	data := testBytes(20_000, 9)
	r.Put("a/f.mp4", data)
	opt := fastOptions()
	opt.CacheSize = 3_000
	s := storage.NewRemote(r, opt)
	o, _ := s.Open("a/f.mp4")
	v := o.(storage.Viewer)
	rng := rand.New(rand.NewPCG(3, 3))
	var held [][][]byte
	var want [][]byte
	for range 200 {
		off := rng.Int64N(int64(len(data)))
		n := rng.Int64N(int64(len(data)) - off + 1)
		runs, err := v.View(off, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		for _, run := range runs {
			got = append(got, run...)
		}
		if !bytes.Equal(got, data[off:off+n]) || (n > 0 && len(runs) != int((off+n-1)/1000-off/1000+1)) {
			t.Fatalf("View(%d, %d): %d runs, equal %v", off, n, len(runs), bytes.Equal(got, data[off:off+n]))
		}
		held, want = append(held, runs), append(want, data[off:off+n])
	}
	for i, runs := range held { // the cache (3 blocks) has dropped most of them by now
		var got []byte
		for _, run := range runs {
			got = append(got, run...)
		}
		if !bytes.Equal(got, want[i]) {
			t.Fatalf("view %d changed after its blocks were evicted", i)
		}
	}
	if _, err := v.View(19_000, 2_000, nil); err == nil {
		t.Fatal("a view past the end: no error")
	}
}
