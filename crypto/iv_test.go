package crypto_test

import (
	stdaes "crypto/aes"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"testing"
)

// TestIVUniqueness derives the cenc IVs of every sample of 2,000 fragments
// of three tracks (two assets) sharing one key: no 16-byte IV repeats, no
// fragment prefix repeats (so no counter block can), and the 8-byte IV ranges
// [P, P+n) of the fragments are disjoint.
func TestIVUniqueness(t *testing.T) {
	k := mustKey(t, []byte("shared key 16 by"))
	const frags, samples = 2000, 100
	seen16 := map[[16]byte]bool{}
	prefixes := map[[8]byte]bool{}
	var starts []uint64
	for _, tr := range []struct{ asset, track string }{{"a1", "video.mp4"}, {"a1", "audio.mp4"}, {"a2", "video.mp4"}} {
		for f := range frags {
			fiv := k.FragmentIV(tr.asset, tr.track, uint64(f)*20000000)
			var p [8]byte
			copy(p[:], fiv[:8])
			if prefixes[p] {
				t.Fatalf("prefix repeats at %v fragment %d", tr, f)
			}
			prefixes[p] = true
			starts = append(starts, binary.BigEndian.Uint64(p[:]))
			for s := range uint32(samples) {
				iv := fiv.SampleIV16(s)
				if seen16[iv] {
					t.Fatalf("IV repeats at %v fragment %d sample %d", tr, f, s)
				}
				seen16[iv] = true
				if binary.BigEndian.Uint32(iv[12:]) != 0 {
					t.Fatal("block counter bits not zero")
				}
				iv8 := fiv.SampleIV8(s)
				if binary.BigEndian.Uint64(iv8[:]) != starts[len(starts)-1]+uint64(s) {
					t.Fatal("SampleIV8 is not P+i")
				}
			}
		}
	}
	slices.Sort(starts)
	for i := 1; i < len(starts); i++ {
		if starts[i]-starts[i-1] < samples {
			t.Fatalf("8-byte IV ranges of two fragments overlap")
		}
	}
}

// TestIVDerivation: deterministic per key (replicas agree), different per
// key, per purpose and per identifier boundary, and pinned to known values
// so that a change of derivation (which changes every served byte) is seen.
func TestIVDerivation(t *testing.T) {
	k1 := mustKey(t, []byte("0123456789abcdef"))
	k2 := mustKey(t, []byte("0123456789abcdef"))
	k3 := mustKey(t, []byte("0123456789abcdeF"))
	f1 := k1.FragmentIV("asset", "video.mp4", 42)
	if f1 != k2.FragmentIV("asset", "video.mp4", 42) {
		t.Fatal("not deterministic")
	}
	if f1 == k3.FragmentIV("asset", "video.mp4", 42) {
		t.Fatal("independent of the key")
	}
	if k1.FragmentIV("ab", "c", 0) == k1.FragmentIV("a", "bc", 0) {
		t.Fatal("identifier boundaries are ambiguous")
	}
	seg := k1.SegmentIV("asset", "video.mp4", 42)
	if [16]byte(f1) == seg || k1.CBCSConstantIV("asset", "video.mp4") == k1.SegmentIV("asset", "video.mp4", 0) {
		t.Fatal("purposes not separated")
	}
	if k1.CBCSConstantIV("asset", "video.mp4") == k1.CBCSConstantIV("asset", "audio.mp4") {
		t.Fatal("cbcs IV shared by tracks")
	}
	long := string(make([]byte, 1000))
	_ = k1.FragmentIV(long, long, 1)
	cb := k1.CBCSConstantIV("asset", "video.mp4")
	pinned := map[string]string{
		"fragment": hex.EncodeToString(f1[:]),
		"segment":  hex.EncodeToString(seg[:]),
		"cbcs":     hex.EncodeToString(cb[:]),
	}
	want := map[string]string{
		"fragment": pinnedFragment,
		"segment":  pinnedSegment,
		"cbcs":     pinnedCBCS,
	}
	for name, got := range pinned {
		if got != want[name] {
			t.Errorf("%s IV = %s, pinned %s", name, got, want[name])
		}
	}
}

// Known answers of TestIVDerivation (key "0123456789abcdef", asset "asset",
// track "video.mp4", decode time 42).
const (
	pinnedFragment = "6311465aeb0640b37868411bd6979e69"
	pinnedSegment  = "10cc2da2af40c7356497dca4dcd3dec7"
	pinnedCBCS     = "1fd989a8eec7174777b23c3613031110"
)

// refCMAC is a one-shot textbook AES-CMAC (RFC 4493 2.4) on crypto/aes.
func refCMAC(key, msg []byte) [16]byte {
	b, _ := stdaes.NewCipher(key)
	var l, k1, k2 [16]byte
	b.Encrypt(l[:], l[:])
	dbl := func(d, s *[16]byte) {
		for i := range 15 {
			d[i] = s[i]<<1 | s[i+1]>>7
		}
		d[15] = s[15] << 1
		if s[0]&0x80 != 0 {
			d[15] ^= 0x87
		}
	}
	dbl(&k1, &l)
	dbl(&k2, &k1)
	n := (len(msg) + 15) / 16
	last := make([]byte, 16)
	if n > 0 && len(msg)%16 == 0 {
		copy(last, msg[(n-1)*16:])
		subtle.XORBytes(last, last, k1[:])
	} else {
		if n == 0 {
			n = 1
		}
		r := copy(last, msg[(n-1)*16:])
		last[r] = 0x80
		subtle.XORBytes(last, last, k2[:])
	}
	x := make([]byte, 16)
	for i := 0; i < n-1; i++ {
		subtle.XORBytes(x, x, msg[i*16:(i+1)*16])
		b.Encrypt(x, x)
	}
	subtle.XORBytes(x, x, last)
	b.Encrypt(x, x)
	return [16]byte(x)
}

// TestIVConstruction recomputes the IVs as iv.go documents them, with
// crypto/aes and a textbook CMAC: K_iv = AES_K(label), then CMAC under K_iv
// of purpose || len || asset || len || track [|| time].
func TestIVConstruction(t *testing.T) {
	key := []byte("0123456789abcdef")
	k := mustKey(t, key)
	b, _ := stdaes.NewCipher(key)
	label := []byte{'d', 'r', 'm', 'o', 'r', 'i', 'g', '0', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	kiv := make([]byte, 16)
	b.Encrypt(kiv, label)
	msg := func(purpose byte, asset, track string, tm *uint64) []byte {
		m := []byte{purpose}
		m = binary.BigEndian.AppendUint32(m, uint32(len(asset)))
		m = append(m, asset...)
		m = binary.BigEndian.AppendUint32(m, uint32(len(track)))
		m = append(m, track...)
		if tm != nil {
			m = binary.BigEndian.AppendUint64(m, *tm)
		}
		return m
	}
	for _, c := range []struct{ asset, track string }{{"", ""}, {"asset", "video.mp4"}, {"a-much-longer-asset-name-0123456789", "video_avc1_1280x720_3000000.cmfv"}} {
		tm := uint64(1234567890123)
		if got, want := k.FragmentIV(c.asset, c.track, tm), refCMAC(kiv, msg(1, c.asset, c.track, &tm)); [16]byte(got) != want {
			t.Fatalf("FragmentIV %v: %x, want %x", c, got, want)
		}
		if got, want := k.CBCSConstantIV(c.asset, c.track), refCMAC(kiv, msg(2, c.asset, c.track, nil)); got != want {
			t.Fatalf("CBCSConstantIV %v: %x, want %x", c, got, want)
		}
		if got, want := k.SegmentIV(c.asset, c.track, tm), refCMAC(kiv, msg(3, c.asset, c.track, &tm)); got != want {
			t.Fatalf("SegmentIV %v: %x, want %x", c, got, want)
		}
	}
}
