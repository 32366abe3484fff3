package storagetest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
)

// RemoteWrites checks a Remote's writes (storage.RemoteWriter and
// storage.RemotePrefixLister) against a real store: an overwrite changes
// the object's version (a reader pinned to the old one gets ErrChanged);
// a put object reads back and lists, with one PUT; a removed object is
// gone, and removing it again, or one that never was, is no error; faults
// and a missing bucket are errors that say where, after one request,
// without a secret; ListPrefix asks one listing for the names that start
// with a string; and a remote Store over the Remote passes Writer.
//
// It writes under the assets "event", "listing" and those of Writer:
// names valid as Azure container names, so that it runs with a container
// per asset too.
func RemoteWrites(t *testing.T, b Backend) {
	t.Helper()
	r, srv := b.Remote, b.Server
	w, ok := r.(storage.RemoteWriter)
	if !ok {
		t.Fatalf("the Remote %s is not a storage.RemoteWriter", r.Locate(""))
	}
	pl, ok := r.(storage.RemotePrefixLister)
	if !ok {
		t.Fatalf("the Remote %s is not a storage.RemotePrefixLister", r.Locate(""))
	}
	frag := Media(70_000, 9)

	// First, as an asset's first write: with a container per asset it
	// creates the container.
	t.Run("Overwrite", func(t *testing.T) {
		if err := w.PutObject(bounded(t), "event/live.json", []byte(`{"start":"0001-01-01T00:00:00Z"}`)); err != nil {
			t.Fatal(err)
		}
		_, v1, err := r.Stat(bounded(t), "event/live.json")
		if err != nil {
			t.Fatal(err)
		}
		next := []byte(`{"start":"2026-12-07T12:00:00Z"}`)
		if err := w.PutObject(bounded(t), "event/live.json", next); err != nil {
			t.Fatal(err)
		}
		_, v2, err := r.Stat(bounded(t), "event/live.json")
		if err != nil || v2 == v1 {
			t.Fatalf("after an overwrite the version is %q (was %q), %v", v2, v1, err)
		}
		if _, err := ReadRange(t, r, "event/live.json", v1, 0, 4); !errors.Is(err, storage.ErrChanged) {
			t.Errorf("a read pinned to the old version: %v, want ErrChanged", err)
		}
		if got, err := ReadRange(t, r, "event/live.json", v2, 0, int64(len(next))); err != nil || !bytes.Equal(got, next) {
			t.Errorf("the new version reads %q, %v", got, err)
		}
	})

	const name = "event/v.live/0000000000-00000000000000000000.m4s"
	t.Run("PutReadList", func(t *testing.T) {
		srv.ResetCounts()
		if err := w.PutObject(bounded(t), name, frag); err != nil {
			t.Fatal(err)
		}
		if n := count(srv, "PUT", b.Path(b.Root+name)); n != 1 {
			t.Errorf("the store saw %d PUTs, want 1", n)
		}
		size, version, err := r.Stat(bounded(t), name)
		if err != nil || size != int64(len(frag)) {
			t.Fatalf("Stat after PutObject: %d, %v", size, err)
		}
		got, err := ReadRange(t, r, name, version, 0, size)
		if err != nil || !bytes.Equal(got, frag) {
			t.Fatalf("read back: %v (equal %v)", err, bytes.Equal(got, frag))
		}
		es, err := r.List(bounded(t), "event/v.live/")
		if err != nil || len(es) != 1 || es[0].Size != int64(len(frag)) {
			t.Fatalf("List: %+v, %v", es, err)
		}
	})

	t.Run("Remove", func(t *testing.T) {
		if err := w.RemoveObject(bounded(t), name); err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.Stat(bounded(t), name); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Stat of a removed object: %v, want ErrNotFound", err)
		}
		if err := w.RemoveObject(bounded(t), name); err != nil {
			t.Errorf("removing it again: %v", err)
		}
		if err := w.RemoveObject(bounded(t), "event/never-was.m4s"); err != nil {
			t.Errorf("removing an object that never was: %v", err)
		}
		if err := w.PutObject(bounded(t), "../x", frag); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("PutObject(../x): %v, want ErrInvalidName", err)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		mw, ok := b.Missing.(storage.RemoteWriter)
		if !ok {
			t.Fatal("Backend.Missing is not a storage.RemoteWriter")
		}
		err := mw.PutObject(bounded(t), "event/live.json", frag)
		if where := b.Missing.Locate("event/live.json"); !errors.Is(err, storage.ErrNotFound) || !strings.Contains(err.Error(), where) || !strings.Contains(err.Error(), b.MissingCode) {
			t.Errorf("put into a missing bucket: %v, want ErrNotFound naming %s and %s", err, where, b.MissingCode)
		}
		if err := mw.RemoveObject(bounded(t), "event/live.json"); err == nil {
			t.Error("remove from a missing bucket: no error")
		}
		srv.ResetCounts()
		srv.SetFail(503)
		err = w.PutObject(bounded(t), "event/x.m4s", frag)
		err2 := w.RemoveObject(bounded(t), "event/x.m4s")
		srv.SetFail(0)
		for _, err := range []error{err, err2} {
			if err == nil || !strings.Contains(err.Error(), "503 "+b.Busy) || errors.Is(err, storage.ErrNotFound) {
				t.Errorf("under %s: %v, want a fault saying 503 %s", b.Busy, err, b.Busy)
			}
		}
		if n := count(srv, "PUT", b.Path(b.Root+"event/x.m4s")); n != 1 {
			t.Errorf("the store saw %d PUTs under %s, want 1: no SDK retry", n, b.Busy)
		}
		if len(b.Refused) == 0 {
			t.Fatal("storagetest.RemoteWrites: no Backend.Refused to check")
		}
		for _, bad := range b.Refused {
			bw, ok := bad.(storage.RemoteWriter)
			if !ok {
				t.Fatalf("Backend.Refused %s is not a storage.RemoteWriter", bad.Locate(""))
			}
			for _, err := range []error{bw.PutObject(bounded(t), "event/y.m4s", frag), bw.RemoveObject(bounded(t), "event/y.m4s")} {
				if err == nil {
					t.Errorf("a write to %s with wrong credentials or no server succeeded", bad.Locate(""))
					continue
				}
				t.Logf("refused write: %v", err)
				checkSecrets(t, err, b.Secrets)
			}
		}
	})

	t.Run("ListPrefix", func(t *testing.T) {
		for _, n := range []string{"0000000119-1.m4s", "0000000120-2.m4s", "0000000121-3.m4s", "0000000130-4.m4s", "init.mp4"} {
			if err := w.PutObject(bounded(t), "listing/v.live/"+n, frag[:10]); err != nil {
				t.Fatal(err)
			}
		}
		srv.ResetCounts()
		es, err := pl.ListPrefix(bounded(t), "listing/v.live/", "000000012")
		if err != nil || len(es) != 2 || es[0].Name != "0000000120-2.m4s" && es[1].Name != "0000000120-2.m4s" || es[0].Size != 10 {
			t.Fatalf("ListPrefix(000000012): %+v, %v; want the two fragments 120 and 121", es, err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("ListPrefix made %d requests, want one listing", n)
		}
		if es, err := pl.ListPrefix(bounded(t), "listing/v.live/", "000000099"); err != nil || len(es) != 0 {
			t.Errorf("ListPrefix of nothing: %+v, %v; want an empty list", es, err)
		}
		if es, err := pl.ListPrefix(bounded(t), "nothing/", "0"); err != nil || len(es) != 0 {
			t.Errorf("ListPrefix in a directory that does not exist: %+v, %v; want an empty list", es, err)
		}
		if _, err := pl.ListPrefix(bounded(t), "listing/v.live/", "a/b"); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("ListPrefix with a slash in start: %v", err)
		}
	})

	t.Run("Store", func(t *testing.T) {
		Writer(t, storage.NewRemote(r, storage.RemoteOptions{}))
	})
}
