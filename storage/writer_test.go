package storage_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// TestWriters runs the Writer conformance suite on every store that writes
// from memory or a local disk; the object stores run it in their packages.
func TestWriters(t *testing.T) {
	for _, c := range []struct {
		name string
		st   func(t *testing.T) storage.Store
	}{
		{"local", func(t *testing.T) storage.Store { return storage.NewLocal(t.TempDir(), storage.LocalOptions{}) }},
		{"local unmapped", func(t *testing.T) storage.Store {
			return storage.NewLocal(t.TempDir(), storage.LocalOptions{NoMapping: true})
		}},
		{"mem", func(*testing.T) storage.Store { return storage.NewMem() }},
		{"remote", func(*testing.T) storage.Store { return storage.NewRemote(storagetest.NewRemote(), fastOptions()) }},
	} {
		t.Run(c.name, func(t *testing.T) { storagetest.Writer(t, c.st(t)) })
	}
}

// TestLocalPutLeavesNoTemporary: Local's Put writes a temporary file
// beside the object and renames it into place; none is left behind.
func TestLocalPutLeavesNoTemporary(t *testing.T) {
	root := t.TempDir()
	l := storage.NewLocal(root, storage.LocalOptions{})
	for _, b := range []string{"first", "second"} {
		if err := l.Put("a/b.live/0001.m4s", []byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	des, err := os.ReadDir(filepath.Join(root, "a/b.live"))
	if err != nil || len(des) != 1 {
		t.Fatalf("%d entries in the directory, want 1 (%v)", len(des), err)
	}
}
