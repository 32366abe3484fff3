package crypto

import (
	"crypto/cipher"
	"encoding/binary"
	"math"
	"math/bits"
)

// EncryptCENC encrypts sample in place for the 'cenc' scheme (ISO/IEC 23001-7
// 10.1): AES-128-CTR over the protected ranges of subs, the counter running on
// across them so that only protected bytes consume keystream. With no
// subsamples the whole sample is protected.
//
// iv is the initial counter block: an 8-byte IV goes in iv[:8] with iv[8:]
// zero. The counter is the whole 128-bit block, incremented big-endian as in
// NIST SP 800-38A; IVs from FragmentIV never carry out of the low 64 bits, so
// players that increment only those (as ffmpeg does) agree.
//
// It allocates nothing on amd64 with AES-NI.
func (k *Key) EncryptCENC(sample []byte, iv [16]byte, subs []Subsample) error {
	return k.EncryptCENCTo(sample, sample, iv, subs)
}

// EncryptCENCTo is EncryptCENC from src into dst, which must be as long:
// clear ranges are copied and protected ranges encrypted on the way, one
// pass over the bytes, so a sample read from a file mapping needs no copy
// of its own. dst and src may be the same slice; they must not overlap
// otherwise.
func (k *Key) EncryptCENCTo(dst, src []byte, iv [16]byte, subs []Subsample) error {
	if len(dst) != len(src) {
		return ErrLength
	}
	if len(subs) > 0 {
		if err := checkSubsamples(subs, len(src)); err != nil {
			return err
		}
	}
	inPlace := len(src) == 0 || &dst[0] == &src[0]
	c := ctrState{
		hi:    binary.BigEndian.Uint64(iv[:8]),
		lo:    binary.BigEndian.Uint64(iv[8:]),
		ksPos: BlockSize,
	}
	// The assembly does not carry from lo into hi: use the standard library
	// for the (never derived) IVs whose low half would wrap in this sample.
	if !useAsm || c.lo > math.MaxUint64-uint64(len(src)/BlockSize+1) {
		k.cencStd(dst, src, iv, subs)
		return nil
	}
	if len(subs) == 0 {
		k.ctrXOR(&c, dst, src)
		return nil
	}
	pos := 0
	for _, s := range subs {
		if !inPlace {
			copy(dst[pos:pos+int(s.Clear)], src[pos:])
		}
		pos += int(s.Clear)
		end := pos + int(s.Protected)
		if end > pos {
			k.ctrXOR(&c, dst[pos:end], src[pos:end])
		}
		pos = end
	}
	if !inPlace {
		copy(dst[pos:], src[pos:])
	}
	return nil
}

// cencStd is EncryptCENCTo on the standard library's CTR (one allocation).
func (k *Key) cencStd(dst, src []byte, iv [16]byte, subs []Subsample) {
	s := cipher.NewCTR(k.block, iv[:])
	if len(subs) == 0 {
		s.XORKeyStream(dst, src)
		return
	}
	pos := 0
	for _, ss := range subs {
		copy(dst[pos:pos+int(ss.Clear)], src[pos:])
		pos += int(ss.Clear)
		end := pos + int(ss.Protected)
		s.XORKeyStream(dst[pos:end], src[pos:end])
		pos = end
	}
	copy(dst[pos:], src[pos:])
}

// ctrState is the CTR position within one sample: the next counter block
// (hi, lo big-endian halves) and the unused tail of the last keystream block.
type ctrState struct {
	hi, lo uint64
	ks     [16]byte
	ksPos  int
}

// ctrXOR sets dst to src XOR the next len(src) keystream bytes (assembly
// path); dst and src are the same length and the same or disjoint.
func (k *Key) ctrXOR(c *ctrState, dst, src []byte) {
	if c.ksPos < BlockSize {
		n := min(BlockSize-c.ksPos, len(src))
		for i := range n {
			dst[i] = src[i] ^ c.ks[c.ksPos+i]
		}
		c.ksPos += n
		dst, src = dst[n:], src[n:]
	}
	if n16 := len(src) / 256; useVAES && n16 > 0 {
		ctrVAESAsm(&k.enc[0], c.lo, c.hi, &dst[0], &src[0], n16)
		c.lo += uint64(n16) * 16
		dst, src = dst[n16*256:], src[n16*256:]
	}
	hiLE := bits.ReverseBytes64(c.hi)
	if n8 := len(src) / 128; n8 > 0 {
		ctrAsm(&k.enc[0], hiLE, c.lo, &dst[0], &src[0], n8)
		c.lo += uint64(n8) * 8
		dst, src = dst[n8*128:], src[n8*128:]
	}
	if len(src) == 0 {
		return
	}
	// Fewer than 8 blocks left: run one 8-block batch on a zeroed copy, so
	// the bytes past the data come out as keystream for the next range.
	buf := dst
	var tmp [128]byte
	copy(tmp[:], src)
	ctrAsm(&k.enc[0], hiLE, c.lo, &tmp[0], &tmp[0], 1)
	copy(buf, tmp[:])
	full, r := len(buf)/BlockSize, len(buf)%BlockSize
	c.lo += uint64(full)
	if r != 0 {
		copy(c.ks[:], tmp[full*BlockSize:])
		c.ksPos = r
		c.lo++
	}
}
