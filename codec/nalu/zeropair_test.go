package nalu_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/drmorigin/drmorigin/codec/nalu"
)

// TestIndexZeroPair holds IndexZeroPair to bytes.Index at every length up
// to past two steps and at every pair position, across step edges, with
// single zeros around.
func TestIndexZeroPair(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pair := []byte{0, 0}
	for n := range 200 {
		for it := range 200 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(1 + r.IntN(255))
				if r.IntN(8) == 0 {
					b[i] = 0
				}
			}
			if it%3 == 0 {
				for i := 1; i < n; i++ { // no pairs, single zeros only
					if b[i] == 0 && b[i-1] == 0 {
						b[i] = 9
					}
				}
			}
			if got, want := nalu.IndexZeroPair(b), bytes.Index(b, pair); got != want {
				t.Fatalf("% x: IndexZeroPair %d, bytes.Index %d", b, got, want)
			}
			// and from an unaligned start
			if n > 3 {
				if got, want := nalu.IndexZeroPair(b[3:]), bytes.Index(b[3:], pair); got != want {
					t.Fatalf("% x: IndexZeroPair %d, bytes.Index %d", b[3:], got, want)
				}
			}
		}
	}
}

func BenchmarkIndexZeroPair(b *testing.B) {
	buf := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range buf {
		buf[i] = byte(r.Uint32())
		if buf[i] == 0 && i > 0 && buf[i-1] == 0 {
			buf[i] = 1
		}
	}
	b.Run("IndexZeroPair", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			if nalu.IndexZeroPair(buf) != -1 {
				b.Fatal("pair")
			}
		}
	})
	b.Run("bytes.Index", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			if bytes.Index(buf, []byte{0, 0}) != -1 {
				b.Fatal("pair")
			}
		}
	})
}
