package origin_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/storage"
)

// segmentPaths are a segment of each way the origin writes one: clear
// fMP4 and Smooth from the mapping, cenc and cbcs encrypted into memory,
// TS muxed into memory.
var segmentPaths = []struct{ name, path string }{
	{"clear dash", "/clear" + videoSeg + ",format=mpd-time-csf)"},
	{"clear smooth", "/clear" + videoSeg + ")"},
	{"cenc", "/drm" + videoSeg + ",format=mpd-time-csf,encryption=cenc)"},
	{"cbcs", "/drm" + videoSeg + ",format=mpd-time-cmaf,encryption=cbcs)"},
	{"ts", "/clear" + videoSeg + ",format=m3u8-aapl).ts"},
}

// writeSyscalls is this process's write system calls so far (write and
// writev alike): /proc/self/io's syscw.
func writeSyscalls(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatalf("the write system call count needs /proc/self/io: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("/proc/self/io: %q", line)
			}
			return n
		}
	}
	t.Fatalf("/proc/self/io has no syscw: %q", b)
	return 0
}

// rawClient is one keep-alive connection that writes requests as they
// are given and reads the answers in order.
type rawClient struct {
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, base string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawClient{c: c, br: bufio.NewReaderSize(c, 64<<10)}
}

func segRequest(method, path string, hdr ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: origin.test\r\n", method, path)
	for i := 0; i+1 < len(hdr); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", hdr[i], hdr[i+1])
	}
	b.WriteString("\r\n")
	return b.String()
}

// read reads the next answer, to a request of method, with its body. A
// header held back and never sent shows as the deadline passing.
func (c *rawClient) read(t *testing.T, method string) (*http.Response, []byte) {
	t.Helper()
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the answer to a %s: %v", method, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body of the answer to a %s: %v", method, err)
	}
	return resp, body
}

// TestSegmentOneWrite: a segment's headers and body go to the socket in
// one write system call (a writev), as the copy-only floor's do, whether
// the body comes from the mapping (clear fMP4, Smooth) or from memory
// (encrypted, TS). Flushed on their own, the headers were a second write
// and a TCP segment of their own per segment (conn_hold.go).
func TestSegmentOneWrite(t *testing.T) {
	root := mediaRoot(t)
	o := startOriginListen(t, storage.NewLocal(root, storage.LocalOptions{}), root, "", nil, false)
	o.locator("clear", "demo", "Predefined_ClearStreamingOnly", nil)
	o.locator("drm", "demo", "Predefined_MultiDrmStreaming", nil)
	for _, s := range segmentPaths {
		want := do(t, "GET", o.base+s.path, nil)
		if want.status != 200 || len(want.body) < 100000 {
			t.Fatalf("%s: %s", s.name, want)
		}
		c := dialRaw(t, o.base)
		req := []byte(segRequest("GET", s.path))
		const reqs = 40
		var w0 int64
		for k := range reqs + 2 { // two to warm the connection and the pools
			if k == 2 {
				w0 = writeSyscalls(t)
			}
			if _, err := c.c.Write(req); err != nil {
				t.Fatal(err)
			}
			resp, body := c.read(t, "GET")
			if resp.StatusCode != 200 || !bytes.Equal(body, want.body) {
				t.Fatalf("%s: %d, %d bytes, want the %d bytes of a GET", s.name, resp.StatusCode, len(body), len(want.body))
			}
		}
		// This process writes each request (one write) and answers it.
		// A few writes are allowed for other goroutines of the process.
		server := writeSyscalls(t) - w0 - reqs
		if server > reqs+reqs/10 {
			t.Errorf("%s (%d bytes): the origin made %d write system calls for %d segments, want one each", s.name, len(want.body), server, reqs)
		}
	}
}

// TestSegmentHeldHeaders: the connection holds a segment's headers for
// the body's writev, and sends them in every other case: a HEAD, a 304, a
// range request (a buffered body), an error, and requests pipelined
// behind each other in one write, whose answers fasthttp buffers before
// the segment's headers. Each answer arrives whole and in order.
func TestSegmentHeldHeaders(t *testing.T) {
	root := mediaRoot(t)
	o := startOriginListen(t, storage.NewLocal(root, storage.LocalOptions{}), root, "", nil, false)
	o.locator("clear", "demo", "Predefined_ClearStreamingOnly", nil)
	o.locator("drm", "demo", "Predefined_MultiDrmStreaming", nil)
	const manifest = "/clear/demo.ism/manifest(format=mpd-time-csf)"
	wantManifest := do(t, "GET", o.base+manifest, nil)
	for _, s := range segmentPaths {
		want := do(t, "GET", o.base+s.path, nil)
		if want.status != 200 {
			t.Fatalf("%s: %s", s.name, want)
		}
		// The oracle: a range request of every byte is cut from the
		// segment written whole into memory (AppendSegment), not sent
		// from the mapping.
		whole := do(t, "GET", o.base+s.path, nil, "Range", "bytes=0-"+strconv.Itoa(len(want.body)-1))
		if whole.status != 206 || !bytes.Equal(whole.body, want.body) {
			t.Fatalf("%s: a GET's %d bytes differ from the %d of a range request of them all (%d)", s.name, len(want.body), len(whole.body), whole.status)
		}
		etag := want.header.Get("ETag")
		type exchange struct {
			method, req string
			status      int
			body        []byte
		}
		xs := []exchange{
			{"GET", segRequest("GET", manifest), 200, wantManifest.body},
			{"GET", segRequest("GET", s.path), 200, want.body},
			{"HEAD", segRequest("HEAD", s.path), 200, nil},
			{"GET", segRequest("GET", s.path, "If-None-Match", etag), 304, nil},
			{"GET", segRequest("GET", s.path, "Range", "bytes=100-199"), 206, want.body[100:200]},
			{"GET", segRequest("GET", strings.Replace(s.path, "video=0", "video=999999999999", 1)), 404, nil},
			{"GET", segRequest("GET", s.path), 200, want.body},
			{"HEAD", segRequest("HEAD", s.path), 200, nil},
		}
		check := func(how string, x exchange, resp *http.Response, body []byte) {
			t.Helper()
			if resp.StatusCode != x.status || (x.body != nil && !bytes.Equal(body, x.body)) {
				t.Errorf("%s %s, %q: %d with %d bytes, want %d with %d", s.name, how, x.req[:strings.Index(x.req, "\r\n")],
					resp.StatusCode, len(body), x.status, len(x.body))
			}
			if x.method == "HEAD" && resp.Header.Get("Content-Length") != strconv.Itoa(len(want.body)) {
				t.Errorf("%s %s, HEAD: Content-Length %q, want %d", s.name, how, resp.Header.Get("Content-Length"), len(want.body))
			}
		}
		// One at a time, on one connection.
		c := dialRaw(t, o.base)
		for _, x := range xs {
			if _, err := c.c.Write([]byte(x.req)); err != nil {
				t.Fatal(err)
			}
			resp, body := c.read(t, x.method)
			check("one at a time", x, resp, body)
		}
		// All pipelined in one write.
		c = dialRaw(t, o.base)
		for range 40 { // more than the sockets' buffers hold (4 MiB)
			xs = append(xs, exchange{"GET", segRequest("GET", s.path), 200, want.body})
		}
		var all strings.Builder
		for _, x := range xs {
			all.WriteString(x.req)
		}
		if _, err := c.c.Write([]byte(all.String())); err != nil {
			t.Fatal(err)
		}
		// Read nothing for a while: the answers fill the socket's
		// buffers, and the origin's sends stop part way and resume.
		time.Sleep(100 * time.Millisecond)
		for _, x := range xs {
			resp, body := c.read(t, x.method)
			check("pipelined", x, resp, body)
		}
	}
}
