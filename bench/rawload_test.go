package bench

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestParseRawHeader(t *testing.T) {
	for _, c := range []struct {
		h              string
		status, length int
		ok             bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n", 200, 12, true},
		{"HTTP/1.1 404 Not Found\r\ncontent-length:0\r\nServer: x\r\n", 404, 0, true},
		{"HTTP/1.0 200 OK\r\nContent-Type: a\r\n", 0, 0, false},                        // no length
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n", 0, 0, false},             // chunked: not read
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n", 0, 0, false}, // would not carry the next
		{"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n", 0, 0, false},                     // bad length
		{"HTTP/2 200\r\nContent-Length: 5\r\n", 0, 0, false},                           // not HTTP/1.x
		{"HTTP/1.1 2x0 OK\r\nContent-Length: 5\r\n", 0, 0, false},                      // bad status
	} {
		s, l, ok := parseRawHeader([]byte(c.h))
		if ok != c.ok || ok && (s != c.status || l != c.length) {
			t.Errorf("%q: got %d %d %v, want %d %d %v", c.h, s, l, ok, c.status, c.length, c.ok)
		}
	}
}

// TestRawConnTake feeds answers in pieces, as reads may return them.
func TestRawConnTake(t *testing.T) {
	answer := "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"
	for _, c := range []struct {
		name   string
		pieces []string
		want   int
		class  string
	}{
		{"one read", []string{answer}, 10, ""},
		{"header split", []string{answer[:7], answer[7:20], answer[20:]}, 10, ""},
		{"body split", []string{answer[:len(answer)-4], answer[len(answer)-4:]}, 10, ""},
		{"unexpected length", []string{answer}, 9, ErrInvalid},
		{"extra bytes", []string{answer + "X"}, 10, ErrTransport},
		{"extra bytes after the header", []string{answer[:len(answer)-2], "89X"}, 10, ErrTransport},
		{"status", []string{"HTTP/1.1 503 Busy\r\nContent-Length: 2\r\n\r\nno"}, 10, "503"},
	} {
		rc := &rawConn{left: -1}
		var done bool
		var class string
		for i, p := range c.pieces {
			if done {
				t.Fatalf("%s: done before piece %d", c.name, i)
			}
			done, class, _ = rc.take([]byte(p), c.want)
		}
		if !done || class != c.class {
			t.Errorf("%s: done %v class %q, want done with %q", c.name, done, class, c.class)
		}
	}
}

// rawTestServer answers GET /a and /b with fixed bodies and counts the
// connections it saw.
func rawTestServer(t *testing.T) (base string, conns func() int) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		seen[ctx.RemoteAddr().String()] = true
		mu.Unlock()
		switch string(ctx.Path()) {
		case "/a":
			ctx.SetBodyString(strings.Repeat("a", 3000))
		case "/b":
			ctx.SetBodyString("#EXTM3U\n")
		default:
			ctx.SetStatusCode(404)
		}
	}}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	return "http://" + ln.Addr().String(), func() int { mu.Lock(); defer mu.Unlock(); return len(seen) }
}

func TestRawLoadClosedLoop(t *testing.T) {
	base, conns := rawTestServer(t)
	c := NewClient(NewRecorder(), 1)
	targets, err := rawTargets(c, []string{base + "/a", base + "/b"})
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	if targets[0].bodyLen != 3000 || targets[1].bodyLen != 8 {
		t.Fatalf("body lengths %d, %d", targets[0].bodyLen, targets[1].bodyLen)
	}
	seenBefore := conns()
	res, err := rawLoad(context.Background(), base, targets, 8, 0, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	sum := res.rec.Summary(res.wall)
	if len(sum) != 1 || sum[0].Requests < 100 || len(sum[0].Errors) != 0 {
		t.Fatalf("summary %+v", sum)
	}
	// Both bodies, in turn: bytes are whole answers' bodies.
	if n := sum[0].Requests; sum[0].Bytes < n/2*3000 {
		t.Errorf("%d requests, %d body bytes", n, sum[0].Bytes)
	}
	if got := conns() - seenBefore; got != 8 {
		t.Errorf("%d connections, want 8", got)
	}
}

func TestRawLoadPaced(t *testing.T) {
	base, _ := rawTestServer(t)
	c := NewClient(NewRecorder(), 1)
	targets, err := rawTargets(c, []string{base + "/a", base + "/b"})
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	const rate, wall = 2000.0, 500 * time.Millisecond
	res, err := rawLoad(context.Background(), base, targets, 4, rate, wall)
	if err != nil {
		t.Fatal(err)
	}
	sum := res.rec.Summary(res.wall)[0]
	due := res.fromDue.Summary(res.wall)[0]
	// The schedule holds 1,000 sends; a busy machine may leave the last
	// few in flight at the end.
	if sum.Requests < 900 || sum.Requests > 1001 || len(sum.Errors) != 0 {
		t.Fatalf("paced at %.0f/s for %s: %+v", rate, wall, sum)
	}
	if due.Requests != sum.Requests || due.P50ms < sum.P50ms || due.Maxms < sum.Maxms {
		t.Errorf("from the schedule %+v, from the send %+v: the schedule's latency includes the send's", due, sum)
	}
}

// TestRawLoadWrongLength: an answer whose body length changed since the
// fetch before the run is an error, not a success.
func TestRawLoadWrongLength(t *testing.T) {
	base, _ := rawTestServer(t)
	targets := []rawTarget{{req: []byte("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"), bodyLen: 2999}}
	res, err := rawLoad(context.Background(), base, targets, 2, 0, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	sum := res.rec.Summary(res.wall)[0]
	if sum.Errors[ErrInvalid] != sum.Requests || sum.Requests == 0 {
		t.Errorf("%+v: want every answer invalid", sum)
	}
}
