package crypto_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"math/rand/v2"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
)

// TestPatternBatch: a batch of ranges comes out as EncryptPattern makes each
// range alone, for range counts that leave lanes idle, lengths from under
// a block to long, and bytes outside the ranges untouched.
func TestPatternBatch(t *testing.T) {
	k, err := crypto.NewKey(bytes.Repeat([]byte{0x42}, 16))
	if err != nil {
		t.Fatal(err)
	}
	iv := [16]byte{9, 8, 7, 6, 5, 4, 3, 2, 1}
	rng := rand.New(rand.NewPCG(1, 2))
	lengths := []int{0, 5, 15, 16, 17, 159, 160, 161, 175, 176, 1600, 1615, 4099, 70000}
	var b crypto.PatternBatch
	for trial := range 300 {
		nr := 1 + trial%13
		buf := make([]byte, 0, 1<<20)
		var spans [][2]int
		for range nr {
			gap := rng.IntN(40)
			n := lengths[rng.IntN(len(lengths))]
			if trial%3 == 0 {
				n = rng.IntN(20000)
			}
			for range gap {
				buf = append(buf, byte(rng.Uint32()))
			}
			at := len(buf)
			for range n {
				buf = append(buf, byte(rng.Uint32()))
			}
			spans = append(spans, [2]int{at, at + n})
		}
		want := bytes.Clone(buf)
		for _, s := range spans {
			k.EncryptPattern(want[s[0]:s[1]], iv, crypto.PatternVideo)
		}
		got := bytes.Clone(buf)
		b.Reset(k, iv)
		for _, s := range spans {
			b.Add(got[s[0]:s[1]])
		}
		b.Flush()
		if !bytes.Equal(got, want) {
			t.Fatalf("trial %d (%d ranges): batch differs from EncryptPattern", trial, nr)
		}
	}
}

// TestPatternBatchCopy: ranges copied from a source (AddTo), mixed with
// ranges encrypted in place, come out as EncryptPattern makes each range
// from a copy; the source is unchanged and the destination's bytes between
// the ranges untouched. Lengths cover every tail of a stride (0 to 175
// bytes past whole strides) and range counts that leave lanes idle.
func TestPatternBatchCopy(t *testing.T) {
	k, err := crypto.NewKey(bytes.Repeat([]byte{0x24}, 16))
	if err != nil {
		t.Fatal(err)
	}
	iv := [16]byte{7, 7, 7, 1}
	rng := rand.New(rand.NewPCG(3, 4))
	var b crypto.PatternBatch
	for trial := range 400 {
		nr := 1 + trial%11
		src := make([]byte, 0, 1<<20)
		var spans [][2]int
		for range nr {
			gap := rng.IntN(40)
			n := 160*rng.IntN(30) + rng.IntN(176)
			if trial%4 == 0 {
				n = rng.IntN(300000)
			}
			for range gap {
				src = append(src, byte(rng.Uint32()))
			}
			at := len(src)
			for range n {
				src = append(src, byte(rng.Uint32()))
			}
			spans = append(spans, [2]int{at, at + n})
		}
		orig := bytes.Clone(src)
		dst := make([]byte, len(src))
		for i := range dst {
			dst[i] = byte(rng.Uint32())
		}
		want := bytes.Clone(dst)
		for _, s := range spans {
			copy(want[s[0]:s[1]], src[s[0]:s[1]])
			k.EncryptPattern(want[s[0]:s[1]], iv, crypto.PatternVideo)
		}
		b.Reset(k, iv)
		for i, s := range spans {
			d := dst[s[0]:s[1]]
			if (trial+i)%3 == 0 { // in place, in company of copying lanes
				copy(d, src[s[0]:s[1]])
				b.Add(d)
				continue
			}
			b.AddTo(d, src[s[0]:s[1]])
		}
		b.Flush()
		if !bytes.Equal(dst, want) {
			t.Fatalf("trial %d (%d ranges): copying batch differs from EncryptPattern", trial, nr)
		}
		if !bytes.Equal(src, orig) {
			t.Fatalf("trial %d: the source changed", trial)
		}
	}
}

// TestEncryptPatternsTo: each destination range comes out as
// EncryptPattern makes it from a copy of its source (some ranges in
// place), the sources unchanged; lists of different lengths panic.
func TestEncryptPatternsTo(t *testing.T) {
	k, err := crypto.NewKey(bytes.Repeat([]byte{0x5A}, 16))
	if err != nil {
		t.Fatal(err)
	}
	iv := [16]byte{9, 8, 7}
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 100 {
		var dst, src, want, orig [][]byte
		for i := range 1 + trial%9 {
			s := make([]byte, rng.IntN(5000))
			for j := range s {
				s[j] = byte(rng.Uint32())
			}
			d := make([]byte, len(s))
			if i%4 == 3 {
				copy(d, s)
				s = d // in place
			}
			w := bytes.Clone(s)
			k.EncryptPattern(w, iv, crypto.PatternVideo)
			dst, src, want, orig = append(dst, d), append(src, s), append(want, w), append(orig, bytes.Clone(s))
		}
		k.EncryptPatternsTo(dst, src, iv)
		for i := range dst {
			if !bytes.Equal(dst[i], want[i]) {
				t.Fatalf("trial %d range %d (%d bytes): differs from EncryptPattern", trial, i, len(dst[i]))
			}
			if len(src[i]) > 0 && &src[i][0] != &dst[i][0] && !bytes.Equal(src[i], orig[i]) {
				t.Fatalf("trial %d range %d: the source changed", trial, i)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("lists of different lengths: no panic")
		}
	}()
	k.EncryptPatternsTo(make([][]byte, 2), make([][]byte, 1), iv)
}

// TestPatternBatchSample: AddSample follows a subsample map as EncryptCBCS
// does, and refuses a map that does not cover the sample.
func TestPatternBatchSample(t *testing.T) {
	k, _ := crypto.NewKey(bytes.Repeat([]byte{0x17}, 16))
	iv := [16]byte{1}
	sample := make([]byte, 3000)
	for i := range sample {
		sample[i] = byte(i * 13)
	}
	subs := []crypto.Subsample{{Clear: 37, Protected: 1200}, {Clear: 3, Protected: 0}, {Clear: 100, Protected: 1660}}
	want := bytes.Clone(sample)
	if err := k.EncryptCBCS(want, iv, subs, crypto.PatternVideo); err != nil {
		t.Fatal(err)
	}
	var b crypto.PatternBatch
	b.Reset(k, iv)
	got := bytes.Clone(sample)
	if err := b.AddSample(got, subs); err != nil {
		t.Fatal(err)
	}
	b.Flush()
	if !bytes.Equal(got, want) {
		t.Fatal("AddSample differs from EncryptCBCS")
	}
	if err := b.AddSample(got, subs[:1]); err == nil {
		t.Fatal("a map short of the sample was taken")
	}
	// AddSampleTo: the same bytes from a source, the source unchanged.
	out := make([]byte, len(sample))
	b.Reset(k, iv)
	if err := b.AddSampleTo(out, sample, subs); err != nil {
		t.Fatal(err)
	}
	b.Flush()
	if !bytes.Equal(out, want) {
		t.Fatal("AddSampleTo differs from EncryptCBCS")
	}
	if err := b.AddSampleTo(out[1:], sample, subs); err == nil {
		t.Fatal("a destination shorter than the source was taken")
	}
}

// BenchmarkEncryptCBCSPatternBatch against BenchmarkEncryptCBCSPatternSerial:
// fifty 23 KB samples (one 1080p segment's video) under 1:9, four chains
// in flight against one.
func BenchmarkEncryptCBCSPatternBatch(b *testing.B)  { benchPattern(b, true) }
func BenchmarkEncryptCBCSPatternSerial(b *testing.B) { benchPattern(b, false) }

func benchPattern(b *testing.B, batch bool) {
	k, _ := crypto.NewKey(bytes.Repeat([]byte{0x42}, 16))
	buf := make([]byte, 50*23000)
	var pb crypto.PatternBatch
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		pb.Reset(k, [16]byte{})
		for s := 0; s < len(buf); s += 23000 {
			if batch {
				pb.Add(buf[s : s+23000])
			} else {
				k.EncryptPattern(buf[s:s+23000], [16]byte{}, crypto.PatternVideo)
			}
		}
		pb.Flush()
	}
}

// cbcWholeRef is cbcs whole-block encryption (pattern 0:0) by crypto/cipher:
// AES-CBC from iv over every whole block of r, in place, the tail clear.
func cbcWholeRef(t testing.TB, key []byte, iv [16]byte, r []byte) {
	blk, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	n := len(r) / 16 * 16
	cipher.NewCBCEncrypter(blk, iv[:]).CryptBlocks(r[:n], r[:n])
}

// TestPatternBatchWhole: whole ranges (AddWholeTo, cbcs audio) come out as
// crypto/cipher's CBC makes each one alone (every whole block from the IV,
// the tail clear), for every length from 0 to 40 blocks and every tail of
// a block, alone and in batches mixed with 1:9 ranges in place and copied
// (which the batch may not run in one step with them), from a source and
// in place; the source is unchanged and the bytes between ranges
// untouched.
func TestPatternBatchWhole(t *testing.T) {
	key := bytes.Repeat([]byte{0x3c}, 16)
	k, err := crypto.NewKey(key)
	if err != nil {
		t.Fatal(err)
	}
	iv := [16]byte{0xa, 0xb, 0xc, 1, 2, 3}
	rng := rand.New(rand.NewPCG(5, 6))
	var b crypto.PatternBatch
	// Every length alone.
	for n := range 40*16 + 16 {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(rng.Uint32())
		}
		want := bytes.Clone(src)
		cbcWholeRef(t, key, iv, want)
		dst := make([]byte, n)
		b.Reset(k, iv)
		b.AddWholeTo(dst, src)
		b.Flush()
		if !bytes.Equal(dst, want) {
			t.Fatalf("%d bytes: AddWholeTo differs from crypto/cipher CBC", n)
		}
	}
	const (
		whole = iota
		wholeInPlace
		pattern
		patternCopy
	)
	for trial := range 500 {
		nr := 1 + trial%13
		src := make([]byte, 0, 1<<20)
		type span struct{ at, end, kind int }
		var spans []span
		for i := range nr {
			for range rng.IntN(40) {
				src = append(src, byte(rng.Uint32()))
			}
			kind := whole
			if trial%2 == 1 { // a mix
				kind = (i + rng.IntN(4)) % 4
			}
			n := 16*rng.IntN(60) + rng.IntN(16)
			if kind >= pattern || rng.IntN(8) == 0 {
				n = 160*rng.IntN(40) + rng.IntN(176)
			}
			at := len(src)
			for range n {
				src = append(src, byte(rng.Uint32()))
			}
			spans = append(spans, span{at, at + n, kind})
		}
		orig := bytes.Clone(src)
		dst := make([]byte, len(src))
		for i := range dst {
			dst[i] = byte(rng.Uint32())
		}
		want := bytes.Clone(dst)
		for _, s := range spans {
			w := want[s.at:s.end]
			copy(w, src[s.at:s.end])
			if s.kind <= wholeInPlace {
				cbcWholeRef(t, key, iv, w)
			} else {
				k.EncryptPattern(w, iv, crypto.PatternVideo)
			}
		}
		b.Reset(k, iv)
		for _, s := range spans {
			d, sr := dst[s.at:s.end], src[s.at:s.end]
			switch s.kind {
			case whole:
				b.AddWholeTo(d, sr)
			case wholeInPlace:
				copy(d, sr)
				b.AddWholeTo(d, d)
			case pattern:
				copy(d, sr)
				b.Add(d)
			case patternCopy:
				b.AddTo(d, sr)
			}
		}
		b.Flush()
		if !bytes.Equal(dst, want) {
			t.Fatalf("trial %d (%d ranges): batch with whole ranges differs", trial, nr)
		}
		if !bytes.Equal(src, orig) {
			t.Fatalf("trial %d: the source changed", trial)
		}
	}
}
