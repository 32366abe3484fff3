package packager

import (
	"encoding/binary"
	"fmt"
	"math"
)

// This file is the sample reader of fragmented MP4: the one walker of a
// moof's boxes. The indexer runs it to validate each fragment and learn its
// timing; every segment request runs it once on the fragment it serves.

// trackDefaults are a track's trex defaults (ISO/IEC 14496-12 8.8.3).
type trackDefaults struct {
	duration, size, flags uint32
}

// MaxFragmentSamples bounds the samples of one fragment: a trun of
// defaults can state 2^32 samples in 20 bytes, and each becomes a table
// entry. A 256 MiB fragment (MaxFragmentSize) of 256-byte samples has this
// many.
const MaxFragmentSamples = 1 << 20

// readMoof fills st with the samples of the moof m (exactly the box, at file
// offset off) of track trackID, whose trex defaults are def. Sample offsets
// are file offsets: base_data_offset is taken as stated, else the moof start
// (a single traf), and a trun without data_offset continues where the
// previous one ended. It returns a reason when the moof is damaged, and
// unsupported=true when it is well formed but not servable (a traf of
// another track in a file of one, an encrypted fragment). In a file of
// several tracks a moof may hold a traf per track: the one of trackID is
// read, and a moof without one sets st.absent. It allocates only to grow
// st.
func (st *SampleTable) readMoof(m []byte, off int64, trackID uint32, def trackDefaults) (reason string, unsupported bool) {
	st.Reset()
	be := binary.BigEndian
	if len(m) < 8 || int(be.Uint32(m)) != len(m) || string(m[4:8]) != "moof" {
		return "not a moof", false
	}
	f := &st.form
	ours, reason, unsupported := findTraf(m, trackID)
	if reason != "" || ours.end == 0 {
		st.absent = ours.end == 0
		return reason, unsupported
	}
	st.dataLo = -1
	for pos := 8; pos < len(m); {
		c, r := nextBox(m, pos, len(m))
		if r != "" {
			return r, false
		}
		pos = c.end
		if is(c.typ, "mfhd") && c.end-c.start >= 16 {
			f.seq = be.Uint32(m[c.start+12:])
		}
		if c != ours {
			continue // other boxes, and the trafs of the file's other tracks
		}
		var tf tfhdFields
		dur, size, flags := def.duration, def.size, def.flags
		seenTfhd, seenTrun := false, false
		var base, prevEnd int64
		for q := c.start + 8; q < c.end; {
			cc, r := nextBox(m, q, c.end)
			if r != "" {
				return r, false
			}
			q = cc.end
			b := m[cc.start:cc.end]
			switch {
			case is(cc.typ, "tfhd"):
				if seenTfhd {
					return "two tfhd", false
				}
				seenTfhd = true
				if tf, r = parseTfhd(b); r != "" {
					return r, false
				}
				if tf.trackID != trackID {
					return "traf of another track", true
				}
				f.trackID = tf.trackID
				f.tfhdFlags = tf.flags&^tfhdBaseDataOffset | tfhdDefaultBaseIsMoof
				p := tf.afterBase
				if tf.flags&tfhdSampleDescIndex != 0 {
					f.sdi = be.Uint32(b[p:])
					p += 4
				}
				if tf.flags&tfhdDefaultDuration != 0 {
					dur, f.defDur = tf.defDuration, tf.defDuration
					p += 4
				}
				if tf.flags&tfhdDefaultSize != 0 {
					size, f.defSize = tf.defSize, tf.defSize
					p += 4
				}
				if tf.flags&tfhdDefaultFlags != 0 {
					flags = be.Uint32(b[p:])
					f.defF = flags
				}
				if tf.flags&tfhdBaseDataOffset != 0 {
					if tf.baseOffset > uint64(1<<62) {
						return "base_data_offset out of range", false
					}
					base = int64(tf.baseOffset) - off
				}
				prevEnd = base
			case is(cc.typ, "tfdt"):
				if st.HasTime {
					return "two tfdt", false
				}
				if len(b) < 16 || b[8] > 1 || len(b) != 16+4*int(b[8]) {
					return "tfdt size does not match its version", false
				}
				st.HasTime = true
				if b[8] == 1 {
					st.Time = be.Uint64(b[12:])
				} else {
					st.Time = uint64(be.Uint32(b[12:]))
				}
			case is(cc.typ, "trun"):
				if !seenTfhd {
					return "trun before tfhd", false
				}
				tr, r := parseTrun(b)
				if r != "" {
					return r, false
				}
				if uint64(len(st.Samples))+uint64(tr.count) > MaxFragmentSamples {
					return "more than MaxFragmentSamples samples", false
				}
				if !seenTrun && tr.flags&trunFirstSampleFlags != 0 {
					f.trunFlags |= trunFirstSampleFlags
					f.firstFlags = be.Uint32(b[tr.afterData:])
				}
				f.trunFlags |= tr.flags & (trunSampleDuration | trunSampleSize | trunSampleFlags | trunSampleCTO)
				f.trunVersion = max(f.trunVersion, b[8])
				at := prevEnd
				if tr.flags&trunDataOffset != 0 {
					at = base + int64(tr.dataOffset)
				}
				p := tr.entries
				for k := range tr.count {
					s := Sample{Duration: dur, Size: size, Flags: flags}
					if k == 0 && tr.flags&trunFirstSampleFlags != 0 {
						s.Flags = be.Uint32(b[tr.afterData:])
					}
					e := p
					if tr.flags&trunSampleDuration != 0 {
						s.Duration = be.Uint32(b[e:])
						e += 4
					}
					if tr.flags&trunSampleSize != 0 {
						s.Size = be.Uint32(b[e:])
						e += 4
					}
					if tr.flags&trunSampleFlags != 0 {
						s.Flags = be.Uint32(b[e:])
						e += 4
					}
					if tr.flags&trunSampleCTO != 0 {
						v := be.Uint32(b[e:])
						if b[8] == 0 && v > math.MaxInt32 {
							return "composition offset out of range", false
						}
						s.CTO = int32(v)
					}
					p += tr.entrySize
					s.Offset = off + at
					at += int64(s.Size)
					if s.Size > 0 {
						if st.dataLo < 0 || s.Offset < st.dataLo {
							st.dataLo = s.Offset
						}
						st.dataHi = max(st.dataHi, s.Offset+int64(s.Size))
					}
					st.Samples = append(st.Samples, s)
				}
				prevEnd = at
				seenTrun = true
			case is(cc.typ, "senc"), is(cc.typ, "saiz"), is(cc.typ, "saio"):
				return "encrypted fragment", true
			}
		}
		if !seenTfhd {
			return "traf without tfhd", false
		}
	}
	if st.dataLo < 0 {
		st.dataLo, st.dataHi = off+int64(len(m)), off+int64(len(m))
	}
	return "", false
}

// check returns why st cannot be served from a fragment whose mdat payload
// is [lo, hi) of the file: a sample outside it, or samples that overlap so
// often that the output would pass MaxFragmentSize.
func (st *SampleTable) check(lo, hi int64) string {
	if st.dataLo != st.dataHi && (st.dataLo < lo || st.dataHi > hi) {
		return fmt.Sprintf("sample data [%d,%d) outside its mdat [%d,%d)", st.dataLo, st.dataHi, lo, hi)
	}
	if st.DataSize() > MaxFragmentSize {
		return "samples of more than MaxFragmentSize bytes"
	}
	return ""
}

// findTraf returns the traf of track trackID in the moof m: the zero box
// when m has trafs of other tracks only (a reason too when it has a single
// traf, of another track: a file of one track whose moof names another).
// The traf must say where its data is (base_data_offset or
// default-base-is-moof) unless it is the first: its implicit base would be
// the end of the previous traf's data.
func findTraf(m []byte, trackID uint32) (ours box, reason string, unsupported bool) {
	trafs, oursFirst := 0, false
	var oursFlags uint32
	for pos := 8; pos < len(m); {
		c, r := nextBox(m, pos, len(m))
		if r != "" {
			return box{}, r, false
		}
		pos = c.end
		if !is(c.typ, "traf") {
			continue
		}
		trafs++
		h, ok := child(m, c, "tfhd")
		if !ok {
			return box{}, "traf without tfhd", false
		}
		tf, r := parseTfhd(m[h.start:h.end])
		if r != "" {
			return box{}, r, false
		}
		if tf.trackID != trackID {
			continue
		}
		if ours.end != 0 {
			return box{}, "two trafs of one track", true
		}
		ours, oursFirst, oursFlags = c, trafs == 1, tf.flags
	}
	switch {
	case trafs == 0:
		return box{}, "moof without traf", false
	case ours.end == 0 && trafs == 1:
		return box{}, "traf of another track", true
	case ours.end != 0 && !oursFirst && oursFlags&(tfhdBaseDataOffset|tfhdDefaultBaseIsMoof) == 0:
		return box{}, "traf whose data follows another track's (no base_data_offset, not default-base-is-moof)", true
	}
	return ours, "", false
}
