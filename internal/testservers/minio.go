package testservers

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// MinIOVersion is the pseudo-version of github.com/minio/minio the tests
// run; .ci/run builds it into MinIOPath's default.
const MinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"

// The MinIO root user the helper starts the server with: test values,
// known to everyone, that let the tests check errors never show them.
const (
	MinIOAccessKey = "drmorigin-test"
	MinIOSecretKey = "drmorigin-test-secret-0123456789"
)

// MinIOPath is where the MinIO binary is looked for: $DRMORIGIN_MINIO, or
// $HOME/.cache/drmorigin-tools/minio-<MinIOVersion>/minio.
func MinIOPath() string {
	if p := os.Getenv("DRMORIGIN_MINIO"); p != "" {
		return p
	}
	return defaultMinIOPath()
}

func defaultMinIOPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "~"
	}
	return filepath.Join(home, ".cache", "drmorigin-tools", "minio-"+MinIOVersion, "minio")
}

// MinIOServer is a MinIO server behind a counting, fault-injecting Proxy
// (its methods are promoted: Count, Requests, SetDelay, SetFail, …).
type MinIOServer struct {
	proxied
	Endpoint       string // the proxy's URL, http://127.0.0.1:port: the code under test's
	DirectEndpoint string // MinIO's own URL, for set-up and checks that must not count
	AccessKey      string
	SecretKey      string
	Region         string // us-east-1, MinIO's default

	client *minio.Client // on DirectEndpoint
}

// MinIO starts a MinIO server with an empty data directory of its own and
// a proxy in front of it, and stops both when the test ends. The binary
// must be there (MinIOPath): the test fails, saying how to build it, when
// it is not.
func MinIO(t testing.TB) *MinIOServer {
	t.Helper()
	bin := MinIOPath()
	if err := executable(bin); err != nil {
		d := filepath.Dir(defaultMinIOPath())
		t.Fatalf("testservers: MinIO binary %s: %v\n"+
			"Build it (.ci/run does this when it is missing; about 5 minutes):\n"+
			"  GOBIN=%s.tmp go install github.com/minio/minio@%s && mkdir -p %s && mv %s.tmp/minio %s/minio\n"+
			"or point DRMORIGIN_MINIO at a minio binary.",
			bin, err, d, MinIOVersion, d, d, d)
	}
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	direct := "http://127.0.0.1:" + strconv.Itoa(port)
	s := &MinIOServer{
		DirectEndpoint: direct,
		AccessKey:      MinIOAccessKey,
		SecretKey:      MinIOSecretKey,
		Region:         "us-east-1",
	}
	proc := &process{
		name: "minio",
		argv: []string{bin, "server",
			"--address", "127.0.0.1:" + strconv.Itoa(port),
			"--quiet",
			"--certs-dir", filepath.Join(dir, "certs"),
			filepath.Join(dir, "data")},
		env: environ([]string{"MINIO_"},
			"MINIO_ROOT_USER="+MinIOAccessKey,
			"MINIO_ROOT_PASSWORD="+MinIOSecretKey,
			"MINIO_BROWSER=off", // no console listening on a port of its own
			"MINIO_UPDATE=off"),
	}
	s.proxied = launch(t, proc, s.ready, direct, s3ErrorBody)
	s.Endpoint = s.Proxy.URL()
	s.client, err = minio.New("127.0.0.1:"+strconv.Itoa(port), &minio.Options{
		Creds:     credentials.NewStaticV4(MinIOAccessKey, MinIOSecretKey, ""),
		Region:    s.Region,
		Transport: &http.Transport{Proxy: nil},
	})
	if err != nil {
		t.Fatalf("testservers: minio client: %v", err)
	}
	return s
}

func (s *MinIOServer) ready() bool {
	return answers(s.DirectEndpoint+"/minio/health/live", func(st int) bool { return st == http.StatusOK })()
}

func ctx10s() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// MakeBucket creates a bucket.
func (s *MinIOServer) MakeBucket(name string) {
	s.t.Helper()
	ctx, cancel := ctx10s()
	defer cancel()
	if err := s.client.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: s.Region}); err != nil {
		s.t.Fatalf("testservers: make bucket %s: %v", name, err)
	}
}

// Put writes data as bucket/key, replacing any object there.
func (s *MinIOServer) Put(bucket, key string, data []byte) {
	s.t.Helper()
	ctx, cancel := ctx10s()
	defer cancel()
	if _, err := s.client.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream"}); err != nil {
		s.t.Fatalf("testservers: put %s/%s: %v", bucket, key, err)
	}
}

// Delete removes bucket/key.
func (s *MinIOServer) Delete(bucket, key string) {
	s.t.Helper()
	ctx, cancel := ctx10s()
	defer cancel()
	if err := s.client.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{}); err != nil {
		s.t.Fatalf("testservers: delete %s/%s: %v", bucket, key, err)
	}
}

// Gets returns how many GETs of bucket/key (path style) the store
// received through the proxy: the object's media reads.
func (s *MinIOServer) Gets(bucket, key string) int {
	return s.Count(http.MethodGet, "/"+bucket+"/"+key)
}

// s3ErrorBody is an injected failure as S3 words it.
func s3ErrorBody(status int, h http.Header) []byte {
	code := map[int]string{
		http.StatusServiceUnavailable:  "SlowDown",
		http.StatusInternalServerError: "InternalError",
		http.StatusForbidden:           "AccessDenied",
		http.StatusNotFound:            "NoSuchKey",
	}[status]
	if code == "" {
		code = "InjectedFault"
	}
	h.Set("Content-Type", "application/xml")
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>injected by testservers.Proxy</Message><RequestId>0</RequestId></Error>`, code)
}
