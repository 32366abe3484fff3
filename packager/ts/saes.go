package ts

import "crypto/cipher"

// CBCEncrypter encrypts buf, a whole number of 16-byte blocks, in place with
// AES-128-CBC, chaining from *iv and leaving the last ciphertext block in
// *iv. The origin's crypto.Key satisfies it (with AES-NI, without
// allocating); BlockCBC adapts any cipher.Block.
type CBCEncrypter interface {
	EncryptCBC(buf []byte, iv *[16]byte)
}

// BlockCBC returns a CBCEncrypter over b, a 16-byte block cipher. It
// allocates nothing per call.
func BlockCBC(b cipher.Block) CBCEncrypter { return blockCBC{b} }

type blockCBC struct{ b cipher.Block }

func (c blockCBC) EncryptCBC(buf []byte, iv *[16]byte) {
	for len(buf) >= 16 {
		blk := buf[:16]
		for i := range blk {
			blk[i] ^= iv[i]
		}
		c.b.Encrypt(blk, blk)
		copy(iv[:], blk)
		buf = buf[16:]
	}
}

// SAMPLE-AES layout (Apple, "MPEG-2 Stream Encryption Format for HTTP Live
// Streaming"): a video NAL unit of type 1 or 5 longer than 48 bytes keeps its
// first 32 bytes (type byte and 31-byte leader) clear, then, while more than
// 16 bytes remain, one 16-byte block is encrypted and up to 144 bytes stay
// clear; the CBC chain starts from the segment IV at every NAL unit and runs
// through its encrypted blocks. The pattern applies to the NAL unit as
// stored (with its emulation prevention bytes); since the ciphertext may
// emulate start codes, emulation prevention is applied once more over the
// encrypted NAL unit, and a player removes that layer before decrypting
// (as ffmpeg's hls_sample_encryption.c does). An AAC
// frame keeps its ADTS header and 16 bytes clear, then every whole block is
// encrypted, the rest clear, the chain again restarting at every frame.
const (
	saesVideoClear = 32
	saesVideoSkip  = 144
	saesAudioClear = 16
)

// appendEncryptedNAL appends nal (longer than 48 bytes) to m.buf with
// SAMPLE-AES applied and emulation prevention over the result.
func (m *Muxer) appendEncryptedNAL(nal []byte, enc CBCEncrypter, iv *[16]byte) {
	m.scratch = append(m.scratch[:0], nal...)
	b := m.scratch
	m.iv = *iv
	for p := saesVideoClear; len(b)-p > 16; p += 16 + saesVideoSkip {
		enc.EncryptCBC(b[p:p+16], &m.iv)
	}
	m.buf = escapeRBSP(m.buf, b)
}

// encryptAACFrame applies SAMPLE-AES to one raw AAC frame (after its ADTS
// header) in place; chain is the muxer's IV scratch.
func encryptAACFrame(f []byte, enc CBCEncrypter, iv, chain *[16]byte) {
	if len(f) < saesAudioClear+16 {
		return
	}
	n := (len(f) - saesAudioClear) / 16 * 16
	*chain = *iv
	enc.EncryptCBC(f[saesAudioClear:saesAudioClear+n], chain)
}
