package crypto

import "crypto/cipher"

// Pattern is a cbcs encryption pattern (ISO/IEC 23001-7 9.6): of every
// Crypt+Skip 16-byte blocks of a protected range, the first Crypt are
// encrypted and the next Skip left clear. {0, 0} encrypts every whole block.
type Pattern struct {
	Crypt, Skip uint8
}

// PatternVideo is the 1:9 pattern of cbcs video tracks; PatternWhole the
// whole-block encryption of cbcs audio (tenc pattern 0:0).
var (
	PatternVideo = Pattern{Crypt: 1, Skip: 9}
	PatternWhole = Pattern{}
)

// EncryptCBCS encrypts sample in place for the 'cbcs' scheme (ISO/IEC
// 23001-7 10.4): AES-128-CBC with the constant IV iv, which restarts the chain
// at the start of every subsample's protected range; within a range the chain
// runs on through the encrypted blocks of pattern p, over the skipped ones.
// A partial block at the end of a range stays clear (see EncryptPattern).
// With no subsamples the whole sample is one protected range (audio).
//
// It allocates nothing on amd64 with AES-NI.
func (k *Key) EncryptCBCS(sample []byte, iv [16]byte, subs []Subsample, p Pattern) error {
	if len(subs) == 0 {
		k.EncryptPattern(sample, iv, p)
		return nil
	}
	if err := checkSubsamples(subs, len(sample)); err != nil {
		return err
	}
	pos := 0
	for _, s := range subs {
		pos += int(s.Clear)
		end := pos + int(s.Protected)
		if end > pos {
			k.EncryptPattern(sample[pos:end], iv, p)
		}
		pos = end
	}
	return nil
}

// EncryptPattern encrypts one protected range in place with AES-128-CBC from
// iv under pattern p: from its start, Crypt whole blocks encrypted (fewer if
// fewer whole blocks are left), Skip blocks clear, and so on; a trailing
// partial block stays clear. It is the building block of cbcs samples and of
// HLS SAMPLE-AES NAL units and audio frames (pattern 1:9 and whole blocks).
func (k *Key) EncryptPattern(data []byte, iv [16]byte, p Pattern) {
	nb := len(data) / BlockSize
	if nb == 0 {
		return
	}
	if p.Crypt == 0 || p.Skip == 0 {
		k.EncryptCBC(data[:nb*BlockSize], &iv)
		return
	}
	c, s := int(p.Crypt), int(p.Skip)
	for b := 0; b < nb; b += c + s {
		n := min(c, nb-b)
		k.EncryptCBC(data[b*BlockSize:(b+n)*BlockSize], &iv)
	}
}

// EncryptCBC encrypts buf, a whole number of blocks, in place with
// AES-128-CBC, chaining from *iv and leaving the last ciphertext block in *iv
// so that a long buffer can be encrypted in pieces. It panics if len(buf) is
// not a multiple of 16.
func (k *Key) EncryptCBC(buf []byte, iv *[16]byte) {
	if len(buf)%BlockSize != 0 {
		panic("crypto: EncryptCBC input not full blocks")
	}
	if len(buf) == 0 {
		return
	}
	if useAsm {
		cbcEncAsm(&k.enc[0], iv, &buf[0], &buf[0], len(buf)/BlockSize)
		return
	}
	// Copy the IV so that the interface call does not move the caller's
	// array to the heap on the assembly path too.
	ivs := make([]byte, BlockSize)
	copy(ivs, iv[:])
	cipher.NewCBCEncrypter(k.block, ivs).CryptBlocks(buf, buf)
	copy(iv[:], buf[len(buf)-BlockSize:])
}
