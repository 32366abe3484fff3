package origin

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// threadReads is the read system calls of the calling thread so far
// (syscr of /proc/thread-self/io).
func threadReads(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/thread-self/io")
	if err != nil {
		t.Fatalf("read system calls of the thread: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "syscr:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("/proc/thread-self/io: no syscr")
	return 0
}

// acceptLine returns both ends of a loopback TCP connection, the server's
// as lineListener accepts it.
func acceptLine(t testing.TB) (*lineConn, net.Conn) { return acceptLineWith(t, nil) }

// acceptLineWith is acceptLine with the server's end waiting in tn
// (nil: in the Go poller).
func acceptLineWith(t testing.TB, tn *turns) (*lineConn, net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	sc, err := lineListener{Listener: ln, turns: tn}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	lc := sc.(*lineConn)
	if lc.sock == nil {
		t.Fatal("a TCP connection without its socket: no read-ahead")
	}
	return lc, cc
}

// newTestTurns is a turns closed when the test ends.
func newTestTurns(t testing.TB) *turns {
	tn, err := newTurns()
	if err != nil {
		t.Fatal(err)
	}
	if tn == nil {
		t.Skip("no turns on " + runtime.GOOS + ": connections wait in the Go poller")
	}
	t.Cleanup(tn.close)
	return tn
}

// bothWaits runs f with connections that wait for their next request in
// the Go poller and in turns.
func bothWaits(t *testing.T, f func(*testing.T, *turns)) {
	t.Run("GoPoller", func(t *testing.T) { f(t, nil) })
	t.Run("Turns", func(t *testing.T) { f(t, newTestTurns(t)) })
}

// TestReadAhead: fasthttp's one-byte wait for a keep-alive request reads
// the whole request in one system call, and the read of the rest that
// follows makes none; the bytes, pipelined requests included, come out as
// sent, and the request line is still measured.
func TestReadAhead(t *testing.T) { bothWaits(t, testReadAhead) }

func testReadAhead(t *testing.T, tn *turns) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	lc, cc := acceptLineWith(t, tn)
	reqs := "GET /a/manifest(format=mpd-time-csf) HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
	if _, err := cc.Write([]byte(reqs)); err != nil {
		t.Fatal(err)
	}
	// Reading /proc makes read system calls of its own: measured first.
	r0 := threadReads(t)
	own := threadReads(t) - r0
	var first [1]byte
	r1 := threadReads(t)
	if n, err := lc.Read(first[:]); n != 1 || err != nil || first[0] != 'G' {
		t.Fatalf("first byte: %d %q %v", n, first[:n], err)
	}
	r2 := threadReads(t)
	rest := make([]byte, 24<<10)
	n, err := lc.Read(rest)
	r3 := threadReads(t)
	if err != nil || string(first[:])+string(rest[:n]) != reqs {
		t.Fatalf("rest: %q, %v; want %q", rest[:n], err, reqs[1:])
	}
	if got := r2 - r1 - own; got != 1 {
		t.Errorf("the one-byte read made %d read system calls, want 1", got)
	}
	if got := r3 - r2 - own; got != 0 {
		t.Errorf("the read of the rest made %d read system calls, want 0 (it was read ahead)", got)
	}
	if lc.aheadBuf != nil || lc.ahead != nil {
		t.Error("the read-ahead buffer was not given back once taken")
	}
	if want := len("GET /a/manifest(format=mpd-time-csf) HTTP/1.1"); lc.line != want || !lc.ended {
		t.Errorf("request line measured %d (ended %v), want %d", lc.line, lc.ended, want)
	}
}

// TestReadAheadLong: a request longer than the read-ahead buffer comes
// out whole and in order (the rest by ordinary reads), and small reads
// take the kept bytes piece by piece.
func TestReadAheadLong(t *testing.T) { bothWaits(t, testReadAheadLong) }

func testReadAheadLong(t *testing.T, tn *turns) {
	lc, cc := acceptLineWith(t, tn)
	req := "GET /x HTTP/1.1\r\nCookie: " + strings.Repeat("c", 3*readAheadSize) + "\r\n\r\n"
	go cc.Write([]byte(req))
	var got bytes.Buffer
	b := make([]byte, 4)
	for got.Len() < len(req) {
		// Alternate one-byte reads (read-ahead) and 4-byte reads (the kept
		// bytes, else the socket).
		n, err := lc.Read(b[:1+got.Len()%2*3])
		if err != nil {
			t.Fatalf("after %d bytes: %v", got.Len(), err)
		}
		got.Write(b[:n])
	}
	if got.String() != req {
		t.Error("the bytes read are not the bytes sent")
	}
}

// TestReadAheadDeadlineAndEOF: the one-byte wait keeps the connection's
// read deadline (a timeout error, as net.Conn.Read gives) and reports the
// peer's close as io.EOF.
func TestReadAheadDeadlineAndEOF(t *testing.T) { bothWaits(t, testReadAheadDeadlineAndEOF) }

func testReadAheadDeadlineAndEOF(t *testing.T, tn *turns) {
	lc, cc := acceptLineWith(t, tn)
	lc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var b [1]byte
	_, err := lc.Read(b[:])
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	lc.SetReadDeadline(time.Time{})
	cc.Close()
	if n, err := lc.Read(b[:]); n != 0 || err != io.EOF {
		t.Fatalf("read after the peer closed: %d, %v; want io.EOF", n, err)
	}
}
