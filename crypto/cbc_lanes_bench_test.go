package crypto_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
)

// BenchmarkEncryptCBCLanes encrypts N whole HLS AES-128 segments of 1.13 MB
// (the bench suite's segment size) at once, one goroutine each, through the
// lanes ("lanes") and each chain alone as before ("alone"), in one process
// so that the ratio comes from one run. Run it with -cpu 1 for the bench's
// pinned core: there "alone" is one chain after another at the single-chain
// limit. MB/s counts every segment's bytes. One op is N segments.
func BenchmarkEncryptCBCLanes(b *testing.B) {
	k, _ := benchKey(b)
	const size = 1_130_000
	for _, n := range []int{1, 2, 4, 8} {
		for _, mode := range []string{"alone", "lanes"} {
			b.Run(fmt.Sprintf("chains=%d/%s", n, mode), func(b *testing.B) {
				var lanes *crypto.CBCLanes
				if mode == "lanes" {
					lanes = crypto.NewCBCLanes()
				}
				bufs := make([][]byte, n)
				for i := range bufs {
					bufs[i] = make([]byte, size, size+16)
				}
				start := make([]chan struct{}, n)
				var wg sync.WaitGroup
				for i := range n {
					start[i] = make(chan struct{})
					go func() {
						for range start[i] {
							bufs[i] = k.AppendCBCSegmentLanes(bufs[i][:0], bufs[i][:size], [16]byte{byte(i)}, lanes)
							wg.Done()
						}
					}()
				}
				defer func() {
					for _, c := range start {
						close(c)
					}
				}()
				b.ReportAllocs()
				b.SetBytes(int64(n * size))
				for b.Loop() {
					wg.Add(n)
					for _, c := range start {
						c <- struct{}{}
					}
					wg.Wait()
				}
			})
		}
	}
}
