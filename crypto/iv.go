package crypto

import "encoding/binary"

// IV derivation (urls.md "Initialization vectors"): IVs are derived, never
// random, so the same URL gives the same bytes on every replica, and they never
// repeat a CTR counter block under one key.
//
// Construction. From the content key K, NewKey derives the IV key
// K_iv = AES_K(ivLabel) (a block whose low 8 bytes are all ones, so it is never
// one of K's CTR counter blocks). Every IV is then AES-CMAC (RFC 4493, a PRF)
// under K_iv of an unambiguous encoding of its inputs:
//
//	purpose (1 byte) || len(asset) (4, BE) || asset || len(track) (4, BE) || track
//	|| decode time (8, BE, FragmentIV and SegmentIV only)
//
// with a distinct purpose byte for cenc fragments, cbcs constant IVs and HLS
// segment IVs, so no two purposes or identifier tuples share an input.
// The identifiers are hashed straight from the strings into a stack state:
// no allocation.
//
// Why cenc counter blocks cannot collide (16-byte IVs, SampleIV16). The
// counter block of block j of sample i of a fragment is
//
//	P (64 bits) || i (32 bits) || j (32 bits)
//
// where P is the first half of the fragment's CMAC. Within one fragment two
// blocks differ in i or in j; j never carries into i because a sample is
// shorter than 2^32 blocks (64 GiB). Across two
// different (asset, track, decode time) tuples under one key, the blocks can
// only meet if the two 64-bit P are equal; P are PRF outputs, so among F
// fragments under one key that happens with probability at most F²/2^65:
// 2^-25 for a million fragments sharing one key. The low 64 bits of the counter never wrap, so the
// 64-bit (ffmpeg) and 128-bit (NIST) increments of the counter agree.
//
// 8-byte IVs (SampleIV8, for PIFF/PlayReady players that accept only those):
// sample i gets P+i (mod 2^64) and its counter blocks are (P+i) || j. Two
// fragments' samples meet only if their intervals [P, P+n) overlap, with
// probability at most F²·n/2^64 for fragments of at most n samples (2^-17 for
// a million fragments of 128 samples): prefer 16-byte IVs where players allow.

const (
	ivPurposeCENC    = 1
	ivPurposeCBCS    = 2
	ivPurposeSegment = 3
)

// FragmentIV is the per-fragment seed of cenc sample IVs: computed once per
// fragment with Key.FragmentIV, then expanded per sample for free.
type FragmentIV [16]byte

// FragmentIV derives the cenc IV seed of the fragment of track (the track
// file's name or ID) of asset that starts at decodeTime (track timescale).
func (k *Key) FragmentIV(asset, track string, decodeTime uint64) FragmentIV {
	var m cmac
	k.ivMAC(&m, ivPurposeCENC, asset, track)
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], decodeTime)
	m.write(k, t[:])
	return FragmentIV(m.sum(k))
}

// SampleIV16 is the 16-byte cenc IV of sample i (0-based, decode order) of
// the fragment: P || i || 0, the low 32 bits being the block counter.
func (f *FragmentIV) SampleIV16(i uint32) [16]byte {
	var iv [16]byte
	copy(iv[:8], f[:8])
	binary.BigEndian.PutUint32(iv[8:], i)
	return iv
}

// SampleIV8 is the 8-byte cenc IV of sample i of the fragment: P + i mod 2^64.
// Pass it to EncryptCENC as the first 8 bytes of a zeroed [16]byte.
func (f *FragmentIV) SampleIV8(i uint32) [8]byte {
	var iv [8]byte
	binary.BigEndian.PutUint64(iv[:], binary.BigEndian.Uint64(f[:8])+uint64(i))
	return iv
}

// CBCSConstantIV derives the constant IV of the cbcs scheme for track of
// asset under this key, stated in tenc (ISO/IEC 23001-7 8.2, FairPlay).
func (k *Key) CBCSConstantIV(asset, track string) [16]byte {
	var m cmac
	k.ivMAC(&m, ivPurposeCBCS, asset, track)
	return m.sum(k)
}

// SegmentIV derives the IV of an HLS segment (AES-128 'cbc', and SAMPLE-AES
// in TS) of track of asset starting at decodeTime, written as IV=0x… on its
// EXT-X-KEY.
func (k *Key) SegmentIV(asset, track string, decodeTime uint64) [16]byte {
	var m cmac
	k.ivMAC(&m, ivPurposeSegment, asset, track)
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], decodeTime)
	m.write(k, t[:])
	return m.sum(k)
}

// ivMAC starts the CMAC of the common prefix of every IV input.
func (k *Key) ivMAC(m *cmac, purpose byte, asset, track string) {
	var h [5]byte
	h[0] = purpose
	binary.BigEndian.PutUint32(h[1:], uint32(len(asset)))
	m.write(k, h[:])
	m.writeString(k, asset)
	binary.BigEndian.PutUint32(h[1:], uint32(len(track)))
	m.write(k, h[1:])
	m.writeString(k, track)
}

// cmac is a streaming AES-CMAC (RFC 4493) state under the IV key of a Key.
// The last full block is held back until sum, which needs to know whether the
// message ended on a block boundary.
type cmac struct {
	x   [16]byte // CBC-MAC chain
	buf [16]byte // pending block
	n   int      // bytes in buf
}

func (m *cmac) write(k *Key, p []byte) {
	for len(p) > 0 {
		if m.n == BlockSize {
			m.flush(k)
		}
		c := copy(m.buf[m.n:], p)
		m.n += c
		p = p[c:]
	}
}

func (m *cmac) writeString(k *Key, s string) {
	for len(s) > 0 {
		if m.n == BlockSize {
			m.flush(k)
		}
		c := copy(m.buf[m.n:], s)
		m.n += c
		s = s[c:]
	}
}

func (m *cmac) flush(k *Key) {
	for i := range m.x {
		m.x[i] ^= m.buf[i]
	}
	k.ivEncrypt(&m.x)
	m.n = 0
}

func (m *cmac) sum(k *Key) [16]byte {
	sub := &k.cmacK1
	if m.n < BlockSize {
		m.buf[m.n] = 0x80
		for i := m.n + 1; i < BlockSize; i++ {
			m.buf[i] = 0
		}
		sub = &k.cmacK2
	}
	for i := range m.x {
		m.x[i] ^= m.buf[i] ^ sub[i]
	}
	k.ivEncrypt(&m.x)
	return m.x
}

// ivEncrypt encrypts b in place under the IV key.
func (k *Key) ivEncrypt(b *[16]byte) {
	if useAsm {
		encryptBlockAsm(&k.ivKey[0], &b[0], &b[0])
		return
	}
	t := make([]byte, BlockSize) // keeps b on the caller's stack
	copy(t, b[:])
	k.ivBlock.Encrypt(t, t)
	copy(b[:], t)
}

// cmacDouble is the doubling in GF(2^128) of RFC 4493 2.3 (subkey generation).
func cmacDouble(dst, src *[16]byte) {
	msb := src[0] >> 7
	for i := range 15 {
		dst[i] = src[i]<<1 | src[i+1]>>7
	}
	dst[15] = src[15]<<1 ^ 0x87*msb
}
