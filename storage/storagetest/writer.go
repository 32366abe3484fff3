package storagetest

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
)

// Writer checks that st is a storage.Writer as the live archive needs one
// (storage.WriterOf finds it), whatever holds its objects: a put object
// opens with its bytes and lists with its size; an overwrite opens with
// the new bytes and a new Identity; a removed object is not found, and
// removing it again, or one that never was, is no error; a name that is
// not valid is ErrInvalidName for Put and Remove. When st is a
// storage.PrefixLister, its ListPrefix lists a directory's entries by
// name prefix, sorted, and nothing (not ErrNotFound) where none match or
// the directory does not exist.
//
// Every backend runs it: Local and Mem in package storage, the remote
// Store over S3 (MinIO) and Azure Blob (Azurite) in their packages. The
// names it writes are under the assets "wstore" and "wlist", valid as
// Azure container names too.
func Writer(t *testing.T, st storage.Store) {
	t.Helper()
	w := storage.WriterOf(st)
	if w == nil {
		t.Fatalf("the store %s is not a Writer", st.Locate(""))
	}

	t.Run("PutOverwrite", func(t *testing.T) {
		const name = "wstore/track.json"
		var ids []string
		for i, b := range [][]byte{[]byte("first version"), []byte("second version!")} {
			if err := w.Put(name, bytes.Clone(b)); err != nil {
				t.Fatalf("put %d: %v", i+1, err)
			}
			got, id := OpenAll(t, st, name)
			if !bytes.Equal(got, b) {
				t.Fatalf("put %d reads back %q, want %q", i+1, got, b)
			}
			ids = append(ids, id)
			es, err := st.List("wstore/")
			if err != nil || !slices.Contains(es, storage.Entry{Name: "track.json", Size: int64(len(b))}) {
				t.Fatalf("after put %d, List(wstore/) = %+v, %v; want track.json of %d bytes", i+1, es, err, len(b))
			}
		}
		if ids[0] == ids[1] {
			t.Errorf("an overwritten object keeps its Identity %q", ids[0])
		}
	})

	t.Run("Remove", func(t *testing.T) {
		const name = "wstore/0000000000-0.m4s"
		if err := w.Put(name, []byte("fragment")); err != nil {
			t.Fatal(err)
		}
		if err := w.Remove(name); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Open(name); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("open after Remove: %v, want ErrNotFound", err)
		}
		if err := w.Remove(name); err != nil {
			t.Errorf("removing it again: %v", err)
		}
		if err := w.Remove("wstore/never-was.m4s"); err != nil {
			t.Errorf("removing an object that never was: %v", err)
		}
	})

	t.Run("InvalidName", func(t *testing.T) {
		for _, name := range []string{"../x", "", "/abs", "wstore/.hidden", "wstore/"} {
			if err := w.Put(name, []byte("x")); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("Put(%q): %v, want ErrInvalidName", name, err)
			}
			if err := w.Remove(name); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("Remove(%q): %v, want ErrInvalidName", name, err)
			}
		}
	})

	pl, ok := st.(storage.PrefixLister)
	if !ok {
		return
	}
	t.Run("ListPrefix", func(t *testing.T) {
		for _, n := range []string{"0000000119-1.m4s", "0000000120-2.m4s", "0000000121-3.m4s", "0000000130-4.m4s", "init.mp4"} {
			if err := w.Put("wlist/v.live/"+n, []byte("0123456789")); err != nil {
				t.Fatal(err)
			}
		}
		es, err := pl.ListPrefix("wlist/v.live/", "00000001")
		want := []storage.Entry{{Name: "0000000119-1.m4s", Size: 10}, {Name: "0000000120-2.m4s", Size: 10},
			{Name: "0000000121-3.m4s", Size: 10}, {Name: "0000000130-4.m4s", Size: 10}}
		if err != nil || !slices.Equal(es, want) {
			t.Errorf("ListPrefix(00000001) = %+v, %v; want the four fragments, sorted: %+v", es, err, want)
		}
		if es, err := pl.ListPrefix("wlist/v.live/", "000000012"); err != nil || !slices.Equal(es, want[1:3]) {
			t.Errorf("ListPrefix(000000012) = %+v, %v; want the fragments 120 and 121", es, err)
		}
		if es, err := pl.ListPrefix("wlist/v.live/", "000000099"); err != nil || len(es) != 0 {
			t.Errorf("ListPrefix of nothing: %+v, %v; want an empty list", es, err)
		}
		if es, err := pl.ListPrefix("nothing/", "0"); err != nil || len(es) != 0 {
			t.Errorf("ListPrefix in a directory that does not exist: %+v, %v; want an empty list", es, err)
		}
		if _, err := pl.ListPrefix("wlist/v.live/", "a/b"); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("ListPrefix with a slash in start: %v, want ErrInvalidName", err)
		}
		if _, err := pl.ListPrefix("wlist/v.live", "0"); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("ListPrefix of a directory without its slash: %v, want ErrInvalidName", err)
		}
	})
}

// OpenAll opens name in st and returns its bytes and Identity.
func OpenAll(t *testing.T, st storage.Store, name string) ([]byte, string) {
	t.Helper()
	o, err := st.Open(name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer o.Close()
	b := make([]byte, o.Size())
	if n, err := o.ReadAt(b, 0); n != len(b) || err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("read %s: %d of %d bytes, %v", name, n, len(b), err)
	}
	return b, o.Identity()
}
