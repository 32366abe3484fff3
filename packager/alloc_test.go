//go:build !race

package packager_test

import (
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// TestAllocsAppendSegment: with a warm buffer, cutting a segment allocates
// nothing, whether the moof is copied or rewritten.
func TestAllocsAppendSegment(t *testing.T) {
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 4)
	defer lib.Close()
	for _, name := range []string{"demo", "hevc", "legacy", "progressive"} {
		a, err := lib.Asset(name)
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
				n := testing.AllocsPerRun(100, func() {
					for i := range tr.Fragments {
						buf, _ = tr.AppendSegment(buf[:0], i, out, nil, nil)
					}
					_, _ = tr.FragmentAt(tr.Fragments[len(tr.Fragments)-1].Time)
				})
				if n != 0 {
					t.Errorf("%s %s output %v: %v allocs per run", name, tr.Name, out, n)
				}
			}
		}
	}
}

// TestAllocsAppendSegmentEncrypted: with a warm buffer and Scratch, an
// encrypted segment of every scheme allocates nothing, for every fragment of
// every track (H.264, HEVC, AAC).
func TestAllocsAppendSegmentEncrypted(t *testing.T) {
	for _, name := range []string{"demo", "hevc", "legacy", "progressive"} {
		a := openAsset(t, name)
		for _, tr := range a.Tracks {
			for _, sc := range allSchems {
				e := testEncryption(t, sc)
				out := outputOf(sc)
				s := new(packager.Scratch)
				var buf []byte
				for i := range tr.Fragments { // warm: buffers and layout hints
					var err error
					if buf, err = tr.AppendSegment(buf[:0], i, out, e, s); err != nil {
						t.Fatal(err)
					}
				}
				buf = make([]byte, 0, 2*cap(buf)+1<<20)
				n := testing.AllocsPerRun(20, func() {
					for i := range tr.Fragments {
						buf, _ = tr.AppendSegment(buf[:0], i, out, e, s)
					}
				})
				if n != 0 {
					t.Errorf("%s %s %s: %v allocs per run", name, tr.Name, sc, n)
				}
			}
		}
	}
}
