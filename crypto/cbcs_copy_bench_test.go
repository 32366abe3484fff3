package crypto_test

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
)

// seg1080Samples are the video sample sizes of one fragment of the bench
// suite's 1080p asset (bench.SegAssetName, 1.15 MB): one slice per
// frame, the key frame first.
var seg1080Samples = []int{
	205097, 13564, 17232, 12585, 39202, 12763, 16489, 12365, 30471, 12523,
	16454, 12860, 30621, 12625, 16658, 12752, 31942, 12388, 17612, 12188,
	32336, 12768, 17549, 12220, 33730, 13609, 16745, 12310, 35749, 13447,
	18138, 13076, 36947, 13497, 18877, 12975, 37181, 13435, 20563, 14295,
	36461, 12526, 17278, 12513, 31137, 11589, 16805, 12252, 35331, 40313,
}

// cbcsSegment lays the samples out as a fragment's mdat: each one NAL unit
// whose length and 11-byte slice header stay clear, the rest protected.
func cbcsSegment() (src []byte, subs [][]crypto.Subsample) {
	total := 0
	for _, n := range seg1080Samples {
		total += n
		subs = append(subs, []crypto.Subsample{{Clear: 15, Protected: uint32(n - 15)}})
	}
	src = make([]byte, total)
	for i := range src {
		src[i] = byte(i*7 + i>>9)
	}
	return src, subs
}

// BenchmarkEncryptCBCSCopyCPU compares, in one process and in alternating
// rounds, the CPU time (getrusage) of making one 1080p cbcs segment's
// mdat from its source: "copy" only copies it (the clear segment's work),
// "copyfirst" copies it and then encrypts the ranges in place in the four
// lanes (before), "onepass" hands the source to the lanes, which copy and
// encrypt in one pass (AddSampleTo). CBCS_COLD=1 pushes the bytes down
// the caches between segments (CBCS_COLD_MB of other work, 64 MB unless
// set). Run it with -cpu 1. It reports the median per mode as
// cpu-µs/seg-<mode>.
func BenchmarkEncryptCBCSCopyCPU(b *testing.B) {
	k, _ := crypto.NewKey(bytes.Repeat([]byte{0x42}, 16))
	src, subs := cbcsSegment()
	dst := make([]byte, len(src))
	var pb crypto.PatternBatch
	run := func(mode, reps int) {
		for range reps {
			if mode == 0 {
				copy(dst, src)
				continue
			}
			pb.Reset(k, [16]byte{1})
			pos := 0
			for s, n := range seg1080Samples {
				d, sr := dst[pos:pos+n], src[pos:pos+n]
				if mode == 1 {
					copy(d, sr)
					sr = d
				}
				if err := pb.AddSampleTo(d, sr, subs[s]); err != nil {
					b.Fatal(err)
				}
				pos += n
			}
			pb.Flush()
		}
	}
	names := []string{"copy", "copyfirst", "onepass"}
	per := make([][]float64, len(names))
	const reps = 20
	var other []byte
	if os.Getenv("CBCS_COLD") != "" {
		other = make([]byte, coldBytes())
	}
	for b.Loop() {
		for m := range names {
			if other != nil {
				// Cold, as a server meets a segment: other work first,
				// not timed.
				var c int64
				for range reps {
					clear(other)
					c0 := cpuTime()
					run(m, 1)
					c += cpuTime() - c0
				}
				per[m] = append(per[m], float64(c)/reps/1e3)
				continue
			}
			c0 := cpuTime()
			run(m, reps)
			per[m] = append(per[m], float64(cpuTime()-c0)/reps/1e3)
		}
	}
	for m, name := range names {
		slices.Sort(per[m])
		b.ReportMetric(per[m][len(per[m])/2], "cpu-µs/seg-"+name)
	}
}

// coldBytes is how much other work CBCS_COLD does between segments: 64 MB
// (out of every cache) or CBCS_COLD_MB.
func coldBytes() int {
	if mb, err := strconv.Atoi(os.Getenv("CBCS_COLD_MB")); err == nil && mb > 0 {
		return mb << 20
	}
	return 64 << 20
}

// BenchmarkEncryptCBCSAudioCPU compares, in one process and in alternating
// rounds, the CPU time (getrusage) of making a 2 s cbcs audio segment's
// mdat (94 AAC frames of about 341 bytes, 128 kb/s at 48 kHz) from its
// source: "serial" copies each sample and encrypts it alone
// (EncryptCBCS, before), "lanes" hands it to a PatternBatch (AddWholeTo),
// four chains in flight. It reports the median per mode as
// cpu-µs/seg-<mode>, and the minimum and maximum. Run it with -cpu 1.
func BenchmarkEncryptCBCSAudioCPU(b *testing.B) {
	k, _ := crypto.NewKey(bytes.Repeat([]byte{0x42}, 16))
	sizes := make([]int, 94)
	total := 0
	for i := range sizes {
		sizes[i] = 300 + (i*37)%83
		total += sizes[i]
	}
	src := make([]byte, total)
	for i := range src {
		src[i] = byte(i * 11)
	}
	dst := make([]byte, total)
	iv := [16]byte{1}
	var pb crypto.PatternBatch
	run := func(lanes bool) {
		pb.Reset(k, iv)
		pos := 0
		for _, n := range sizes {
			d, s := dst[pos:pos+n], src[pos:pos+n]
			if lanes {
				pb.AddWholeTo(d, s)
			} else {
				copy(d, s)
				if err := k.EncryptCBCS(d, iv, nil, crypto.PatternWhole); err != nil {
					b.Fatal(err)
				}
			}
			pos += n
		}
		pb.Flush()
	}
	names := []string{"serial", "lanes"}
	per := make([][]float64, len(names))
	const reps = 200
	b.ReportAllocs()
	for b.Loop() {
		for m := range names {
			c0 := cpuTime()
			for range reps {
				run(m == 1)
			}
			per[m] = append(per[m], float64(cpuTime()-c0)/reps/1e3)
		}
	}
	for m, name := range names {
		slices.Sort(per[m])
		b.ReportMetric(per[m][len(per[m])/2], "cpu-µs/seg-"+name)
		b.ReportMetric(per[m][0], "min-µs/seg-"+name)
		b.ReportMetric(per[m][len(per[m])-1], "max-µs/seg-"+name)
	}
}
