package storage_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
)

// TestMem: Put replaces (with a new Identity, the old Object reading the
// old bytes), Delete removes, a name can be an object and a directory, an
// empty store lists nothing at its root, and bad names are refused.
func TestMem(t *testing.T) {
	m := storage.NewMem()
	if got, err := m.List(""); err != nil || len(got) != 0 {
		t.Errorf("empty store: List = %v, %v", got, err)
	}
	if err := m.Put("a/f", []byte("one")); err != nil {
		t.Fatal(err)
	}
	o1, err := m.Open("a/f")
	if err != nil {
		t.Fatal(err)
	}
	if string(storage.MappingOf(o1)) != "one" {
		t.Errorf("mapping %q", storage.MappingOf(o1))
	}
	if err := m.Put("a/f", []byte("two!")); err != nil {
		t.Fatal(err)
	}
	o2, err := m.Open("a/f")
	if err != nil {
		t.Fatal(err)
	}
	if o1.Identity() == o2.Identity() || o1.Size() != 3 || o2.Size() != 4 {
		t.Errorf("replaced: identities %s, %s; sizes %d, %d", o1.Identity(), o2.Identity(), o1.Size(), o2.Size())
	}
	p := make([]byte, 3)
	if _, err := o1.ReadAt(p, 0); err != nil || string(p) != "one" {
		t.Errorf("the replaced object reads %q, %v", p, err)
	}
	if err := m.Put("a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	want := []storage.Entry{{Name: "a", Size: 1}, {Name: "a", Dir: true}}
	if got, err := m.List(""); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("List = %v, %v; want %v", got, err, want)
	}
	m.Delete("a/f")
	if _, err := m.Open("a/f"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("deleted: %v", err)
	}
	if _, err := m.List("a/"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("directory of a deleted object: %v", err)
	}
	for _, name := range []string{"", "/a", "a/", "../a", ".a", "a\\b"} {
		if err := m.Put(name, nil); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("Put(%q): %v", name, err)
		}
	}
	if _, err := o1.ReadAt(p, -1); err == nil {
		t.Error("negative offset: no error")
	}
}
