package s3_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/s3"
)

// TestWrite runs the Remote's writes (storage.RemoteWriter) against MinIO:
// a put object reads back and lists, with one PUT; an overwrite changes
// its version (a reader pinned to the old one gets ErrChanged); a removed
// object is gone, and removing it again, or one that never was, is no
// error; faults and a missing bucket are errors that say where, without
// a secret; and a remote Store over it is a storage.Writer.
func TestWrite(t *testing.T) {
	srv := testservers.MinIO(t)
	srv.MakeBucket("media")
	r := newRemote(t, srv, "media", "root")
	frag := media(70_000, 9)

	t.Run("PutReadList", func(t *testing.T) {
		srv.ResetCounts()
		if err := r.PutObject(ctx(t), "ev/v.live/0000000000-00000000000000000000.m4s", frag); err != nil {
			t.Fatal(err)
		}
		if n := srv.Count("PUT", "/media/root/ev/v.live/0000000000-00000000000000000000.m4s"); n != 1 {
			t.Errorf("the store saw %d PUTs, want 1", n)
		}
		size, version, err := r.Stat(ctx(t), "ev/v.live/0000000000-00000000000000000000.m4s")
		if err != nil || size != int64(len(frag)) {
			t.Fatalf("Stat after PutObject: %d, %v", size, err)
		}
		got, err := readRange(t, r, "ev/v.live/0000000000-00000000000000000000.m4s", version, 0, size)
		if err != nil || !bytes.Equal(got, frag) {
			t.Fatalf("read back: %v (equal %v)", err, bytes.Equal(got, frag))
		}
		es, err := r.List(ctx(t), "ev/v.live/")
		if err != nil || len(es) != 1 || es[0].Size != int64(len(frag)) {
			t.Fatalf("List: %+v, %v", es, err)
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		if err := r.PutObject(ctx(t), "ev/live.json", []byte(`{"start":"0001-01-01T00:00:00Z"}`)); err != nil {
			t.Fatal(err)
		}
		_, v1, err := r.Stat(ctx(t), "ev/live.json")
		if err != nil {
			t.Fatal(err)
		}
		next := []byte(`{"start":"2026-12-07T12:00:00Z"}`)
		if err := r.PutObject(ctx(t), "ev/live.json", next); err != nil {
			t.Fatal(err)
		}
		_, v2, err := r.Stat(ctx(t), "ev/live.json")
		if err != nil || v2 == v1 {
			t.Fatalf("after an overwrite the version is %q (was %q), %v", v2, v1, err)
		}
		if _, err := readRange(t, r, "ev/live.json", v1, 0, 4); !errors.Is(err, storage.ErrChanged) {
			t.Errorf("a read pinned to the old version: %v, want ErrChanged", err)
		}
		if got, err := readRange(t, r, "ev/live.json", v2, 0, int64(len(next))); err != nil || !bytes.Equal(got, next) {
			t.Errorf("the new version reads %q, %v", got, err)
		}
	})

	t.Run("Remove", func(t *testing.T) {
		name := "ev/v.live/0000000000-00000000000000000000.m4s"
		if err := r.RemoveObject(ctx(t), name); err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.Stat(ctx(t), name); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Stat of a removed object: %v, want ErrNotFound", err)
		}
		if err := r.RemoveObject(ctx(t), name); err != nil {
			t.Errorf("removing it again: %v", err)
		}
		if err := r.RemoveObject(ctx(t), "ev/never-was.m4s"); err != nil {
			t.Errorf("removing an object that never was: %v", err)
		}
		if err := r.PutObject(ctx(t), "../x", frag); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("PutObject(../x): %v, want ErrInvalidName", err)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		nob := newRemote(t, srv, "no-such-bucket", "")
		err := nob.PutObject(ctx(t), "ev/live.json", frag)
		if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/ev/live.json") || !strings.Contains(err.Error(), "NoSuchBucket") {
			t.Errorf("put into a missing bucket: %v, want an error naming the bucket, the key and NoSuchBucket", err)
		}
		if err := nob.RemoveObject(ctx(t), "ev/live.json"); err == nil {
			t.Error("remove from a missing bucket: no error")
		}
		srv.ResetCounts()
		srv.SetFail(503)
		err = r.PutObject(ctx(t), "ev/x.m4s", frag)
		err2 := r.RemoveObject(ctx(t), "ev/x.m4s")
		srv.SetFail(0)
		for _, err := range []error{err, err2} {
			if err == nil || !strings.Contains(err.Error(), "503 SlowDown") || errors.Is(err, storage.ErrNotFound) {
				t.Errorf("under SlowDown: %v, want a fault saying 503 SlowDown", err)
			}
		}
		if n := srv.Count("PUT", "/media/root/ev/x.m4s"); n != 1 {
			t.Errorf("the store saw %d PUTs under SlowDown, want 1: no SDK retry", n)
		}
		const secret = "wrong-secret-never-print-me-0123456789"
		bad, err := s3.New(s3.Config{Bucket: "media", Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: secret})
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{bad.PutObject(ctx(t), "ev/y.m4s", frag), bad.RemoveObject(ctx(t), "ev/y.m4s")} {
			if err == nil {
				t.Error("a write with a wrong secret succeeded")
			} else if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), srv.SecretKey) {
				t.Errorf("the error shows a secret: %v", err)
			}
		}
	})

	t.Run("ListPrefix", func(t *testing.T) {
		for _, n := range []string{"0000000119-1.m4s", "0000000120-2.m4s", "0000000121-3.m4s", "0000000130-4.m4s", "init.mp4"} {
			if err := r.PutObject(ctx(t), "lp/v.live/"+n, frag[:10]); err != nil {
				t.Fatal(err)
			}
		}
		srv.ResetCounts()
		es, err := r.ListPrefix(ctx(t), "lp/v.live/", "000000012")
		if err != nil || len(es) != 2 || es[0].Name != "0000000120-2.m4s" && es[1].Name != "0000000120-2.m4s" || es[0].Size != 10 {
			t.Fatalf("ListPrefix(000000012): %+v, %v; want the two fragments 120 and 121", es, err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("ListPrefix made %d requests, want one listing", n)
		}
		if es, err := r.ListPrefix(ctx(t), "lp/v.live/", "000000099"); err != nil || len(es) != 0 {
			t.Errorf("ListPrefix of nothing: %+v, %v; want an empty list", es, err)
		}
		if es, err := r.ListPrefix(ctx(t), "nothing/", "0"); err != nil || len(es) != 0 {
			t.Errorf("ListPrefix in a directory that does not exist: %+v, %v; want an empty list", es, err)
		}
		if _, err := r.ListPrefix(ctx(t), "lp/v.live/", "a/b"); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("ListPrefix with a slash in start: %v", err)
		}
		if es, err := storage.NewRemote(r, storage.RemoteOptions{}).ListPrefix("lp/v.live/", "00000001"); err != nil || len(es) != 4 || es[0].Name != "0000000119-1.m4s" {
			t.Errorf("the remote Store's ListPrefix(00000001): %+v, %v; want the four fragments, sorted", es, err)
		}
	})

	t.Run("Store", func(t *testing.T) {
		st := storage.NewRemote(r, storage.RemoteOptions{})
		w := storage.WriterOf(st)
		if w == nil {
			t.Fatal("a remote Store over S3 is not a Writer")
		}
		for i, b := range [][]byte{[]byte("first version"), []byte("second version")} {
			if err := w.Put("ev/track.json", b); err != nil {
				t.Fatal(err)
			}
			o, err := st.Open("ev/track.json")
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, o.Size())
			if _, err := o.ReadAt(got, 0); err != nil && !errors.Is(err, io.EOF) || !bytes.Equal(got, b) {
				t.Fatalf("write %d reads back %q, %v", i+1, got, err)
			}
		}
		if err := w.Remove("ev/track.json"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Open("ev/track.json"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("open after Remove: %v", err)
		}
	})
}
