package live_test

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/packager"
)

// TestConcurrentReaders reads the live asset (the library's answer, every
// fragment's segment in two forms) from several goroutines while a feed is
// ingested and the window slides: run with -race, it checks the snapshot
// design (copy-on-write indexes, fragment objects opened and closed under
// readers). Every segment of a snapshot must be served.
func TestConcurrentReaders(t *testing.T) {
	feed, _ := feedBytes(t, 12)
	r := newRig(t, t.TempDir())
	o := out1
	o.Window = 4 * time.Second
	start(t, r, o)
	var done atomic.Bool
	var served atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for !done.Load() {
				a, err := r.lib.Asset("liveasset")
				if err != nil {
					continue // no fragment yet
				}
				for _, tr := range a.Tracks {
					for i := range tr.Fragments {
						for _, out := range []packager.Output{packager.CMAF, packager.Smooth} {
							if buf, err = tr.AppendSegment(buf[:0], i, out, nil, nil); err != nil {
								t.Errorf("%s fragment %d of a snapshot: %v", tr.Name, i, err)
								return
							}
							served.Add(1)
						}
					}
				}
			}
		}()
	}
	err := r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed))
	done.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if served.Load() == 0 {
		t.Fatal("no segment served while ingesting")
	}
}
