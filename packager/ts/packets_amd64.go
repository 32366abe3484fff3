//go:build amd64 && !purego

package ts

// putPackets writes n full packets into dst (at least n*188 bytes): each the
// header hdr (packetHeader) with continuity counter cc+j mod 16, then the
// next 184 bytes of src (at least n*184 bytes).
func putPackets(dst, src []byte, n int, hdr uint32, cc byte) {
	if n <= 0 {
		return
	}
	_ = dst[n*packetSize-1]
	_ = src[n*payloadSize-1]
	putPacketsAsm(&dst[0], &src[0], n, hdr, uint32(cc))
}

// putPacketsAsm is putPackets in assembly (packets_amd64.s), without the
// bounds checks.
//
//go:noescape
func putPacketsAsm(dst, src *byte, n int, hdr, cc uint32)
