package crypto

import "errors"

// HLS SAMPLE-AES for MPEG-2 TS (Apple, "MPEG-2 Stream Encryption Format for
// HTTP Live Streaming", the `cbcs-aapl` tag on TS formats): AES-128-CBC that
// restarts from the segment's IV (SegmentIV) for every encrypted NAL unit and
// every audio frame.

// sampleAESMinNAL is the NAL unit size up to which SAMPLE-AES leaves an H.264
// slice clear (48 bytes), and sampleAESLeader the clear bytes at the start of
// an encrypted one (the NAL unit header byte and 31 more).
const (
	sampleAESMinNAL = 48
	sampleAESLeader = 32
)

// ErrADTS is returned by EncryptSampleAESADTS for a frame without a valid
// ADTS header.
var ErrADTS = errors.New("crypto: not an ADTS frame")

// AppendSampleAESNAL appends to dst the SAMPLE-AES form of one H.264 NAL unit
// (as stored: emulation prevention bytes included, no start code or length).
// Slices (types 1 and 5) longer than 48 bytes are encrypted: emulation
// prevention removed, the first 32 bytes left clear, then of every 160 bytes
// the first 16 encrypted (when more than 16 remain) and 144 clear, the CBC
// chain starting from iv; then emulation prevention applied again, so the
// result may be longer than nalu. Other NAL units are appended unchanged. It
// allocates nothing when dst has room for twice the NAL unit.
func (k *Key) AppendSampleAESNAL(dst, nalu []byte, iv [16]byte) []byte {
	if len(nalu) <= sampleAESMinNAL || (nalu[0]&0x1f != 1 && nalu[0]&0x1f != 5) {
		return append(dst, nalu...)
	}
	// Unescape into dst, encrypt there, then escape into the room after it
	// and move the result down.
	start := len(dst)
	dst = appendUnescaped(dst, nalu)
	rbsp := dst[start:]
	data := rbsp[sampleAESLeader:]
	for len(data) > 0 {
		if len(data) > BlockSize {
			k.EncryptCBC(data[:BlockSize], &iv)
			data = data[BlockSize:]
		}
		data = data[min(144, len(data)):]
	}
	n := len(rbsp)
	dst = appendEscaped(dst, rbsp)
	m := copy(dst[start:], dst[start+n:])
	return dst[:start+m]
}

// appendUnescaped appends the RBSP of nalu (emulation prevention removed).
func appendUnescaped(dst, nalu []byte) []byte {
	zeros := 0
	for _, c := range nalu {
		if zeros >= 2 && c == 0x03 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		dst = append(dst, c)
	}
	return dst
}

// appendEscaped appends rbsp with emulation prevention (H.264 7.4.1): a 0x03
// after two 0x00 before any byte <= 0x03, and after a final 0x00.
func appendEscaped(dst, rbsp []byte) []byte {
	zeros := 0
	for _, c := range rbsp {
		if zeros >= 2 && c <= 0x03 {
			dst = append(dst, 0x03)
			zeros = 0
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		dst = append(dst, c)
	}
	if zeros > 0 {
		dst = append(dst, 0x03)
	}
	return dst
}

// EncryptSampleAESADTS encrypts one ADTS AAC frame in place for SAMPLE-AES:
// the ADTS header (7 or 9 bytes) and 16 more bytes clear, then every whole
// 16-byte block with CBC from iv, a partial last block clear.
func (k *Key) EncryptSampleAESADTS(frame []byte, iv [16]byte) error {
	if len(frame) < 7 || frame[0] != 0xff || frame[1]&0xf0 != 0xf0 {
		return ErrADTS
	}
	hdr := 7
	if frame[1]&1 == 0 { // protection_absent == 0: a CRC follows
		hdr = 9
	}
	k.EncryptSampleAESAudio(frame, hdr+16, iv)
	return nil
}

// EncryptSampleAESAudio encrypts one audio frame in place for SAMPLE-AES:
// leader bytes clear (for AC-3 and E-AC-3 16, for ADTS AAC the header and 16),
// then whole 16-byte blocks with CBC from iv, a partial last block clear.
func (k *Key) EncryptSampleAESAudio(frame []byte, leader int, iv [16]byte) {
	if leader >= len(frame) {
		return
	}
	k.EncryptPattern(frame[leader:], iv, PatternWhole)
}
