package storagetest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
)

// Tree is the content Reader checks a store with: objects two and three
// directories deep, an empty one, names with and without extensions.
var Tree = map[string]string{
	"a/x.mp4":   "0123456789",
	"a/y.ism":   "<smil/>",
	"a/sub/z":   "z",
	"b/w":       "",
	"top.txt":   "top",
	"c/d/e/f":   "deep",
	"c/d/e/g.x": "g",
}

// Reader checks that st reads as a storage.Store, whatever holds its
// objects: after put has stored Tree in it (behind its back, as the
// objects of a library arrive), List gives each directory's entries
// sorted, with the objects' sizes, and ErrNotFound (and fs.ErrNotExist)
// for what is no directory; Open, ReadAt, Size and Identity read every
// object (its mapping too, where it has one), io.EOF past the end;
// Open of what is no object is ErrNotFound, of a name that is not valid
// ErrInvalidName (and fs.ErrInvalid, for List); Locate ends with the
// name's last element.
//
// Every backend runs it: Local and Mem in package storage, the remote
// Store over S3 (MinIO) and Azure Blob (Azurite) in their packages; st
// must hold nothing else.
func Reader(t *testing.T, st storage.Store, put func(name string, data []byte)) {
	t.Helper()
	for name, data := range Tree {
		put(name, []byte(data))
	}
	lists := map[string][]storage.Entry{
		"":       {{Name: "a", Dir: true}, {Name: "b", Dir: true}, {Name: "c", Dir: true}, {Name: "top.txt", Size: 3}},
		"a/":     {{Name: "sub", Dir: true}, {Name: "x.mp4", Size: 10}, {Name: "y.ism", Size: 7}},
		"a/sub/": {{Name: "z", Size: 1}},
		"b/":     {{Name: "w"}},
		"c/d/":   {{Name: "e", Dir: true}},
		"c/d/e/": {{Name: "f", Size: 4}, {Name: "g.x", Size: 1}},
	}
	for prefix, want := range lists {
		got, err := st.List(prefix)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("List(%q) = %v, %v; want %v", prefix, got, err, want)
		}
	}
	for _, prefix := range []string{"nosuch/", "a/nosuch/", "top.txt/", "a/x.mp4/"} {
		if got, err := st.List(prefix); !errors.Is(err, storage.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("List(%q) = %v, %v; want ErrNotFound", prefix, got, err)
		}
	}
	for _, prefix := range []string{"a", "/", "../", "a/../", ".a/", "a\\b/"} {
		if _, err := st.List(prefix); !errors.Is(err, storage.ErrInvalidName) || !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("List(%q): %v, want ErrInvalidName", prefix, err)
		}
	}
	for name, data := range Tree {
		o, err := st.Open(name)
		if err != nil {
			t.Errorf("Open(%q): %v", name, err)
			continue
		}
		if o.Size() != int64(len(data)) {
			t.Errorf("%s: Size %d, want %d", name, o.Size(), len(data))
		}
		p := make([]byte, len(data))
		if n, err := o.ReadAt(p, 0); n != len(p) || (err != nil && err != io.EOF) || string(p) != data {
			t.Errorf("%s: ReadAt = %d, %v, %q", name, n, err, p)
		}
		if m := storage.MappingOf(o); m != nil && !bytes.Equal(m, []byte(data)) {
			t.Errorf("%s: mapping %q", name, m)
		}
		if o.Identity() == "" {
			t.Errorf("%s: no Identity", name)
		}
		if err := o.Close(); err != nil {
			t.Errorf("%s: Close: %v", name, err)
		}
	}
	o, err := st.Open("a/x.mp4")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	p := make([]byte, 4)
	if n, err := o.ReadAt(p, 8); n != 2 || err != io.EOF || string(p[:2]) != "89" {
		t.Errorf("ReadAt across the end: %d, %v, %q", n, err, p[:n])
	}
	if n, err := o.ReadAt(p, 10); n != 0 || err != io.EOF {
		t.Errorf("ReadAt at the end: %d, %v", n, err)
	}
	for _, name := range []string{"nosuch", "a/nosuch.mp4", "a", "a/sub", "top.txt/x"} {
		if _, err := st.Open(name); !errors.Is(err, storage.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q): %v, want ErrNotFound", name, err)
		}
	}
	for _, name := range []string{"", "/a/x.mp4", "a/../a/x.mp4", "../x", "a/.x", "a\\x.mp4", "a/x\x00", "a/"} {
		if _, err := st.Open(name); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("Open(%q): %v, want ErrInvalidName", name, err)
		}
	}
	if got := filepath.Base(st.Locate("a/x.mp4")); got != "x.mp4" {
		t.Errorf("Locate base name %q", got)
	}
}
