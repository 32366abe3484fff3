//go:build !amd64 || purego

package ts

// putPackets writes n full packets into dst (at least n*188 bytes): each the
// header hdr (packetHeader) with continuity counter cc+j mod 16, then the
// next 184 bytes of src (at least n*184 bytes).
func putPackets(dst, src []byte, n int, hdr uint32, cc byte) {
	putPacketsGo(dst, src, n, hdr, cc)
}
