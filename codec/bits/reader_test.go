package bits_test

import (
	"math/rand/v2"
	"testing"

	"github.com/drmorigin/drmorigin/codec/bits"
)

// pack turns a string of '0' and '1' into bytes, the last one padded with
// zero bits.
func pack(s string) []byte {
	b := make([]byte, (len(s)+7)/8)
	for i, c := range s {
		if c == '1' {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	return b
}

// TestExpGolomb reads ue(v) and se(v) codes of H.264 9.1 (Table 9-2, 9-3)
// and fixed-width fields between them.
func TestExpGolomb(t *testing.T) {
	r := bits.NewEBSPReader(pack("1" + "010" + "011" + "00100" + "00111" + "0001000" +
		"101" + "010" + "011" + "00100" + "00101" + "1"))
	for i, want := range []uint32{0, 1, 2, 3, 6, 7} {
		if got := r.UE(); got != want {
			t.Fatalf("ue %d = %d, want %d", i, got, want)
		}
	}
	if got := r.U(3); got != 5 {
		t.Fatalf("u(3) = %d, want 5", got)
	}
	for i, want := range []int32{1, -1, 2, -2} {
		if got := r.SE(); got != want {
			t.Fatalf("se %d = %d, want %d", i, got, want)
		}
	}
	if !r.Flag() || r.Err() {
		t.Fatal("last flag")
	}
}

// TestEmulationPrevention: 0x03 after two zero bytes is dropped from the
// bits, and BytePos counts it among the bytes read.
func TestEmulationPrevention(t *testing.T) {
	nalu := []byte{0x00, 0x00, 0x03, 0x01, 0xAB, 0x00, 0x00, 0x03, 0x00, 0xFF}
	r := bits.NewEBSPReader(nalu)
	if got := r.U(16); got != 0 || r.BytePos() != 2 {
		t.Fatalf("u(16) = %d at byte %d", got, r.BytePos())
	}
	if got := r.U(1); got != 0 || r.BytePos() != 4 {
		t.Fatalf("u(1) = %d at byte %d, want 0 at 4 (past the 0x03)", got, r.BytePos())
	}
	if got := r.U(7); got != 1 || !r.Aligned() {
		t.Fatalf("u(7) = %d", got)
	}
	if got := r.U(32); got != 0xAB000000 || r.BytePos() != 9 {
		t.Fatalf("u(32) = %#x at byte %d", got, r.BytePos())
	}
	if got := r.U(8); got != 0xFF || r.Err() {
		t.Fatalf("u(8) = %#x", got)
	}
	// A 0x03 that does not follow two zero bytes is data.
	r = bits.NewEBSPReader([]byte{0x00, 0x03, 0x00, 0x00, 0x04})
	if got := r.U(32); got != 0x00030000 {
		t.Fatalf("u(32) = %#x", got)
	}
}

// TestOverrun: reading past the end sets Err and yields zeros, as does an
// Exp-Golomb code longer than 63 bits.
func TestOverrun(t *testing.T) {
	r := bits.NewEBSPReader([]byte{0xFF})
	if got := r.U(9); got != 0 || !r.Err() {
		t.Fatalf("u(9) of one byte = %d, err %v", got, r.Err())
	}
	if got := r.U(1); got != 0 || !r.Err() {
		t.Fatal("read after overrun")
	}
	r = bits.NewEBSPReader(make([]byte, 9))
	if got := r.UE(); got != 0 || !r.Err() {
		t.Fatalf("ue of zeros = %d, err %v", got, r.Err())
	}
	r = bits.NewEBSPReader([]byte{0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA})
	r.Skip(40)
	if got := r.U(8); got != 0xAA || r.Err() {
		t.Fatalf("after skip(40): u(8) = %#x", got)
	}
}

func TestCeilLog2(t *testing.T) {
	for n, want := range map[uint32]uint{1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 64: 6, 65: 7, 1 << 31: 31} {
		if got := bits.CeilLog2(n); got != want {
			t.Errorf("CeilLog2(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestPlain: a plain reader keeps every byte, 0x03 after two zero bytes
// included, and a field cut short yields the bits there were, then zeros.
func TestPlain(t *testing.T) {
	r := bits.NewReader([]byte{0x00, 0x00, 0x03, 0x01, 0xB0})
	if got := r.U(32); got != 0x00000301 || r.BytePos() != 4 {
		t.Fatalf("u(32) = %#x at byte %d", got, r.BytePos())
	}
	if got := r.U(3); got != 5 || r.Err() {
		t.Fatalf("u(3) = %d", got)
	}
	if got := r.U(6); got != 0b100000 || !r.Err() {
		t.Fatalf("u(6) over the last 5 bits = %#b, err %v", got, r.Err())
	}
	if got := r.U(4); got != 0 || !r.Err() {
		t.Fatalf("u(4) past the end = %d", got)
	}
}

// naiveEBSP is the reference of TestReaderMatchesNaive: the RBSP of a NAL
// unit by the definition (H.264 7.4.1), read one bit at a time.
type naiveEBSP struct {
	rbsp []byte
	ebsp []int // the index in the NAL unit of each RBSP byte
	bit  int
}

func newNaive(nalu []byte, plain bool) *naiveEBSP {
	n := &naiveEBSP{}
	zeros := 0
	for i, c := range nalu {
		if !plain && zeros >= 2 && c == 0x03 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		n.rbsp = append(n.rbsp, c)
		n.ebsp = append(n.ebsp, i)
	}
	return n
}

func (n *naiveEBSP) u(k int) (uint32, bool) {
	if n.bit+k > 8*len(n.rbsp) {
		return 0, false
	}
	var v uint32
	for range k {
		v = v<<1 | uint32(n.rbsp[n.bit/8]>>(7-n.bit%8)&1)
		n.bit++
	}
	return v, true
}

func (n *naiveEBSP) ue() (uint32, bool) {
	lz := 0
	for {
		b, ok := n.u(1)
		if !ok || lz > 31 {
			return 0, false
		}
		if b == 1 {
			break
		}
		lz++
	}
	v, ok := n.u(lz)
	return (1<<lz - 1) + v, ok
}

// leadingZeros counts the zero bits from the next one on.
func (n *naiveEBSP) leadingZeros() int {
	z := 0
	for b := n.bit; b < 8*len(n.rbsp) && n.rbsp[b/8]>>(7-b%8)&1 == 0; b++ {
		z++
	}
	return z
}

// bytePos is BytePos by the definition.
func (n *naiveEBSP) bytePos() int {
	read := (n.bit + 7) / 8
	if read == 0 {
		return 0
	}
	return n.ebsp[read-1] + 1
}

// TestReaderMatchesNaive: random fields read from random NAL units full of
// 0x00, 0x01 and 0x03 bytes (emulation prevention everywhere, and bytes
// that fool a word-at-a-time zero test) give the values and byte positions
// of the reference, through the word loads and the byte loop alike, until
// the first overrun, which both report.
func TestReaderMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte{0x00, 0x00, 0x03, 0x01, 0x80, 0xff, 0x7f, 0x02}
	for trial := range 20000 {
		nalu := make([]byte, rng.IntN(40))
		for i := range nalu {
			if trial%3 == 0 {
				nalu[i] = byte(rng.Uint32())
			} else {
				nalu[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		plain := trial%5 == 0
		r := bits.NewEBSPReader(nalu)
		if plain {
			r = bits.NewReader(nalu)
		}
		ref := newNaive(nalu, plain)
		for op := 0; op < 40; op++ {
			var got, want uint32
			var ok bool
			if rng.IntN(2) == 0 {
				k := 1 + rng.IntN(32)
				got = r.U(uint(k))
				want, ok = ref.u(k)
			} else {
				if lz := ref.leadingZeros(); lz > 24 {
					break // codes of 50 bits and more: TestOverrun's
				}
				got = r.UE()
				want, ok = ref.ue()
			}
			if !ok {
				if !r.Err() {
					t.Fatalf("trial %d op %d: no overrun reported (% x)", trial, op, nalu)
				}
				break
			}
			if got != want || r.Err() {
				t.Fatalf("trial %d op %d: got %d (err %v), want %d (% x)", trial, op, got, r.Err(), want, nalu)
			}
			if bp, w := r.BytePos(), ref.bytePos(); !plain && bp != w {
				t.Fatalf("trial %d op %d: BytePos %d, want %d (% x)", trial, op, bp, w, nalu)
			}
		}
	}
}
