package crypto

import (
	"bytes"
	stdaes "crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExpandKey128 checks the key schedule against FIPS 197 A.1 (last round
// key) and the assembly block cipher against crypto/aes on random keys.
func TestExpandKey128(t *testing.T) {
	var xk [176]byte
	expandKey128(&xk, unhex(t, "2b7e151628aed2a6abf7158809cf4f3c"))
	if got, want := hex.EncodeToString(xk[160:]), "d014f9a8c9ee2589e13f0cc8b6630ca6"; got != want {
		t.Fatalf("round key 10 = %s, want %s", got, want)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		key := make([]byte, 16)
		for i := range key {
			key[i] = byte(r.Uint32())
		}
		k, err := NewKey(key)
		if err != nil {
			t.Fatal(err)
		}
		std, _ := stdaes.NewCipher(key)
		var in, a, b [16]byte
		for i := range in {
			in[i] = byte(r.Uint32())
		}
		k.encryptBlock(&a, &in)
		std.Encrypt(b[:], in[:])
		if a != b {
			t.Fatalf("key %x: block %x, want %x", key, a, b)
		}
	}
}

// TestCMAC checks the streaming AES-CMAC against RFC 4493 section 4, feeding
// each message in pieces of every size.
func TestCMAC(t *testing.T) {
	key := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	k := &Key{}
	k.ivBlock, _ = stdaes.NewCipher(key)
	expandKey128(&k.ivKey, key)
	var l [16]byte
	k.ivEncrypt(&l)
	cmacDouble(&k.cmacK1, &l)
	cmacDouble(&k.cmacK2, &k.cmacK1)
	if got := hex.EncodeToString(k.cmacK1[:]); got != "fbeed618357133667c85e08f7236a8de" {
		t.Fatalf("K1 = %s", got)
	}
	if got := hex.EncodeToString(k.cmacK2[:]); got != "f7ddac306ae266ccf90bc11ee46d513b" {
		t.Fatalf("K2 = %s", got)
	}
	msg := unhex(t, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
	cases := []struct {
		n    int
		want string
	}{
		{0, "bb1d6929e95937287fa37d129b756746"},
		{16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{40, "dfa66747de9ae63030ca32611497c827"},
		{64, "51f0bebf7e3b9d92fc49741779363cfe"},
	}
	for _, c := range cases {
		for step := 1; step <= 17; step++ {
			var m cmac
			for p := 0; p < c.n; p += step {
				if step%2 == 0 {
					m.writeString(k, string(msg[p:min(p+step, c.n)]))
				} else {
					m.write(k, msg[p:min(p+step, c.n)])
				}
			}
			got := m.sum(k)
			if hex.EncodeToString(got[:]) != c.want {
				t.Fatalf("CMAC(%d bytes, step %d) = %x, want %s", c.n, step, got, c.want)
			}
		}
	}
}

// TestCTRPieces feeds ctrXOR ranges of every length against one continuous
// stdlib-equivalent reference (EncryptCENC with no subsamples).
func TestCTRPieces(t *testing.T) {
	if !useAsm {
		t.Skip("no AES-NI assembly on this machine: EncryptCENC uses crypto/cipher")
	}
	k, _ := NewKey(bytes.Repeat([]byte{7}, 16))
	data := make([]byte, 3000)
	for i := range data {
		data[i] = byte(i * 31)
	}
	want := bytes.Clone(data)
	_ = k.EncryptCENC(want, [16]byte{1, 2, 3}, nil)
	for step := 1; step < 300; step += 7 {
		got := bytes.Clone(data)
		c := ctrState{hi: 0x0102030000000000, ksPos: BlockSize}
		for p := 0; p < len(got); p += step {
			k.ctrXOR(&c, got[p:min(p+step, len(got))], got[p:min(p+step, len(got))])
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("step %d differs", step)
		}
	}
}

// TestEncryptCENCTo: encrypting from one buffer into another gives the
// in-place result, leaves the source alone, and covers clear ranges, gaps
// of every length and the tail.
func TestEncryptCENCTo(t *testing.T) {
	k, _ := NewKey(bytes.Repeat([]byte{9}, 16))
	src := make([]byte, 5000)
	for i := range src {
		src[i] = byte(i*7 + 3)
	}
	orig := bytes.Clone(src)
	maps := [][]Subsample{nil, {{Clear: 5, Protected: 4995}}, {{Clear: 100, Protected: 33}, {Clear: 1, Protected: 0}, {Clear: 17, Protected: 4849}},
		{{Clear: 4000, Protected: 1000}}, {{Clear: 5000}}}
	for mi, subs := range maps {
		for _, iv := range [][16]byte{{1, 2, 3}, {0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0}} {
			want := bytes.Clone(src)
			if err := k.EncryptCENC(want, iv, subs); err != nil {
				t.Fatal(err)
			}
			got := bytes.Repeat([]byte{0xAA}, len(src))
			if err := k.EncryptCENCTo(got, src, iv, subs); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("map %d iv %x: differs from in place", mi, iv)
			}
			if !bytes.Equal(src, orig) {
				t.Fatalf("map %d: source changed", mi)
			}
		}
	}
	if err := k.EncryptCENCTo(make([]byte, 3), src[:4], [16]byte{}, nil); err != ErrLength {
		t.Fatalf("lengths differ: %v", err)
	}
}

// TestCTRVAES: the VAES path (16 blocks per iteration) and the AES-NI path
// give the standard library's CTR keystream, for lengths around the
// 256-byte step, counters with a carry inside the low byte, in pieces and
// whole. It reports which paths this CPU has.
func TestCTRVAES(t *testing.T) {
	t.Logf("AES-NI %v, VAES %v", useAsm, useVAES)
	if !useAsm {
		t.Skip("no AES-NI assembly on this machine")
	}
	key := bytes.Repeat([]byte{0x2b}, 16)
	k, _ := NewKey(key)
	blk, _ := stdaes.NewCipher(key)
	src := make([]byte, 5000)
	for i := range src {
		src[i] = byte(i*131 + 7)
	}
	for _, vaes := range []bool{false, true} {
		if vaes && !useVAES {
			continue
		}
		old := useVAES
		useVAES = vaes
		for _, iv := range [][16]byte{{1, 2, 3}, {0xAA, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xF0}, {9, 9, 9, 9, 9, 9, 9, 9, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE}} {
			for _, n := range []int{255, 256, 257, 511, 512, 513, 1000, 4096, 4099, 5000} {
				want := make([]byte, n)
				cipher.NewCTR(blk, iv[:]).XORKeyStream(want, src[:n])
				got := make([]byte, n)
				if err := k.EncryptCENCTo(got, src[:n], iv, nil); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("VAES %v, iv %x, %d bytes: differs from crypto/cipher", vaes, iv, n)
				}
			}
		}
		useVAES = old
	}
}
