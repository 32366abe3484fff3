package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStaticNginx starts the generated nginx over a directory of segment
// files and fetches one: the bytes, the floor's content type, and its PID
// is the serving process (its CPU time grows with the requests).
func TestStaticNginx(t *testing.T) {
	if _, err := nginxBinary(); err != nil {
		t.Fatalf("%v: the bench's static file server needs it", err)
	}
	dir := t.TempDir()
	body := bytes.Repeat([]byte("segment "), 100_000)
	if err := os.MkdirAll(filepath.Join(dir, "m3u8-aapl"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "m3u8-aapl", "0"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := startStaticNginx("", dir, t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer n.stop()
	cpu0, err := ProcCPU(n.pid)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		resp, err := http.Get(n.base + "/m3u8-aapl/0")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(got, body) {
			t.Fatalf("GET: status %d, %d bytes, want 200 and %d", resp.StatusCode, len(got), len(body))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "video/mp4" {
			t.Fatalf("Content-Type %q, want video/mp4", ct)
		}
	}
	if cpu1, _ := ProcCPU(n.pid); cpu1 <= cpu0 {
		t.Errorf("nginx PID %d spent no CPU time over 50 requests (%v → %v): not the serving process", n.pid, cpu0, cpu1)
	}
	// As the CPU step measures it, and as reportFloor reports it.
	res, err := measureCPU(context.Background(), n.pid, []string{n.base + "/m3u8-aapl/0"}, 2, 10*time.Millisecond, 3*time.Second, ValidAny)
	if err != nil {
		t.Fatal(err)
	}
	st := &comboState{StaticCPUs: []cpuResult{res}}
	f := staticFigure(st, res.perRequest()/2)
	if f == nil || f.Value == nil || f.Detail["x_floor"] != 2.0 {
		t.Errorf("static figure %+v: want a value and 2x a floor of half its CPU per segment", f)
	}
}
