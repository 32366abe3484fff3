package ts_test

import (
	"fmt"
)

// tsPacket is one parsed TS packet.
type tsPacket struct {
	pid      int
	pusi     bool
	cc       int
	afLen    int // adaptation field bytes including its length byte, 0 if none
	rai      bool
	hasPCR   bool
	pcr      uint64
	payload  []byte
	position int
}

// parsePackets splits a TS into packets, checking what every packet must
// hold (sync byte, consistent adaptation field, no empty payload).
func parsePackets(b []byte) ([]tsPacket, error) {
	if len(b)%188 != 0 {
		return nil, fmt.Errorf("%d bytes, not whole packets", len(b))
	}
	var out []tsPacket
	for i := 0; i < len(b); i += 188 {
		p := b[i : i+188]
		if p[0] != 0x47 {
			return nil, fmt.Errorf("packet %d: sync byte %#x", i/188, p[0])
		}
		k := tsPacket{pid: int(p[1]&0x1F)<<8 | int(p[2]), pusi: p[1]&0x40 != 0, cc: int(p[3] & 0x0F), position: i / 188}
		afc := p[3] >> 4 & 3
		pos := 4
		if afc&2 != 0 {
			n := int(p[4])
			if n > 183 || (afc == 3 && n > 182) {
				return nil, fmt.Errorf("packet %d: adaptation field length %d", i/188, n)
			}
			k.afLen = n + 1
			if n > 0 {
				flags := p[5]
				k.rai = flags&0x40 != 0
				if flags&0x10 != 0 {
					k.hasPCR = true
					k.pcr = uint64(p[6])<<25 | uint64(p[7])<<17 | uint64(p[8])<<9 | uint64(p[9])<<1 | uint64(p[10])>>7
				}
				hdr := 2
				if k.hasPCR {
					hdr += 6
				}
				for j := 4 + hdr; j < 5+n; j++ {
					if p[j] != 0xFF {
						return nil, fmt.Errorf("packet %d: stuffing byte %#x at %d", i/188, p[j], j)
					}
				}
			}
			pos += k.afLen
		}
		if afc&1 != 0 {
			k.payload = p[pos:]
			if len(k.payload) == 0 {
				return nil, fmt.Errorf("packet %d: payload flag but no payload", i/188)
			}
		} else if afc != 2 {
			return nil, fmt.Errorf("packet %d: adaptation_field_control %d", i/188, afc)
		}
		out = append(out, k)
	}
	return out, nil
}

// pes is one reassembled PES packet.
type pes struct {
	pid      int
	first    tsPacket // its first TS packet
	pts, dts uint64
	payload  []byte
}

// parsePES reassembles the PES packets of the PES PIDs, checking the
// PES_packet_length where stated.
func parsePES(pkts []tsPacket) ([]pes, error) {
	var out []pes
	open := map[int]int{} // pid -> index in out
	for _, p := range pkts {
		if p.pid == 0 || p.pid == 0x1000 {
			continue
		}
		if p.pusi {
			open[p.pid] = len(out)
			out = append(out, pes{pid: p.pid, first: p})
		}
		i, ok := open[p.pid]
		if !ok {
			return nil, fmt.Errorf("packet %d: payload before a PES start", p.position)
		}
		out[i].payload = append(out[i].payload, p.payload...)
	}
	for i := range out {
		e := &out[i]
		b := e.payload
		if len(b) < 9 || b[0] != 0 || b[1] != 0 || b[2] != 1 {
			return nil, fmt.Errorf("PES %d: no start code", i)
		}
		if n := int(b[4])<<8 | int(b[5]); n != 0 && n != len(b)-6 {
			return nil, fmt.Errorf("PES %d: PES_packet_length %d, has %d", i, n, len(b)-6)
		}
		hl := int(b[8])
		flags := b[7] >> 6
		if flags&2 != 0 {
			e.pts = readTS(b[9:])
			e.dts = e.pts
		}
		if flags == 3 {
			e.dts = readTS(b[14:])
		}
		e.payload = b[9+hl:]
	}
	return out, nil
}

func readTS(b []byte) uint64 {
	return uint64(b[0]>>1&7)<<30 | uint64(b[1])<<22 | uint64(b[2]>>1)<<15 | uint64(b[3])<<7 | uint64(b[4]>>1)
}
