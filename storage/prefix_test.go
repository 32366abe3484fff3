package storage_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// TestRemoteListPrefix: a remote Store lists a directory's entries by name
// prefix with one prefix listing of a Remote that has them, and from the
// directory's listing of one that has not: the same sorted entries, and
// an empty list (not ErrNotFound) where nothing matches.
func TestRemoteListPrefix(t *testing.T) {
	r := storagetest.NewRemote()
	for _, n := range []string{"a/t.live/0000000119-1.m4s", "a/t.live/0000000120-2.m4s", "a/t.live/0000000121-3.m4s", "a/t.live/init.mp4", "a/t.live/x/y"} {
		r.Put(n, []byte("x"))
	}
	names := func(es []storage.Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Name)
		}
		return out
	}
	for _, c := range []struct {
		name string
		r    storage.Remote
	}{{"prefix listing", r}, {"directory listing", readOnly{r}}} {
		s := storage.NewRemote(c.r, fastOptions())
		l0, p0 := r.Lists.Load(), r.PrefixLists.Load()
		es, err := s.ListPrefix("a/t.live/", "000000012")
		if want := []string{"0000000120-2.m4s", "0000000121-3.m4s"}; err != nil || !slices.Equal(names(es), want) {
			t.Errorf("%s: %v, %v; want %v", c.name, names(es), err, want)
		}
		if l, p := r.Lists.Load()-l0, r.PrefixLists.Load()-p0; c.r == storage.Remote(r) && (l != 0 || p != 1) {
			t.Errorf("%s: %d listings, %d prefix listings; want 0 and 1", c.name, l, p)
		}
		if es, err := s.ListPrefix("a/t.live/", "9"); err != nil || len(es) != 0 {
			t.Errorf("%s: nothing matching: %v, %v", c.name, es, err)
		}
		if es, err := s.ListPrefix("b/", ""); err != nil || len(es) != 0 {
			t.Errorf("%s: a directory that does not exist: %v, %v", c.name, es, err)
		}
		if _, err := s.ListPrefix("a/t.live", "0"); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("%s: a directory without its slash: %v", c.name, err)
		}
	}
}
