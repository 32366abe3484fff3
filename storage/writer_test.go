package storage_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
)

func TestLocalPutRemove(t *testing.T) {
	root := t.TempDir()
	l := storage.NewLocal(root, storage.LocalOptions{})
	if err := l.Put("a/b.live/0001.m4s", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := l.Put("a/b.live/0001.m4s", []byte("second")); err != nil {
		t.Fatal(err)
	}
	o, err := l.Open("a/b.live/0001.m4s")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(io.NewSectionReader(o, 0, o.Size()))
	o.Close()
	if string(b) != "second" {
		t.Fatalf("read %q, want second", b)
	}
	// No temporary file is left beside it.
	des, _ := os.ReadDir(filepath.Join(root, "a/b.live"))
	if len(des) != 1 {
		t.Fatalf("%d entries in the directory, want 1", len(des))
	}
	if err := l.Remove("a/b.live/0001.m4s"); err != nil {
		t.Fatal(err)
	}
	if err := l.Remove("a/b.live/0001.m4s"); err != nil {
		t.Fatalf("second remove: %v", err)
	}
	if _, err := l.Open("a/b.live/0001.m4s"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("open after remove: %v", err)
	}
	if err := l.Put("../x", nil); !errors.Is(err, storage.ErrInvalidName) {
		t.Fatalf("put ../x: %v", err)
	}
}
