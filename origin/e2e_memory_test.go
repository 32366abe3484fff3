package origin_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// TestIdleConnectionsHoldNoSegments: keep-alive connections that sit idle
// after a segment (players between fetches, CDN connection pools) do not
// each keep a segment-sized buffer. 100 connections fetch an encrypted
// segment (~157 KB, built in a buffer) and a clear one (served from the
// mapping), then stay open; the origin's heap must not grow by anything
// near 100 segments.
func TestIdleConnectionsHoldNoSegments(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	o.locator("mem-drm", "demo", "Predefined_MultiDrmCencStreaming", nil)
	o.locator("mem-clear", "demo", "Predefined_ClearStreamingOnly", nil)
	paths := []string{
		"/mem-drm/demo.ism/QualityLevels(600000)/Fragments(video=0,format=mpd-time-csf,encryption=cenc)",
		"/mem-clear/demo.ism/QualityLevels(600000)/Fragments(video=0,format=mpd-time-csf)",
	}
	var size int
	for _, p := range paths {
		r := o.get(p)
		if r.status != 200 || len(r.body) < 100<<10 {
			t.Fatalf("%s: %s", p, r)
		}
		size = max(size, len(r.body))
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC() // pools are emptied over two cycles
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := heap()
	const n = 100
	addr := strings.TrimPrefix(o.base, "http://")
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		br := bufio.NewReader(c)
		for _, p := range paths {
			fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", p, addr)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil || resp.StatusCode != 200 {
				t.Fatalf("connection %d: status %d, %v", i, resp.StatusCode, err)
			}
			resp.Body.Close()
		}
	}
	after := heap()
	grew := int64(after) - int64(before)
	t.Logf("heap in use %d → %d KB with %d idle connections after %d KB segments", before>>10, after>>10, n, size>>10)
	if grew > int64(n*size/4) {
		t.Errorf("heap grew by %d KB for %d idle connections: about %d KB each, a segment is %d KB", grew>>10, n, grew/n>>10, size>>10)
	}
}
