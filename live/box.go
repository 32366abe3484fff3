package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Box limits of the ingest reader: what one encoder's feed may make the
// origin hold in memory at once. A box over its limit ends the feed
// (ErrRefused), before its payload is read.
const (
	// MaxInitBox bounds ftyp, moov and the live server manifest box.
	MaxInitBox = 4 << 20
	// MaxMoofBox bounds one moof (packager.MaxMoofSize).
	MaxMoofBox = 4 << 20
	// DefaultMaxMdat bounds one mdat unless Config.MaxMdat says otherwise:
	// 10 s at 50 Mb/s.
	DefaultMaxMdat = 64 << 20
	// MaxOtherBox bounds any other box (free, styp, sidx, prft, emsg,
	// mfra), which the reader skips.
	MaxOtherBox = 1 << 20
)

// box is one top-level box of a feed: its type and all its bytes, header
// included.
type box struct {
	typ [4]byte
	b   []byte
	// frag, for an mdat read right after a moof, is that moof and this
	// mdat in one buffer (b is its tail): the fragment as archived, with
	// the samples read once into the memory they are stored from.
	frag []byte
}

func (b box) is(t string) bool { return string(b.typ[:]) == t }

// boxReader reads a feed's top-level boxes from a stream, one at a time,
// each whole, checking each size against its type's limit before reading
// its payload. It never seeks and never reads past the box it returns.
type boxReader struct {
	r       io.Reader
	maxMdat int64
	hdr     [16]byte
	n       int64  // bytes read so far: offsets in errors
	moof    []byte // the previous box, when it was a moof
}

// errEOF is a feed that ended between boxes (a clean end).
var errEOF = io.EOF

// next reads the next box. It returns io.EOF at a clean end (no byte of a
// next box), ErrNotFMP4 for what cannot be a box, ErrRefused (wrapped)
// for a box over its limit, and the reader's errors.
func (br *boxReader) next() (box, error) {
	var bx box
	k, err := io.ReadFull(br.r, br.hdr[:8])
	if err != nil {
		if k == 0 && errors.Is(err, io.EOF) {
			return bx, errEOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return bx, fmt.Errorf("%w: the feed ends inside a box header at byte %d", ErrNotFMP4, br.n)
		}
		return bx, err
	}
	off := br.n
	br.n += 8
	copy(bx.typ[:], br.hdr[4:8])
	size, hlen := int64(binary.BigEndian.Uint32(br.hdr[:4])), int64(8)
	if !printable(bx.typ) || off == 0 && !opening(bx.typ) {
		return bx, fmt.Errorf("%w: no fragmented MP4 box at byte %d (type %q)", ErrNotFMP4, off, bx.typ[:])
	}
	switch size {
	case 0:
		return bx, fmt.Errorf("%w: box %q at byte %d runs to the end of the feed (size 0)", ErrRefused, bx.typ[:], off)
	case 1:
		if _, err := io.ReadFull(br.r, br.hdr[8:16]); err != nil {
			return bx, fmt.Errorf("%w: the feed ends inside a box header at byte %d", ErrNotFMP4, off)
		}
		br.n += 8
		s := binary.BigEndian.Uint64(br.hdr[8:16])
		if s > 1<<62 {
			return bx, fmt.Errorf("%w: box %q at byte %d of %d bytes", ErrRefused, bx.typ[:], off, s)
		}
		size, hlen = int64(s), 16
	}
	if size < hlen {
		return bx, fmt.Errorf("%w: box %q at byte %d: size %d below its header", ErrNotFMP4, bx.typ[:], off, size)
	}
	if limit := br.limit(bx.typ); size > limit {
		return bx, fmt.Errorf("%w: box %q at byte %d of %d bytes, over the limit of %d", ErrRefused, bx.typ[:], off, size, limit)
	}
	moof := br.moof
	br.moof = nil
	if bx.is("mdat") && moof != nil {
		// The moof is small; copying it spares copying the samples.
		bx.frag = make([]byte, int64(len(moof))+size)
		bx.b = bx.frag[copy(bx.frag, moof):]
	} else {
		bx.b = make([]byte, size)
	}
	copy(bx.b, br.hdr[:hlen])
	k, err = io.ReadFull(br.r, bx.b[hlen:])
	br.n += int64(k)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return bx, fmt.Errorf("%w: box %q at byte %d: the feed ends %d bytes into its %d", ErrNotFMP4, bx.typ[:], off, int64(k)+hlen, size)
		}
		return bx, err
	}
	if bx.is("moof") {
		br.moof = bx.b
	}
	return bx, nil
}

func (br *boxReader) limit(t [4]byte) int64 {
	switch string(t[:]) {
	case "ftyp", "moov", "uuid":
		return MaxInitBox
	case "moof":
		return MaxMoofBox
	case "mdat":
		return br.maxMdat
	}
	return MaxOtherBox
}

// opening reports whether a feed may start with a box of type t: an init
// (ftyp, moov, the live server manifest uuid) or, continuing a stream's
// init (CMAF ingest, one request per fragment), a fragment.
func opening(t [4]byte) bool {
	switch string(t[:]) {
	case "ftyp", "moov", "uuid", "styp", "moof", "free", "skip", "sidx", "prft", "emsg":
		return true
	}
	return false
}

// printable reports whether a box type is four printable ASCII bytes: the
// cheap test that a body is not MP4 at all.
func printable(t [4]byte) bool {
	for _, c := range t {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// uuidLiveManifest is the extended type of the Smooth Streaming live
// server manifest box (a5d40b30-e814-11dd-ba2f-0800200c9a66).
var uuidLiveManifest = [16]byte{0xa5, 0xd4, 0x0b, 0x30, 0xe8, 0x14, 0x11, 0xdd, 0xba, 0x2f, 0x08, 0x00, 0x20, 0x0c, 0x9a, 0x66}

// uuidTfxd is the MS-SSTR TfxdBox extended type.
var uuidTfxd = [16]byte{0x6d, 0x1d, 0x9b, 0x05, 0x42, 0xd5, 0x44, 0xe6, 0x80, 0xe2, 0x14, 0x1d, 0xaf, 0xf7, 0x57, 0xb2}

// traf is what routing a fragment needs from one traf of a moof.
type traf struct {
	trackID uint32
	// time is the tfdt, else the tfxd absolute time; ok is false with
	// neither.
	time    int64
	hasTime bool
}

// readTrafs walks a moof (the whole box) and returns each traf's track
// and decode time. It checks the box structure it walks; the packager
// checks the rest (the samples) before anything is archived.
func readTrafs(m []byte) ([]traf, error) {
	var out []traf
	err := children(m, 8, func(t string, c []byte) error {
		if t != "traf" {
			return nil
		}
		var tr traf
		seenTfhd := false
		err := children(c, 8, func(t string, b []byte) error {
			switch t {
			case "tfhd":
				if len(b) < 16 {
					return errors.New("tfhd too short")
				}
				tr.trackID, seenTfhd = binary.BigEndian.Uint32(b[12:]), true
			case "tfdt":
				if len(b) < 16 {
					return errors.New("tfdt too short")
				}
				var v uint64
				if b[8] == 1 {
					if len(b) < 20 {
						return errors.New("tfdt too short")
					}
					v = binary.BigEndian.Uint64(b[12:])
				} else {
					v = uint64(binary.BigEndian.Uint32(b[12:]))
				}
				if v > 1<<62 {
					return fmt.Errorf("tfdt %d out of range", v)
				}
				tr.time, tr.hasTime = int64(v), true
			case "uuid":
				if len(b) < 24 || [16]byte(b[8:24]) != uuidTfxd || tr.hasTime {
					return nil // another uuid, or a tfdt says it already
				}
				p := b[24:]
				switch {
				case len(p) >= 20 && p[0] == 1:
					tr.time, tr.hasTime = int64(binary.BigEndian.Uint64(p[4:])), true
				case len(p) >= 12 && p[0] == 0:
					tr.time, tr.hasTime = int64(binary.BigEndian.Uint32(p[4:])), true
				default:
					return errors.New("tfxd too short")
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !seenTfhd {
			return errors.New("traf without tfhd")
		}
		out = append(out, tr)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = errors.New("moof without traf")
	}
	return out, err
}

// children calls fn with the type and bytes of each child box of b (whose
// own header is hdr bytes).
func children(b []byte, hdr int, fn func(typ string, c []byte) error) error {
	for p := hdr; p < len(b); {
		if len(b)-p < 8 {
			return fmt.Errorf("%d stray bytes at the end of %q", len(b)-p, b[4:8])
		}
		n := int(binary.BigEndian.Uint32(b[p:]))
		if n < 8 || n > len(b)-p {
			return fmt.Errorf("box %q of size %d does not fit its parent %q", b[p+4:p+8], n, b[4:8])
		}
		if err := fn(string(b[p+4:p+8]), b[p:p+n]); err != nil {
			return err
		}
		p += n
	}
	return nil
}

// fragmentDuration is the duration in seconds of a moof+mdat's first
// traf, from its trun's sample durations or its tfhd default; 0 when it
// does not say (the trex default is not looked at: it only names a
// bitrate estimate).
func fragmentDuration(b []byte, timescale uint32) float64 {
	if len(b) < 8 || timescale == 0 {
		return 0
	}
	n := int(binary.BigEndian.Uint32(b))
	if n > len(b) || n < 8 {
		return 0
	}
	var total, def uint64
	_ = children(b[:n], 8, func(t string, c []byte) error {
		if t != "traf" {
			return nil
		}
		_ = children(c, 8, func(t string, x []byte) error {
			switch t {
			case "tfhd":
				if len(x) < 16 {
					return nil
				}
				flags, p := binary.BigEndian.Uint32(x[8:])&0xffffff, 16
				if flags&0x01 != 0 {
					p += 8
				}
				if flags&0x02 != 0 {
					p += 4
				}
				if flags&0x08 != 0 && len(x) >= p+4 {
					def = uint64(binary.BigEndian.Uint32(x[p:]))
				}
			case "trun":
				if len(x) < 16 {
					return nil
				}
				flags, count, p := binary.BigEndian.Uint32(x[8:])&0xffffff, int(binary.BigEndian.Uint32(x[12:])), 16
				if flags&0x01 != 0 {
					p += 4
				}
				if flags&0x04 != 0 {
					p += 4
				}
				if flags&0x100 == 0 {
					total += uint64(count) * def
					return nil
				}
				entry := 0
				for _, f := range []uint32{0x100, 0x200, 0x400, 0x800} {
					if flags&f != 0 {
						entry += 4
					}
				}
				for k := 0; k < count && p+4 <= len(x); k++ {
					total += uint64(binary.BigEndian.Uint32(x[p:]))
					p += entry
				}
			}
			return nil
		})
		return errors.New("first traf only")
	})
	return float64(total) / float64(timescale)
}
