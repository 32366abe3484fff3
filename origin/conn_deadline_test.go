package origin

import (
	"bufio"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// readTimesOut reads from lc and returns how long it took to time out
// (failing the test on anything but a timeout).
func readTimesOut(t *testing.T, lc *lineConn, p []byte) time.Duration {
	t.Helper()
	began := time.Now()
	n, err := lc.Read(p)
	took := time.Since(began)
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %d, %v; want a timeout", n, err)
	}
	return took
}

// TestLazyDeadlineLater: a read deadline moved later while the socket has
// an earlier one is kept: the read waits until the later one, not the
// earlier (through the read-ahead and through an ordinary read).
func TestLazyDeadlineLater(t *testing.T) {
	for _, size := range []int{1, 4 << 10} { // read-ahead, ordinary read
		lc, cc := acceptLine(t)
		lc.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		cc.Write([]byte("x"))
		p := make([]byte, size)
		if n, err := lc.Read(p); n != 1 || err != nil {
			t.Fatalf("read %d: %d, %v", size, n, err)
		}
		lc.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
		if took := readTimesOut(t, lc, p); took < 240*time.Millisecond || took > 2*time.Second {
			t.Errorf("read of %d timed out after %v, want 250 ms (the later deadline)", size, took)
		}
		// And with no deadline at all after one: the read waits for the
		// byte that comes after the old deadline.
		lc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		readTimesOut(t, lc, p)
		lc.SetReadDeadline(time.Time{})
		time.AfterFunc(100*time.Millisecond, func() { cc.Write([]byte("y")) })
		if n, err := lc.Read(p); n != 1 || err != nil || p[0] != 'y' {
			t.Fatalf("read %d without a deadline: %d %q, %v", size, n, p[:n], err)
		}
	}
}

// TestLazyDeadlineEarlier: a deadline moved earlier than the socket's is
// kept too.
func TestLazyDeadlineEarlier(t *testing.T) {
	for _, size := range []int{1, 4 << 10} {
		lc, cc := acceptLine(t)
		lc.SetReadDeadline(time.Now().Add(10 * time.Second))
		cc.Write([]byte("x"))
		p := make([]byte, size)
		if n, err := lc.Read(p); n != 1 || err != nil {
			t.Fatalf("read %d: %d, %v", size, n, err)
		}
		lc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if took := readTimesOut(t, lc, p); took > 2*time.Second {
			t.Errorf("read of %d timed out after %v, want 50 ms", size, took)
		}
	}
}

// TestLazyDeadlineFromElsewhere: a deadline set by another goroutine while
// a read waits ends the read, as net.Conn's does.
func TestLazyDeadlineFromElsewhere(t *testing.T) {
	for _, size := range []int{1, 4 << 10} {
		lc, _ := acceptLine(t)
		lc.SetReadDeadline(time.Time{})
		time.AfterFunc(50*time.Millisecond, func() { lc.SetReadDeadline(time.Now()) })
		if took := readTimesOut(t, lc, make([]byte, size)); took > 2*time.Second {
			t.Errorf("read of %d ended %v after, want about 50 ms", size, took)
		}
	}
}

// TestLazyDeadlineWrite: a write past its deadline fails, and a later
// deadline asked after it lets the next write through.
func TestLazyDeadlineWrite(t *testing.T) {
	lc, cc := acceptLine(t)
	lc.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := lc.Write([]byte("a")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past the deadline: %v, want a timeout", err)
	}
	lc.SetWriteDeadline(time.Now().Add(time.Minute))
	if n, err := lc.Write([]byte("b")); n != 1 || err != nil {
		t.Fatalf("write under a later deadline: %d, %v", n, err)
	}
	var p [1]byte
	cc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := cc.Read(p[:]); n != 1 || p[0] != 'b' {
		t.Fatalf("peer read %q, %v; want b", p[:n], err)
	}
}

// TestLazyDeadlineKeepAlive: under fasthttp with read, write and idle
// timeouts, a busy keep-alive connection's deadlines are not moved per
// request (fasthttp asks three times per request); requests still get
// their answers.
func TestLazyDeadlineKeepAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []*lineConn
	srv := &fasthttp.Server{
		Handler:           func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") },
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       time.Minute,
		ReduceMemoryUsage: true,
		ConnState: func(c net.Conn, st fasthttp.ConnState) {
			if st == fasthttp.StateNew {
				mu.Lock()
				conns = append(conns, lineConnOf(c))
				mu.Unlock()
			}
		},
	}
	go srv.Serve(lineListener{Listener: ln})
	defer srv.Shutdown()
	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	br := bufio.NewReader(cc)
	get := func() {
		t.Helper()
		if _, err := cc.Write([]byte("GET /m HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		var resp fasthttp.Response
		if err := resp.Read(br); err != nil || string(resp.Body()) != "ok" {
			t.Fatalf("answer: %q, %v", resp.Body(), err)
		}
	}
	get()
	mu.Lock()
	lc := conns[0]
	mu.Unlock()
	deadlines := func() (r, w time.Time) {
		// Read after an answer: the serving goroutine has left the
		// socket, and the locks order this read after its writes.
		lc.deadlines[dirRead].mu.Lock()
		r = lc.deadlines[dirRead].set
		lc.deadlines[dirRead].mu.Unlock()
		lc.deadlines[dirWrite].mu.Lock()
		w = lc.deadlines[dirWrite].set
		lc.deadlines[dirWrite].mu.Unlock()
		return r, w
	}
	r0, w0 := deadlines()
	if r0.IsZero() || w0.IsZero() {
		t.Fatalf("the socket has no deadline (read %v, write %v)", r0, w0)
	}
	for range 50 {
		get()
	}
	if r1, w1 := deadlines(); !r1.Equal(r0) || !w1.Equal(w0) {
		t.Errorf("deadlines moved over 50 requests: read %v → %v, write %v → %v", r0, r1, w0, w1)
	}
}

// TestLazyDeadlineTimeouts: fasthttp's timeouts keep their meaning over a
// lineConn on a keep-alive connection: a request that stalls after its
// first bytes is cut at the read timeout, and an idle connection is
// closed at the idle timeout, not at the read timeout the socket had.
func TestLazyDeadlineTimeouts(t *testing.T) { bothWaits(t, testLazyDeadlineTimeouts) }

func testLazyDeadlineTimeouts(t *testing.T, tn *turns) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{
		Handler:           func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") },
		ReadTimeout:       150 * time.Millisecond,
		WriteTimeout:      time.Second,
		IdleTimeout:       600 * time.Millisecond,
		ReduceMemoryUsage: true,
	}
	go srv.Serve(lineListener{Listener: ln, turns: tn})
	defer srv.Shutdown()
	dial := func() (net.Conn, *bufio.Reader) {
		cc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		return cc, bufio.NewReader(cc)
	}
	get := func(cc net.Conn, br *bufio.Reader) {
		t.Helper()
		if _, err := cc.Write([]byte("GET /m HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		var resp fasthttp.Response
		if err := resp.Read(br); err != nil || string(resp.Body()) != "ok" {
			t.Fatalf("answer: %q, %v", resp.Body(), err)
		}
	}
	// closedAfter reads until the server closes the connection.
	closedAfter := func(cc net.Conn, br *bufio.Reader, began time.Time) time.Duration {
		t.Helper()
		cc.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, err := br.ReadByte(); err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatal("the server kept the connection open 5 s")
				}
				return time.Since(began)
			}
		}
	}

	// Idle: served for longer than the read timeout, then idle.
	cc, br := dial()
	for range 8 {
		get(cc, br)
		time.Sleep(40 * time.Millisecond)
	}
	began := time.Now()
	if took := closedAfter(cc, br, began); took < 550*time.Millisecond || took > 3*time.Second {
		t.Errorf("idle keep-alive connection closed after %v, want the idle timeout (600 ms)", took)
	}

	// Stalled: a request's first bytes, then nothing.
	cc, br = dial()
	for range 8 {
		get(cc, br)
		time.Sleep(40 * time.Millisecond)
	}
	began = time.Now()
	if _, err := cc.Write([]byte("GET /m HTT")); err != nil {
		t.Fatal(err)
	}
	if took := closedAfter(cc, br, began); took < 140*time.Millisecond || took > 500*time.Millisecond {
		t.Errorf("stalled request cut after %v, want the read timeout (150 ms)", took)
	}
}

// BenchmarkDeadlines is the deadline work of one keep-alive request
// under fasthttp with read, write and idle timeouts, without the reads and
// writes themselves (the same either way): Net sets the three deadlines
// fasthttp asks for on the socket (as before the lazy deadlines); Lazy
// asks the lineConn, which has the socket's deadlines checked before the
// read and the write of the request (begin, end).
func BenchmarkDeadlines(b *testing.B) {
	for _, mode := range []string{"Net", "Lazy"} {
		b.Run(mode, func(b *testing.B) {
			lc, _ := acceptLine(b)
			for b.Loop() {
				if mode == "Net" {
					lc.Conn.SetReadDeadline(time.Now().Add(time.Minute))
					lc.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
					lc.Conn.SetWriteDeadline(time.Now().Add(time.Minute))
					continue
				}
				lc.SetReadDeadline(time.Now().Add(time.Minute))
				lc.begin(dirRead)
				lc.end(dirRead, nil)
				lc.SetReadDeadline(time.Now().Add(10 * time.Second))
				lc.SetWriteDeadline(time.Now().Add(time.Minute))
				lc.begin(dirWrite)
				lc.end(dirWrite, nil)
			}
		})
	}
}
