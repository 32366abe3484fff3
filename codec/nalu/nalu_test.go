package nalu_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/drmorigin/drmorigin/codec/nalu"
)

func TestEscapeRBSP(t *testing.T) {
	for _, c := range [][2]string{
		{"\x00\x00\x00", "\x00\x00\x03\x00"},
		{"\x00\x00\x01\x00\x00\x02", "\x00\x00\x03\x01\x00\x00\x03\x02"},
		{"\x00\x00\x04", "\x00\x00\x04"},
		{"\x00\x00\x03\x00\x00", "\x00\x00\x03\x03\x00\x00\x03"},
		{"\x01\x00", "\x01\x00"},
	} {
		got := nalu.AppendEscaped(nil, []byte(c[0]))
		if string(got) != c[1] {
			t.Errorf("escape % x = % x, want % x", c[0], got, c[1])
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(4)) // many zeros and small bytes
		}
		e := nalu.AppendEscaped(nil, b)
		if ref := escapeRef(b); !bytes.Equal(e, ref) {
			t.Fatalf("escape % x = % x, reference % x", b, e, ref)
		}
		if bytes.Contains(e, []byte{0, 0, 0}) || bytes.Contains(e, []byte{0, 0, 1}) || bytes.Contains(e, []byte{0, 0, 2}) {
			t.Fatalf("escape % x = % x emulates a start code", b, e)
		}
		if u := unescape(nil, e); !bytes.Equal(u, b) {
			t.Fatalf("unescape(escape(% x)) = % x", b, u)
		}
	}
}

// escapeRef is the byte-at-a-time emulation prevention of H.264 7.4.1.
func escapeRef(b []byte) []byte {
	var out []byte
	zeros := 0
	for _, v := range b {
		if zeros >= 2 && v <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, v)
		if v == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	if zeros >= 2 {
		out = append(out, 3)
	}
	return out
}

// unescape appends to dst the NAL unit b without its emulation
// prevention bytes (the 0x03 of every 00 00 03).
func unescape(dst, b []byte) []byte {
	zeros := 0
	start := 0
	for i, v := range b {
		if zeros >= 2 && v == 3 {
			dst = append(dst, b[start:i]...)
			start = i + 1
			zeros = 0
			continue
		}
		if v == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return append(dst, b[start:]...)
}

func TestLen(t *testing.T) {
	b := []byte{0x01, 0x02, 0x03, 0x04, 0x05}
	for size, want := range map[int]int{1: 0x01, 2: 0x0102, 4: 0x01020304} {
		if got := nalu.Len(b, size); got != want {
			t.Errorf("Len(%d) = %#x, want %#x", size, got, want)
		}
	}
}
