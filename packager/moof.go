package packager

import "encoding/binary"

// This file parses the fields of the boxes inside a moof as raw bytes,
// without allocating: the sample reader (fmp4_read.go) builds on it.

// tfhd and trun flags (ISO/IEC 14496-12 8.8.7, 8.8.8).
const (
	tfhdBaseDataOffset    = 0x000001
	tfhdSampleDescIndex   = 0x000002
	tfhdDefaultDuration   = 0x000008
	tfhdDefaultSize       = 0x000010
	tfhdDefaultFlags      = 0x000020
	tfhdDefaultBaseIsMoof = 0x020000

	trunDataOffset       = 0x000001
	trunFirstSampleFlags = 0x000004
	trunSampleDuration   = 0x000100
	trunSampleSize       = 0x000200
	trunSampleFlags      = 0x000400
	trunSampleCTO        = 0x000800
)

// box is a child box found in a byte slice: b[start:end], header of hdr bytes.
type box struct {
	typ        [4]byte
	start, end int
	hdr        int
}

// nextBox reads the box header at b[pos:] within b[:end]. It accepts only
// 32-bit sizes of at least 8 that fit: inside a moof nothing is larger.
func nextBox(b []byte, pos, end int) (box, string) {
	if end-pos < 8 {
		return box{}, "box header truncated"
	}
	size := int64(binary.BigEndian.Uint32(b[pos:]))
	if size < 8 {
		return box{}, "box size below 8"
	}
	if size > int64(end-pos) {
		return box{}, "box overruns its parent"
	}
	var bx box
	copy(bx.typ[:], b[pos+4:pos+8])
	bx.start, bx.end, bx.hdr = pos, pos+int(size), 8
	return bx, ""
}

func is(t [4]byte, s string) bool { return string(t[:]) == s }

// isIndexedPair reports whether b, read at a fragment's offset, still
// starts with a moof of moof bytes followed by an mdat header, as when the
// file was indexed: a file changed since then gives an error, not a bad
// segment.
func isIndexedPair(b []byte, moof int) bool {
	return len(b) >= moof+8 && binary.BigEndian.Uint32(b) == uint32(moof) && string(b[4:8]) == "moof" &&
		string(b[moof+4:moof+8]) == "mdat"
}

// tfhdFields returns the flags, track_ID, base_data_offset and defaults of a
// tfhd, and the offset in the box where the optional fields after
// base_data_offset start.
type tfhdFields struct {
	flags       uint32
	trackID     uint32
	baseOffset  uint64
	defDuration uint32
	defSize     uint32
	afterBase   int // offset in the box of the first field after base_data_offset
}

func parseTfhd(b []byte) (tfhdFields, string) {
	var f tfhdFields
	if len(b) < 16 {
		return f, "tfhd too short"
	}
	f.flags = binary.BigEndian.Uint32(b[8:]) & 0xffffff
	f.trackID = binary.BigEndian.Uint32(b[12:])
	need := 16
	for _, fl := range [...]uint32{tfhdBaseDataOffset, tfhdSampleDescIndex, tfhdDefaultDuration, tfhdDefaultSize, tfhdDefaultFlags} {
		if f.flags&fl != 0 {
			if fl == tfhdBaseDataOffset {
				need += 8
			} else {
				need += 4
			}
		}
	}
	if len(b) < need {
		return f, "tfhd shorter than its flags say"
	}
	p := 16
	if f.flags&tfhdBaseDataOffset != 0 {
		f.baseOffset = binary.BigEndian.Uint64(b[p:])
		p += 8
	}
	f.afterBase = p
	if f.flags&tfhdSampleDescIndex != 0 {
		p += 4
	}
	if f.flags&tfhdDefaultDuration != 0 {
		f.defDuration = binary.BigEndian.Uint32(b[p:])
		p += 4
	}
	if f.flags&tfhdDefaultSize != 0 {
		f.defSize = binary.BigEndian.Uint32(b[p:])
	}
	return f, ""
}

// trunFields describes a trun box.
type trunFields struct {
	flags      uint32
	count      uint32
	dataOffset int32
	entries    int // offset in the box of the first sample entry
	entrySize  int
	afterCount int // offset in the box of the first field after sample_count
	afterData  int // offset in the box of the first field after data_offset
}

func parseTrun(b []byte) (trunFields, string) {
	var f trunFields
	if len(b) < 16 {
		return f, "trun too short"
	}
	f.flags = binary.BigEndian.Uint32(b[8:]) & 0xffffff
	f.count = binary.BigEndian.Uint32(b[12:])
	p := 16
	f.afterCount = p
	if f.flags&trunDataOffset != 0 {
		if len(b) < p+4 {
			return f, "trun shorter than its flags say"
		}
		f.dataOffset = int32(binary.BigEndian.Uint32(b[p:]))
		p += 4
	}
	f.afterData = p
	if f.flags&trunFirstSampleFlags != 0 {
		p += 4
	}
	for _, fl := range [...]uint32{trunSampleDuration, trunSampleSize, trunSampleFlags, trunSampleCTO} {
		if f.flags&fl != 0 {
			f.entrySize += 4
		}
	}
	f.entries = p
	if uint64(len(b)-p) < uint64(f.count)*uint64(f.entrySize) || p > len(b) {
		return f, "trun sample count exceeds the box"
	}
	return f, ""
}
