package ts

import "bytes"

// NAL unit types the muxer looks at.
const (
	h264NonIDR = 1
	h264IDR    = 5
	h264SPS    = 7
	h264PPS    = 8
	h264AUD    = 9
	hevcVPS    = 32
	hevcSPS    = 33
	hevcPPS    = 34
	hevcAUD    = 35
)

// nalType returns the NAL unit type from a NAL unit's first byte.
func nalType(c Codec, b byte) byte {
	if c == HEVC {
		return b >> 1 & 0x3F
	}
	return b & 0x1F
}

// Access unit delimiters, with their 4-byte start code: H.264
// primary_pic_type 7 (any slice type), HEVC pic_type 2 (I, P or B), each
// followed by the RBSP stop bit.
var (
	audH264 = []byte{0, 0, 0, 1, 0x09, 0xF0}
	audHEVC = []byte{0, 0, 0, 1, 0x46, 0x01, 0x50}
)

// nalLen reads the length prefix at b[0:size].
func nalLen(b []byte, size int) int {
	switch size {
	case 1:
		return int(b[0])
	case 2:
		return int(b[0])<<8 | int(b[1])
	}
	return int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
}

// escapeRBSP appends b to dst with emulation prevention (H.264 7.4.1): a
// 0x03 after every two zero bytes that a byte 0x00-0x03 follows, or that
// end the data. It looks for zero pairs with bytes.Index, so clear runs are
// copied at memmove speed.
func escapeRBSP(dst, b []byte) []byte {
	for {
		i := bytes.Index(b, zeroPair)
		switch {
		case i < 0:
			return append(dst, b...)
		case i+2 == len(b):
			dst = append(dst, b...)
			return append(dst, 3)
		case b[i+2] <= 3:
			dst = append(dst, b[:i+2]...)
			dst = append(dst, 3)
			b = b[i+2:]
		default:
			dst = append(dst, b[:i+3]...)
			b = b[i+3:]
		}
	}
}

var zeroPair = []byte{0, 0}
