package azblob_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/azblob"
)

// TestWrite runs the Remote's writes (storage.RemoteWriter) against
// Azurite, in both layouts: a put blob reads back and lists, with one Put
// Blob; an overwrite changes its version (a reader pinned to the old one
// gets ErrChanged); a removed blob is gone, and removing it again, or one
// that never was, is no error; with a container per asset the first put
// of a new asset creates its container; faults and a missing container
// are errors that say where, without a secret; and a remote Store over it
// is a storage.Writer.
func TestWrite(t *testing.T) {
	srv := testservers.Azurite(t)
	srv.CreateContainer("media")
	inCtr := newRemote(t, srv, "media", "root")
	perAsset := newRemote(t, srv, "", "")
	frag := media(70_000, 9)

	for _, c := range []struct {
		layout string
		r      *azblob.Remote
		name   string
		path   string // the blob's request path at the proxy
	}{
		{"container", inCtr, "ev/v.live/0000000000-00000000000000000000.m4s", "/devstoreaccount1/media/root/ev/v.live/0000000000-00000000000000000000.m4s"},
		{"per-asset", perAsset, "live-ev/v.live/0000000000-00000000000000000000.m4s", "/devstoreaccount1/live-ev/v.live/0000000000-00000000000000000000.m4s"},
	} {
		t.Run(c.layout, func(t *testing.T) {
			r, name := c.r, c.name
			srv.ResetCounts()
			if err := r.PutObject(ctx(t), name, frag); err != nil {
				t.Fatal(err)
			}
			if n := srv.Count("PUT", c.path); c.layout == "container" && n != 1 {
				t.Errorf("the store saw %d PUTs of the blob, want 1", n)
			}
			size, v1, err := r.Stat(ctx(t), name)
			if err != nil || size != int64(len(frag)) {
				t.Fatalf("Stat after PutObject: %d, %v", size, err)
			}
			got, err := readRange(t, r, name, v1, 0, size)
			if err != nil || !bytes.Equal(got, frag) {
				t.Fatalf("read back: %v (equal %v)", err, bytes.Equal(got, frag))
			}
			dir := name[:strings.LastIndex(name, "/")+1]
			if es, err := r.List(ctx(t), dir); err != nil || len(es) != 1 || es[0].Size != int64(len(frag)) {
				t.Fatalf("List(%s): %+v, %v", dir, es, err)
			}
			// Overwritten: a new version, the old one unreadable.
			other := media(70_000, 10)
			if err := r.PutObject(ctx(t), name, other); err != nil {
				t.Fatal(err)
			}
			_, v2, err := r.Stat(ctx(t), name)
			if err != nil || v2 == v1 {
				t.Fatalf("after an overwrite the version is %q (was %q), %v", v2, v1, err)
			}
			if _, err := readRange(t, r, name, v1, 0, 4); !errors.Is(err, storage.ErrChanged) {
				t.Errorf("a read pinned to the old version: %v, want ErrChanged", err)
			}
			if got, err := readRange(t, r, name, v2, 0, 1000); err != nil || !bytes.Equal(got, other[:1000]) {
				t.Errorf("the new version: %v", err)
			}
			if err := r.RemoveObject(ctx(t), name); err != nil {
				t.Fatal(err)
			}
			if _, _, err := r.Stat(ctx(t), name); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("Stat of a removed blob: %v, want ErrNotFound", err)
			}
			if err := r.RemoveObject(ctx(t), name); err != nil {
				t.Errorf("removing it again: %v", err)
			}
		})
	}

	t.Run("Missing", func(t *testing.T) {
		if err := perAsset.RemoveObject(ctx(t), "no-such-asset/x.m4s"); err != nil {
			t.Errorf("removing from an asset (container) that is gone: %v", err)
		}
		if err := perAsset.PutObject(ctx(t), "Not_A_Container/x.m4s", frag); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("put into an asset that cannot be a container: %v, want ErrInvalidName", err)
		}
		nc := newRemote(t, srv, "no-such-container", "")
		err := nc.PutObject(ctx(t), "ev/live.json", frag)
		if !errors.Is(err, storage.ErrNotFound) || !strings.Contains(err.Error(), "azblob://devstoreaccount1/no-such-container/ev/live.json") {
			t.Errorf("put into a missing container: %v, want ErrNotFound naming the container and blob", err)
		}
		if err := nc.RemoveObject(ctx(t), "ev/live.json"); err == nil {
			t.Error("remove from a missing configured container: no error")
		}
	})

	t.Run("Errors", func(t *testing.T) {
		srv.ResetCounts()
		srv.SetFail(503)
		err := inCtr.PutObject(ctx(t), "ev/x.m4s", frag)
		err2 := inCtr.RemoveObject(ctx(t), "ev/x.m4s")
		srv.SetFail(0)
		for _, err := range []error{err, err2} {
			if err == nil || !strings.Contains(err.Error(), "503 ServerBusy") || errors.Is(err, storage.ErrNotFound) {
				t.Errorf("under ServerBusy: %v, want a fault saying 503 ServerBusy", err)
			}
		}
		if n := srv.Count("PUT", "/devstoreaccount1/media/root/ev/x.m4s"); n != 1 {
			t.Errorf("the store saw %d PUTs under ServerBusy, want 1: no SDK retry", n)
		}
		const secret = "d3Jvbmcta2V5LW5ldmVyLXByaW50LW1lLTAxMjM0NTY3ODk="
		bad, err := azblob.New(azblob.Config{Account: srv.Account, Container: "media", Endpoint: srv.Endpoint, AccountKey: secret})
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{bad.PutObject(ctx(t), "ev/y.m4s", frag), bad.RemoveObject(ctx(t), "ev/y.m4s")} {
			if err == nil {
				t.Error("a write with a wrong key succeeded")
			} else if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), srv.Key) {
				t.Errorf("the error shows a secret: %v", err)
			} else {
				t.Logf("wrong key: %v", err)
			}
		}
		sas, err := azblob.New(azblob.Config{Account: srv.Account, Container: "media", Endpoint: srv.Endpoint, SASToken: "sv=2020-08-04&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D"})
		if err != nil {
			t.Fatal(err)
		}
		if err := sas.PutObject(ctx(t), "ev/y.m4s", frag); err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("a write with a bad SAS: %v (it must fail and not show the signature)", err)
		}
	})

	t.Run("ListPrefix", func(t *testing.T) {
		for _, r := range []*azblob.Remote{inCtr, perAsset} {
			for _, n := range []string{"0000000119-1.m4s", "0000000120-2.m4s", "0000000121-3.m4s", "0000000130-4.m4s", "init.mp4"} {
				if err := r.PutObject(ctx(t), "lpa/v.live/"+n, frag[:10]); err != nil {
					t.Fatal(err)
				}
			}
			srv.ResetCounts()
			es, err := r.ListPrefix(ctx(t), "lpa/v.live/", "000000012")
			if err != nil || len(es) != 2 || es[0].Name != "0000000120-2.m4s" && es[1].Name != "0000000120-2.m4s" || es[0].Size != 10 {
				t.Fatalf("ListPrefix(000000012): %+v, %v; want the two fragments 120 and 121", es, err)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("ListPrefix made %d requests, want one listing", n)
			}
			if es, err := r.ListPrefix(ctx(t), "lpa/v.live/", "000000099"); err != nil || len(es) != 0 {
				t.Errorf("ListPrefix of nothing: %+v, %v; want an empty list", es, err)
			}
			if es, err := r.ListPrefix(ctx(t), "nothing/", "0"); err != nil || len(es) != 0 {
				t.Errorf("ListPrefix in a directory (container) that does not exist: %+v, %v; want an empty list", es, err)
			}
			if es, err := storage.NewRemote(r, storage.RemoteOptions{}).ListPrefix("lpa/v.live/", "00000001"); err != nil || len(es) != 4 || es[0].Name != "0000000119-1.m4s" {
				t.Errorf("the remote Store's ListPrefix(00000001): %+v, %v; want the four fragments, sorted", es, err)
			}
		}
		if _, err := perAsset.ListPrefix(ctx(t), "", "lpa"); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("ListPrefix of containers: %v, want ErrInvalidName", err)
		}
	})

	t.Run("Store", func(t *testing.T) {
		st := storage.NewRemote(perAsset, storage.RemoteOptions{})
		w := storage.WriterOf(st)
		if w == nil {
			t.Fatal("a remote Store over Azure Blob is not a Writer")
		}
		for i, b := range [][]byte{[]byte("first version"), []byte("second version")} {
			if err := w.Put("new-asset/track.json", b); err != nil {
				t.Fatal(err)
			}
			o, err := st.Open("new-asset/track.json")
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, o.Size())
			if _, err := o.ReadAt(got, 0); err != nil && !errors.Is(err, io.EOF) || !bytes.Equal(got, b) {
				t.Fatalf("write %d reads back %q, %v", i+1, got, err)
			}
		}
		if err := w.Remove("new-asset/track.json"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Open("new-asset/track.json"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("open after Remove: %v", err)
		}
	})
}
