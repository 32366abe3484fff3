package packager_test

import (
	"crypto/aes"
	"crypto/cipher"
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/packager"
)

// benchTSTrack returns a track of the demo asset by file name, kept open for
// the run.
func benchTSTrack(b *testing.B, base string) *packager.Track {
	b.Helper()
	lib := packager.NewLibrary(localStore(mediaRoot(b)), 4)
	b.Cleanup(func() { lib.Close() })
	a, err := lib.Asset("demo")
	if err != nil {
		b.Fatal(err)
	}
	for _, tr := range a.Tracks {
		if filepath.Base(tr.Path) == base {
			return tr
		}
	}
	b.Fatalf("demo has no %s", base)
	return nil
}

// benchTS times AppendSegmentTS of the first fragment of the 640x360 demo
// video (the fragment of BenchmarkAppendSegmentCMAF), with audio_eng muxed
// in when muxed, with a warm buffer and Scratch. SetBytes is the size of
// the fragments read.
func benchTS(b *testing.B, muxed bool, o packager.TSOptions) {
	v := benchTSTrack(b, "video_640x360.mp4")
	var audio *packager.Track
	size := v.Fragments[0].Size
	if muxed {
		audio = benchTSTrack(b, "audio_eng.mp4")
		first, last, _ := v.AudioRange(0, audio)
		for j := first; j <= last; j++ {
			size += audio.Fragments[j].Size
		}
	}
	s := packager.AcquireScratch()
	defer packager.ReleaseScratch(s)
	buf, err := v.AppendSegmentTS(nil, 0, audio, o, s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		if buf, err = v.AppendSegmentTS(buf[:0], 0, audio, o, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendSegmentTS: a clear TS segment of one video fragment
// (m3u8-aapl).
func BenchmarkAppendSegmentTS(b *testing.B) { benchTS(b, false, packager.TSOptions{}) }

// BenchmarkAppendSegmentTSEncryptSampleAES: the same segment with SAMPLE-AES
// under crypto.Key (AES-NI).
func BenchmarkAppendSegmentTSEncryptSampleAES(b *testing.B) {
	k, err := crypto.NewKey(testKey[:])
	if err != nil {
		b.Fatal(err)
	}
	benchTS(b, false, packager.TSOptions{Encrypter: k, IV: [16]byte{1}})
}

// BenchmarkAppendSegmentTSMuxed: video and audio_eng muxed (m3u8-aapl-v3),
// clear.
func BenchmarkAppendSegmentTSMuxed(b *testing.B) { benchTS(b, true, packager.TSOptions{}) }

// BenchmarkAppendSegmentTSMuxedSampleAES: muxed with SAMPLE-AES.
func BenchmarkAppendSegmentTSMuxedSampleAES(b *testing.B) {
	k, err := crypto.NewKey(testKey[:])
	if err != nil {
		b.Fatal(err)
	}
	benchTS(b, true, packager.TSOptions{Encrypter: k, IV: [16]byte{1}})
}

// BenchmarkAppendSegmentTSRawCBC is the baseline of the SAMPLE-AES
// benchmark: the clear TS segment plus the standard library's AES-CBC over
// its whole payload (more than SAMPLE-AES encrypts: an upper bound).
func BenchmarkAppendSegmentTSRawCBC(b *testing.B) {
	v := benchTSTrack(b, "video_640x360.mp4")
	blk, err := aes.NewCipher(testKey[:])
	if err != nil {
		b.Fatal(err)
	}
	s := packager.AcquireScratch()
	defer packager.ReleaseScratch(s)
	buf, err := v.AppendSegmentTS(nil, 0, nil, packager.TSOptions{}, s)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]byte, len(buf)/16*16)
	cbc := cipher.NewCBCEncrypter(blk, make([]byte, 16))
	b.ReportAllocs()
	b.SetBytes(v.Fragments[0].Size)
	for b.Loop() {
		if buf, err = v.AppendSegmentTS(buf[:0], 0, nil, packager.TSOptions{}, s); err != nil {
			b.Fatal(err)
		}
		cbc.CryptBlocks(out, buf[:len(out)])
	}
}
