package storagetest

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/storage"
)

// RemoteReads checks a Remote's reads (storage.Remote) against a real
// store: Stat gives the size and an ETag without quotes; every range reads
// its bytes with one ranged GET, also a hundred at once; a read pinned to
// a replaced version is ErrChanged, of a deleted one ErrNotFound or
// ErrChanged; what is not there (an object, a prefix, the bucket) is
// ErrNotFound and fs.ErrNotExist; a name that is not valid is
// ErrInvalidName; List gives a directory's objects with their sizes and
// its subdirectories, and nothing outside the Remote's prefix; a 503 is a
// fault that says so, after one request (no SDK retry); a body cut short
// is an error; and no error, of wrong credentials or of no server, is the
// object's fault or shows a secret.
//
// It writes under the keys b.Root+"demo/", b.Root+"other/", b.Root+"top.bin"
// and "elsewhere/b.bin".
func RemoteReads(t *testing.T, b Backend) {
	t.Helper()
	if b.Root == "" || !strings.HasSuffix(b.Root, "/") {
		t.Fatalf("storagetest.RemoteReads: Backend.Root %q: want a key prefix ending in a slash", b.Root)
	}
	r, srv := b.Remote, b.Server
	video := Media(300_000, 1)
	b.Put(b.Root+"demo/video.mp4", video)
	b.Put(b.Root+"demo/audio.mp4", Media(1234, 2))
	b.Put(b.Root+"demo/sub/x.bin", Media(10, 3))
	b.Put(b.Root+"other/a.bin", Media(5, 4))
	b.Put(b.Root+"top.bin", Media(7, 5))
	b.Put("elsewhere/b.bin", Media(7, 6))

	t.Run("Stat", func(t *testing.T) {
		size, version, err := r.Stat(bounded(t), "demo/video.mp4")
		if err != nil {
			t.Fatal(err)
		}
		if size != int64(len(video)) || version == "" || strings.Contains(version, `"`) {
			t.Errorf("Stat = %d, %q; want %d and an ETag without quotes", size, version, len(video))
		}
	})

	t.Run("ReadRange", func(t *testing.T) {
		_, version, err := r.Stat(bounded(t), "demo/video.mp4")
		if err != nil {
			t.Fatal(err)
		}
		srv.ResetCounts()
		for _, c := range []struct{ off, n int64 }{
			{0, 1}, {0, 188}, {1, 1000}, {65_535, 65_537}, {123_457, 3}, {299_999, 1}, {0, 300_000},
		} {
			got, err := ReadRange(t, r, "demo/video.mp4", version, c.off, c.n)
			if err != nil {
				t.Fatalf("ReadRange(%d, %d): %v", c.off, c.n, err)
			}
			if !bytes.Equal(got, video[c.off:c.off+c.n]) {
				t.Errorf("ReadRange(%d, %d): wrong bytes", c.off, c.n)
			}
		}
		// One GET each, counted where the store gets them.
		if n := count(srv, "GET", b.Path(b.Root+"demo/video.mp4")); n != 7 {
			t.Errorf("the store saw %d GETs, want 7", n)
		}
		for _, q := range srv.Requests() {
			if q.Method == "GET" && q.Range == "" {
				t.Errorf("a GET without a Range: %+v", q)
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		// The proxy counts every one of many concurrent reads: what a
		// test of the remote Store's single flight relies on.
		_, version, err := r.Stat(bounded(t), "demo/video.mp4")
		if err != nil {
			t.Fatal(err)
		}
		srv.ResetCounts()
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 100 {
			wg.Go(func() {
				got, err := ReadRange(t, r, "demo/video.mp4", version, 1000, 4096)
				if err == nil && !bytes.Equal(got, video[1000:5096]) {
					err = errors.New("wrong bytes")
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := count(srv, "GET", b.Path(b.Root+"demo/video.mp4")); n != 100 {
			t.Errorf("the store saw %d GETs, want 100", n)
		}
	})

	t.Run("IfMatch", func(t *testing.T) {
		b.Put(b.Root+"demo/seg.bin", Media(5000, 7))
		_, v1, err := r.Stat(bounded(t), "demo/seg.bin")
		if err != nil {
			t.Fatal(err)
		}
		newer := Media(3000, 8) // shorter too: the old range lies past its end
		b.Put(b.Root+"demo/seg.bin", newer)
		for _, off := range []int64{0, 4000} {
			_, err := ReadRange(t, r, "demo/seg.bin", v1, off, 1000)
			if !errors.Is(err, storage.ErrChanged) {
				t.Errorf("ReadRange of the replaced version at %d: %v, want ErrChanged", off, err)
			}
		}
		size, v2, err := r.Stat(bounded(t), "demo/seg.bin")
		if err != nil || size != 3000 || v2 == v1 {
			t.Fatalf("Stat after the replacement: %d, %q (was %q), %v", size, v2, v1, err)
		}
		got, err := ReadRange(t, r, "demo/seg.bin", v2, 100, 200)
		if err != nil || !bytes.Equal(got, newer[100:300]) {
			t.Errorf("ReadRange of the new version: %v", err)
		}
	})

	t.Run("Deleted", func(t *testing.T) {
		b.Put(b.Root+"demo/gone.bin", Media(100, 9))
		_, v, err := r.Stat(bounded(t), "demo/gone.bin")
		if err != nil {
			t.Fatal(err)
		}
		b.Delete(b.Root + "demo/gone.bin")
		if _, err := ReadRange(t, r, "demo/gone.bin", v, 0, 10); !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrChanged) {
			t.Errorf("ReadRange of a deleted object: %v, want ErrNotFound or ErrChanged", err)
		} else {
			t.Logf("ReadRange of a deleted object: %v", err)
		}
		if _, _, err := r.Stat(bounded(t), "demo/gone.bin"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat of a deleted object: %v", err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		if _, _, err := r.Stat(bounded(t), "demo/nope.mp4"); !errors.Is(err, storage.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat of a missing object: %v", err)
		}
		if _, err := r.ReadRange(bounded(t), "demo/nope.mp4", "", 0, 10); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("ReadRange of a missing object without a version: %v", err)
		}
		_, err := r.ReadRange(bounded(t), "demo/nope.mp4", "0x1", 0, 10)
		if !errors.Is(err, storage.ErrNotFound) && !(b.MissingAtVersion412 && errors.Is(err, storage.ErrChanged)) {
			t.Errorf("ReadRange of a missing object at a version: %v", err)
		}
		if _, err := r.List(bounded(t), "nope/"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("List of a missing prefix: %v", err)
		}
		if _, _, err := b.Missing.Stat(bounded(t), "demo/video.mp4"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat in a missing bucket: %v", err)
		}
		if _, err := b.Missing.List(bounded(t), ""); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("List of a missing bucket: %v", err)
		}
	})

	t.Run("InvalidName", func(t *testing.T) {
		for _, name := range []string{"", "/abs", "a/../b", ".hidden", "a//b"} {
			if _, _, err := r.Stat(bounded(t), name); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("Stat(%q): %v, want ErrInvalidName", name, err)
			}
		}
		for _, p := range []string{"demo", "/", "../"} {
			if _, err := r.List(bounded(t), p); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("List(%q): %v, want ErrInvalidName", p, err)
			}
		}
	})

	t.Run("List", func(t *testing.T) {
		root, err := r.List(bounded(t), "")
		if err != nil {
			t.Fatal(err)
		}
		want := []storage.Entry{{Name: "demo", Dir: true}, {Name: "other", Dir: true}, {Name: "top.bin", Size: 7}}
		if !SameEntries(root, want) {
			t.Errorf("List(\"\") = %v, want %v", root, want)
		}
		demo, err := r.List(bounded(t), "demo/")
		if err != nil {
			t.Fatal(err)
		}
		want = []storage.Entry{
			{Name: "audio.mp4", Size: 1234}, {Name: "seg.bin", Size: 3000},
			{Name: "sub", Dir: true}, {Name: "video.mp4", Size: 300_000},
		}
		if !SameEntries(demo, want) {
			t.Errorf("List(\"demo/\") = %v, want %v", demo, want)
		}
		// Without a prefix the bucket's top is the root.
		top, err := b.Top.List(bounded(t), "")
		if err != nil {
			t.Fatal(err)
		}
		rootDir, _, _ := strings.Cut(b.Root, "/")
		if want := []storage.Entry{{Name: "elsewhere", Dir: true}, {Name: rootDir, Dir: true}}; !SameEntries(top, want) {
			t.Errorf("List(\"\") without a prefix = %v, want %v", top, want)
		}
	})

	t.Run("Locate", func(t *testing.T) {
		if got := r.Locate("demo/video.mp4"); got != b.Locate {
			t.Errorf("Locate = %q, want %q", got, b.Locate)
		}
	})

	t.Run("Faults", func(t *testing.T) {
		_, version, err := r.Stat(bounded(t), "demo/video.mp4")
		if err != nil {
			t.Fatal(err)
		}
		srv.ResetCounts()
		srv.SetFail(503)
		t0 := time.Now()
		_, err = r.ReadRange(bounded(t), "demo/video.mp4", version, 0, 100)
		srv.SetFail(0)
		if err == nil || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrChanged) {
			t.Fatalf("ReadRange under %s: %v, want a fault", b.Busy, err)
		}
		if !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), b.Busy) {
			t.Errorf("error %q does not say 503 %s", err, b.Busy)
		}
		d := time.Since(t0)
		t.Logf("a refused attempt returned after %v", d)
		if d > 2*time.Second {
			t.Errorf("a refused attempt took %v: the SDK retried?", d)
		}
		if n := count(srv, "GET", b.Path(b.Root+"demo/video.mp4")); n != 1 {
			t.Errorf("the store saw %d GETs under %s, want 1: no SDK retry", n, b.Busy)
		}

		srv.SetShortBody(true)
		_, err = ReadRange(t, r, "demo/video.mp4", version, 0, 10_000)
		srv.SetShortBody(false)
		if err == nil {
			t.Error("a body cut short read without an error")
		}
	})

	t.Run("Secrets", func(t *testing.T) {
		if len(b.Refused) == 0 {
			t.Fatal("storagetest.RemoteReads: no Backend.Refused to check")
		}
		var errs []error
		for _, bad := range b.Refused {
			_, _, err1 := bad.Stat(bounded(t), "demo/video.mp4")
			_, err2 := bad.ReadRange(bounded(t), "demo/video.mp4", "0x1", 0, 10)
			_, err3 := bad.List(bounded(t), "demo/")
			errs = append(errs, err1, err2, err3)
		}
		for i, err := range errs {
			if err == nil {
				t.Errorf("call %d with wrong credentials or no server succeeded", i+1)
				continue
			}
			t.Logf("call %d: %v", i+1, err)
			if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrChanged) {
				t.Errorf("call %d: %v classified as the object's fault", i+1, err)
			}
			checkSecrets(t, err, b.Secrets)
		}
	})
}

// checkSecrets fails if err shows one of secrets.
func checkSecrets(t *testing.T, err error, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("the error shows a secret: %v", err)
		}
	}
}
