package packager_test

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"unsafe"

	"github.com/drmorigin/drmorigin/packager"
)

// seg1080Track opens the video of the bench suite's 1080p asset
// (bench.SegAssetName: 1.15 MB segments, the size the floor multiples are
// measured at) from $SEG1080_ROOT, or else from bench/out/cache, where
// `make bench SHORT=1 ONLY=cpu` makes it. Without it the benchmark skips
// and says how to make it: the asset is an 8 s ffmpeg encode, too big to
// keep in testdata.
func seg1080Track(b *testing.B) *packager.Track {
	root := os.Getenv("SEG1080_ROOT")
	if root == "" {
		_, file, _, _ := runtime.Caller(0)
		root = filepath.Join(filepath.Dir(file), "..", "bench", "out", "cache")
	}
	if _, err := os.Stat(filepath.Join(root, "seg1080")); err != nil {
		b.Skipf("no seg1080 asset in %s (make bench SHORT=1 ONLY=cpu makes it, or set SEG1080_ROOT)", root)
	}
	lib := packager.NewLibrary(localStore(root), 4)
	b.Cleanup(func() { lib.Close() })
	a, err := lib.Asset("seg1080")
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range a.Tracks {
		if t.Kind == packager.Video {
			return t
		}
	}
	b.Fatal("no video track")
	return nil
}

// benchSeg1080 times AppendSegment of the asset's second fragment (a key
// frame of 205 KB and 49 P and B frames, one slice each) in scheme sc
// (0: clear) as CMAF, with a warm buffer and Scratch.
func benchSeg1080(b *testing.B, sc packager.Scheme) {
	tr := seg1080Track(b)
	var e *packager.Protection
	if sc != 0 {
		e = testEncryption(b, sc)
	}
	s := new(packager.Scratch)
	buf, err := tr.AppendSegment(nil, 1, packager.CMAF, e, s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(tr.Fragments[1].Size)
	if mb, _ := strconv.Atoi(os.Getenv("SEG1080_COLD_MB")); mb > 0 {
		// As a server meets a segment: its bytes and the output buffer
		// pushed down the caches by mb MB of other work between requests
		// (not timed: thread CPU time around the call alone).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		other := make([]byte, mb<<20)
		var cpu int64
		n := 0
		for b.Loop() {
			clear(other)
			t0 := threadCPU()
			if buf, err = tr.AppendSegment(buf[:0], 1+n%3, packager.CMAF, e, s); err != nil {
				b.Fatal(err)
			}
			cpu += threadCPU() - t0
			n++
		}
		b.ReportMetric(float64(cpu)/float64(n)/1e3, "cpu-µs/op")
		return
	}
	c0, n := processCPU(), 0
	for b.Loop() {
		if buf, err = tr.AppendSegment(buf[:0], 1, packager.CMAF, e, s); err != nil {
			b.Fatal(err)
		}
		n++
	}
	// CPU time as well as the wall clock: a busy machine slows the one
	// but hardly the other. Compare it with -cpu 1.
	b.ReportMetric(float64(processCPU()-c0)/float64(n)/1e3, "cpu-µs/op")
}

// threadCPU is the calling thread's CPU time in nanoseconds.
func threadCPU() int64 {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// processCPU is the process's user and system CPU time in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkSeg1080Clear, BenchmarkSeg1080CENC and BenchmarkSeg1080CBCS: one
// 1080p segment of the bench suite, clear, cenc and cbcs.
func BenchmarkSeg1080Clear(b *testing.B) { benchSeg1080(b, 0) }
func BenchmarkSeg1080CENC(b *testing.B)  { benchSeg1080(b, packager.SchemeCENC) }
func BenchmarkSeg1080CBCS(b *testing.B)  { benchSeg1080(b, packager.SchemeCBCS) }

// BenchmarkSeg1080CBCSMapCache compares in one process, in alternating
// rounds of 20 segments, the thread CPU time of the 1080p cbcs segment
// with its subsample map parsed each time ("parse", as before the table)
// and copied from the track's table ("table", subsample_cache.go), with
// cenc in the same rounds for scale (SEG1080_COLD_MB as in benchSeg1080).
// It reports each mode's median,
// minimum and maximum per segment. Run it with -cpu 1.
func BenchmarkSeg1080CBCSMapCache(b *testing.B) {
	tr := seg1080Track(b)
	cbcs, cenc := testEncryption(b, packager.SchemeCBCS), testEncryption(b, packager.SchemeCENC)
	s := new(packager.Scratch)
	buf, err := tr.AppendSegment(nil, 1, packager.CMAF, cbcs, s)
	if err != nil {
		b.Fatal(err)
	}
	defer packager.SetMapCache(packager.SetMapCache(true))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	modes := []struct {
		name  string
		e     *packager.Protection
		table bool
	}{{"parse", cbcs, false}, {"table", cbcs, true}, {"cenc", cenc, true}}
	per := make([][]float64, len(modes))
	const reps = 20
	// SEG1080_COLD_MB: as in benchSeg1080, other work between segments
	// (not timed), so that the source and the output come from further
	// down the caches.
	var other []byte
	if mb, _ := strconv.Atoi(os.Getenv("SEG1080_COLD_MB")); mb > 0 {
		other = make([]byte, mb<<20)
	}
	b.ReportAllocs()
	for b.Loop() {
		for m, md := range modes {
			packager.SetMapCache(md.table)
			var cpu int64
			for range reps {
				clear(other)
				t0 := threadCPU()
				if buf, err = tr.AppendSegment(buf[:0], 1, packager.CMAF, md.e, s); err != nil {
					b.Fatal(err)
				}
				cpu += threadCPU() - t0
			}
			per[m] = append(per[m], float64(cpu)/reps/1e3)
		}
	}
	for m, md := range modes {
		slices.Sort(per[m])
		b.ReportMetric(per[m][len(per[m])/2], "cpu-µs/seg-"+md.name)
		b.ReportMetric(per[m][0], "min-µs/seg-"+md.name)
		b.ReportMetric(per[m][len(per[m])-1], "max-µs/seg-"+md.name)
	}
}
