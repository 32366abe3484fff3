//go:build !race

package crypto_test

import (
	"os"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
)

// TestAllocs asserts that every encryptor, IV derivation and subsample map
// builder allocates nothing per call in steady state (quality.md, "Fast").
// Built without -race, which makes allocations of its own.
func TestAllocs(t *testing.T) {
	needAsm(t)
	k := mustKey(t, []byte("0123456789abcdef"))
	buf := make([]byte, 70000)
	subs := []crypto.Subsample{{Clear: 100, Protected: 30000}, {Clear: 9, Protected: 39891}}
	seg := make([]byte, 0, len(buf)+16)
	iv := [16]byte{1}
	var fiv crypto.FragmentIV
	out := make([]byte, len(buf))
	ranges := [][]byte{buf[:3000], buf[3000:9100], buf[9100:9117], buf[10000:30000], buf[30000:30500]}
	cases := []struct {
		name string
		f    func()
	}{
		{"EncryptCENC", func() { _ = k.EncryptCENC(buf, iv, subs) }},
		{"EncryptCENC/odd", func() { _ = k.EncryptCENC(buf[:77], iv, nil) }},
		{"EncryptCBCS/1:9", func() { _ = k.EncryptCBCS(buf, iv, subs, crypto.PatternVideo) }},
		{"EncryptCBCS/whole", func() { _ = k.EncryptCBCS(buf[:1001], iv, nil, crypto.PatternWhole) }},
		{"EncryptPattern", func() { k.EncryptPattern(buf[:5000], iv, crypto.PatternVideo) }},
		{"EncryptCBC", func() { c := iv; k.EncryptCBC(buf[:4096], &c) }},
		{"AppendCBCSegment", func() { seg = k.AppendCBCSegment(seg[:0], buf, iv) }},
		{"FragmentIV", func() { fiv = k.FragmentIV("asset-0001", "video_3000000.mp4", 123456789) }},
		{"SampleIV16", func() { _ = fiv.SampleIV16(17) }},
		{"SampleIV8", func() { _ = fiv.SampleIV8(17) }},
		{"CBCSConstantIV", func() { _ = k.CBCSConstantIV("asset-0001", "video_3000000.mp4") }},
		{"SegmentIV", func() { _ = k.SegmentIV("asset-0001", "video_3000000.mp4", 123456789) }},
		{"AppendSubsamplesAudio", func() { subs = crypto.AppendSubsamplesAudio(subs[:0], 700) }},
		{"EncryptPatternsTo in place", func() { k.EncryptPatternsTo(ranges, ranges, iv) }},
		{"EncryptCBCRanges", func() { k.EncryptCBCRanges([][]byte{buf[:336], buf[400:800], buf[800:816]}, iv) }},
		{"PatternBatch/copy+whole", func() {
			// A batch on the stack, as in EncryptPatternsTo: copied 1:9
			// ranges with tails, then whole ranges.
			var b crypto.PatternBatch
			b.Reset(k, iv)
			for i := 0; i < 20; i++ {
				_ = b.AddSampleTo(out[i*3000:i*3000+2999], buf[i*3000:i*3000+2999], nil)
			}
			for i := 20; i < 23; i++ {
				b.AddWholeTo(out[i*3000:i*3000+333], buf[i*3000:i*3000+333])
			}
			b.Flush()
		}},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(100, c.f); n != 0 {
			t.Errorf("%s: %v allocs per call", c.name, n)
		}
	}
}

// TestAllocsSubsampleMaps asserts zero allocations for the H.264 and HEVC map
// builders over every sample of a real clip, with a warm dst.
func TestAllocsSubsampleMaps(t *testing.T) {
	needAsm(t)
	needFFmpeg(t)
	for _, c := range []struct {
		codec codec
		args  []string
	}{
		{h264, h264Clips[0].args},
		{hevc, hevcClips[1].args},
	} {
		f := encodeClip(t, c.codec, "alloc", c.args...)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ps := c.codec.newPS()
		samples := checkSlices(t, c.codec, splitAnnexB(b), traceSliceHeaderEnds(t, f))
		for _, n := range splitAnnexB(b) {
			if c.codec.isPS(n[0]) {
				_ = ps.Add(n)
			}
		}
		dst := make([]crypto.Subsample, 0, 64)
		for _, scheme := range []crypto.Scheme{crypto.SchemeCENC, crypto.SchemeCBCS} {
			for i, s := range samples {
				var err error
				n := testing.AllocsPerRun(20, func() {
					dst, err = c.codec.subsamples(dst[:0], s, ps, scheme)
				})
				if err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Fatalf("%s scheme %d sample %d: %v allocs", c.codec.name, scheme, i, n)
				}
			}
		}
	}
}

// needAsm skips where the AES-NI assembly does not run: the portable path
// uses crypto/cipher, whose interface calls allocate.
func needAsm(t *testing.T) {
	t.Helper()
	if !crypto.UseAsm {
		t.Skip("no AES-NI assembly (purego or not amd64): allocations are not asserted")
	}
}
