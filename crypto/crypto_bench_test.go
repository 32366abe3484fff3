package crypto_test

import (
	stdaes "crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
)

var benchSizes = []int{64, 16 << 10, 1 << 20}

func benchKey(b *testing.B) (*crypto.Key, cipher.Block) {
	key := []byte("0123456789abcdef")
	k, err := crypto.NewKey(key)
	if err != nil {
		b.Fatal(err)
	}
	blk, _ := stdaes.NewCipher(key)
	return k, blk
}

// BenchmarkEncryptCENCSample encrypts a whole-sample protected range (the
// figure to hold against BenchmarkRawCTR).
func BenchmarkEncryptCENCSample(b *testing.B) {
	k, _ := benchKey(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			buf := make([]byte, n)
			subs := []crypto.Subsample{{Clear: 0, Protected: uint32(n)}}
			iv := [16]byte{1, 2, 3, 4, 5, 6, 7, 8}
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				_ = k.EncryptCENC(buf, iv, subs)
			}
		})
	}
}

// BenchmarkRawCTR is the crypto/aes baseline: cipher.NewCTR + XORKeyStream
// per sample, over the same bytes.
func BenchmarkRawCTR(b *testing.B) {
	_, blk := benchKey(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			buf := make([]byte, n)
			iv := make([]byte, 16)
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				cipher.NewCTR(blk, iv).XORKeyStream(buf, buf)
			}
		})
	}
}

// BenchmarkEncryptCBCSSample encrypts a video sample with the 1:9 pattern
// (it touches a tenth of the blocks) and an audio-like whole-block sample.
func BenchmarkEncryptCBCSSample(b *testing.B) {
	k, _ := benchKey(b)
	for _, p := range []struct {
		name string
		p    crypto.Pattern
	}{{"1:9", crypto.PatternVideo}, {"whole", crypto.PatternWhole}} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", p.name, n), func(b *testing.B) {
				buf := make([]byte, n)
				subs := []crypto.Subsample{{Clear: 0, Protected: uint32(n)}}
				var iv [16]byte
				b.ReportAllocs()
				b.SetBytes(int64(n))
				for b.Loop() {
					_ = k.EncryptCBCS(buf, iv, subs, p.p)
				}
			})
		}
	}
}

// BenchmarkEncryptCBCSegment encrypts a whole HLS AES-128 segment into a
// warm buffer.
func BenchmarkEncryptCBCSegment(b *testing.B) {
	k, _ := benchKey(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			src := make([]byte, n)
			dst := make([]byte, 0, n+16)
			var iv [16]byte
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				dst = k.AppendCBCSegment(dst[:0], src, iv)
			}
		})
	}
}

// BenchmarkRawCBC is the crypto/aes baseline: NewCBCEncrypter + CryptBlocks
// over the same whole blocks.
func BenchmarkRawCBC(b *testing.B) {
	_, blk := benchKey(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			buf := make([]byte, n)
			iv := make([]byte, 16)
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				cipher.NewCBCEncrypter(blk, iv).CryptBlocks(buf, buf)
			}
		})
	}
}

// BenchmarkFragmentIV derives a fragment's IV seed and one sample IV.
func BenchmarkFragmentIV(b *testing.B) {
	k, _ := benchKey(b)
	b.ReportAllocs()
	var t uint64
	for b.Loop() {
		f := k.FragmentIV("asset-name-0001", "video_avc1_2500000.mp4", t)
		_ = f.SampleIV16(7)
		t += 20000000
	}
}

// clipSamples encodes a clip and returns its parameter sets and samples
// (access units with 4-byte lengths).
func clipSamples(b *testing.B, c codec, args []string) (paramSets, [][]byte, int) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Fatal("ffmpeg not found: apt-get install -y ffmpeg")
	}
	raw, err := os.ReadFile(encodeClip(b, c, "bench", args...))
	if err != nil {
		b.Fatal(err)
	}
	ps := c.newPS()
	var samples [][]byte
	var cur []byte
	seen := false
	total := 0
	for _, n := range splitAnnexB(raw) {
		if len(n) <= c.hdr {
			continue
		}
		vcl := c.isVCL(n[0])
		if seen && (!vcl || c.firstAU(n)) {
			samples = append(samples, cur)
			cur, seen = nil, false
		}
		if c.isPS(n[0]) {
			_ = ps.Add(n)
		}
		seen = seen || vcl
		cur = binary.BigEndian.AppendUint32(cur, uint32(len(n)))
		cur = append(cur, n...)
		total += 4 + len(n)
	}
	return ps, append(samples, cur), total
}

// BenchmarkSubsamplesH264 and BenchmarkSubsamplesHEVC build the maps of
// every sample of a clip (bytes/s over the sample bytes walked).
func BenchmarkSubsamplesH264(b *testing.B) { benchSubsamples(b, h264, h264Clips[0].args) }
func BenchmarkSubsamplesHEVC(b *testing.B) { benchSubsamples(b, hevc, hevcClips[0].args) }

func benchSubsamples(b *testing.B, c codec, args []string) {
	ps, samples, total := clipSamples(b, c, args)
	for _, sc := range []struct {
		name string
		s    crypto.Scheme
	}{{"cenc", crypto.SchemeCENC}, {"cbcs", crypto.SchemeCBCS}} {
		b.Run(sc.name, func(b *testing.B) {
			dst := make([]crypto.Subsample, 0, 64)
			b.ReportAllocs()
			b.SetBytes(int64(total))
			for b.Loop() {
				for _, s := range samples {
					var err error
					if dst, err = c.subsamples(dst[:0], s, ps, sc.s); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
