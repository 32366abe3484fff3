package crypto_test

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	codech264 "github.com/drmorigin/drmorigin/codec/h264"
	codechevc "github.com/drmorigin/drmorigin/codec/hevc"
	"github.com/drmorigin/drmorigin/crypto"
)

// fuzzSeeds adds, for each video track file of testdata/media with the
// sample entry type wantAVC (H.264) or not (HEVC), its parameter sets and
// first samples as seeds, plus a few hand-made ones.
func fuzzSeeds(f *testing.F, wantAVC bool) {
	f.Add([]byte{}, []byte{}, []byte{0, 0, 0, 1, 0x65}, byte(4))
	f.Add([]byte{0x67, 0x42, 0, 0x1e, 0xff}, []byte{0x68, 0xce}, []byte{0, 0, 0, 3, 0x65, 0x88, 0x80}, byte(4))
	f.Add([]byte{0x42, 1, 1}, []byte{0x44, 1, 0xc0}, []byte{0, 5, 0x26, 1, 0xaf, 0, 3}, byte(2))
	files, _ := filepath.Glob("../testdata/media/*/*.mp4")
	for _, name := range files {
		mf, err := mp4.ReadMP4File(name)
		if err != nil || mf.Init == nil || mf.Init.Moov.Mvex == nil {
			continue
		}
		trak := mf.Init.Moov.Trak
		stsd := trak.Mdia.Minf.Stbl.Stsd
		var ps [][]byte
		switch {
		case wantAVC && stsd.AvcX != nil:
			ps = append(stsd.AvcX.AvcC.SPSnalus, stsd.AvcX.AvcC.PPSnalus...)
		case !wantAVC && stsd.HvcX != nil:
			for _, a := range stsd.HvcX.HvcC.NaluArrays {
				ps = append(ps, a.Nalus...)
			}
		default:
			continue
		}
		var joined []byte
		for _, p := range ps[:len(ps)-1] {
			joined = binary.BigEndian.AppendUint32(joined, uint32(len(p)))
			joined = append(joined, p...)
		}
		trex, _ := mf.Init.Moov.Mvex.GetTrex(trak.Tkhd.TrackID)
		for _, seg := range mf.Segments[:min(1, len(mf.Segments))] {
			fs, err := seg.Fragments[0].GetFullSamples(trex)
			if err != nil {
				continue
			}
			for _, s := range fs[:min(3, len(fs))] {
				f.Add(joined, ps[len(ps)-1], s.Data[:min(len(s.Data), 4096)], byte(4))
			}
		}
	}
}

// splitLengthPrefixed splits b into 4-byte length-prefixed units, stopping
// at the first bad length.
func splitLengthPrefixed(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 4 {
		n := int(binary.BigEndian.Uint32(b))
		if n > len(b)-4 {
			break
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out
}

// fuzzMaps checks a built map against its sample and has mp4ff decrypt our
// encryption under it (the oracle of STYLE.md 6).
func fuzzMaps(t *testing.T, sample []byte, subs []crypto.Subsample, scheme crypto.Scheme) {
	k := mustKey(t, []byte("0123456789abcdef"))
	iv := [16]byte{1, 2, 3}
	enc := bytes.Clone(sample)
	var err error
	tenc := &mp4.TencBox{DefaultCryptByteBlock: 1, DefaultSkipByteBlock: 9}
	if scheme == crypto.SchemeCENC {
		err = k.EncryptCENC(enc, iv, subs)
	} else {
		err = k.EncryptCBCS(enc, iv, subs, crypto.PatternVideo)
	}
	if err != nil {
		t.Fatalf("map %v does not cover the sample: %v", subs, err)
	}
	if scheme == crypto.SchemeCENC {
		err = mp4.CryptSampleCenc(enc, []byte("0123456789abcdef"), iv[:], toMP4ff(subs))
	} else {
		err = mp4.DecryptSampleCbcs(enc, []byte("0123456789abcdef"), iv[:], toMP4ff(subs), tenc)
	}
	if err != nil || !bytes.Equal(enc, sample) {
		t.Fatalf("mp4ff does not decrypt: %v", err)
	}
}

// FuzzSubsamplesH264 feeds parameter sets (4-byte length-prefixed list and
// one more) and a sample to the H.264 parsers: no panics, and any map they
// return covers the sample and round-trips through mp4ff.
func FuzzSubsamplesH264(f *testing.F) {
	fuzzSeeds(f, true)
	f.Fuzz(func(t *testing.T, psList, ps1, sample []byte, lenSize byte) {
		ps, _ := codech264.NewParamSets()
		for _, p := range append(splitLengthPrefixed(psList), ps1) {
			_ = ps.Add(p)
		}
		_, _ = ps.SliceHeaderSize(sample)
		for _, scheme := range []crypto.Scheme{crypto.SchemeCENC, crypto.SchemeCBCS} {
			subs, err := crypto.AppendSubsamplesH264(nil, sample, int(lenSize%5), ps, scheme)
			if err == nil {
				fuzzMaps(t, sample, subs, scheme)
			}
		}
	})
}

// FuzzSubsamplesHEVC is FuzzSubsamplesH264 for HEVC.
func FuzzSubsamplesHEVC(f *testing.F) {
	fuzzSeeds(f, false)
	f.Fuzz(func(t *testing.T, psList, ps1, sample []byte, lenSize byte) {
		ps, _ := codechevc.NewParamSets()
		for _, p := range append(splitLengthPrefixed(psList), ps1) {
			_ = ps.Add(p)
		}
		_, _ = ps.SliceHeaderSize(sample)
		for _, scheme := range []crypto.Scheme{crypto.SchemeCENC, crypto.SchemeCBCS} {
			subs, err := crypto.AppendSubsamplesHEVC(nil, sample, int(lenSize%5), ps, scheme)
			if err == nil {
				fuzzMaps(t, sample, subs, scheme)
			}
		}
	})
}

// FuzzPatternBatch: ranges cut from the input at fuzzed lengths come out of
// the four-lane batch exactly as EncryptPattern makes each alone, and bytes
// between the ranges are untouched.
func FuzzPatternBatch(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef0123456789abcdef"), []byte{16, 3, 200, 0, 17})
	f.Add(bytes.Repeat([]byte{1}, 5000), []byte{255, 255, 1, 160, 161, 176, 15})
	k, _ := crypto.NewKey(bytes.Repeat([]byte{0x5a}, 16))
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		if len(cuts) > 64 {
			cuts = cuts[:64]
		}
		iv := [16]byte{3, 1, 4, 1, 5}
		var spans [][2]int
		pos := 0
		for i, c := range cuts {
			n := int(c) * (1 + i%7) // lengths up to ~1.8 KB, some long
			if pos+n > len(data) {
				break
			}
			spans = append(spans, [2]int{pos, pos + n})
			pos += n + i%3 // a gap now and then
		}
		want := bytes.Clone(data)
		for _, s := range spans {
			k.EncryptPattern(want[s[0]:s[1]], iv, crypto.PatternVideo)
		}
		got := bytes.Clone(data)
		var b crypto.PatternBatch
		b.Reset(k, iv)
		for _, s := range spans {
			b.Add(got[s[0]:s[1]])
		}
		b.Flush()
		if !bytes.Equal(got, want) {
			t.Fatalf("batch of %d ranges differs from EncryptPattern", len(spans))
		}
		// Copying from the input into a buffer of 0xee: the ranges as
		// above, the bytes between them untouched, the input unchanged.
		src := bytes.Clone(data)
		out := bytes.Repeat([]byte{0xee}, len(data))
		b.Reset(k, iv)
		for _, s := range spans {
			b.AddTo(out[s[0]:s[1]], src[s[0]:s[1]])
		}
		b.Flush()
		for i := range want {
			if !inSpans(spans, i) {
				want[i] = 0xee
			}
		}
		if !bytes.Equal(out, want) || !bytes.Equal(src, data) {
			t.Fatalf("copying batch of %d ranges differs from EncryptPattern", len(spans))
		}
		// Whole ranges (AddWholeTo, cbcs audio), every other one mixed
		// with a copied 1:9 range: as crypto/cipher's CBC makes each.
		want = bytes.Repeat([]byte{0xee}, len(data))
		out = bytes.Repeat([]byte{0xee}, len(data))
		b.Reset(k, iv)
		for i, s := range spans {
			w := want[s[0]:s[1]]
			copy(w, data[s[0]:s[1]])
			if i%2 == 1 {
				k.EncryptPattern(w, iv, crypto.PatternVideo)
				b.AddTo(out[s[0]:s[1]], src[s[0]:s[1]])
				continue
			}
			cbcWholeRef(t, bytes.Repeat([]byte{0x5a}, 16), iv, w)
			b.AddWholeTo(out[s[0]:s[1]], src[s[0]:s[1]])
		}
		b.Flush()
		if !bytes.Equal(out, want) || !bytes.Equal(src, data) {
			t.Fatalf("batch of %d ranges, whole and 1:9, differs from crypto/cipher", len(spans))
		}
	})
}

// inSpans reports whether offset i lies in one of spans.
func inSpans(spans [][2]int, i int) bool {
	for _, s := range spans {
		if i >= s[0] && i < s[1] {
			return true
		}
	}
	return false
}
