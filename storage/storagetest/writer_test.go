package storagetest_test

import (
	"slices"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// TestWriterPasses: the suite passes the stores it was written for.
func TestWriterPasses(t *testing.T) {
	storagetest.Writer(t, storage.NewMem())
	t.Run("remote", func(t *testing.T) {
		storagetest.Writer(t, storage.NewRemote(storagetest.NewRemote(), storage.RemoteOptions{}))
	})
}

// TestWriterCatches: the suite fails a store that breaks each part of the
// Writer contract, saying what is wrong.
func TestWriterCatches(t *testing.T) {
	for _, c := range []struct {
		name, want string
		store      storage.Store
	}{
		{"PutKeepsOld", "put 2 reads back", keepsOld{storage.NewMem()}},
		{"SameIdentity", "keeps its Identity", sameIdentity{storage.NewMem()}},
		{"RemoveDoesNothing", "open after Remove", removeNothing{storage.NewMem()}},
		{"RemoveGoneFails", "removing it again", removeGoneFails{storage.NewMem()}},
		{"NoNameCheck", "want ErrInvalidName", noNameCheck{storage.NewMem()}},
		{"ListPrefixUnsorted", "want the four fragments, sorted", unsorted{storage.NewRemote(storagetest.NewRemote(), storage.RemoteOptions{})}},
		{"NotAWriter", "is not a Writer", readOnly{storage.NewMem()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			storagetest.ExpectFailure(t, func(t *testing.T) { storagetest.Writer(t, c.store) }, c.want)
		})
	}
}

// The broken stores: a Mem (or a remote Store) with one thing wrong.

type readOnly struct{ storage.Store }

type keepsOld struct{ *storage.Mem }

func (s keepsOld) Put(name string, b []byte) error {
	if o, err := s.Mem.Open(name); err == nil {
		o.Close()
		return nil // "replaced"
	}
	return s.Mem.Put(name, b)
}

// sameIdentity's objects all say the same Identity.
type sameIdentity struct{ *storage.Mem }

type fixedIdentity struct{ storage.Object }

func (fixedIdentity) Identity() string { return "v1" }

func (s sameIdentity) Open(name string) (storage.Object, error) {
	o, err := s.Mem.Open(name)
	if err != nil {
		return nil, err
	}
	return fixedIdentity{o}, nil
}

type removeNothing struct{ *storage.Mem }

func (removeNothing) Remove(string) error { return nil }

type removeGoneFails struct{ *storage.Mem }

func (s removeGoneFails) Remove(name string) error {
	if _, err := s.Mem.Open(name); err != nil {
		return err
	}
	return s.Mem.Remove(name)
}

type noNameCheck struct{ *storage.Mem }

func (s noNameCheck) Put(name string, b []byte) error {
	if !storage.ValidName(name) {
		return nil
	}
	return s.Mem.Put(name, b)
}

// unsorted lists by prefix in reverse order.
type unsorted struct{ *storage.RemoteStore }

func (s unsorted) ListPrefix(dir, start string) ([]storage.Entry, error) {
	es, err := s.RemoteStore.ListPrefix(dir, start)
	slices.Reverse(es)
	return es, err
}
