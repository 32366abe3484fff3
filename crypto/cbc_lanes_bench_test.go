package crypto_test

import (
	"fmt"
	"slices"
	"sync"
	"syscall"
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
	for _, n := range []int{1, 2, 4, 8, 16} {
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

// BenchmarkEncryptCBCLanesCPU compares, in one process and in alternating
// rounds, the CPU time per 1.13 MB segment of N concurrent chains run
// alone, in at most 8 lanes (AES-NI) and in the full width (16 with
// AVX-512 VAES): the process's CPU time (getrusage), so that a busy machine
// slows the wall clock but not the figure. Run it with -cpu 1 (the bench's
// pinned core). It reports the median per mode as cpu-µs/seg-<mode>.
func BenchmarkEncryptCBCLanesCPU(b *testing.B) {
	k, _ := benchKey(b)
	const size = 1_130_000
	for _, n := range []int{1, 4, 8, 16, 32} {
		b.Run(fmt.Sprintf("chains=%d", n), func(b *testing.B) {
			modes := []struct {
				name  string
				lanes *crypto.CBCLanes
			}{{"alone", nil}, {"lanes8", crypto.NewCBCLanesWidth(8)}, {"lanesmax", crypto.NewCBCLanesWidth(16)}}
			bufs := make([][]byte, n)
			for i := range bufs {
				bufs[i] = make([]byte, size, size+16)
			}
			run := func(lanes *crypto.CBCLanes, reps int) {
				for range reps {
					var wg sync.WaitGroup
					for i := range n {
						wg.Go(func() {
							bufs[i] = k.AppendCBCSegmentLanes(bufs[i][:0], bufs[i][:size], [16]byte{byte(i)}, lanes)
						})
					}
					wg.Wait()
				}
			}
			per := make([][]float64, len(modes))
			reps := max(1, 32/n)
			// No allocs/op here: it would count the goroutines started per
			// round; BenchmarkEncryptCBCLanes shows the lanes' 0.
			for b.Loop() {
				for m, md := range modes {
					c0 := cpuTime()
					run(md.lanes, reps)
					per[m] = append(per[m], float64(cpuTime()-c0)/float64(reps*n)/1e3)
				}
			}
			for m, md := range modes {
				slices.Sort(per[m])
				b.ReportMetric(per[m][len(per[m])/2], "cpu-µs/seg-"+md.name)
			}
		})
	}
}

// cpuTime is the process's user and system CPU time, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkEncryptCBCLanesCopyCPU compares, as BenchmarkEncryptCBCLanesCPU
// does, two ways of encrypting N segments whose plaintext is elsewhere (an
// fMP4 segment's samples read from the media file): the whole plaintext
// copied in first and encrypted in place ("copyfirst", what the lanes did
// before), and the plaintext handed to the lanes ("lanes": a chain alone
// encrypts from it, with no copy; in company the rest is copied in once).
func BenchmarkEncryptCBCLanesCopyCPU(b *testing.B) {
	k, _ := benchKey(b)
	const size = 1_130_000
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("chains=%d", n), func(b *testing.B) {
			lanes := crypto.NewCBCLanes()
			srcs, dsts := make([][]byte, n), make([][]byte, n)
			for i := range n {
				srcs[i] = make([]byte, size)
				dsts[i] = make([]byte, size+16)
			}
			run := func(first bool, reps int) {
				for range reps {
					var wg sync.WaitGroup
					for i := range n {
						wg.Go(func() {
							if first {
								copy(dsts[i], srcs[i])
								k.AppendCBCSegmentLanes(dsts[i][:0], dsts[i][:size], [16]byte{byte(i)}, lanes)
								return
							}
							k.AppendCBCSegmentLanes(dsts[i][:0], srcs[i], [16]byte{byte(i)}, lanes)
						})
					}
					wg.Wait()
				}
			}
			var per [2][]float64
			reps := max(1, 32/n)
			for b.Loop() {
				for m, first := range []bool{true, false} {
					c0 := cpuTime()
					run(first, reps)
					per[m] = append(per[m], float64(cpuTime()-c0)/float64(reps*n)/1e3)
				}
			}
			for m, name := range []string{"copyfirst", "lanes"} {
				slices.Sort(per[m])
				b.ReportMetric(per[m][len(per[m])/2], "cpu-µs/seg-"+name)
			}
		})
	}
}
