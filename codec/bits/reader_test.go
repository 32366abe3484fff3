package bits_test

import (
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
