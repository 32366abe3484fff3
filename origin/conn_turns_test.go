//go:build linux

package origin

import (
	"bufio"
	"errors"
	"io"
	"net"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestTurnsOrderNoRace: connections waiting for their next request are
// served in the order their requests arrived. On one processor the woken
// goroutines run in the order they are woken in, so the order they run in
// is the order served. The Go poller's order on the same arrivals is
// logged beside it (its batches run newest first; not asserted: the
// runtime's, not ours). The race detector randomises the scheduler's
// order: this test runs in the race-free pass (make test-alloc).
func TestTurnsOrderNoRace(t *testing.T) {
	if raceOn {
		t.Skip("the race detector randomises the scheduler's order; run without -race (make test-alloc)")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const n = 24
	order := func(tn *turns) []int {
		lcs := make([]*lineConn, n)
		ccs := make([]net.Conn, n)
		for i := range lcs {
			lcs[i], ccs[i] = acceptLineWith(t, tn)
		}
		var mu sync.Mutex
		var got []int
		var parked, done sync.WaitGroup
		for i, lc := range lcs {
			parked.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				var b [1]byte
				parked.Done()
				if _, err := lc.Read(b[:]); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got = append(got, i)
				mu.Unlock()
			}()
		}
		parked.Wait()
		// Every reader has parked: this goroutine is the only one to run
		// until it blocks, on one processor.
		for runtime.Gosched(); ; runtime.Gosched() {
			if tn == nil || waitingCount(tn) == n {
				break
			}
		}
		for _, cc := range ccs {
			if _, err := cc.Write([]byte("G")); err != nil {
				t.Fatal(err)
			}
			// Loopback delivers within the write: the sockets turn
			// readable in this order, while no reader runs.
		}
		done.Wait()
		return got
	}
	in := make([]int, n)
	for i := range in {
		in[i] = i
	}
	t.Logf("the Go poller's order: %v", order(nil))
	got := order(newTestTurns(t))
	if !slices.Equal(got, in) {
		t.Errorf("served in the order %v, want the order of arrival %v", got, in)
	}
}

// waitingCount is the number of connections waiting in tn.
func waitingCount(tn *turns) int {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	n := 0
	for _, c := range tn.conns {
		if c.turnWaiting {
			n++
		}
	}
	return n
}

// TestTurnsEnd: a wait in turns ends when the socket has bytes already
// (sent before the wait), when the peer hangs up, when a read deadline
// is asked from another goroutine, when the connection is closed, and when
// the turns are closed; the wait then leaves nothing in the set.
func TestTurnsEnd(t *testing.T) {
	tn := newTestTurns(t)
	readIn := func(lc *lineConn, within time.Duration) (int, error) {
		t.Helper()
		type res struct {
			n   int
			err error
		}
		ch := make(chan res, 1)
		go func() {
			var b [1]byte
			n, err := lc.Read(b[:])
			ch <- res{n, err}
		}()
		select {
		case r := <-ch:
			return r.n, r.err
		case <-time.After(within):
			t.Fatalf("the read did not end within %v", within)
			return 0, nil
		}
	}
	waitFor := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); waitingCount(tn) != n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d connections waiting, want %d", waitingCount(tn), n)
			}
		}
	}

	t.Run("BytesBefore", func(t *testing.T) {
		lc, cc := acceptLineWith(t, tn)
		cc.Write([]byte("GET"))
		time.Sleep(10 * time.Millisecond)
		if n, err := readIn(lc, 2*time.Second); n != 1 || err != nil {
			t.Fatalf("read: %d, %v", n, err)
		}
	})
	t.Run("HangUp", func(t *testing.T) {
		lc, cc := acceptLineWith(t, tn)
		go func() { waitFor(1); cc.Close() }()
		if n, err := readIn(lc, 2*time.Second); n != 0 || err != io.EOF {
			t.Fatalf("read after the peer closed: %d, %v; want io.EOF", n, err)
		}
	})
	t.Run("DeadlineAskedDuring", func(t *testing.T) {
		lc, _ := acceptLineWith(t, tn)
		go func() { waitFor(1); lc.SetReadDeadline(time.Now().Add(30 * time.Millisecond)) }()
		began := time.Now()
		_, err := readIn(lc, 2*time.Second)
		if !isTimeout(err) {
			t.Fatalf("read: %v, want a timeout", err)
		}
		if took := time.Since(began); took < 30*time.Millisecond {
			t.Errorf("timed out after %v, before the deadline", took)
		}
	})
	t.Run("Deadline", func(t *testing.T) {
		lc, _ := acceptLineWith(t, tn)
		lc.SetReadDeadline(time.Now().Add(40 * time.Millisecond))
		began := time.Now()
		_, err := readIn(lc, 2*time.Second)
		if !isTimeout(err) {
			t.Fatalf("read: %v, want a timeout", err)
		}
		if took := time.Since(began); took < 40*time.Millisecond || took > 40*time.Millisecond+turnsTick+500*time.Millisecond {
			t.Errorf("timed out after %v, want 40 ms (+ at most %v)", took, turnsTick)
		}
	})
	t.Run("Closed", func(t *testing.T) {
		lc, _ := acceptLineWith(t, tn)
		go func() { waitFor(1); lc.Close() }()
		if _, err := readIn(lc, 2*time.Second); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read on the closed connection: %v, want net.ErrClosed", err)
		}
	})
	waitFor(0)
	t.Run("TurnsClosed", func(t *testing.T) {
		own, err := newTurns()
		if err != nil {
			t.Fatal(err)
		}
		lc, cc := acceptLineWith(t, own)
		go func() {
			for waitingCount(own) != 1 {
				time.Sleep(time.Millisecond)
			}
			own.close()
			// Woken, the connection waits in the Go poller.
			time.Sleep(10 * time.Millisecond)
			cc.Write([]byte("G"))
		}()
		if n, err := readIn(lc, 2*time.Second); n != 1 || err != nil {
			t.Fatalf("read after the turns closed: %d, %v", n, err)
		}
		// A wait after the close goes to the Go poller at once.
		cc.Write([]byte("E"))
		if n, err := readIn(lc, 2*time.Second); n != 1 || err != nil {
			t.Fatalf("read after the turns closed: %d, %v", n, err)
		}
	})
}

// TestTurnsKeepAlive: fasthttp over connections in turns answers a run
// of keep-alive requests on many connections, each idle connection then
// waits in turns, and Shutdown closes them there.
func TestTurnsKeepAlive(t *testing.T) {
	tn := newTestTurns(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{
		Handler:           func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") },
		ReadTimeout:       10 * time.Second,
		IdleTimeout:       time.Minute,
		ReduceMemoryUsage: true,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lineListener{Listener: ln, turns: tn}) }()
	const conns, each = 16, 50
	ccs := make([]net.Conn, conns)
	var wg sync.WaitGroup
	for i := range ccs {
		cc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		ccs[i] = cc
		wg.Go(func() {
			br := bufio.NewReader(cc)
			for range each {
				if _, err := cc.Write([]byte("GET /m HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
					t.Error(err)
					return
				}
				var resp fasthttp.Response
				if err := resp.Read(br); err != nil || string(resp.Body()) != "ok" {
					t.Errorf("answer: %q, %v", resp.Body(), err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Idle, every connection waits for its next request in turns: none
	// was left in the Go poller's wait by the run.
	for deadline := time.Now().Add(5 * time.Second); waitingCount(tn) != conns; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d idle connections wait in turns", waitingCount(tn), conns)
		}
	}
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown() }()
	select {
	case err := <-shut:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not close the idle connections waiting in turns within 10 s")
	}
	if n := waitingCount(tn); n != 0 {
		t.Errorf("%d connections still waiting after Shutdown", n)
	}
	for _, cc := range ccs {
		cc.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := cc.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Errorf("client read after Shutdown: %v, want the connection closed", err)
		}
	}
}

// isTimeout reports whether err is a timeout, as net.Conn reports one.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
