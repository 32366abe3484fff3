package packager_test

import (
	"bytes"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// TestCBCSMapCache: cbcs segments made with the table of subsample maps
// (subsample_cache.go), on its first request for a fragment (a miss) and
// on repeats in any order (hits), are byte for byte the segments made
// without it, for H.264 and HEVC, in CMAF (the one fMP4 form cbcs has) and in DASH
// trick-mode (which bypasses the table), on shared and fresh Scratches.
func TestCBCSMapCache(t *testing.T) {
	e := testEncryption(t, packager.SchemeCBCS)
	outs := map[string]packager.Output{"cmaf": packager.CMAF, "keys": packager.CMAFKeyFrames}
	for _, name := range []string{"demo", "hevc", "legacy", "progressive"} {
		// The reference: no table, a fresh asset.
		old := packager.SetMapCache(false)
		ref := map[string][][]byte{}
		for _, tr := range openAsset(t, name).Tracks {
			if tr.Kind != packager.Video {
				continue
			}
			for on, out := range outs {
				for i := range tr.Fragments {
					seg, err := tr.AppendSegment(nil, i, out, e, nil)
					if err != nil {
						t.Fatalf("%s %s %s fragment %d: %v", name, tr.Path, on, i, err)
					}
					ref[tr.Path+on] = append(ref[tr.Path+on], seg)
				}
			}
		}
		packager.SetMapCache(true)
		s := new(packager.Scratch)
		for _, tr := range openAsset(t, name).Tracks {
			if tr.Kind != packager.Video {
				continue
			}
			n := len(tr.Fragments)
			// Forward (misses), backward and forward again (hits), then
			// every other fragment, each form in turn on one table.
			var order []int
			for i := range n {
				order = append(order, i)
			}
			for i := range n {
				order = append(order, n-1-i)
			}
			for i := range n {
				order = append(order, i, (i*7+3)%n)
			}
			for _, i := range order {
				for on, out := range outs {
					seg, err := tr.AppendSegment(nil, i, out, e, s)
					if err != nil {
						t.Fatalf("%s %s %s fragment %d: %v", name, tr.Path, on, i, err)
					}
					if !bytes.Equal(seg, ref[tr.Path+on][i]) {
						t.Fatalf("%s %s %s fragment %d: differs from the segment made without the table", name, tr.Path, on, i)
					}
				}
			}
		}
		packager.SetMapCache(old)
	}
}
