package packager

import "encoding/binary"

// This file walks a moov as raw bytes: it finds each trak, its handler and
// the boxes of its sample table, and writes the init segment moov of one
// track (mvhd, that trak with an empty sample table, mvex with its trex).
// Progressive files and files of several tracks are served through such a
// moov, so that everything downstream (codec description, protected init
// segments, TS configuration) sees a single-track fragmented movie. mp4ff
// then decodes only that small moov: the sample tables, megabytes in a
// long progressive file, are read by the progressive index (progressive.go)
// straight from these bytes.

// rawTrak is one trak of a moov: its box and what the walk learnt of it.
type rawTrak struct {
	box     box    // in the moov bytes
	trackID uint32 // tkhd track_ID
	handler string // mdia/hdlr handler_type: vide, soun, …
	stbl    box    // mdia/minf/stbl (zero when absent)
}

// rawMoov is a walked moov.
type rawMoov struct {
	b     []byte
	mvhd  box
	traks []rawTrak
	mvex  box // zero when absent
	trex  map[uint32]box
}

// child returns the first child of type typ of the box c in b.
func child(b []byte, c box, typ string) (box, bool) {
	for p := c.start + c.hdr; p < c.end; {
		cc, r := nextBox(b, p, c.end)
		if r != "" {
			return box{}, false
		}
		if is(cc.typ, typ) {
			return cc, true
		}
		p = cc.end
	}
	return box{}, false
}

// walkMoov walks the moov box b (exactly the box). It returns a reason when
// the box structure is damaged.
func walkMoov(b []byte) (rawMoov, string) {
	m := rawMoov{b: b}
	if len(b) < 8 || string(b[4:8]) != "moov" {
		return m, "not a moov"
	}
	for p := 8; p < len(b); {
		c, r := nextBox(b, p, len(b))
		if r != "" {
			return m, "moov: " + r
		}
		p = c.end
		switch {
		case is(c.typ, "mvhd"):
			m.mvhd = c
		case is(c.typ, "mvex"):
			m.mvex = c
			m.trex = map[uint32]box{}
			for q := c.start + 8; q < c.end; {
				cc, r := nextBox(b, q, c.end)
				if r != "" {
					return m, "mvex: " + r
				}
				q = cc.end
				if is(cc.typ, "trex") && cc.end-cc.start >= 32 {
					m.trex[binary.BigEndian.Uint32(b[cc.start+12:])] = cc
				}
			}
		case is(c.typ, "trak"):
			t := rawTrak{box: c}
			if r := walkTrak(b, &t); r != "" {
				return m, r
			}
			m.traks = append(m.traks, t)
		}
	}
	if m.mvhd.end == 0 {
		return m, "moov without mvhd"
	}
	return m, ""
}

// walkTrak fills t from its trak box, checking every box on the way to the
// sample table.
func walkTrak(b []byte, t *rawTrak) string {
	for _, c := range []box{t.box} {
		for p := c.start + 8; p < c.end; {
			cc, r := nextBox(b, p, c.end)
			if r != "" {
				return "trak: " + r
			}
			p = cc.end
			if is(cc.typ, "tkhd") {
				v := 0
				if cc.end-cc.start > 8 {
					v = int(b[cc.start+8])
				}
				at := cc.start + 20 // version 0: creation, modification (4 each)
				if v == 1 {
					at = cc.start + 28
				}
				if at+4 > cc.end {
					return "tkhd too short"
				}
				t.trackID = binary.BigEndian.Uint32(b[at:])
			}
		}
	}
	mdia, ok := child(b, t.box, "mdia")
	if !ok {
		return "trak without mdia"
	}
	if hdlr, ok := child(b, mdia, "hdlr"); ok && hdlr.end-hdlr.start >= 20 {
		t.handler = string(b[hdlr.start+16 : hdlr.start+20])
	}
	if minf, ok := child(b, mdia, "minf"); ok {
		t.stbl, _ = child(b, minf, "stbl")
	}
	return ""
}

// emptyTables are the four tables a sample table must hold, empty: the init
// segment of a progressive track keeps its stsd and these (trackMoov).
var emptyTables = [][]byte{
	{0, 0, 0, 16, 's', 't', 't', 's', 0, 0, 0, 0, 0, 0, 0, 0},
	{0, 0, 0, 16, 's', 't', 's', 'c', 0, 0, 0, 0, 0, 0, 0, 0},
	{0, 0, 0, 20, 's', 't', 's', 'z', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	{0, 0, 0, 16, 's', 't', 'c', 'o', 0, 0, 0, 0, 0, 0, 0, 0},
}

// trackMoov appends the init segment moov of trak t of m: mvhd, the trak
// with its sample table emptied (stsd kept, empty stts, stsc, stsz, stco;
// the rest of stbl dropped), and mvex with t's trex from the source, or a
// trex of zero defaults. Everything else of the trak (tkhd, edts, mdia
// headers) is copied as it is, so the edit list travels with the track.
func (m *rawMoov) trackMoov(dst []byte, t *rawTrak) []byte {
	be := binary.BigEndian
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 'm', 'o', 'o', 'v')
	dst = append(dst, m.b[m.mvhd.start:m.mvhd.end]...)
	dst = m.copyEmptied(dst, t.box, t.stbl)
	// mvex
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0, 'm', 'v', 'e', 'x')
	if tr, ok := m.trex[t.trackID]; ok {
		dst = append(dst, m.b[tr.start:tr.end]...)
	} else {
		var trex [32]byte
		be.PutUint32(trex[:], 32)
		copy(trex[4:], "trex")
		be.PutUint32(trex[12:], t.trackID)
		be.PutUint32(trex[16:], 1) // default_sample_description_index
		dst = append(dst, trex[:]...)
	}
	be.PutUint32(dst[at:], uint32(len(dst)-at))
	be.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

// copyEmptied appends box c of m with the descendants on the way to stbl
// copied and stbl's tables replaced by empty ones, fixing container sizes.
func (m *rawMoov) copyEmptied(dst []byte, c, stbl box) []byte {
	b := m.b
	if c == stbl {
		at := len(dst)
		dst = append(dst, b[c.start:c.start+8]...)
		if sd, ok := child(b, c, "stsd"); ok {
			dst = append(dst, b[sd.start:sd.end]...)
		}
		for _, e := range emptyTables {
			dst = append(dst, e...)
		}
		binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at))
		return dst
	}
	if stbl.end == 0 || stbl.start < c.start || stbl.end > c.end || c.end-c.start == stbl.end-stbl.start {
		return append(dst, b[c.start:c.end]...)
	}
	// c contains stbl: copy it child by child.
	at := len(dst)
	dst = append(dst, b[c.start:c.start+c.hdr]...)
	for p := c.start + c.hdr; p < c.end; {
		cc, r := nextBox(b, p, c.end)
		if r != "" {
			break // walkMoov checked the path to stbl
		}
		p = cc.end
		dst = m.copyEmptied(dst, cc, stbl)
	}
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at))
	return dst
}
