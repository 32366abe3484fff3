package crypto_test

import (
	"bytes"
	stdaes "crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/drmorigin/drmorigin/crypto"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	nistKey = "2b7e151628aed2a6abf7158809cf4f3c"
	nistPT  = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
)

func mustKey(t testing.TB, key []byte) *crypto.Key {
	t.Helper()
	k, err := crypto.NewKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestNISTCTR runs NIST SP 800-38A F.5.1 (CTR-AES128.Encrypt) through
// EncryptCENC, whole and split into subsamples at odd offsets.
func TestNISTCTR(t *testing.T) {
	k := mustKey(t, unhex(t, nistKey))
	var iv [16]byte
	copy(iv[:], unhex(t, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"))
	want := "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"
	buf := unhex(t, nistPT)
	if err := k.EncryptCENC(buf, iv, nil); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(buf); got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	// The same bytes with clear gaps between protected ranges: the protected
	// bytes, taken together, must equal the vector.
	subs := []crypto.Subsample{{Clear: 3, Protected: 5}, {Clear: 0, Protected: 17}, {Clear: 10, Protected: 42}, {Clear: 1, Protected: 0}}
	pt := unhex(t, nistPT)
	sample := make([]byte, 0, 78)
	pos := 0
	for _, s := range subs {
		sample = append(sample, bytes.Repeat([]byte{0xcc}, int(s.Clear))...)
		sample = append(sample, pt[pos:pos+int(s.Protected)]...)
		pos += int(s.Protected)
	}
	if err := k.EncryptCENC(sample, iv, subs); err != nil {
		t.Fatal(err)
	}
	var prot []byte
	off := 0
	for _, s := range subs {
		if !bytes.Equal(sample[off:off+int(s.Clear)], bytes.Repeat([]byte{0xcc}, int(s.Clear))) {
			t.Fatal("clear bytes changed")
		}
		off += int(s.Clear)
		prot = append(prot, sample[off:off+int(s.Protected)]...)
		off += int(s.Protected)
	}
	if got := hex.EncodeToString(prot); got != want {
		t.Fatalf("subsampled: got %s\nwant %s", got, want)
	}
}

// TestNISTCBC runs NIST SP 800-38A F.2.1 (CBC-AES128.Encrypt) through
// EncryptCBC (in two pieces), EncryptPattern with whole blocks, and
// AppendCBCSegment (whose last block is then the padding block).
func TestNISTCBC(t *testing.T) {
	k := mustKey(t, unhex(t, nistKey))
	var iv [16]byte
	copy(iv[:], unhex(t, "000102030405060708090a0b0c0d0e0f"))
	want := "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"
	buf := unhex(t, nistPT)
	chain := iv
	k.EncryptCBC(buf[:32], &chain)
	k.EncryptCBC(buf[32:], &chain)
	if got := hex.EncodeToString(buf); got != want {
		t.Fatalf("EncryptCBC got %s\nwant %s", got, want)
	}
	buf = unhex(t, nistPT)
	k.EncryptPattern(buf, iv, crypto.PatternWhole)
	if got := hex.EncodeToString(buf); got != want {
		t.Fatalf("EncryptPattern got %s\nwant %s", got, want)
	}
	seg := k.AppendCBCSegment(nil, unhex(t, nistPT), iv)
	if len(seg) != 80 || hex.EncodeToString(seg[:64]) != want {
		t.Fatalf("AppendCBCSegment got %x", seg)
	}
	// The padding block of a whole-block input is 16 bytes of 0x10.
	dec := make([]byte, 16)
	std, _ := stdaes.NewCipher(unhex(t, nistKey))
	cipher.NewCBCDecrypter(std, seg[48:64]).CryptBlocks(dec, seg[64:])
	if !bytes.Equal(dec, bytes.Repeat([]byte{16}, 16)) {
		t.Fatalf("padding block %x", dec)
	}
}

// TestPKCS7 checks the padding for every residue (RFC 5652 6.3).
func TestPKCS7(t *testing.T) {
	for n := range 40 {
		p := crypto.AppendPKCS7(nil, n)
		if (n+len(p))%16 != 0 || len(p) < 1 || len(p) > 16 {
			t.Fatalf("n=%d: pad %d", n, len(p))
		}
		for _, b := range p {
			if int(b) != len(p) {
				t.Fatalf("n=%d: pad byte %d", n, b)
			}
		}
	}
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// randSubsamples returns a random subsample map covering n bytes.
func randSubsamples(r *rand.Rand, n int) []crypto.Subsample {
	var subs []crypto.Subsample
	for n > 0 {
		c := min(r.IntN(300), n)
		if r.IntN(20) == 0 {
			c = min(65535, n)
		}
		p := min(r.IntN(2000), n-c)
		subs = append(subs, crypto.Subsample{Clear: uint16(c), Protected: uint32(p)})
		n -= c + p
	}
	return subs
}

func toMP4ff(subs []crypto.Subsample) []mp4.SubSamplePattern {
	out := make([]mp4.SubSamplePattern, len(subs))
	for i, s := range subs {
		out[i] = mp4.SubSamplePattern{BytesOfClearData: s.Clear, BytesOfProtectedData: s.Protected}
	}
	return out
}

// stdCENC decrypts a cenc sample per 23001-7 with crypto/cipher's CTR.
func stdCENC(key []byte, sample []byte, iv [16]byte, subs []crypto.Subsample) {
	b, _ := stdaes.NewCipher(key)
	s := cipher.NewCTR(b, iv[:])
	if len(subs) == 0 {
		s.XORKeyStream(sample, sample)
		return
	}
	pos := 0
	for _, ss := range subs {
		pos += int(ss.Clear)
		s.XORKeyStream(sample[pos:pos+int(ss.Protected)], sample[pos:pos+int(ss.Protected)])
		pos += int(ss.Protected)
	}
}

// stdCBCS decrypts a cbcs sample per 23001-7 10.4 with crypto/cipher's CBC:
// the chain restarts from the constant IV in every protected range and runs
// through its encrypted pattern blocks.
func stdCBCS(key []byte, sample []byte, iv [16]byte, subs []crypto.Subsample, p crypto.Pattern) {
	b, _ := stdaes.NewCipher(key)
	rng := func(d []byte) {
		nb := len(d) / 16
		if p.Crypt == 0 || p.Skip == 0 {
			cipher.NewCBCDecrypter(b, iv[:]).CryptBlocks(d[:nb*16], d[:nb*16])
			return
		}
		dec := cipher.NewCBCDecrypter(b, iv[:])
		for blk := 0; blk < nb; blk += int(p.Crypt) + int(p.Skip) {
			n := min(int(p.Crypt), nb-blk)
			dec.CryptBlocks(d[blk*16:(blk+n)*16], d[blk*16:(blk+n)*16])
		}
	}
	if len(subs) == 0 {
		rng(sample)
		return
	}
	pos := 0
	for _, ss := range subs {
		pos += int(ss.Clear)
		rng(sample[pos : pos+int(ss.Protected)])
		pos += int(ss.Protected)
	}
}

// TestCENCRoundTrip: random samples and subsample maps, decrypted by
// crypto/cipher CTR and by mp4ff's CryptSampleCenc, with 8- and 16-byte IVs.
func TestCENCRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 500 {
		key := randBytes(r, 16)
		k := mustKey(t, key)
		n := r.IntN(5000)
		if i%50 == 0 {
			n = 70000 + r.IntN(70000)
		}
		x := randBytes(r, n)
		var subs []crypto.Subsample
		if i%3 != 0 {
			subs = randSubsamples(r, n)
		}
		var iv [16]byte
		ivLen := 16
		if i%2 == 0 {
			ivLen = 8
		}
		copy(iv[:ivLen], randBytes(r, ivLen))
		if i%7 == 0 { // counter close to a 64-bit wrap in the low half
			copy(iv[8:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe})
		}
		enc := bytes.Clone(x)
		if err := k.EncryptCENC(enc, iv, subs); err != nil {
			t.Fatal(err)
		}
		if n >= 16 && len(subs) == 0 && bytes.Equal(enc, x) {
			t.Fatal("not encrypted")
		}
		a := bytes.Clone(enc)
		stdCENC(key, a, iv, subs)
		if !bytes.Equal(a, x) {
			t.Fatalf("case %d (n=%d, subs=%v): crypto/cipher CTR does not decrypt", i, n, subs)
		}
		if iv[8] == 0xff {
			continue // mp4ff's counter handling is only compared on ordinary IVs
		}
		m := bytes.Clone(enc)
		if err := mp4.CryptSampleCenc(m, key, iv[:], toMP4ff(subs)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m, x) {
			t.Fatalf("case %d: mp4ff does not decrypt", i)
		}
	}
}

// TestCBCSRoundTrip: random samples and maps, patterns 1:9 and whole blocks,
// decrypted by crypto/cipher CBC per the spec rules and by mp4ff's
// DecryptSampleCbcs.
func TestCBCSRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 500 {
		key := randBytes(r, 16)
		k := mustKey(t, key)
		n := r.IntN(5000)
		x := randBytes(r, n)
		var subs []crypto.Subsample
		p := crypto.PatternWhole
		if i%2 == 0 {
			subs = randSubsamples(r, n)
			p = crypto.PatternVideo
		}
		var iv [16]byte
		copy(iv[:], randBytes(r, 16))
		enc := bytes.Clone(x)
		if err := k.EncryptCBCS(enc, iv, subs, p); err != nil {
			t.Fatal(err)
		}
		a := bytes.Clone(enc)
		stdCBCS(key, a, iv, subs, p)
		if !bytes.Equal(a, x) {
			t.Fatalf("case %d: crypto/cipher CBC does not decrypt", i)
		}
		m := bytes.Clone(enc)
		tenc := &mp4.TencBox{DefaultCryptByteBlock: p.Crypt, DefaultSkipByteBlock: p.Skip}
		if err := mp4.DecryptSampleCbcs(m, key, iv[:], toMP4ff(subs), tenc); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m, x) {
			t.Fatalf("case %d: mp4ff does not decrypt", i)
		}
		// Partial tail blocks and skipped blocks stay clear.
		if len(subs) == 0 && n%16 != 0 && !bytes.Equal(enc[n/16*16:], x[n/16*16:]) {
			t.Fatalf("case %d: tail encrypted", i)
		}
	}
}

// TestCBCSegmentRoundTrip: random segments decrypted by crypto/cipher CBC
// and unpadded; also the in-place form.
func TestCBCSegmentRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 300 {
		key := randBytes(r, 16)
		k := mustKey(t, key)
		x := randBytes(r, r.IntN(3000))
		var iv [16]byte
		copy(iv[:], randBytes(r, 16))
		var enc []byte
		if i%2 == 0 {
			buf := make([]byte, len(x), len(x)+16)
			copy(buf, x)
			enc = k.AppendCBCSegment(buf[:0], buf, iv)
			if &enc[0] != &buf[0] {
				t.Fatal("in-place form reallocated")
			}
		} else {
			enc = k.AppendCBCSegment([]byte("prefix"), x, iv)[6:]
		}
		if len(enc) != len(x)/16*16+16 {
			t.Fatalf("length %d for %d", len(enc), len(x))
		}
		b, _ := stdaes.NewCipher(key)
		dec := make([]byte, len(enc))
		cipher.NewCBCDecrypter(b, iv[:]).CryptBlocks(dec, enc)
		pad := int(dec[len(dec)-1])
		if pad < 1 || pad > 16 || !bytes.Equal(dec[:len(dec)-pad], x) {
			t.Fatalf("case %d: does not decrypt", i)
		}
	}
}

// TestSubsampleErrors: a map that does not cover the sample is refused and
// leaves the sample unchanged.
func TestSubsampleErrors(t *testing.T) {
	k := mustKey(t, make([]byte, 16))
	x := make([]byte, 100)
	for _, subs := range [][]crypto.Subsample{{{Clear: 10, Protected: 80}}, {{Clear: 10, Protected: 100}}} {
		if err := k.EncryptCENC(x, [16]byte{}, subs); err != crypto.ErrSubsamples {
			t.Fatalf("cenc %v: %v", subs, err)
		}
		if err := k.EncryptCBCS(x, [16]byte{}, subs, crypto.PatternVideo); err != crypto.ErrSubsamples {
			t.Fatalf("cbcs %v: %v", subs, err)
		}
	}
	if !bytes.Equal(x, make([]byte, 100)) {
		t.Fatal("sample changed")
	}
	if _, err := crypto.NewKey(make([]byte, 15)); err != crypto.ErrKeySize {
		t.Fatal(err)
	}
}

// TestAppendSubsample: clear runs over 65535 are split.
func TestAppendSubsample(t *testing.T) {
	s := crypto.AppendSubsample(nil, 200000, 32)
	want := []crypto.Subsample{{65535, 0}, {65535, 0}, {65535, 0}, {3395, 32}}
	if len(s) != len(want) {
		t.Fatalf("%v", s)
	}
	for i := range want {
		if s[i] != want[i] {
			t.Fatalf("%v", s)
		}
	}
}
