package nalu

// IndexZeroPair returns the index of the first two adjacent zero bytes of
// b (bytes.Index(b, []byte{0, 0})), or -1. Emulation prevention acts only
// at such pairs. bytes.Index finds a two-byte pattern by looking for its
// first byte, so it stops at every single zero, which video NAL units have
// every hundred bytes or so; this looks for the pair itself, 32 bytes a
// step on amd64 (64 with AVX2).
func IndexZeroPair(b []byte) int { return indexZeroPair(b) }
