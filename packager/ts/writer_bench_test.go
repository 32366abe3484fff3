//go:build linux

package ts_test

import (
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/packager/ts"
)

// threadCPU is the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID): on
// a shared machine, what a neighbour takes from the core does not count.
func threadCPU() time.Duration {
	var t syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&t)), 0)
	return time.Duration(t.Nano())
}

// BenchmarkAppendSegmentTSWriter compares the packet writer (runs of full
// packets through putPackets) with the writer before it (writePESRef: a
// header byte by byte and a copy per packet) on the demo's 640x360 video
// segments, clear with audio_eng muxed in (m3u8-aapl-v3) and SAMPLE-AES
// video under crypto.Key. The two take turns segment by segment in one
// process, each timed by its thread's CPU time; it reports the medians (µs
// per segment) and their ratio, which hold on a busy machine where
// ns/op does not.
func BenchmarkAppendSegmentTSWriter(b *testing.B) {
	v := demoTrack(b, "demo/video_640x360.mp4")
	a := demoTrack(b, "demo/audio_eng.mp4")
	all := concat(a.frags)
	audio := make([][]ts.Sample, len(v.frags))
	ai := 0
	for i := range v.frags {
		j := ai
		for j < len(all) && (i+1 == len(v.frags) ||
			all[j].DTS*uint64(v.cfg.Timescale) < v.frags[i+1][0].DTS*uint64(a.cfg.Timescale)) {
			j++
		}
		audio[i], ai = all[ai:j], j
	}
	key, err := crypto.NewKey(make([]byte, 16))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ac   *ts.StreamConfig
		enc  ts.CBCEncrypter
	}{{"muxed", &a.cfg, nil}, {"EncryptSampleAES", nil, key}} {
		b.Run(c.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var m, ref ts.Muxer
			ref.SetReferenceWriter(true)
			var buf []byte
			var tNew, tRef []float64
			mux := func(m *ts.Muxer, i int) time.Duration {
				var as []ts.Sample
				if c.ac != nil {
					as = audio[i]
				}
				t0 := threadCPU()
				m.Reset(&v.cfg, c.ac)
				var err error
				if buf, err = m.AppendSegment(buf[:0], v.frags[i], as, ts.SegmentOptions{Sequence: uint32(i), Encrypter: c.enc}); err != nil {
					b.Fatal(err)
				}
				return threadCPU() - t0
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				i := n % len(v.frags)
				if n/len(v.frags)%2 == 0 {
					tNew = append(tNew, float64(mux(&m, i))/1e3)
					tRef = append(tRef, float64(mux(&ref, i))/1e3)
				} else {
					tRef = append(tRef, float64(mux(&ref, i))/1e3)
					tNew = append(tNew, float64(mux(&m, i))/1e3)
				}
				n++
			}
			slices.Sort(tNew)
			slices.Sort(tRef)
			mn, mr := tNew[len(tNew)/2], tRef[len(tRef)/2]
			b.ReportMetric(mn, "µs-packets")
			b.ReportMetric(mr, "µs-reference")
			b.ReportMetric(mn/mr, "packets/reference")
		})
	}
}
