package origin

import "encoding/binary"

// boxCounter follows the top-level ISO BMFF boxes of a byte stream fed in
// pieces of any size, and counts the moof boxes: the ingest metrics'
// fragments. It validates nothing beyond box sizes (the live room parses
// the feed); after a size it cannot follow it stops counting.
type boxCounter struct {
	hdr   [16]byte
	n     int    // header bytes held
	left  uint64 // body bytes of the current box still to skip
	moofs uint64
	lost  bool // a size that cannot be followed: counting stopped
}

// feed passes the next bytes of the stream.
func (b *boxCounter) feed(p []byte) {
	for len(p) > 0 && !b.lost {
		if b.left > 0 {
			k := min(uint64(len(p)), b.left)
			b.left -= k
			p = p[k:]
			continue
		}
		k := copy(b.hdr[b.n:b.need()], p)
		b.n += k
		p = p[k:]
		if b.n < b.need() {
			continue // more header bytes, or the largesize, to come
		}
		need := b.need()
		size := uint64(binary.BigEndian.Uint32(b.hdr[:4]))
		if size == 1 {
			size = binary.BigEndian.Uint64(b.hdr[8:16])
		}
		if size == 0 || size < uint64(need) {
			// size 0 runs to the end of the stream, which a feed has
			// not; a size below its header is garbage.
			b.lost = true
			return
		}
		if string(b.hdr[4:8]) == "moof" {
			b.moofs++
		}
		b.left = size - uint64(need)
		b.n = 0
	}
}

// need is the length of the current box's header: 8, or 16 when its
// 32-bit size is 1 (a largesize follows the type).
func (b *boxCounter) need() int {
	if b.n >= 4 && binary.BigEndian.Uint32(b.hdr[:4]) == 1 {
		return 16
	}
	return 8
}
