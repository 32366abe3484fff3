package nalu

// Len returns the big-endian NAL unit length prefix of size bytes (1, 2 or
// 4, as an avcC or hvcC lengthSizeMinusOne+1 says) at the start of b, which
// must hold at least size bytes. The caller checks the length against what
// follows.
func Len(b []byte, size int) int {
	switch size {
	case 1:
		return int(b[0])
	case 2:
		return int(b[0])<<8 | int(b[1])
	}
	return int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
}

// AppendEscaped appends b to dst with emulation prevention (H.264 7.4.1): a
// 0x03 after every two zero bytes that a byte 0x00-0x03 follows, or that
// end the data. It looks for zero pairs with IndexZeroPair, so clear runs are
// copied at memmove speed.
func AppendEscaped(dst, b []byte) []byte {
	for {
		i := indexZeroPair(b)
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
