//go:build !race

package origin

import (
	"runtime/debug"
	"testing"
)

// TestReadAheadAllocs: reading a request ahead allocates nothing (the
// socket callback is bound once per connection, the buffer pooled): a
// closure made per read cost four allocations per request.
func TestReadAheadAllocs(t *testing.T) {
	lc, cc := acceptLine(t)
	req := []byte("GET /a/manifest(format=mpd-time-csf) HTTP/1.1\r\nHost: x\r\n\r\n")
	var first [1]byte
	rest := make([]byte, 4<<10)
	serve := func() {
		if _, err := cc.Write(req); err != nil {
			t.Fatal(err)
		}
		if n, err := lc.Read(first[:]); n != 1 || err != nil {
			t.Fatalf("first byte: %d, %v", n, err)
		}
		if n, err := lc.Read(rest); n != len(req)-1 || err != nil {
			t.Fatalf("rest: %d, %v", n, err)
		}
	}
	if n := allocsNoGC(100, serve); n != 0 {
		t.Errorf("%v allocations per request read, want 0", n)
	}
}

// allocsNoGC is testing.AllocsPerRun with the garbage collector off (a
// GC empties the buffer pool, and a Get after it allocates afresh) after
// a few warm-up runs.
func allocsNoGC(runs int, f func()) float64 {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range 3 {
		f()
	}
	return testing.AllocsPerRun(runs, f)
}
