package crypto_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
)

// TestEncryptCBCRanges: every range comes out as EncryptCBC makes it from
// the same IV, for range counts that leave lanes idle, empty ranges and
// lengths from one block to many; the bytes between ranges are untouched
// and a range of a partial block panics.
func TestEncryptCBCRanges(t *testing.T) {
	k, err := crypto.NewKey(bytes.Repeat([]byte{0x3C}, 16))
	if err != nil {
		t.Fatal(err)
	}
	iv := [16]byte{4, 3, 2, 1}
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 300 {
		buf := make([]byte, 1<<16)
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		want := bytes.Clone(buf)
		var ranges [][]byte
		at := 0
		for range trial % 13 {
			at += rng.IntN(20)
			n := 16 * rng.IntN(40)
			if trial%5 == 0 {
				n = 16 * rng.IntN(400)
			}
			if at+n > len(buf) {
				break
			}
			ranges = append(ranges, buf[at:at+n])
			c := iv
			k.EncryptCBC(want[at:at+n], &c)
			at += n
		}
		k.EncryptCBCRanges(ranges, iv)
		if !bytes.Equal(buf, want) {
			t.Fatalf("trial %d (%d ranges): differs from EncryptCBC range by range", trial, len(ranges))
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a range of 17 bytes: no panic")
		}
	}()
	k.EncryptCBCRanges([][]byte{make([]byte, 32), make([]byte, 17)}, iv)
}
