package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

func readAll(t *testing.T, s storage.Store, name string) []byte {
	t.Helper()
	b, _ := storagetest.OpenAll(t, s, name)
	return b
}

// TestRemoteWriter: a remote Store over a RemoteWriter is a Writer. A put
// object reads back; an object rewritten under an open Object reads its
// new bytes at the next Open (the block cache holds the old version's
// blocks under another key), while the open Object says ErrChanged
// rather than mixing versions; a removed object is not found, and
// removing it again is no error; a fault is retried.
func TestRemoteWriter(t *testing.T) {
	r := storagetest.NewRemote()
	s := storage.NewRemote(r, fastOptions())
	if storage.WriterOf(s) == nil || !s.CanWrite() {
		t.Fatal("a remote Store over a RemoteWriter is not a Writer")
	}
	small := []byte(`{"start":"2026-01-01T00:00:00Z"}`)
	if err := s.Put("ev/live.json", small); err != nil {
		t.Fatal(err)
	}
	old, err := s.Open("ev/live.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, "ev/live.json"); !bytes.Equal(got, small) {
		t.Fatalf("read back %q, want %q", got, small)
	}
	// Rewritten: same size, other bytes (the cache must not answer the old ones).
	other := bytes.Replace(small, []byte("2026"), []byte("2027"), 1)
	if err := s.Put("ev/live.json", other); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, "ev/live.json"); !bytes.Equal(got, other) {
		t.Fatalf("after a rewrite: read %q, want %q", got, other)
	}
	if _, err := old.ReadAt(make([]byte, 4), 0); err != nil {
		// Its block was cached before the rewrite: it reads the old version, whole.
		t.Fatalf("the Object opened before the rewrite: %v", err)
	}
	// Fragments: many objects of a growing track, listed as they come.
	for i := range 5 {
		if err := s.Put(fmt.Sprintf("ev/v.live/%010d.m4s", i), testBytes(3000+i, uint64(i))); err != nil {
			t.Fatal(err)
		}
		if es, err := s.List("ev/v.live/"); err != nil || len(es) != i+1 {
			t.Fatalf("after %d puts the track lists %d entries, %v", i+1, len(es), err)
		}
	}
	if err := s.Remove("ev/v.live/0000000000.m4s"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open("ev/v.live/0000000000.m4s"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("open a removed object: %v, want ErrNotFound", err)
	}
	if err := s.Remove("ev/v.live/0000000000.m4s"); err != nil {
		t.Fatalf("remove an object already gone: %v", err)
	}
	r.Fail.Store(2)
	if err := s.Put("ev/v.live/0000000009.m4s", small); err != nil {
		t.Fatalf("put after two faults (3 attempts): %v", err)
	}
	r.Down.Store(true)
	err = s.Remove("ev/v.live/0000000009.m4s")
	r.Down.Store(false)
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("remove with the store down: %v, want ErrUnavailable", err)
	}
	if err := s.Put("../x", small); !errors.Is(err, storage.ErrInvalidName) {
		t.Fatalf("put ../x: %v, want ErrInvalidName", err)
	}
}

// readOnly hides the RemoteWriter of a Remote.
type readOnly struct{ storage.Remote }

func TestRemoteReadOnly(t *testing.T) {
	s := storage.NewRemote(readOnly{storagetest.NewRemote()}, fastOptions())
	if storage.WriterOf(s) != nil || s.CanWrite() {
		t.Fatal("a remote Store over a Remote that cannot write is a Writer")
	}
	if err := s.Put("a/b", nil); !errors.Is(err, storage.ErrReadOnly) {
		t.Fatalf("put: %v, want ErrReadOnly", err)
	}
	if storage.WriterOf(storage.NewMem()) == nil {
		t.Fatal("Mem is not a Writer")
	}
}

// TestRemoteKeysBounded: a live track's fragments are opened once each and
// then leave; the store's memory of object versions must not grow with
// them for as long as it runs, only with what its cache holds.
func TestRemoteKeysBounded(t *testing.T) {
	r := storagetest.NewRemote()
	opt := fastOptions()
	opt.CacheSize = 4000 // 1000 of these 4-byte objects
	s := storage.NewRemote(r, opt)
	for i := range 30_000 {
		name := fmt.Sprintf("ev/v.live/%010d.m4s", i)
		r.Put(name, []byte{byte(i), 1, 2, 3})
		o, err := s.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 4)
		if _, err := o.ReadAt(b, 0); err != nil || b[0] != byte(i) {
			t.Fatalf("fragment %d: %v %v", i, b, err)
		}
		r.Delete(name)
	}
	if n := storage.IDCount(s); n > 2*4096+1 {
		t.Fatalf("the store keeps %d object keys after 30,000 objects came and went", n)
	}
}
