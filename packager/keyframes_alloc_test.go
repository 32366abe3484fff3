//go:build !race

package packager_test

import (
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// TestAllocsAppendSegmentChunked: segments of fragments with several key
// frames (one chunk each) and trick-mode segments (CMAFKeyFrames) are on
// the hot path too: with a warm buffer and Scratch they allocate nothing,
// clear and under every CMAF scheme.
func TestAllocsAppendSegmentChunked(t *testing.T) {
	video, _ := trickTracks(t)
	for _, out := range []packager.Output{packager.CMAF, packager.CMAFKeyFrames} {
		for _, sc := range []packager.Scheme{packager.SchemeNone, packager.SchemeCENC, packager.SchemeCBCS, packager.SchemeAES128} {
			var p *packager.Protection
			if sc != packager.SchemeNone {
				p = testEncryption(t, sc)
			}
			s := new(packager.Scratch)
			var buf []byte
			for i := range video.Fragments {
				var err error
				if buf, err = video.AppendSegment(buf[:0], i, out, p, s); err != nil {
					t.Fatal(err)
				}
			}
			buf = make([]byte, 0, 2*cap(buf)+1<<20)
			n := testing.AllocsPerRun(20, func() {
				for i := range video.Fragments {
					buf, _ = video.AppendSegment(buf[:0], i, out, p, s)
				}
			})
			if n != 0 {
				t.Errorf("%v %s: %v allocs per run", out, sc, n)
			}
		}
	}
}
