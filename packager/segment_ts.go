package packager

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"

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

// tsTrack is what TS output needs to know about a track, worked out once
// (on the first TS request) and then only read.
type tsTrack struct {
	cfg ts.StreamConfig
}

// tsState returns the track's TS state, building it on first use.
func (t *Track) tsState() (*tsTrack, error) {
	z := t.lazy
	z.tsOnce.Do(func() { z.tsSt, z.tsErr = t.buildTS() })
	return z.tsSt, z.tsErr
}

// buildTS builds the track's ts.StreamConfig from its moov: codec and
// parameter sets (avcC, hvcC) or AudioSpecificConfig (esds), the timescale,
// TimeOffset from the edit list (empty edits and the first media_time), and
// for video DecodeShift from the most negative composition offset of any
// sample, which the index found.
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
	c.TimeOffset = editOffset(moov, t.Timescale)
	if c.Codec != ts.AAC {
		c.DecodeShift = uint32(-int64(t.leastCTO))
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

// appendSegmentTS appends fragment i of t as an MPEG-2 TS segment to buf and
// returns the extended buffer (AppendSegment with TS output).
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
// continuity counters) with Sequence i. With p SchemeSampleAES the segment is
// SAMPLE-AES under SegmentIV(p, i); HEVC video then gives ErrSampleAESHEVC.
// The bytes depend only on (t, i, audio, p). On error buf is returned with
// its original length and nothing written past it. With a warm buf and s it
// allocates nothing.
func (t *Track) appendSegmentTS(buf []byte, i int, audio *Track, p *Protection, s *Scratch) ([]byte, error) {
	var so ts.SegmentOptions
	if p.scheme() == SchemeSampleAES && i >= 0 && i < len(t.Fragments) {
		so.Encrypter, so.IV = p.Key, t.SegmentIV(p, i)
	}
	return t.appendTS(buf, i, audio, so, s)
}

// appendTS is appendSegmentTS with the SAMPLE-AES encrypter and IV given.
func (t *Track) appendTS(buf []byte, i int, audio *Track, so ts.SegmentOptions, s *Scratch) (out []byte, err error) {
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
	if gerr := guardMapped(vh.data, ah.data, func() { out, err = t.muxSegmentTS(buf, i, audio, so, s, vh, ah) }); gerr != nil {
		return buf, corruptf(t.Path, 0, "segment %d: %v", i, gerr)
	}
	return out, err
}

// muxSegmentTS is appendSegmentTS on the files vh (t's) and ah (audio's)
// that the caller holds.
func (t *Track) muxSegmentTS(buf []byte, i int, audio *Track, so ts.SegmentOptions, s *Scratch, vh, ah heldFile) ([]byte, error) {
	if i < 0 || i >= len(t.Fragments) {
		return buf, ErrFragmentNotFound
	}
	st, err := t.tsState()
	if err != nil {
		return buf, err
	}
	so.Sequence = uint32(i)
	if so.Encrypter != nil && st.cfg.Codec == ts.HEVC {
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

	// The samples' data come from the mappings, or are read into s.data:
	// the fragments' sizes bound what they need.
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
	s.frag.data = slices.Grow(s.frag.data[:0], int(total))[:total]
	d := s.frag.data
	mine := &s.video
	if t.Kind == Audio {
		mine = &s.audio
	}
	if *mine, d, err = t.tsSamples(*mine, d, i, vh, s, nil); err != nil {
		return buf, err
	}
	if haveAudio {
		// The audio frames whose decode time falls in the segment.
		w := tsWindow{scale: t.Timescale, lo: fr.Time, from: i > 0, bounded: i+1 < len(t.Fragments)}
		if w.bounded {
			w.hi = t.Fragments[i+1].Time
		}
		for j := first; j <= last; j++ {
			if s.audio, d, err = audio.tsSamples(s.audio, d, j, ah, s, &w); err != nil {
				return buf, err
			}
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
	out, err := s.mux.AppendSegment(buf, s.video, s.audio, so)
	if err != nil {
		if errors.Is(err, ts.ErrNotSupported) && so.Encrypter != nil {
			return buf, fmt.Errorf("%w: %s segment %d: %v", ErrEncryption, t.Path, i, err)
		}
		return buf, fmt.Errorf("packager: %s segment %d: TS: %w", t.Path, i, err)
	}
	return out, nil
}

// tsWindow is the time range of an m3u8-aapl-v3 segment, in seconds:
// [lo, hi) in timescale scale, with no start unless from and no end unless
// bounded (the first and last segments).
type tsWindow struct {
	lo, hi        uint64
	scale         uint32
	from, bounded bool
}

// holds reports whether time d of a track of timescale dScale falls in w.
func (w *tsWindow) holds(d uint64, dScale uint32) bool {
	if w.from && timeBefore(d, dScale, w.lo, w.scale) {
		return false
	}
	return !w.bounded || timeBefore(d, dScale, w.hi, w.scale)
}

// tsSamples appends the samples of fragment i of t, whose file the caller
// holds (h), to dst, and returns the rest of buf: Data are slices of the
// mapping, or of buf, into which the samples' data are read when the file
// is not mapped (buf holds at least the fragment's size). DTS run from the
// fragment's decode time, PTSOffset is the composition offset, and Keyframe
// the sync flag; for video the first sample of the fragment is a keyframe
// too. Samples of zero bytes are left out (their durations still count),
// and with w not nil the samples whose decode time is outside w.
func (t *Track) tsSamples(dst []ts.Sample, buf []byte, i int, h heldFile, s *Scratch, w *tsWindow) ([]ts.Sample, []byte, error) {
	st := &s.frag.st
	if err := t.readFragment(h, i, st, &s.frag.moof); err != nil {
		return dst, buf, err
	}
	var data sampleData
	if h.mapped(st.dataLo, st.dataHi-st.dataLo) != nil {
		data = sampleData{b: h.data}
	} else {
		n := st.dataHi - st.dataLo
		if err := t.file.readHeld(h, buf[:n], st.dataLo); err != nil {
			return dst, buf, err
		}
		data = sampleData{b: buf[:n:n], lo: st.dataLo}
		buf = buf[n:]
	}
	video := t.Kind == Video
	dts := st.Time
	n0 := len(dst)
	for k := range st.Samples {
		sm := &st.Samples[k]
		if sm.Size > 0 && (w == nil || w.holds(dts, t.Timescale)) {
			dst = append(dst, ts.Sample{
				Data:      data.of(sm),
				DTS:       dts,
				PTSOffset: sm.CTO,
				Keyframe:  sm.Sync() || video && len(dst) == n0,
			})
		}
		dts += uint64(sm.Duration)
	}
	return dst, buf, nil
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
