package packager

import "encoding/binary"

// This file parses and rewrites moof boxes as raw bytes, without allocating:
// the indexer uses parseMoof to validate a fragment and learn its timing, and
// AppendSegment uses writeMoof to produce the output moof. Both follow the
// same rules for where each trun's sample data starts, so a fragment that
// passed the index is rewritten with data offsets that stay inside its mdat.

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

// tfdtV1Len is the size of the tfdt (version 1) that a rewrite adds when the
// source fragment has none.
const tfdtV1Len = 20

// tfxdLen is the size of the Smooth Streaming tfxd box (version 1).
const tfxdLen = 44

// tfxdUUID is the MS-SSTR TfxdBox extended type 6D1D9B05-42D5-44E6-80E2-141DAFF757B2.
var tfxdUUID = [16]byte{0x6d, 0x1d, 0x9b, 0x05, 0x42, 0xd5, 0x44, 0xe6, 0x80, 0xe2, 0x14, 0x1d, 0xaf, 0xf7, 0x57, 0xb2}

// sampleDefaults are the trex defaults of a track.
type sampleDefaults struct {
	duration, size uint32
}

// moofInfo is what parseMoof learns about one moof.
type moofInfo struct {
	hasTfdt  bool
	time     uint64 // tfdt baseMediaDecodeTime
	duration uint64 // sum of sample durations
	samples  uint32
	// commonDur is the sample duration that most samples share (majority
	// vote), for the frame rate.
	commonDur uint32
	// dataStart, dataEnd bound the sample data, relative to the moof start.
	dataStart, dataEnd int64
	// delta is how many bytes the CMAF rewrite adds to the moof (negative
	// when it removes a base_data_offset); rewrite is false when the source
	// moof is already in CMAF form and is copied as is.
	delta   int
	rewrite bool
}

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

// trunSamples sums the durations and sizes of a trun's samples and returns
// the majority-vote duration candidate updated with them.
func trunSamples(b []byte, f trunFields, defDur, defSize uint32, vote *uint32, votes *int) (dur, size uint64) {
	if f.entrySize == 0 {
		// Every sample takes the defaults: a 20-byte trun may state 2^32
		// of them, so sum (and vote) in closed form rather than loop.
		n := uint64(f.count)
		if vote != nil && n > 0 {
			switch {
			case *vote == defDur && *votes > 0:
				*votes += int(n)
			case n <= uint64(*votes):
				*votes -= int(n)
			default:
				*vote, *votes = defDur, int(n)-*votes
			}
		}
		return n * uint64(defDur), n * uint64(defSize)
	}
	p := f.entries
	for i := uint32(0); i < f.count; i++ {
		d, s := defDur, defSize
		q := p
		if f.flags&trunSampleDuration != 0 {
			d = binary.BigEndian.Uint32(b[q:])
			q += 4
		}
		if f.flags&trunSampleSize != 0 {
			s = binary.BigEndian.Uint32(b[q:])
		}
		p += f.entrySize
		dur += uint64(d)
		size += uint64(s)
		if vote != nil {
			switch {
			case *votes == 0:
				*vote, *votes = d, 1
			case *vote == d:
				*votes++
			default:
				*votes--
			}
		}
	}
	return dur, size
}

// parseMoof validates the moof in b (exactly the box, fragOff its file
// offset) for the track trackID. It returns a reason when the moof is
// damaged and unsupported=true when it is well formed but not servable.
func parseMoof(b []byte, fragOff int64, trackID uint32, def sampleDefaults) (mi moofInfo, reason string, unsupported bool) {
	if len(b) < 8 || int(binary.BigEndian.Uint32(b)) != len(b) || string(b[4:8]) != "moof" {
		return mi, "not a moof", false
	}
	trafs := 0
	var votes int
	mi.dataStart = -1
	for pos := 8; pos < len(b); {
		c, r := nextBox(b, pos, len(b))
		if r != "" {
			return mi, r, false
		}
		pos = c.end
		if !is(c.typ, "traf") {
			continue
		}
		trafs++
		if trafs > 1 {
			return mi, "more than one traf", true
		}
		var tf tfhdFields
		seenTfhd := false
		var base, prevEnd int64
		for q := c.start + 8; q < c.end; {
			cc, r := nextBox(b, q, c.end)
			if r != "" {
				return mi, r, false
			}
			q = cc.end
			bb := b[cc.start:cc.end]
			switch {
			case is(cc.typ, "tfhd"):
				if seenTfhd {
					return mi, "two tfhd", false
				}
				seenTfhd = true
				tf, r = parseTfhd(bb)
				if r != "" {
					return mi, r, false
				}
				if tf.trackID != trackID {
					return mi, "traf of another track", true
				}
				if tf.flags&tfhdDefaultDuration == 0 {
					tf.defDuration = def.duration
				}
				if tf.flags&tfhdDefaultSize == 0 {
					tf.defSize = def.size
				}
				if tf.flags&tfhdBaseDataOffset != 0 {
					if tf.baseOffset > uint64(1<<62) {
						return mi, "base_data_offset out of range", false
					}
					base = int64(tf.baseOffset) - fragOff
					mi.delta -= 8
				}
				if tf.flags&(tfhdBaseDataOffset|tfhdDefaultBaseIsMoof) != tfhdDefaultBaseIsMoof {
					mi.rewrite = true
				}
				prevEnd = base
			case is(cc.typ, "tfdt"):
				if mi.hasTfdt {
					return mi, "two tfdt", false
				}
				if len(bb) < 16 || bb[8] > 1 || len(bb) != 16+4*int(bb[8]) {
					return mi, "tfdt size does not match its version", false
				}
				mi.hasTfdt = true
				if bb[8] == 1 {
					mi.time = binary.BigEndian.Uint64(bb[12:])
				} else {
					mi.time = uint64(binary.BigEndian.Uint32(bb[12:]))
					mi.delta += tfdtV1Len - 16 // normalised to version 1
					mi.rewrite = true
				}
			case is(cc.typ, "trun"):
				if !seenTfhd {
					return mi, "trun before tfhd", false
				}
				tr, r := parseTrun(bb)
				if r != "" {
					return mi, r, false
				}
				start := prevEnd
				if tr.flags&trunDataOffset != 0 {
					start = base + int64(tr.dataOffset)
				} else {
					mi.delta += 4
					mi.rewrite = true
				}
				dur, size := trunSamples(bb, tr, tf.defDuration, tf.defSize, &mi.commonDur, &votes)
				mi.duration += dur
				mi.samples += tr.count
				prevEnd = start + int64(size)
				if tr.count > 0 {
					if mi.dataStart < 0 || start < mi.dataStart {
						mi.dataStart = start
					}
					if prevEnd > mi.dataEnd {
						mi.dataEnd = prevEnd
					}
				}
			case is(cc.typ, "senc"), is(cc.typ, "saiz"), is(cc.typ, "saio"):
				return mi, "encrypted fragment", true
			}
		}
		if !seenTfhd {
			return mi, "traf without tfhd", false
		}
	}
	if trafs == 0 {
		return mi, "moof without traf", false
	}
	if !mi.hasTfdt {
		mi.delta += tfdtV1Len
		mi.rewrite = true
	}
	if mi.dataStart < 0 {
		mi.dataStart, mi.dataEnd = int64(len(b)), int64(len(b))
	}
	return mi, "", false
}

// writeMoof writes the output form of the source moof src (already
// validated by parseMoof) to dst, which must hold len(src)+grow bytes, where
// grow is the moofInfo delta plus tfxdLen for Smooth. time and duration are
// the fragment's, fragOff its file offset. It returns the bytes written.
//
//	moof
//	├── (children other than traf, as is)
//	└── traf
//	    ├── tfhd   default-base-is-moof, no base_data_offset
//	    ├── tfdt   version 1 (added after tfhd when the source has none)
//	    ├── trun   data_offset made explicit, relative to the output moof
//	    ├── (other children as is)
//	    └── tfxd   Smooth only: uuid 6D1D9B05-…, version 1, time and duration
func writeMoof(dst, src []byte, grow int, smooth bool, time, duration uint64, fragOff int64, def sampleDefaults) int {
	be := binary.BigEndian
	be.PutUint32(dst, uint32(len(src)+grow))
	copy(dst[4:8], "moof")
	n := 8
	for pos := 8; pos < len(src); {
		c, _ := nextBox(src, pos, len(src))
		pos = c.end
		if !is(c.typ, "traf") {
			n += copy(dst[n:], src[c.start:c.end])
			continue
		}
		be.PutUint32(dst[n:], uint32(c.end-c.start+grow))
		copy(dst[n+4:n+8], "traf")
		n += 8
		hasTfdt := false
		for q := c.start + 8; q < c.end; {
			cc, _ := nextBox(src, q, c.end)
			q = cc.end
			if is(cc.typ, "tfdt") {
				hasTfdt = true
			}
		}
		var base, prevEnd int64
		var tf tfhdFields
		for q := c.start + 8; q < c.end; {
			cc, _ := nextBox(src, q, c.end)
			q = cc.end
			bb := src[cc.start:cc.end]
			switch {
			case is(cc.typ, "tfhd"):
				tf, _ = parseTfhd(bb)
				if tf.flags&tfhdBaseDataOffset != 0 {
					base = int64(tf.baseOffset) - fragOff
				}
				prevEnd = base
				drop := 0
				if tf.flags&tfhdBaseDataOffset != 0 {
					drop = 8
				}
				be.PutUint32(dst[n:], uint32(len(bb)-drop))
				copy(dst[n+4:n+8], "tfhd")
				be.PutUint32(dst[n+8:], uint32(bb[8])<<24|(tf.flags&^tfhdBaseDataOffset|tfhdDefaultBaseIsMoof))
				be.PutUint32(dst[n+12:], tf.trackID)
				n += 16
				n += copy(dst[n:], bb[tf.afterBase:])
				if tf.flags&tfhdDefaultSize == 0 {
					tf.defSize = def.size
				}
				if !hasTfdt {
					n += putTfdt(dst[n:], time)
				}
			case is(cc.typ, "tfdt"):
				n += putTfdt(dst[n:], time)
			case is(cc.typ, "trun"):
				tr, _ := parseTrun(bb)
				start := prevEnd
				if tr.flags&trunDataOffset != 0 {
					start = base + int64(tr.dataOffset)
				}
				extra := 4
				if tr.flags&trunDataOffset != 0 {
					extra = 0
				}
				be.PutUint32(dst[n:], uint32(len(bb)+extra))
				copy(dst[n+4:n+8], "trun")
				be.PutUint32(dst[n+8:], uint32(bb[8])<<24|tr.flags|trunDataOffset)
				be.PutUint32(dst[n+12:], tr.count)
				be.PutUint32(dst[n+16:], uint32(int32(start+int64(grow))))
				n += 20
				n += copy(dst[n:], bb[tr.afterData:])
				_, size := trunSamples(bb, tr, 0, tf.defSize, nil, nil)
				prevEnd = start + int64(size)
			default:
				n += copy(dst[n:], bb)
			}
		}
		if smooth {
			be.PutUint32(dst[n:], tfxdLen)
			copy(dst[n+4:n+8], "uuid")
			copy(dst[n+8:n+24], tfxdUUID[:])
			be.PutUint32(dst[n+24:], 1<<24)
			be.PutUint64(dst[n+28:], time)
			be.PutUint64(dst[n+36:], duration)
			n += tfxdLen
		}
	}
	return n
}

// putTfdt writes a version 1 tfdt.
func putTfdt(dst []byte, time uint64) int {
	binary.BigEndian.PutUint32(dst, tfdtV1Len)
	copy(dst[4:8], "tfdt")
	binary.BigEndian.PutUint32(dst[8:], 1<<24)
	binary.BigEndian.PutUint64(dst[12:], time)
	return tfdtV1Len
}
