package packager_test

import (
	"crypto/aes"
	"crypto/cipher"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// benchEncrypted times AppendSegmentEncrypted of the first fragment of the
// 640x360 demo video (the fragment of BenchmarkAppendSegmentCMAF) with a
// warm buffer and Scratch.
func benchEncrypted(b *testing.B, sc packager.Scheme) {
	tr := benchTrack(b, "demo", 0)
	e := testEncryption(b, sc)
	out := outputOf(sc)
	s := new(packager.Scratch)
	buf, err := tr.AppendSegment(nil, 0, out, e, s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(tr.Fragments[0].Size)
	for b.Loop() {
		if buf, err = tr.AppendSegment(buf[:0], 0, out, e, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendSegmentEncryptCENC: a cenc CMAF segment (subsample maps,
// AES-CTR, senc/saiz/saio).
func BenchmarkAppendSegmentEncryptCENC(b *testing.B) { benchEncrypted(b, packager.SchemeCENC) }

// BenchmarkAppendSegmentEncryptCBCS: a cbcs CMAF segment (slice headers
// parsed, AES-CBC 1:9).
func BenchmarkAppendSegmentEncryptCBCS(b *testing.B) { benchEncrypted(b, packager.SchemeCBCS) }

// BenchmarkAppendSegmentEncryptPIFF: a PIFF Smooth fragment (cenc, senc and
// the PIFF box).
func BenchmarkAppendSegmentEncryptPIFF(b *testing.B) { benchEncrypted(b, packager.SchemePIFF) }

// benchRaw is the baseline of the encrypted benchmarks: the clear segment
// (AppendSegment) plus the standard library cipher run over its whole mdat
// payload, as quality.md's cost factor counts it ("clear plus encrypting
// its bytes with raw crypto/aes").
func benchRaw(b *testing.B, mode func(cipher.Block) func([]byte)) {
	tr := benchTrack(b, "demo", 0)
	block, err := aes.NewCipher(testKey[:])
	if err != nil {
		b.Fatal(err)
	}
	crypt := mode(block)
	buf, err := tr.AppendSegment(nil, 0, packager.CMAF, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	moofEnd := len(buf) - int(tr.Fragments[0].Size) + payloadStart(buf)
	b.ReportAllocs()
	b.SetBytes(tr.Fragments[0].Size)
	for b.Loop() {
		if buf, err = tr.AppendSegment(buf[:0], 0, packager.CMAF, nil, nil); err != nil {
			b.Fatal(err)
		}
		crypt(buf[moofEnd:])
	}
}

// payloadStart is the offset of the mdat payload in a CMAF segment, counted
// from the end of the styp.
func payloadStart(seg []byte) int {
	styp := int(uint32(seg[0])<<24 | uint32(seg[1])<<16 | uint32(seg[2])<<8 | uint32(seg[3]))
	moof := int(uint32(seg[styp])<<24 | uint32(seg[styp+1])<<16 | uint32(seg[styp+2])<<8 | uint32(seg[styp+3]))
	return moof + 8
}

// BenchmarkAppendSegmentRawCTR: clear segment + crypto/aes CTR (one
// cipher.NewCTR per segment) over its mdat payload: the denominator of the
// cenc cost factor.
func BenchmarkAppendSegmentRawCTR(b *testing.B) {
	iv := make([]byte, 16)
	benchRaw(b, func(block cipher.Block) func([]byte) {
		return func(p []byte) { cipher.NewCTR(block, iv).XORKeyStream(p, p) }
	})
}

// BenchmarkAppendSegmentRawCBC: clear segment + crypto/aes CBC over the
// whole blocks of its mdat payload (cbcs encrypts a tenth of the video
// blocks, so this overstates its cipher cost).
func BenchmarkAppendSegmentRawCBC(b *testing.B) {
	iv := make([]byte, 16)
	benchRaw(b, func(block cipher.Block) func([]byte) {
		return func(p []byte) {
			n := len(p) &^ 15
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(p[:n], p[:n])
		}
	})
}

// BenchmarkAppendInitEncryptCENC builds a protected init segment (mp4ff
// decode, sinf, encode): the cost that callers avoid by caching it.
func BenchmarkAppendInitEncryptCENC(b *testing.B) {
	tr := benchTrack(b, "demo", 0)
	e := testEncryption(b, packager.SchemeCENC)
	var buf []byte
	var err error
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = tr.AppendInit(buf[:0], packager.CMAF, e); err != nil {
			b.Fatal(err)
		}
	}
}
