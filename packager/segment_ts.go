package packager

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"

	"github.com/Eyevinn/mp4ff/hevc"
	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/drmorigin/drmorigin/packager/ts"
)

// This file cuts MPEG-2 TS segments (HLS m3u8-aapl and m3u8-aapl-v3) out of
// the fMP4 fragments: it reads a fragment with one ReadAt, takes its samples
// from the trun(s) as sub-slices of what it read, and hands them to a pooled
// ts.Muxer.

// ErrSampleAESHEVC is returned by AppendSegmentTS for a SAMPLE-AES segment of
// HEVC video: Apple defines SAMPLE-AES in TS for H.264 and AAC only
// (urls.md: cbcs-aapl on a TS format with HEVC video is a 400 naming
// m3u8-cmaf).
var ErrSampleAESHEVC = errors.New("packager: SAMPLE-AES in MPEG-2 TS is defined for H.264 and AAC only (HEVC: use m3u8-cmaf)")

// TSOptions are the per-segment settings of AppendSegmentTS.
type TSOptions struct {
	// Encrypter, when not nil, protects the segment with HLS SAMPLE-AES
	// (encryption=cbcs-aapl on TS): crypto.Key satisfies it.
	Encrypter ts.CBCEncrypter
	// IV is the segment's IV, the IV=0x… that the playlist states on the
	// segment's EXT-X-KEY.
	IV [16]byte
}

// TSScratch holds the per-request state of AppendSegmentTS: the muxer, the
// fragments read and the sample tables. Take one per request
// (AcquireTSScratch) and give it back with ReleaseTSScratch; do not use it
// after Release. It grows to the largest segment it served and then
// allocates nothing. It is not safe for concurrent use.
type TSScratch struct {
	mux          ts.Muxer
	data         []byte      // the fragments, as read when not mapped
	video, audio []ts.Sample // Data are sub-slices of data or of the files' mappings
}

// Reset truncates the buffers, keeping their capacity, and drops the
// references into data and into the mappings.
func (s *TSScratch) Reset() {
	s.data = s.data[:0]
	clear(s.video)
	clear(s.audio)
	s.video = s.video[:0]
	s.audio = s.audio[:0]
}

var tsScratchPool = sync.Pool{New: func() any { return new(TSScratch) }}

// AcquireTSScratch returns an empty TSScratch from a pool.
func AcquireTSScratch() *TSScratch { return tsScratchPool.Get().(*TSScratch) }

// ReleaseTSScratch resets s and returns it to the pool; do not use s after
// Release.
func ReleaseTSScratch(s *TSScratch) {
	s.Reset()
	tsScratchPool.Put(s)
}

// tsTrack is what TS output needs to know about a track, worked out once
// (on the first TS request) and then only read.
type tsTrack struct {
	cfg      ts.StreamConfig
	defFlags uint32 // trex default_sample_flags
}

// sample flags (ISO/IEC 14496-12 8.8.3.1): sample_is_non_sync_sample.
const sampleNonSync = 0x00010000

// tsState returns the track's TS state, building it on first use.
func (t *Track) tsState() (*tsTrack, error) {
	t.tsOnce.Do(func() { t.tsSt, t.tsErr = t.buildTS() })
	return t.tsSt, t.tsErr
}

// buildTS builds the track's ts.StreamConfig from its moov: codec and
// parameter sets (avcC, hvcC) or AudioSpecificConfig (esds), the timescale,
// TimeOffset from the edit list (empty edits and the first media_time), and
// for video DecodeShift from the most negative composition offset of any
// fragment (trun version 1), which it finds by reading every moof once.
func (t *Track) buildTS() (*tsTrack, error) {
	moov, err := t.decodeMoov()
	if err != nil {
		return nil, err
	}
	st := &tsTrack{}
	c := &st.cfg
	c.Timescale = t.Timescale
	switch se := moov.Trak.Mdia.Minf.Stbl.Stsd.Children[0].(type) {
	case *mp4.VisualSampleEntryBox:
		switch se.Type() {
		case "avc1", "avc3":
			if se.AvcC == nil {
				return nil, corruptf(t.Path, 0, "%s without avcC", se.Type())
			}
			c.Codec, c.NALULengthSize = ts.H264, 4 // mp4ff accepts 4-byte lengths only
			c.ParameterSets = append(slices.Clone(se.AvcC.SPSnalus), se.AvcC.PPSnalus...)
		case "hvc1", "hev1":
			if se.HvcC == nil {
				return nil, corruptf(t.Path, 0, "%s without hvcC", se.Type())
			}
			c.Codec, c.NALULengthSize = ts.HEVC, int(se.HvcC.LengthSizeMinusOne)+1
			for _, nt := range []hevc.NaluType{hevc.NALU_VPS, hevc.NALU_SPS, hevc.NALU_PPS} {
				c.ParameterSets = append(c.ParameterSets, se.HvcC.GetNalusForType(nt)...)
			}
		default:
			return nil, unsupportedf(t.Path, "sample entry %s in MPEG-2 TS", se.Type())
		}
	case *mp4.AudioSampleEntryBox:
		if se.Type() != "mp4a" || se.Esds == nil || se.Esds.DecConfigDescriptor == nil ||
			se.Esds.DecConfigDescriptor.DecSpecificInfo == nil {
			return nil, unsupportedf(t.Path, "sample entry %s in MPEG-2 TS (AAC only)", se.Type())
		}
		c.Codec = ts.AAC
		c.AudioSpecificConfig = slices.Clone(se.Esds.DecConfigDescriptor.DecSpecificInfo.DecConfig)
	default:
		return nil, unsupportedf(t.Path, "sample entry %s in MPEG-2 TS", se.Type())
	}
	if moov.Mvex != nil {
		for _, trex := range moov.Mvex.Trexs {
			if trex.TrackID == t.TrackID {
				st.defFlags = trex.DefaultSampleFlags
			}
		}
	}
	c.TimeOffset = editOffset(moov, t.Timescale)
	if c.Codec != ts.AAC {
		shift, err := t.decodeShift()
		if err != nil {
			return nil, err
		}
		c.DecodeShift = shift
	}
	return st, nil
}

// editOffset is the StreamConfig.TimeOffset of a track's edit list, in the
// track's timescale: the empty edits' durations (movie timescale) minus the
// media_time of the first edit that has one. With no edit list it is 0.
func editOffset(moov *mp4.MoovBox, timescale uint32) int64 {
	trak := moov.Trak
	if trak.Edts == nil || len(trak.Edts.Elst) == 0 {
		return 0
	}
	var movieTS uint64
	if moov.Mvhd != nil {
		movieTS = uint64(moov.Mvhd.Timescale)
	}
	var off int64
	for _, e := range trak.Edts.Elst[0].Entries {
		if e.MediaTime == -1 {
			if movieTS > 0 && e.SegmentDuration < math.MaxUint32 {
				off += int64(e.SegmentDuration * uint64(timescale) / movieTS)
			}
			continue
		}
		return off - e.MediaTime
	}
	return 0 // only empty edits: nothing to shift
}

// decodeShift reads every moof of the track and returns minus the most
// negative composition offset of its samples (0 when none is negative).
func (t *Track) decodeShift() (uint32, error) {
	var b []byte
	var least int64
	for i := range t.Fragments {
		n := int(t.plans[i].moofSize)
		b = slices.Grow(b[:0], n)[:n]
		if err := t.read(b, t.Fragments[i].Offset); err != nil {
			return 0, err
		}
		least = min(least, leastCTO(b))
	}
	if -least > math.MaxUint32 {
		return 0, corruptf(t.Path, 0, "composition offset %d", least)
	}
	return uint32(-least), nil
}

// leastCTO is the most negative sample composition offset of the version 1
// truns of moof (0 when none is negative). Damaged boxes are skipped: the
// segment that needs them reports them.
func leastCTO(moof []byte) int64 {
	var least int64
	for pos := 8; pos < len(moof); {
		c, r := nextBox(moof, pos, len(moof))
		if r != "" {
			break
		}
		pos = c.end
		if !is(c.typ, "traf") {
			continue
		}
		for q := c.start + 8; q < c.end; {
			cc, r := nextBox(moof, q, c.end)
			if r != "" {
				break
			}
			q = cc.end
			bb := moof[cc.start:cc.end]
			if !is(cc.typ, "trun") {
				continue
			}
			tr, r := parseTrun(bb)
			if r != "" || bb[8] != 1 || tr.flags&trunSampleCTO == 0 {
				continue
			}
			p := tr.entries + tr.entrySize - 4 // the offset is the last field of an entry
			for range tr.count {
				least = min(least, int64(int32(binary.BigEndian.Uint32(bb[p:]))))
				p += tr.entrySize
			}
		}
	}
	return least
}

// AppendSegmentTS appends fragment i of t as an MPEG-2 TS segment to buf and
// returns the extended buffer.
//
// With audio nil the segment holds t alone (m3u8-aapl: each video variant
// and each audio rendition has segments of its own). With audio non-nil
// (m3u8-aapl-v3), t is the video track and the segment also holds the audio
// frames whose decode time, in seconds, falls in [t.Fragments[i].Time,
// t.Fragments[i+1].Time); the first segment also takes the audio frames
// before it and the last segment the rest, so every frame is in exactly one
// segment (AudioRange says which audio fragments are read).
//
// Every fragment is read with one ReadAt into s; the samples are handed to
// s's ts.Muxer (see package ts for the segment layout, timestamps and
// continuity counters) with Sequence i. With o.Encrypter set the segment is
// SAMPLE-AES under o.IV; HEVC video then gives ErrSampleAESHEVC. The bytes
// depend only on (t, i, audio, o). On error buf is returned with its
// original length and nothing written past it. With a warm buf and s it
// allocates nothing.
func (t *Track) AppendSegmentTS(buf []byte, i int, audio *Track, o TSOptions, s *TSScratch) (out []byte, err error) {
	// The samples are read from the track files' mappings: a file cut
	// short under its mapping faults, and that is an error here. The
	// references taken here keep the mappings (and so the ranges the guard
	// checks) in place for the whole call.
	vh, err := t.file.hold()
	if err != nil {
		return buf, err
	}
	defer t.file.release()
	var ah heldFile
	if audio != nil {
		if ah, err = audio.file.hold(); err != nil {
			return buf, err
		}
		defer audio.file.release()
	}
	// No references into the mappings stay in the scratch after the call:
	// a mapping can go once the references are released.
	defer s.Reset()
	if gerr := guardMapped(vh.data, ah.data, func() { out, err = t.appendSegmentTS(buf, i, audio, o, s, vh, ah) }); gerr != nil {
		return buf, corruptf(t.Path, 0, "segment %d: %v", i, gerr)
	}
	return out, err
}

// appendSegmentTS is AppendSegmentTS on the files vh (t's) and ah
// (audio's) that the caller holds.
func (t *Track) appendSegmentTS(buf []byte, i int, audio *Track, o TSOptions, s *TSScratch, vh, ah heldFile) ([]byte, error) {
	if i < 0 || i >= len(t.Fragments) {
		return buf, ErrFragmentNotFound
	}
	st, err := t.tsState()
	if err != nil {
		return buf, err
	}
	if o.Encrypter != nil && st.cfg.Codec == ts.HEVC {
		return buf, ErrSampleAESHEVC
	}
	var ast *tsTrack
	first, last, haveAudio := 0, -1, false
	if audio != nil {
		if t.Kind != Video || audio.Kind != Audio {
			return buf, fmt.Errorf("packager: muxed TS of %s (%s) and %s (%s): want video and audio", t.Path, t.Kind, audio.Path, audio.Kind)
		}
		if ast, err = audio.tsState(); err != nil {
			return buf, err
		}
		first, last, haveAudio = t.AudioRange(i, audio)
	}
	s.Reset()

	// Read the video fragment, then the audio fragments, into s.data.
	fr := &t.Fragments[i]
	total := fr.Size
	if haveAudio {
		for j := first; j <= last; j++ {
			total += audio.Fragments[j].Size
		}
	}
	if total > math.MaxInt {
		return buf, corruptf(t.Path, fr.Offset, "segment %d reads %d bytes", i, total)
	}
	s.data = slices.Grow(s.data[:0], int(total))[:total]
	d := s.data
	own, err := t.fragment(d[:fr.Size], i, vh)
	if err != nil {
		return buf, err
	}
	d = d[fr.Size:]
	var reason string
	mine := &s.video
	if t.Kind == Audio {
		mine = &s.audio
	}
	if *mine, reason = appendTSSamples(*mine, own, int(t.plans[i].moofSize), fr, t.def, st.defFlags, t.Kind == Video); reason != "" {
		return buf, corruptf(t.Path, fr.Offset, "fragment %d: %s", i, reason)
	}
	if haveAudio {
		lo, hi, bounded := fr.Time, uint64(0), i+1 < len(t.Fragments)
		if bounded {
			hi = t.Fragments[i+1].Time
		}
		for j := first; j <= last; j++ {
			afr := &audio.Fragments[j]
			ad, err := audio.fragment(d[:afr.Size], j, ah)
			if err != nil {
				return buf, err
			}
			d = d[afr.Size:]
			n0 := len(s.audio)
			if s.audio, reason = appendTSSamples(s.audio, ad, int(audio.plans[j].moofSize), afr, audio.def, ast.defFlags, false); reason != "" {
				return buf, corruptf(audio.Path, afr.Offset, "fragment %d: %s", j, reason)
			}
			// Keep the frames whose decode time falls in the segment.
			k := n0
			for _, a := range s.audio[n0:] {
				if i > 0 && timeBefore(a.DTS, audio.Timescale, lo, t.Timescale) {
					continue
				}
				if bounded && !timeBefore(a.DTS, audio.Timescale, hi, t.Timescale) {
					continue
				}
				s.audio[k] = a
				k++
			}
			clear(s.audio[k:])
			s.audio = s.audio[:k]
		}
	}

	var vc, ac *ts.StreamConfig
	switch {
	case audio != nil:
		vc, ac = &st.cfg, &ast.cfg
	case t.Kind == Audio:
		ac = &st.cfg
	default:
		vc = &st.cfg
	}
	s.mux.Reset(vc, ac)
	out, err := s.mux.AppendSegment(buf, s.video, s.audio, ts.SegmentOptions{Sequence: uint32(i), Encrypter: o.Encrypter, IV: o.IV})
	if err != nil {
		if errors.Is(err, ts.ErrNotSupported) && o.Encrypter != nil {
			return buf, fmt.Errorf("%w: %s segment %d: %v", ErrEncryption, t.Path, i, err)
		}
		return buf, fmt.Errorf("packager: %s segment %d: TS: %w", t.Path, i, err)
	}
	return out, nil
}

// fragment returns fragment i (moof through the end of mdat) of t's file,
// which the caller holds (h), and checks that it is still what was
// indexed: a slice of the mapping when it covers the fragment (read it
// under guardMapped), else read into p, which is Fragments[i].Size bytes.
func (t *Track) fragment(p []byte, i int, h heldFile) ([]byte, error) {
	fr := &t.Fragments[i]
	b := h.mapped(fr.Offset, fr.Size)
	if b == nil {
		if err := t.file.readHeld(h, p, fr.Offset); err != nil {
			return nil, err
		}
		b = p
	}
	if !isIndexedPair(b, int(t.plans[i].moofSize)) {
		return nil, corruptf(t.Path, fr.Offset, "fragment %d changed since it was indexed", i)
	}
	return b, nil
}

// timeBefore reports whether a/aScale < b/bScale (seconds), exactly.
func timeBefore(a uint64, aScale uint32, b uint64, bScale uint32) bool {
	ah, al := bits.Mul64(a, uint64(bScale))
	bh, bl := bits.Mul64(b, uint64(aScale))
	return ah < bh || ah == bh && al < bl
}

// AudioRange returns the fragments [first, last] of audio whose samples may
// fall in the m3u8-aapl-v3 segment of t's fragment i (see AppendSegmentTS):
// those whose time span [Time, Time+Duration) meets the segment's time range,
// in seconds across the two timescales; the first segment's range starts at
// 0 and the last one's has no end. ok is false when no audio fragment meets
// the range (or i is out of range). A segment's bytes depend on exactly
// these fragments of audio and fragment i of t.
func (t *Track) AudioRange(i int, audio *Track) (first, last int, ok bool) {
	if i < 0 || i >= len(t.Fragments) || audio == nil || len(audio.Fragments) == 0 {
		return 0, 0, false
	}
	af := audio.Fragments
	first = 0
	if i > 0 {
		lo := t.Fragments[i].Time
		// The first fragment that ends after lo.
		first, _ = slices.BinarySearchFunc(af, lo, func(f Fragment, lo uint64) int {
			if timeBefore(lo, t.Timescale, f.Time+f.Duration, audio.Timescale) {
				return 1
			}
			return -1
		})
	}
	last = len(af) - 1
	if i+1 < len(t.Fragments) {
		hi := t.Fragments[i+1].Time
		// The fragments that start before hi.
		n, _ := slices.BinarySearchFunc(af, hi, func(f Fragment, hi uint64) int {
			if timeBefore(f.Time, audio.Timescale, hi, t.Timescale) {
				return -1
			}
			return 1
		})
		last = n - 1
	}
	if first > last {
		return 0, 0, false
	}
	return first, last, true
}

// appendTSSamples appends the samples of a fragment to dst: frag is the
// fragment as read (moof of moofSize bytes, then mdat), fr its index entry.
// Data are sub-slices of frag's mdat payload, DTS run from fr.Time, PTSOffset
// is the trun composition offset (signed in version 1) and Keyframe comes
// from the sample flags (trun, tfhd, else the trex defaults defFlags); for
// video the first sample of the fragment is a keyframe too. It returns a
// reason when the moof does not describe samples inside the mdat. Samples
// of zero bytes are left out.
func appendTSSamples(dst []ts.Sample, frag []byte, moofSize int, fr *Fragment, def sampleDefaults, defFlags uint32, video bool) ([]ts.Sample, string) {
	be := binary.BigEndian
	m := frag[:moofSize]
	mdatStart := int64(moofSize + 8)
	dts := fr.Time
	n0 := len(dst)
	for pos := 8; pos < len(m); {
		c, r := nextBox(m, pos, len(m))
		if r != "" {
			return dst, r
		}
		pos = c.end
		if !is(c.typ, "traf") {
			continue
		}
		var tf tfhdFields
		tfFlags := defFlags
		seenTfhd := false
		var base, prevEnd int64
		for q := c.start + 8; q < c.end; {
			cc, r := nextBox(m, q, c.end)
			if r != "" {
				return dst, r
			}
			q = cc.end
			bb := m[cc.start:cc.end]
			switch {
			case is(cc.typ, "tfhd"):
				if tf, r = parseTfhd(bb); r != "" {
					return dst, r
				}
				seenTfhd = true
				if tf.flags&tfhdDefaultDuration == 0 {
					tf.defDuration = def.duration
				}
				if tf.flags&tfhdDefaultSize == 0 {
					tf.defSize = def.size
				}
				if tf.flags&tfhdDefaultFlags != 0 {
					p := tf.afterBase
					for _, fl := range [...]uint32{tfhdSampleDescIndex, tfhdDefaultDuration, tfhdDefaultSize} {
						if tf.flags&fl != 0 {
							p += 4
						}
					}
					tfFlags = be.Uint32(bb[p:])
				}
				base = 0
				if tf.flags&tfhdBaseDataOffset != 0 {
					if tf.baseOffset > uint64(1<<62) {
						return dst, "base_data_offset out of range"
					}
					base = int64(tf.baseOffset) - fr.Offset
				}
				prevEnd = base
			case is(cc.typ, "trun"):
				if !seenTfhd {
					return dst, "trun before tfhd"
				}
				tr, r := parseTrun(bb)
				if r != "" {
					return dst, r
				}
				// Without per-sample fields a trun states any count in 20
				// bytes: bound the loop (and the sample table) by the bytes
				// read, since only samples of at least one byte are kept.
				if uint64(tr.count) > uint64(len(frag)) {
					return dst, "trun sample count exceeds the fragment"
				}
				off := prevEnd
				if tr.flags&trunDataOffset != 0 {
					off = base + int64(tr.dataOffset)
				}
				p := tr.entries
				for k := range tr.count {
					dur, size, flags, cto := tf.defDuration, tf.defSize, tfFlags, int64(0)
					if k == 0 && tr.flags&trunFirstSampleFlags != 0 {
						flags = be.Uint32(bb[tr.afterData:])
					}
					e := p
					if tr.flags&trunSampleDuration != 0 {
						dur = be.Uint32(bb[e:])
						e += 4
					}
					if tr.flags&trunSampleSize != 0 {
						size = be.Uint32(bb[e:])
						e += 4
					}
					if tr.flags&trunSampleFlags != 0 {
						flags = be.Uint32(bb[e:])
						e += 4
					}
					if tr.flags&trunSampleCTO != 0 {
						v := be.Uint32(bb[e:])
						if bb[8] == 1 {
							cto = int64(int32(v))
						} else {
							cto = int64(v)
						}
					}
					p += tr.entrySize
					if off < mdatStart || off+int64(size) > int64(len(frag)) {
						return dst, "sample outside the mdat"
					}
					if cto > math.MaxInt32 {
						return dst, "composition offset out of range"
					}
					if size == 0 { // nothing to carry; its duration still counts
						dts += uint64(dur)
						continue
					}
					dst = append(dst, ts.Sample{
						Data:      frag[off : off+int64(size) : off+int64(size)],
						DTS:       dts,
						PTSOffset: int32(cto),
						Keyframe:  flags&sampleNonSync == 0 || video && len(dst) == n0,
					})
					off += int64(size)
					dts += uint64(dur)
				}
				prevEnd = off
			}
		}
	}
	return dst, ""
}
