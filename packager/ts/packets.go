package ts

// Full packets: most of a video PES is TS packets without an adaptation
// field, each a 4-byte header and the next 184 bytes of the PES. writePES
// hands runs of them to putPackets, one call per run rather than a header
// written byte by byte and a memmove call per packet; on a 1.1 MB segment
// that is over 6,000 packets, and the per-packet work cost more than their
// copy.

// payloadSize is the payload of a packet without an adaptation field.
const payloadSize = packetSize - 4

// packetHeader is the 4-byte header of a full payload-only packet of pid
// with continuity counter 0, as a little-endian word: sync byte, PID (no
// PUSI), adaptation_field_control 01. putPackets ORs the counter into the
// top byte.
func packetHeader(pid uint16) uint32 {
	return syncByte | uint32(pid>>8&0x1F)<<8 | uint32(pid&0xFF)<<16 | 0x10<<24
}

// putPacketsGo is putPackets in Go: the reference, and the code where
// there is no assembly.
func putPacketsGo(dst, src []byte, n int, hdr uint32, cc byte) {
	if n <= 0 {
		return
	}
	_ = dst[n*packetSize-1]
	_ = src[n*payloadSize-1]
	for j := range n {
		p := dst[j*packetSize : (j+1)*packetSize]
		h := hdr | uint32((cc+byte(j))&0x0F)<<24
		p[0], p[1], p[2], p[3] = byte(h), byte(h>>8), byte(h>>16), byte(h>>24)
		copy(p[4:], src[j*payloadSize:(j+1)*payloadSize])
	}
}
