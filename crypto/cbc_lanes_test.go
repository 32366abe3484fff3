package crypto_test

import (
	"bytes"
	stdaes "crypto/aes"
	"crypto/cipher"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
)

// refCBCSegment is the HLS AES-128 segment by the standard library:
// PKCS#7 padding, then CBC.
func refCBCSegment(t testing.TB, key, src []byte, iv [16]byte) []byte {
	t.Helper()
	blk, err := stdaes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	p := crypto.AppendPKCS7(append([]byte(nil), src...), len(src))
	cipher.NewCBCEncrypter(blk, iv[:]).CryptBlocks(p, p)
	return p
}

// laneKeys are the keys chains draw from: some chains share a key, as
// segments of one asset do, others do not.
func laneKeys(t testing.TB, r *rand.Rand, n int) ([][]byte, []*crypto.Key) {
	raw := make([][]byte, n)
	keys := make([]*crypto.Key, n)
	for i := range raw {
		raw[i] = make([]byte, 16)
		for j := range raw[i] {
			raw[i][j] = byte(r.Uint32())
		}
		keys[i] = mustKey(t, raw[i])
	}
	return raw, keys
}

// TestCBCLanesLoops runs the 4- and 8-lane loops directly, at every number
// of busy lanes, each lane under its own key and IV, against crypto/cipher's
// CBC over the same blocks (and the chain value left behind).
func TestCBCLanesLoops(t *testing.T) {
	if !crypto.UseAsm {
		t.Skip("the lane loops are assembly; built with purego or not on amd64 (TestCBCLanesConcurrent checks the portable path)")
	}
	r := rand.New(rand.NewPCG(1, 2))
	raw, keys := laneKeys(t, r, 16)
	widths := []int{4, 8}
	if crypto.LaneWidth == 16 {
		widths = append(widths, 16) // the AVX-512 VAES loop
	}
	for _, width := range widths {
		for busy := 1; busy <= width; busy++ {
			for _, n := range []int{0, 1, 2, 7, 64} {
				bufs := make([][]byte, busy)
				want := make([][]byte, busy)
				ivs := make([][16]byte, busy)
				lk := make([]*crypto.Key, busy)
				wantIV := make([][16]byte, busy)
				for l := range busy {
					bufs[l] = make([]byte, (n+l+1)*16) // longer than n: the rest stays clear
					for i := range bufs[l] {
						bufs[l][i] = byte(r.Uint32())
					}
					for i := range ivs[l] {
						ivs[l][i] = byte(r.Uint32())
					}
					ki := (l * 5) % len(keys)
					if l%3 == 2 {
						ki = 0
					}
					lk[l] = keys[ki]
					blk, _ := stdaes.NewCipher(raw[ki])
					want[l] = append([]byte(nil), bufs[l]...)
					cipher.NewCBCEncrypter(blk, ivs[l][:]).CryptBlocks(want[l][:n*16], want[l][:n*16])
					wantIV[l] = ivs[l]
					if n > 0 {
						copy(wantIV[l][:], want[l][(n-1)*16:n*16])
					}
				}
				crypto.CBCLanesRaw(width, lk, bufs, ivs, n)
				for l := range busy {
					if !bytes.Equal(bufs[l], want[l]) {
						t.Errorf("width %d, %d busy, %d blocks: lane %d differs from crypto/cipher", width, busy, n, l)
					}
					if ivs[l] != wantIV[l] {
						t.Errorf("width %d, %d busy, %d blocks: lane %d chain value %x, want %x", width, busy, n, l, ivs[l], wantIV[l])
					}
				}
			}
		}
	}
}

// TestCBCLanesConcurrent encrypts N segments at once through one scheduler,
// for N from 1 to past the lanes and the slots, with lengths around the
// joining threshold, the chunk and odd tails, and checks every segment
// against crypto/cipher. GOMAXPROCS 1 is the bench's pinned core (the lanes
// fill only because the owner yields); 2 lets chains arrive in parallel.
func TestCBCLanesConcurrent(t *testing.T) {
	minLen := crypto.LaneMinBlocks * 16
	lengths := []int{0, 1, 15, 16, 17, minLen - 1, minLen, minLen + 1, minLen + 33,
		4096*16 - 5, 4096 * 16, 4096*16 + 16, 3*4096*16 + 7, 200_003, 1_130_000}
	for _, procs := range []int{1, 2} {
		for _, chains := range []int{1, 2, 3, 4, 5, 8, 9, 12, 16, 17, 40} {
			t.Run(fmt.Sprintf("procs=%d/chains=%d", procs, chains), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				r := rand.New(rand.NewPCG(uint64(chains), uint64(procs)))
				raw, keys := laneKeys(t, r, 5)
				lanes := crypto.NewCBCLanes()
				for rep := range 3 {
					srcs := make([][]byte, chains)
					outs := make([][]byte, chains)
					want := make([][]byte, chains)
					ivs := make([][16]byte, chains)
					ki := make([]int, chains)
					for c := range chains {
						n := lengths[(c*7+rep*3)%len(lengths)]
						if chains > 1 && c%2 == 0 {
							n = 300_000 + r.IntN(100_000) // long chains, so that they overlap
						}
						srcs[c] = make([]byte, n)
						for i := range srcs[c] {
							srcs[c][i] = byte(r.Uint32())
						}
						for i := range ivs[c] {
							ivs[c][i] = byte(r.Uint32())
						}
						ki[c] = r.IntN(len(keys))
						want[c] = refCBCSegment(t, raw[ki[c]], srcs[c], ivs[c])
					}
					var wg sync.WaitGroup
					for c := range chains {
						wg.Go(func() {
							if c%3 == 1 { // in place, as the packager does
								buf := make([]byte, len(srcs[c]), len(srcs[c])+16)
								copy(buf, srcs[c])
								outs[c] = keys[ki[c]].AppendCBCSegmentLanes(buf[:0], buf, ivs[c], lanes)
								return
							}
							outs[c] = keys[ki[c]].AppendCBCSegmentLanes([]byte("head"), srcs[c], ivs[c], lanes)[4:]
						})
					}
					wg.Wait()
					for c := range chains {
						if !bytes.Equal(outs[c], want[c]) {
							t.Fatalf("rep %d: chain %d (%d bytes) differs from crypto/cipher", rep, c, len(srcs[c]))
						}
					}
				}
				if crypto.UseAsm && procs == 1 && chains >= 4 && lanes.Peak() < 2 {
					t.Errorf("%d chains at once never shared a loop (peak %d lanes)", chains, lanes.Peak())
				}
				if crypto.LaneWidth == 16 && procs == 1 && chains >= 16 && lanes.Peak() <= 8 {
					t.Errorf("%d chains at once never ran the 16-lane loop (peak %d lanes)", chains, lanes.Peak())
				}
			})
		}
	}
}

// TestCBCLanesShared checks the process's shared scheduler, the one the
// packager uses through AppendCBCSegment.
func TestCBCLanesShared(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	raw, keys := laneKeys(t, r, 2)
	var wg sync.WaitGroup
	for c := range 6 {
		wg.Go(func() {
			src := make([]byte, 150_001+c*4099)
			for i := range src {
				src[i] = byte(i * (c + 1))
			}
			iv := [16]byte{byte(c)}
			got := keys[c%2].AppendCBCSegment(nil, src, iv)
			if !bytes.Equal(got, refCBCSegment(t, raw[c%2], src, iv)) {
				t.Errorf("chain %d differs from crypto/cipher", c)
			}
		})
	}
	wg.Wait()
}
