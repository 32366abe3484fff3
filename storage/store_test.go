package storage_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// TestStores: Local and Mem (and the remote Store, over a Remote in memory)
// read as a Store should (storagetest.Reader), over the same tree.
func TestStores(t *testing.T) {
	for _, c := range []struct {
		name string
		st   func(t *testing.T) (storage.Store, func(string, []byte))
	}{
		{"local", func(t *testing.T) (storage.Store, func(string, []byte)) {
			root := t.TempDir()
			return storage.NewLocal(root, storage.LocalOptions{}), writeFile(t, root)
		}},
		{"local unmapped", func(t *testing.T) (storage.Store, func(string, []byte)) {
			root := t.TempDir()
			return storage.NewLocal(root, storage.LocalOptions{NoMapping: true}), writeFile(t, root)
		}},
		{"mem", func(t *testing.T) (storage.Store, func(string, []byte)) {
			m := storage.NewMem()
			return m, func(name string, b []byte) {
				if err := m.Put(name, b); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"remote", func(t *testing.T) (storage.Store, func(string, []byte)) {
			r := storagetest.NewRemote()
			return storage.NewRemote(r, fastOptions()), r.Put
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, put := c.st(t)
			storagetest.Reader(t, st, put)
		})
	}
}

// writeFile writes a file under root by its Store name.
func writeFile(t *testing.T, root string) func(string, []byte) {
	return func(name string, b []byte) {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeTree writes storagetest.Tree under root.
func writeTree(t *testing.T, root string) {
	t.Helper()
	put := writeFile(t, root)
	for name, data := range storagetest.Tree {
		put(name, []byte(data))
	}
}
