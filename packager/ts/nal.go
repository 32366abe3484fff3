package ts

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
