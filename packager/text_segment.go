package packager

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/drmorigin/drmorigin/codec/subtitle"
)

// TextForm is the form of a text track's segments.
type TextForm uint8

// Text outputs.
const (
	// TextHLSCMAF is a WebVTT file whose X-TIMESTAMP-MAP maps its cue times
	// onto the fMP4 media timeline (90 kHz), for m3u8-cmaf.
	TextHLSCMAF TextForm = iota
	// TextHLSTS is a WebVTT file whose X-TIMESTAMP-MAP maps its cue times
	// onto the PTS of the TS formats.
	TextHLSTS
	// TextFMP4 is an fMP4 segment (DASH): wvtt samples (ISO/IEC 14496-30)
	// from a WebVTT source, one stpp sample (an IMSC1 TTML document whose
	// times are on the track's media timeline) from a TTML source.
	TextFMP4
	// TextSmooth is a Smooth Streaming fragment: moof with tfxd, then an
	// mdat holding a TTML document whose times are relative to the
	// fragment's start.
	TextSmooth
)

// Codecs is the RFC 6381 codecs value of the track's DASH Representation:
// wvtt, or stpp.ttml.im1t (IMSC1 text profile).
func (t *TextTrack) Codecs() string {
	if t.Source == TTML {
		return "stpp.ttml.im1t"
	}
	return "wvtt"
}

// AppendInit appends the track's fMP4 initialization segment (TextFMP4) to
// buf: a wvtt or stpp sample entry in a text or subt track of the lead's
// timescale, with no edit list (the text's media time is its composition
// time).
func (t *TextTrack) AppendInit(buf []byte) ([]byte, error) {
	init := mp4.CreateEmptyInit()
	init.Ftyp = mp4.NewFtyp("iso6", 0, []string{"iso6", "cmfc", "dash"})
	init.Children[0] = init.Ftyp
	lang := t.Language
	var trak *mp4.TrakBox
	if t.Source == TTML {
		trak = init.AddEmptyTrack(t.Timescale, "subtitle", lang)
		_ = trak.SetStppDescriptor("http://www.w3.org/ns/ttml", "", "")
	} else {
		trak = init.AddEmptyTrack(t.Timescale, "wvtt", lang)
		_ = trak.SetWvttDescriptor("WEBVTT")
	}
	trak.Tkhd.TrackID = t.TrackID
	init.Moov.Mvex.Trexs[0].TrackID = t.TrackID
	init.Moov.Mvhd.NextTrackID = t.TrackID + 1
	var b bytes.Buffer
	if err := init.Encode(&b); err != nil {
		return buf, fmt.Errorf("packager: text init of %s: %w", t.File, err)
	}
	return append(buf, b.Bytes()...), nil
}

// AppendSegment appends segment i of the track in form f to buf. Text is
// never encrypted.
func (t *TextTrack) AppendSegment(buf []byte, i int, f TextForm) ([]byte, error) {
	if i < 0 || i >= len(t.Fragments) {
		return buf, fmt.Errorf("packager: %s: no text segment %d", t.File, i)
	}
	switch f {
	case TextHLSCMAF, TextHLSTS:
		return t.appendHLS(buf, i, f), nil
	case TextSmooth:
		from, to := t.segmentSpan(i)
		doc := subtitle.AppendTTML(nil, t.bcp47(), t.clipped(i, t.Shift), t.sideTime(from, t.Shift))
		return t.appendFragment(buf, i, []sample{{dur: uint64(to - from), data: doc}}, true)
	}
	if t.Source == TTML {
		from, to := t.segmentSpan(i)
		// Times on the media timeline (the side file's: see TextTrack).
		doc := subtitle.AppendTTML(nil, t.bcp47(), t.clipped(i, 0), 0)
		return t.appendFragment(buf, i, []sample{{dur: uint64(to - from), data: doc}}, false)
	}
	var ss []sample
	for _, s := range t.samplesIn(i, 0) {
		ss = append(ss, sample{dur: uint64(s.end - s.start), data: vttSample(s.cues)})
	}
	return t.appendFragment(buf, i, ss, false)
}

// appendHLS writes segment i as WebVTT: every cue shown during it, with
// its source times, and the map from LOCAL 0 to the PTS (TS) or the 90 kHz
// media time (fMP4, where players apply the video's edit list: 0) of the
// lead's frame of presentation time 0.
func (t *TextTrack) appendHLS(buf []byte, i int, f TextForm) []byte {
	mpegts, shift := t.TSZero, int64(0)
	if f == TextHLSCMAF {
		mpegts = 0 // the media time of presentation 0 (the edit list applied)
	} else {
		// Cut on the TS timeline: presentation 0 at the frame's
		// composition time, as in the TS segments.
		shift = t.Shift
	}
	spans := t.cuesIn(i, shift)
	cues := make([]subtitle.Cue, len(spans))
	for k, s := range spans {
		cues[k] = *s.cue
	}
	hdr := "X-TIMESTAMP-MAP=MPEGTS:" + fmt.Sprint(mpegts) + ",LOCAL:00:00:00.000"
	return subtitle.AppendWebVTT(buf, []string{hdr}, cues)
}

// clipped returns the cues of segment i cut to its interval (side times),
// on the media timeline where presentation time 0 is at shift.
func (t *TextTrack) clipped(i int, shift int64) []subtitle.Cue {
	from, to := t.segmentSpan(i)
	lo, hi := t.sideTime(from, shift), t.sideTime(to, shift)
	var out []subtitle.Cue
	for _, s := range t.cuesIn(i, shift) {
		c := *s.cue
		c.Start, c.End = max(c.Start, lo), min(c.End, hi)
		if c.End > c.Start {
			out = append(out, c)
		}
	}
	return out
}

type sample struct {
	dur  uint64
	data []byte
}

// vttSample is one wvtt sample: a vttc box per cue, or vtte when none.
func vttSample(cues []*subtitle.Cue) []byte {
	var b bytes.Buffer
	if len(cues) == 0 {
		_ = (&mp4.VtteBox{}).Encode(&b)
		return b.Bytes()
	}
	for _, c := range cues {
		vttc := &mp4.VttcBox{}
		if c.ID != "" {
			vttc.AddChild(&mp4.IdenBox{CueID: c.ID})
		}
		if c.Settings != "" {
			vttc.AddChild(&mp4.SttgBox{Settings: c.Settings})
		}
		vttc.AddChild(&mp4.PaylBox{CueText: subtitle.CueText(c.Text)})
		_ = vttc.Encode(&b)
	}
	return b.Bytes()
}

// appendFragment writes samples as one moof+mdat starting at segment i's
// decode time, with tfxd for Smooth.
func (t *TextTrack) appendFragment(buf []byte, i int, ss []sample, smooth bool) ([]byte, error) {
	fr, err := mp4.CreateFragment(uint32(i+1), t.TrackID)
	if err != nil {
		return buf, err
	}
	dt := t.Fragments[i].Time
	for _, s := range ss {
		fr.AddFullSample(mp4.FullSample{
			Sample:     mp4.Sample{Flags: mp4.SyncSampleFlags, Dur: uint32(s.dur), Size: uint32(len(s.data))},
			DecodeTime: dt, Data: s.data,
		})
		dt += s.dur
	}
	if smooth {
		_ = fr.Moof.Traf.AddChild(mp4.NewTfxdBox(t.Fragments[i].Time, t.Fragments[i].Duration))
	}
	var b bytes.Buffer
	if err := fr.Encode(&b); err != nil {
		return buf, fmt.Errorf("packager: text segment %d of %s: %w", i, t.File, err)
	}
	return append(buf, b.Bytes()...), nil
}

// bcp47 is the track's language as a BCP 47 tag for TTML xml:lang.
func (t *TextTrack) bcp47() string {
	if t.Language == "und" {
		return ""
	}
	for two, three := range twoLetter {
		if three == t.Language {
			return two
		}
	}
	return t.Language
}

// rescale90k is v of timescale in 90 kHz ticks, rounded to nearest.
func rescale90k(v int64, timescale uint32) int64 {
	x := new(big.Int).Mul(big.NewInt(v), big.NewInt(90000))
	x.Add(x, big.NewInt(int64(timescale/2)))
	return x.Div(x, big.NewInt(int64(timescale))).Int64()
}
