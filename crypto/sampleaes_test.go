package crypto_test

import (
	"bytes"
	stdaes "crypto/aes"
	"crypto/cipher"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
)

// refSampleAESDecryptNAL decrypts as ffmpeg's hls_sample_encryption.c and
// Apple's spec describe: slices over 48 bytes (as stored) have emulation
// prevention removed, then from byte 32 on a 16-byte block is decrypted
// whenever more than 16 bytes remain, followed by up to 144 clear bytes;
// the IV restarts for every NAL unit.
func refSampleAESDecryptNAL(key []byte, nalu []byte, iv [16]byte) []byte {
	if len(nalu) <= 48 || (nalu[0]&0x1f != 1 && nalu[0]&0x1f != 5) {
		return bytes.Clone(nalu)
	}
	var rbsp []byte
	zeros := 0
	for _, c := range nalu {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		rbsp = append(rbsp, c)
	}
	b, _ := stdaes.NewCipher(key)
	dec := cipher.NewCBCDecrypter(b, iv[:])
	data := rbsp[32:]
	for len(data) > 0 {
		if len(data) > 16 {
			dec.CryptBlocks(data[:16], data[:16])
			data = data[16:]
		}
		data = data[min(144, len(data)):]
	}
	return rbsp
}

func unescape(nalu []byte) []byte {
	var out []byte
	zeros := 0
	for _, c := range nalu {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

// TestSampleAESNAL: real slices of an ffmpeg clip and random NAL units full
// of zero bytes, encrypted and then decrypted by the reference: the RBSP comes
// back, no start code is emulated, and short or non-slice units pass clear.
func TestSampleAESNAL(t *testing.T) {
	needFFmpeg(t)
	key := []byte("0123456789abcdef")
	k := mustKey(t, key)
	iv := [16]byte{5, 4, 3}
	raw, err := os.ReadFile(encodeClip(t, h264, "sampleaes", h264Clips[1].args...))
	if err != nil {
		t.Fatal(err)
	}
	nalus := splitAnnexB(raw)
	r := rand.New(rand.NewPCG(9, 9))
	for range 300 {
		n := make([]byte, r.IntN(1000)+1)
		for i := range n {
			if r.IntN(3) != 0 {
				n[i] = byte(r.IntN(4))
			} else {
				n[i] = byte(r.Uint32())
			}
		}
		n[0] = []byte{0x65, 0x41, 0x06, 0x01}[r.IntN(4)]
		n[len(n)-1] |= 0x80
		nalus = append(nalus, appendEscapedRef(nil, n))
	}
	enc := make([]byte, 0, 4096)
	encrypted := 0
	for i, n := range nalus {
		enc = k.AppendSampleAESNAL(enc[:0], n, iv)
		if bytes.Contains(enc, []byte{0, 0, 0}) || bytes.Contains(enc, []byte{0, 0, 1}) || bytes.Contains(enc, []byte{0, 0, 2}) {
			t.Fatalf("nal %d: start code emulated", i)
		}
		got := refSampleAESDecryptNAL(key, enc, iv)
		want := unescape(n)
		if bytes.Equal(enc, n) {
			if len(n) > 48 && (n[0]&0x1f == 1 || n[0]&0x1f == 5) {
				t.Fatalf("nal %d (%d bytes) not encrypted", i, len(n))
			}
			continue
		}
		encrypted++
		if !bytes.Equal(got, want) {
			t.Fatalf("nal %d (type %d, %d bytes): does not decrypt", i, n[0]&0x1f, len(n))
		}
	}
	if encrypted < 100 {
		t.Fatalf("only %d NAL units encrypted", encrypted)
	}
	if n := testing.AllocsPerRun(10, func() { enc = k.AppendSampleAESNAL(enc[:0], nalus[len(nalus)-1], iv) }); n != 0 && crypto.UseAsm && !raceEnabled {
		t.Fatalf("%v allocs", n)
	}
}

// appendEscapedRef is a plain emulation prevention (H.264 7.4.1).
func appendEscapedRef(dst, rbsp []byte) []byte {
	zeros := 0
	for _, c := range rbsp {
		if zeros == 2 && c <= 3 {
			dst = append(dst, 3)
			zeros = 0
		}
		dst = append(dst, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return dst
}

// TestSampleAESADTS: ADTS frames with and without CRC: header and 16 bytes
// clear, whole blocks CBC from the IV, tail clear.
func TestSampleAESADTS(t *testing.T) {
	key := []byte("0123456789abcdef")
	k := mustKey(t, key)
	iv := [16]byte{1}
	b, _ := stdaes.NewCipher(key)
	r := rand.New(rand.NewPCG(1, 1))
	for _, crc := range []bool{false, true} {
		for size := 7; size < 300; size++ {
			f := randBytes(r, size)
			f[0], f[1] = 0xff, 0xf1
			hdr := 7
			if crc {
				f[1], hdr = 0xf0, 9
			}
			if size < hdr {
				continue
			}
			enc := bytes.Clone(f)
			if err := k.EncryptSampleAESADTS(enc, iv); err != nil {
				t.Fatal(err)
			}
			lead := hdr + 16
			if !bytes.Equal(enc[:min(lead, size)], f[:min(lead, size)]) {
				t.Fatal("leader changed")
			}
			if size > lead {
				nb := (size - lead) / 16
				cipher.NewCBCDecrypter(b, iv[:]).CryptBlocks(enc[lead:lead+nb*16], enc[lead:lead+nb*16])
			}
			if !bytes.Equal(enc, f) {
				t.Fatalf("size %d crc %v: does not decrypt", size, crc)
			}
		}
	}
	if err := k.EncryptSampleAESADTS([]byte{1, 2, 3, 4, 5, 6, 7, 8}, iv); err != crypto.ErrADTS {
		t.Fatal(err)
	}
}
