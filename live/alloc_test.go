//go:build !race

package live_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// TestAllocsLiveSegment: the warm segment path of a live asset allocates
// nothing, as for VOD: the library's answer (a live asset's current
// snapshot) and each fragment cut from the archive's fragment objects.
func TestAllocsLiveSegment(t *testing.T) {
	feed, _ := feedBytes(t, 6)
	r := newRig(t, t.TempDir())
	start(t, r, out1)
	if err := r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatal(err)
	}
	a, err := r.lib.Asset("liveasset")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range a.Tracks {
		for _, out := range []packager.Output{packager.CMAF, packager.Smooth} {
			buf, err := tr.AppendSegment(nil, 0, out, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			buf = make([]byte, 0, 2*cap(buf)+1<<20)
			for i := range tr.Fragments { // open every fragment's object once
				buf, _ = tr.AppendSegment(buf[:0], i, out, nil, nil)
			}
			n := testing.AllocsPerRun(50, func() {
				if _, err := r.lib.Asset("liveasset"); err != nil {
					t.Fatal(err)
				}
				for i := range tr.Fragments {
					buf, _ = tr.AppendSegment(buf[:0], i, out, nil, nil)
				}
			})
			if n != 0 {
				t.Errorf("%s@%d output %v: %v allocs per run", tr.Name, tr.Bitrate, out, n)
			}
		}
	}
}
