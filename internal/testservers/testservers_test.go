package testservers

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// get GETs url (unsigned) and returns the status and as much of the body
// as came.
func get(t *testing.T, url string) (int, []byte, error) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// TestMinIO: the proxy forwards, counts and injects faults; Stop refuses
// connections and Start brings the same data back.
func TestMinIO(t *testing.T) {
	s := MinIO(t)
	s.MakeBucket("media")
	data := bytes.Repeat([]byte("0123456789"), 100)
	s.Put("media", "a/b.bin", data)
	// Unsigned requests are refused by MinIO (403), but reach it and are
	// counted: the proxy's job.
	st, _, err := get(t, s.Endpoint+"/media/a/b.bin")
	if err != nil || st != http.StatusForbidden {
		t.Fatalf("GET through the proxy: %d, %v; want 403", st, err)
	}
	if n := s.Gets("media", "a/b.bin"); n != 1 {
		t.Errorf("Gets = %d, want 1", n)
	}
	s.SetFail(http.StatusServiceUnavailable)
	st, body, _ := get(t, s.Endpoint+"/media/a/b.bin")
	if st != 503 || !strings.Contains(string(body), "<Code>SlowDown</Code>") {
		t.Errorf("SetFail(503): %d %s", st, body)
	}
	s.SetFail(0)
	s.FailNext(1, 500)
	if st, _, _ := get(t, s.Endpoint+"/media/a/b.bin"); st != 500 {
		t.Errorf("FailNext: first %d, want 500", st)
	}
	if st, _, _ := get(t, s.Endpoint+"/media/a/b.bin"); st != 403 {
		t.Errorf("FailNext: second %d, want 403 from MinIO", st)
	}
	if n := s.Gets("media", "a/b.bin"); n != 4 {
		t.Errorf("Gets = %d, want 4", n)
	}
	s.ResetCounts()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("after ResetCounts: %d requests", n)
	}

	s.Stop()
	if _, _, err := get(t, s.Endpoint+"/minio/health/live"); err == nil {
		t.Error("after Stop the proxy still answers")
	}
	s.Start()
	if st, _, err := get(t, s.Endpoint+"/minio/health/live"); err != nil || st != 200 {
		t.Errorf("after Start: %d, %v", st, err)
	}
	s.Put("media", "c.bin", data) // the bucket survived
}

// TestShortBody: a cut body ends early with an error at the client.
func TestShortBody(t *testing.T) {
	backend := http.NewServeMux()
	backend.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 1000))
	})
	srv := &http.Server{Handler: backend}
	p, err := newProxy(mustURL(t, startServer(t, srv)), s3ErrorBody)
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	if st, b, err := get(t, p.URL()+"/x"); err != nil || st != 200 || len(b) != 1000 {
		t.Fatalf("whole: %d %d %v", st, len(b), err)
	}
	p.SetShortBody(true)
	_, b, err := get(t, p.URL()+"/x")
	if err == nil || len(b) != 500 {
		t.Errorf("short: got %d bytes, err %v; want 500 and an error", len(b), err)
	}
	p.SetDelay(300 * time.Millisecond)
	p.SetShortBody(false)
	t0 := time.Now()
	get(t, p.URL()+"/x")
	if d := time.Since(t0); d < 300*time.Millisecond {
		t.Errorf("SetDelay(300ms): answered after %v", d)
	}
}

// TestAzurite: the same for Azurite.
func TestAzurite(t *testing.T) {
	s := Azurite(t)
	s.CreateContainer("media")
	s.Put("media", "a/b.bin", []byte("hello"))
	st, _, err := get(t, s.Endpoint+"/media/a/b.bin")
	if err != nil || st != http.StatusForbidden && st != http.StatusNotFound {
		t.Fatalf("GET through the proxy: %d, %v", st, err)
	}
	if n := s.Gets("media", "a/b.bin"); n != 1 {
		t.Errorf("Gets = %d, want 1", n)
	}
	s.SetFail(503)
	st, body, _ := get(t, s.Endpoint+"/media/a/b.bin")
	if st != 503 || !strings.Contains(string(body), "ServerBusy") {
		t.Errorf("SetFail(503): %d %s", st, body)
	}
	s.SetFail(0)
	s.Stop()
	if _, _, err := get(t, s.Endpoint+"?comp=list"); err == nil {
		t.Error("after Stop the proxy still answers")
	}
	s.Start()
	s.Put("media", "c.bin", []byte("again")) // the container survived
}

func startServer(t *testing.T, srv *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestCIBuildsThisMinIO: .ci/run builds the MinIO that MinIOPath names.
func TestCIBuildsThisMinIO(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "minio_version=" + MinIOVersion + "\n"; !strings.Contains(string(b), want) {
		t.Errorf(".ci/run does not say %q", want)
	}
}

// fatalTB records a Fatal instead of failing the test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fatalTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

// fatalOf runs start with a fatalTB and returns what it failed with.
func fatalOf(t *testing.T, start func(testing.TB)) string {
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		start(f)
	}()
	<-done
	return f.msg
}

// TestMissingBinaries: without its binary a server fails the test, saying
// how to get it; it never skips.
func TestMissingBinaries(t *testing.T) {
	t.Setenv("DRMORIGIN_MINIO", filepath.Join(t.TempDir(), "minio"))
	msg := fatalOf(t, func(tb testing.TB) { MinIO(tb) })
	for _, want := range []string{"go install github.com/minio/minio@" + MinIOVersion, ".ci/run", "DRMORIGIN_MINIO"} {
		if !strings.Contains(msg, want) {
			t.Errorf("MinIO without its binary: %q does not say %q", msg, want)
		}
	}
	t.Setenv("DRMORIGIN_AZURITE", filepath.Join(t.TempDir(), "azurite-blob"))
	msg = fatalOf(t, func(tb testing.TB) { Azurite(tb) })
	for _, want := range []string{"make web", "DRMORIGIN_AZURITE"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Azurite without its binary: %q does not say %q", msg, want)
		}
	}
}
