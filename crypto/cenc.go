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
	if len(subs) > 0 {
		if err := checkSubsamples(subs, len(sample)); err != nil {
			return err
		}
	}
	c := ctrState{
		hi:    binary.BigEndian.Uint64(iv[:8]),
		lo:    binary.BigEndian.Uint64(iv[8:]),
		ksPos: BlockSize,
	}
	// The assembly does not carry from lo into hi: use the standard library
	// for the (never derived) IVs whose low half would wrap in this sample.
	if !useAsm || c.lo > math.MaxUint64-uint64(len(sample)/BlockSize+1) {
		k.cencStd(sample, iv, subs)
		return nil
	}
	if len(subs) == 0 {
		k.ctrXOR(&c, sample)
		return nil
	}
	pos := 0
	for _, s := range subs {
		pos += int(s.Clear)
		end := pos + int(s.Protected)
		if end > pos {
			k.ctrXOR(&c, sample[pos:end])
		}
		pos = end
	}
	return nil
}

// cencStd is EncryptCENC on the standard library's CTR (one allocation).
func (k *Key) cencStd(sample []byte, iv [16]byte, subs []Subsample) {
	s := cipher.NewCTR(k.block, iv[:])
	if len(subs) == 0 {
		s.XORKeyStream(sample, sample)
		return
	}
	pos := 0
	for _, ss := range subs {
		pos += int(ss.Clear)
		end := pos + int(ss.Protected)
		s.XORKeyStream(sample[pos:end], sample[pos:end])
		pos = end
	}
}

// ctrState is the CTR position within one sample: the next counter block
// (hi, lo big-endian halves) and the unused tail of the last keystream block.
type ctrState struct {
	hi, lo uint64
	ks     [16]byte
	ksPos  int
}

// ctrXOR XORs buf with the next len(buf) keystream bytes (assembly path).
func (k *Key) ctrXOR(c *ctrState, buf []byte) {
	if c.ksPos < BlockSize {
		n := min(BlockSize-c.ksPos, len(buf))
		for i := range n {
			buf[i] ^= c.ks[c.ksPos+i]
		}
		c.ksPos += n
		buf = buf[n:]
	}
	hiLE := bits.ReverseBytes64(c.hi)
	if n8 := len(buf) / 128; n8 > 0 {
		ctrAsm(&k.enc[0], hiLE, c.lo, &buf[0], &buf[0], n8)
		c.lo += uint64(n8) * 8
		buf = buf[n8*128:]
	}
	if len(buf) == 0 {
		return
	}
	// Fewer than 8 blocks left: run one 8-block batch on a zeroed copy, so
	// the bytes past the data come out as keystream for the next range.
	var tmp [128]byte
	copy(tmp[:], buf)
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
