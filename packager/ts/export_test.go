package ts

// Internal helpers exported to the ts_test unit tests.
var (
	PutTimestamp = putTimestamp
	PutPCR       = putPCR
	CRC32MPEG2   = crc32MPEG2
	Rescale      = rescale
	EscapeRBSP   = escapeRBSP
	PATPacket    = patPacket
)

// ADTSHeader returns the ADTS header of a payloadLen-byte frame under asc.
func ADTSHeader(asc []byte, payloadLen int) ([]byte, error) {
	c, err := parseASC(asc)
	if err != nil {
		return nil, err
	}
	b := make([]byte, adtsHeaderSize)
	c.putADTSHeader(b, payloadLen)
	return b, nil
}

// UnescapeRBSP appends to dst the NAL unit b without its emulation
// prevention bytes (the 0x03 of every 00 00 03).
func UnescapeRBSP(dst, b []byte) []byte {
	zeros := 0
	start := 0
	for i, v := range b {
		if zeros >= 2 && v == 3 {
			dst = append(dst, b[start:i]...)
			start = i + 1
			zeros = 0
			continue
		}
		if v == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return append(dst, b[start:]...)
}
