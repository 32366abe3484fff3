package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/s3"
)

// media is a test object: every byte differs from its neighbours, so a
// misplaced range shows.
func media(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ byte(i>>8) ^ seed
	}
	return b
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func newRemote(t *testing.T, srv *testservers.MinIOServer, bucket, prefix string) *s3.Remote {
	t.Helper()
	r, err := s3.New(s3.Config{
		Bucket:    bucket,
		Prefix:    prefix,
		Endpoint:  srv.Endpoint,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readRange(t *testing.T, r storage.Remote, name, version string, off, n int64) ([]byte, error) {
	t.Helper()
	body, err := r.ReadRange(ctx(t), name, version, off, n)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b := make([]byte, n)
	_, err = io.ReadFull(body, b)
	return b, err
}

// TestRemote runs the Remote's calls against one MinIO server.
func TestRemote(t *testing.T) {
	srv := testservers.MinIO(t)
	srv.MakeBucket("media")
	video := media(300_000, 1)
	srv.Put("media", "root/demo/video.mp4", video)
	srv.Put("media", "root/demo/audio.mp4", media(1234, 2))
	srv.Put("media", "root/demo/sub/x.bin", media(10, 3))
	srv.Put("media", "root/other/a.bin", media(5, 4))
	srv.Put("media", "root/top.bin", media(7, 5))
	srv.Put("media", "elsewhere/b.bin", media(7, 6))
	r := newRemote(t, srv, "media", "/root/")

	t.Run("Stat", func(t *testing.T) {
		size, version, err := r.Stat(ctx(t), "demo/video.mp4")
		if err != nil {
			t.Fatal(err)
		}
		if size != int64(len(video)) || version == "" || strings.Contains(version, `"`) {
			t.Errorf("Stat = %d, %q; want %d and an ETag without quotes", size, version, len(video))
		}
	})

	t.Run("ReadRange", func(t *testing.T) {
		_, version, err := r.Stat(ctx(t), "demo/video.mp4")
		if err != nil {
			t.Fatal(err)
		}
		srv.ResetCounts()
		for _, c := range []struct{ off, n int64 }{
			{0, 1}, {0, 188}, {1, 1000}, {65_535, 65_537}, {123_457, 3}, {299_999, 1}, {0, 300_000},
		} {
			got, err := readRange(t, r, "demo/video.mp4", version, c.off, c.n)
			if err != nil {
				t.Fatalf("ReadRange(%d, %d): %v", c.off, c.n, err)
			}
			if !bytes.Equal(got, video[c.off:c.off+c.n]) {
				t.Errorf("ReadRange(%d, %d): wrong bytes", c.off, c.n)
			}
		}
		// One GET each, counted where the store gets them.
		if n := srv.Gets("media", "root/demo/video.mp4"); n != 7 {
			t.Errorf("the store saw %d GETs, want 7", n)
		}
		for _, q := range srv.Requests() {
			if q.Method == "GET" && q.Range == "" {
				t.Errorf("a GET without a Range: %+v", q)
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		// The proxy counts every one of many concurrent reads: what a
		// test of the remote Store's single flight relies on.
		_, version, err := r.Stat(ctx(t), "demo/video.mp4")
		if err != nil {
			t.Fatal(err)
		}
		srv.ResetCounts()
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 100 {
			wg.Go(func() {
				got, err := readRange(t, r, "demo/video.mp4", version, 1000, 4096)
				if err == nil && !bytes.Equal(got, video[1000:5096]) {
					err = errors.New("wrong bytes")
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := srv.Gets("media", "root/demo/video.mp4"); n != 100 {
			t.Errorf("the store saw %d GETs, want 100", n)
		}
	})

	t.Run("IfMatch", func(t *testing.T) {
		srv.Put("media", "root/demo/seg.bin", media(5000, 7))
		_, v1, err := r.Stat(ctx(t), "demo/seg.bin")
		if err != nil {
			t.Fatal(err)
		}
		newer := media(3000, 8) // shorter too: the old range lies past its end
		srv.Put("media", "root/demo/seg.bin", newer)
		for _, off := range []int64{0, 4000} {
			_, err := readRange(t, r, "demo/seg.bin", v1, off, 1000)
			if !errors.Is(err, storage.ErrChanged) {
				t.Errorf("ReadRange of the replaced version at %d: %v, want ErrChanged", off, err)
			}
		}
		size, v2, err := r.Stat(ctx(t), "demo/seg.bin")
		if err != nil || size != 3000 || v2 == v1 {
			t.Fatalf("Stat after the replacement: %d, %q (was %q), %v", size, v2, v1, err)
		}
		got, err := readRange(t, r, "demo/seg.bin", v2, 100, 200)
		if err != nil || !bytes.Equal(got, newer[100:300]) {
			t.Errorf("ReadRange of the new version: %v", err)
		}
	})

	t.Run("Deleted", func(t *testing.T) {
		srv.Put("media", "root/demo/gone.bin", media(100, 9))
		_, v, err := r.Stat(ctx(t), "demo/gone.bin")
		if err != nil {
			t.Fatal(err)
		}
		srv.Delete("media", "root/demo/gone.bin")
		if _, err := readRange(t, r, "demo/gone.bin", v, 0, 10); !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrChanged) {
			t.Errorf("ReadRange of a deleted object: %v, want ErrNotFound or ErrChanged", err)
		} else {
			t.Logf("ReadRange of a deleted object: %v", err)
		}
		if _, _, err := r.Stat(ctx(t), "demo/gone.bin"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat of a deleted object: %v", err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		if _, _, err := r.Stat(ctx(t), "demo/nope.mp4"); !errors.Is(err, storage.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat of a missing object: %v", err)
		}
		if _, err := r.ReadRange(ctx(t), "demo/nope.mp4", "abc", 0, 10); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("ReadRange of a missing object: %v", err)
		}
		if _, err := r.List(ctx(t), "nope/"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("List of a missing prefix: %v", err)
		}
		nb := newRemote(t, srv, "no-such-bucket", "")
		if _, _, err := nb.Stat(ctx(t), "demo/video.mp4"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat in a missing bucket: %v", err)
		}
		if _, err := nb.List(ctx(t), ""); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("List of a missing bucket: %v", err)
		}
	})

	t.Run("InvalidName", func(t *testing.T) {
		for _, name := range []string{"", "/abs", "a/../b", ".hidden", "a//b"} {
			if _, _, err := r.Stat(ctx(t), name); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("Stat(%q): %v, want ErrInvalidName", name, err)
			}
		}
		for _, p := range []string{"demo", "/", "../"} {
			if _, err := r.List(ctx(t), p); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("List(%q): %v, want ErrInvalidName", p, err)
			}
		}
	})

	t.Run("List", func(t *testing.T) {
		root, err := r.List(ctx(t), "")
		if err != nil {
			t.Fatal(err)
		}
		want := []storage.Entry{{Name: "demo", Dir: true}, {Name: "other", Dir: true}, {Name: "top.bin", Size: 7}}
		if !sameEntries(root, want) {
			t.Errorf("List(\"\") = %v, want %v", root, want)
		}
		demo, err := r.List(ctx(t), "demo/")
		if err != nil {
			t.Fatal(err)
		}
		want = []storage.Entry{
			{Name: "audio.mp4", Size: 1234}, {Name: "seg.bin", Size: 3000},
			{Name: "sub", Dir: true}, {Name: "video.mp4", Size: 300_000},
		}
		if !sameEntries(demo, want) {
			t.Errorf("List(\"demo/\") = %v, want %v", demo, want)
		}
		// Without a prefix the bucket's top is the root.
		top, err := newRemote(t, srv, "media", "").List(ctx(t), "")
		if err != nil {
			t.Fatal(err)
		}
		if want := []storage.Entry{{Name: "elsewhere", Dir: true}, {Name: "root", Dir: true}}; !sameEntries(top, want) {
			t.Errorf("List(\"\") without a prefix = %v, want %v", top, want)
		}
	})

	t.Run("Locate", func(t *testing.T) {
		if got, want := r.Locate("demo/video.mp4"), "s3://media/root/demo/video.mp4"; got != want {
			t.Errorf("Locate = %q, want %q", got, want)
		}
	})

	t.Run("Faults", func(t *testing.T) {
		_, version, err := r.Stat(ctx(t), "demo/video.mp4")
		if err != nil {
			t.Fatal(err)
		}
		srv.ResetCounts()
		srv.SetFail(503)
		t0 := time.Now()
		_, err = r.ReadRange(ctx(t), "demo/video.mp4", version, 0, 100)
		srv.SetFail(0)
		if err == nil || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrChanged) {
			t.Fatalf("ReadRange under SlowDown: %v, want a fault", err)
		}
		if !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "SlowDown") {
			t.Errorf("error %q does not say 503 SlowDown", err)
		}
		d := time.Since(t0)
		t.Logf("a refused attempt returned after %v", d)
		if d > 2*time.Second {
			t.Errorf("a refused attempt took %v: the SDK retried?", d)
		}
		if n := srv.Count("GET", "/media/root/demo/video.mp4"); n != 1 {
			t.Errorf("the store saw %d GETs under SlowDown, want 1: no SDK retry", n)
		}

		srv.SetShortBody(true)
		_, err = readRange(t, r, "demo/video.mp4", version, 0, 10_000)
		srv.SetShortBody(false)
		if err == nil {
			t.Error("a body cut short read without an error")
		}
	})

	t.Run("Secrets", func(t *testing.T) {
		const secret = "wrong-secret-never-print-me-0123456789"
		bad, err := s3.New(s3.Config{
			Bucket: "media", Endpoint: srv.Endpoint,
			AccessKey: srv.AccessKey, SecretKey: secret,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err1 := bad.Stat(ctx(t), "demo/video.mp4")
		_, err2 := bad.ReadRange(ctx(t), "demo/video.mp4", "x", 0, 10)
		_, err3 := bad.List(ctx(t), "demo/")
		// A port nobody listens on.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		down, err := s3.New(s3.Config{
			Bucket: "media", Endpoint: "http://" + addr,
			AccessKey: srv.AccessKey, SecretKey: secret,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err4 := down.Stat(ctx(t), "demo/video.mp4")
		for i, err := range []error{err1, err2, err3, err4} {
			if err == nil {
				t.Errorf("call %d with a wrong secret or no server succeeded", i+1)
				continue
			}
			t.Logf("call %d: %v", i+1, err)
			if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrChanged) {
				t.Errorf("call %d: %v classified as the object's fault", i+1, err)
			}
			if msg := err.Error(); strings.Contains(msg, secret) || strings.Contains(msg, srv.SecretKey) {
				t.Errorf("call %d: the error shows a secret: %s", i+1, msg)
			}
		}
	})
}

// sameEntries compares listings in any order.
func sameEntries(got, want []storage.Entry) bool {
	cmp := func(a, b storage.Entry) int { return strings.Compare(a.Name, b.Name) }
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, cmp)
	slices.SortFunc(want, cmp)
	return slices.Equal(got, want)
}

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		root string
		want s3.Config
	}{
		{"s3://media", s3.Config{Bucket: "media"}},
		{"s3://media/", s3.Config{Bucket: "media"}},
		{"s3://media/a/b/", s3.Config{Bucket: "media", Prefix: "a/b"}},
		{"s3://media/vod?region=eu-west-1", s3.Config{Bucket: "media", Prefix: "vod", Region: "eu-west-1"}},
		{"s3://media?endpoint=http://127.0.0.1:9000&pathStyle=true",
			s3.Config{Bucket: "media", Endpoint: "http://127.0.0.1:9000", PathStyle: true}},
		{"s3://media?endpoint=https%3A%2F%2Fminio.example%3A9000&region=us-east-1&pathStyle=false",
			s3.Config{Bucket: "media", Endpoint: "https://minio.example:9000", Region: "us-east-1"}},
	} {
		got, err := s3.ParseURL(c.root)
		if err != nil || got != c.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", c.root, got, err, c.want)
		}
	}
	for _, root := range []string{
		"", "media", "file:///tmp", "s3:media", "s3:///prefix", "s3://ab", "s3://bad..name",
		"s3://media?secret=x", "s3://media?region=a&region=b", "s3://media?pathStyle=maybe",
		"s3://media?endpoint=ftp://x", "s3://media?endpoint=http://h/path", "s3://media/../x",
		"s3://media#frag", "s3://AKIA:topsecret@media",
	} {
		_, err := s3.ParseURL(root)
		if err == nil {
			t.Errorf("ParseURL(%q): no error", root)
		} else if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("ParseURL(%q): the error shows the secret: %v", root, err)
		}
	}
}

func TestNewChecks(t *testing.T) {
	for _, cfg := range []s3.Config{
		{},
		{Bucket: "x"},                            // too short
		{Bucket: "media", Prefix: "a/../b"},      // not a name
		{Bucket: "media", Endpoint: "127.0.0.1"}, // no scheme
		{Bucket: "media", Endpoint: "http://h/p"}, // a path
	} {
		if _, err := s3.New(cfg); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		}
	}
}
