package ts

import (
	"crypto/cipher"
	"slices"

	"github.com/drmorigin/drmorigin/codec/nalu"
)

// CBCEncrypter encrypts buf, a whole number of 16-byte blocks, in place with
// AES-128-CBC, chaining from *iv and leaving the last ciphertext block in
// *iv. The origin's crypto.Key satisfies it (with AES-NI, without
// allocating); BlockCBC adapts any cipher.Block.
type CBCEncrypter interface {
	EncryptCBC(buf []byte, iv *[16]byte)
}

// PatternEncrypter is a CBCEncrypter that can also encrypt many ranges at
// once: each dst[i] becomes src[i] (as long, and apart from it or the same
// bytes) under the 1:9 pattern from its start (one 16-byte block
// encrypted, nine skipped; a block that does not fit whole stays clear),
// each chain starting from iv. A segment's NAL units are independent
// chains, so an implementation can interleave them (crypto.Key runs four
// at a time) and copy the clear blocks as it goes; the muxer then encrypts
// a whole segment's video in one call and one pass over its bytes.
type PatternEncrypter interface {
	CBCEncrypter
	EncryptPatternsTo(dst, src [][]byte, iv [16]byte)
}

// RangeEncrypter is a CBCEncrypter that can also encrypt many ranges at
// once, each a whole number of blocks, in place, every chain from iv. A
// segment's AAC frames are independent chains, so an implementation can
// interleave them (crypto.Key runs four at a time); the muxer then
// encrypts a segment's audio in one call.
type RangeEncrypter interface {
	CBCEncrypter
	EncryptCBCRanges(ranges [][]byte, iv [16]byte)
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
	m.buf = nalu.AppendEscaped(m.buf, b)
}

// saesNAL is a video NAL unit encrypted ahead by preEncrypt: its source
// (first byte, length) and its ciphertext in Muxer.pre.
type saesNAL struct {
	src      *byte
	n        int
	off, end int // in Muxer.pre
}

// encryptsNAL reports whether SAMPLE-AES encrypts a video NAL unit of n
// bytes that starts with nal0.
func (m *Muxer) encryptsNAL(nal0 byte, n int) bool {
	if n <= saesVideoClear+16 {
		return false
	}
	t := nalType(m.video.Codec, nal0)
	return t == h264NonIDR || t == h264IDR
}

// preEncrypt makes in m.pre the ciphertext of every NAL unit of samples
// that SAMPLE-AES encrypts, all in one call that copies and encrypts in
// one pass, so that appendVideoPES takes them in order. It stops at a
// sample whose NAL lengths do not add up (appendVideoPES reports that
// one).
func (m *Muxer) preEncrypt(samples []Sample, enc PatternEncrypter, iv [16]byte) {
	m.preNALs, m.preNext = m.preNALs[:0], 0
	m.preSrcs = m.preSrcs[:0]
	ls := m.video.NALULengthSize
	size := 0
	for i := range samples {
		for b := samples[i].Data; len(b) > 0; {
			if len(b) < ls {
				goto encrypt
			}
			n := nalu.Len(b, ls)
			if n > len(b)-ls {
				goto encrypt
			}
			nal := b[ls : ls+n]
			b = b[ls+n:]
			if n > 0 && m.encryptsNAL(nal[0], n) {
				m.preNALs = append(m.preNALs, saesNAL{src: &nal[0], n: n, off: size, end: size + n})
				m.preSrcs = append(m.preSrcs, nal)
				size += n
			}
		}
	}
encrypt:
	// m.pre is grown once, before any range of it is taken. The pattern
	// runs from byte 32; the last block is encrypted only when more than
	// 16 bytes are left from it, hence the range ends a byte short of the
	// NAL unit. The 32 clear bytes before it and the byte after are copied
	// here, the range by the encrypter.
	m.pre = slices.Grow(m.pre[:0], size)[:size]
	m.preRanges = m.preRanges[:0]
	for k, e := range m.preNALs {
		nal, dst := m.preSrcs[k], m.pre[e.off:e.end]
		copy(dst[:saesVideoClear], nal)
		dst[len(dst)-1] = nal[len(nal)-1]
		m.preRanges = append(m.preRanges, dst[saesVideoClear:len(dst)-1])
		m.preSrcs[k] = nal[saesVideoClear : len(nal)-1]
	}
	enc.EncryptPatternsTo(m.preRanges, m.preSrcs, iv)
	clear(m.preRanges) // no references kept to m.pre
	clear(m.preSrcs)   // nor to the samples (which may be a file mapping)
}

// appendPreEncryptedNAL appends the ciphertext preEncrypt made for nal, with
// emulation prevention, and reports false when it has none for it.
func (m *Muxer) appendPreEncryptedNAL(nal []byte) bool {
	if m.preNext >= len(m.preNALs) {
		return false
	}
	e := m.preNALs[m.preNext]
	if e.src != &nal[0] || e.n != len(nal) {
		return false
	}
	m.preNext++
	if m.escapeByCopy {
		m.buf = nalu.AppendEscaped(m.buf, m.pre[e.off:e.end])
		return true
	}
	m.appendEscapedRef(m.pre[e.off:e.end])
	return true
}

// appendEscapedRef adds b, an encrypted NAL unit in m.pre, to the PES with
// emulation prevention, as nalu.AppendEscaped would, but by reference: the
// stretches between the inserted 0x03 bytes are chunks of m.pre (which
// preEncrypt has finished growing), so the NAL unit's bytes are copied once,
// by writePES into the TS packets, rather than first into m.buf as well.
func (m *Muxer) appendEscapedRef(b []byte) {
	s, j := 0, 0 // b[:s] is in the PES; no pair that needs a 0x03 starts before j
	for {
		i := nalu.IndexZeroPair(b[j:])
		if i < 0 {
			break
		}
		i += j
		switch {
		case i+2 == len(b):
			m.appendExt(b[s:])
			m.buf = append(m.buf, 3)
			return
		case b[i+2] <= 3:
			m.appendExt(b[s : i+2])
			m.buf = append(m.buf, 3)
			s, j = i+2, i+2
		default:
			j = i + 3
		}
	}
	m.appendExt(b[s:])
}

// aacEncrypted is the part of a raw AAC frame of n bytes (after its ADTS
// header) that SAMPLE-AES encrypts: [from, to), empty when the frame has
// no whole block after its 16 clear bytes.
func aacEncrypted(n int) (from, to int) {
	if n < saesAudioClear+16 {
		return 0, 0
	}
	return saesAudioClear, saesAudioClear + (n-saesAudioClear)/16*16
}

// encryptAACFrame applies SAMPLE-AES to one raw AAC frame (after its ADTS
// header) in place; chain is the muxer's IV scratch.
func encryptAACFrame(f []byte, enc CBCEncrypter, iv, chain *[16]byte) {
	from, to := aacEncrypted(len(f))
	if from == to {
		return
	}
	*chain = *iv
	enc.EncryptCBC(f[from:to], chain)
}

// encryptAACRanges encrypts, in one call, the frames appendAudioPES noted
// in m.aacRanges (offsets in m.buf, which has stopped growing).
func (m *Muxer) encryptAACRanges(re RangeEncrypter, iv [16]byte) {
	m.preRanges = m.preRanges[:0]
	for _, r := range m.aacRanges {
		m.preRanges = append(m.preRanges, m.buf[r[0]:r[1]])
	}
	re.EncryptCBCRanges(m.preRanges, iv)
	clear(m.preRanges) // no references kept to m.buf
}
