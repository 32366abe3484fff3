package s3_test

import (
	"net"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/s3"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// backend is the bucket on srv, its objects under the key prefix root/,
// for the conformance suites.
func backend(t *testing.T, srv *testservers.MinIOServer, bucket string) storagetest.Backend {
	// A port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	const secret = "wrong-secret-never-print-me-0123456789"
	remote := func(cfg s3.Config) *s3.Remote {
		t.Helper()
		r, err := s3.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	srv.MakeBucket(bucket)
	return storagetest.Backend{
		Remote: newRemote(t, srv, bucket, "/root/"), // the slashes are trimmed
		Root:   "root/",
		Top:    newRemote(t, srv, bucket, ""),
		Put:    func(key string, data []byte) { srv.Put(bucket, key, data) },
		Delete: func(key string) { srv.Delete(bucket, key) },
		Path:   func(key string) string { return "/" + bucket + "/" + key },
		Server: srv.Conformance(),
		Busy:   "SlowDown",

		Missing:     newRemote(t, srv, "no-such-bucket", ""),
		MissingCode: "NoSuchBucket",
		Refused: []storage.Remote{
			remote(s3.Config{Bucket: bucket, Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: secret}),
			remote(s3.Config{Bucket: bucket, Endpoint: down, AccessKey: srv.AccessKey, SecretKey: secret}),
		},
		Secrets: []string{secret, srv.SecretKey},
		Locate:  "s3://" + bucket + "/root/demo/video.mp4",
	}
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

// TestRemote runs the Remote's reads against MinIO (storagetest.RemoteReads),
// and a remote Store over it as a storage.Store (storagetest.Reader).
func TestRemote(t *testing.T) {
	srv := testservers.MinIO(t)
	storagetest.RemoteReads(t, backend(t, srv, "media"))
	t.Run("Store", func(t *testing.T) {
		srv.MakeBucket("store")
		st := storage.NewRemote(newRemote(t, srv, "store", "root"), storage.RemoteOptions{})
		storagetest.Reader(t, st, func(name string, b []byte) { srv.Put("store", "root/"+name, b) })
	})
}

// TestWrite runs the Remote's writes against MinIO
// (storagetest.RemoteWrites), and a remote Store over it as a
// storage.Writer.
func TestWrite(t *testing.T) {
	storagetest.RemoteWrites(t, backend(t, testservers.MinIO(t), "media"))
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
