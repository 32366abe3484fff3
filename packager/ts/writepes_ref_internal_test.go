package ts

// writePESRef is writePES as it was before putPackets (kept to compare
// bytes and times with). It writes e as e.packets TS packets into out (which has room) and
// returns the rest of out. Packets are filled from the front; when e.extra
// packets are added, the last ones carry a byte or a few each, behind
// adaptation-field stuffing.
//
//	47 | PUSI|PID | AFC|CC | [AF: len, flags, PCR, FF stuffing] | payload
func (m *Muxer) writePESRef(out []byte, e *pesEntry, cc *byte) []byte {
	c, data := e.c0, m.chunkBytes(e.c0)
	left := e.n
	p := e.packets
	for i := range p {
		room := 184
		if i == 0 {
			room = firstCapacity(e)
		}
		n := min(room, left-(p-1-i))
		pkt := out[:packetSize]
		out = out[packetSize:]
		pkt[0] = syncByte
		pkt[1] = byte(e.pid >> 8)
		if i == 0 {
			pkt[1] |= 0x40
		}
		pkt[2] = byte(e.pid)
		af := 184 - n
		var flags byte
		if i == 0 {
			if e.rai {
				flags |= afRandomAccess
			}
			if e.hasPCR {
				flags |= afPCR
			}
		}
		if af == 0 {
			pkt[3] = 0x10 | *cc
		} else {
			pkt[3] = 0x30 | *cc
			pkt[4] = byte(af - 1)
			if af > 1 {
				pkt[5] = flags
				k := 6
				if flags&afPCR != 0 {
					putPCR(pkt[6:12], e.pcr)
					k = 12
				}
				copy(pkt[k:4+af], stuffing[:])
			}
		}
		*cc = (*cc + 1) & 0x0F
		// The payload, from as many chunks as it spans.
		left -= n
		dst := pkt[4+af:]
		if len(data) >= n { // the common case: one chunk fills the packet
			copy(dst, data[:n])
			data = data[n:]
			continue
		}
		for n > 0 {
			for len(data) == 0 {
				c++
				data = m.chunkBytes(c)
			}
			k := copy(dst[:n], data)
			dst, data, n = dst[k:], data[k:], n-k
		}
	}
	return out
}
