package storagetest_test

import (
	"slices"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// TestReaderCatches: the Reader suite passes Mem and fails a Mem that
// breaks the Store contract, saying what is wrong.
func TestReaderCatches(t *testing.T) {
	put := func(m *storage.Mem) func(string, []byte) {
		return func(name string, b []byte) { m.Put(name, b) }
	}
	t.Run("Mem", func(t *testing.T) {
		m := storage.NewMem()
		storagetest.Reader(t, m, put(m))
	})
	for _, c := range []struct {
		name, want string
		store      func(*storage.Mem) storage.Store
	}{
		{"ListUnsorted", `List("a/") = [{y.ism`, func(m *storage.Mem) storage.Store { return unsortedList{m} }},
		{"NoSizes", `List("") = [{a true 0} {b true 0} {c true 0} {top.txt false 0}]`, func(m *storage.Mem) storage.Store { return noSizes{m} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			storagetest.ExpectFailure(t, func(t *testing.T) {
				m := storage.NewMem()
				storagetest.Reader(t, c.store(m), put(m))
			}, c.want)
		})
	}
}

// unsortedList lists in reverse order.
type unsortedList struct{ *storage.Mem }

func (s unsortedList) List(prefix string) ([]storage.Entry, error) {
	es, err := s.Mem.List(prefix)
	slices.Reverse(es)
	return es, err
}

// noSizes lists objects without their sizes.
type noSizes struct{ *storage.Mem }

func (s noSizes) List(prefix string) ([]storage.Entry, error) {
	es, err := s.Mem.List(prefix)
	for i := range es {
		es[i].Size = 0
	}
	return es, err
}
