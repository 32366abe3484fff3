package ts

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/drmorigin/drmorigin/codec/nalu"
)

// TestAppendEscapedRef checks that the chunks appendEscapedRef adds read,
// in order, exactly as nalu.AppendEscaped's copy, on NAL units drawn mostly
// from zeros and bytes up to 4 so that pairs fall at every place: start,
// end, back to back, in runs.
func TestAppendEscapedRef(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for it := range 20000 {
		b := make([]byte, r.IntN(300))
		for i := range b {
			switch r.IntN(it%7 + 2) {
			case 0:
				b[i] = 0
			case 1:
				b[i] = byte(r.IntN(5))
			default:
				b[i] = byte(r.Uint32())
			}
		}
		m := &Muxer{buf: []byte("hdr")}
		m.appendEscapedRef(b)
		m.endRun()
		var got []byte
		for c := range m.chunks {
			got = append(got, m.chunkBytes(c)...)
		}
		if want := nalu.AppendEscaped([]byte("hdr"), b); !bytes.Equal(got, want) {
			t.Fatalf("% x: by reference % x, AppendEscaped % x", b, got, want)
		}
		if m.pesExt+len(m.buf) != len(got) {
			t.Fatalf("% x: %d bytes by reference and %d in buf, %d in all", b, m.pesExt, len(m.buf), len(got))
		}
	}
}
