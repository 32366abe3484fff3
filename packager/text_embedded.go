package packager

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/drmorigin/drmorigin/codec/subtitle"
)

// embeddedText reads the cues of a fragmented MP4 file holding one text
// track: wvtt (ISO/IEC 14496-30 WebVTT samples: each vttc a cue for the
// sample's time span, a cue continued over samples joined again) or stpp
// (each sample a TTML document on the track's media timeline). The cues'
// times are the track's media times: in an fMP4 asset a text track's media
// time is the video's presentation time (players apply the video's edit
// list), which is what a side file's times are. ok is false when b is not such a file (not an error: the
// file is then what the caller took it for).
func embeddedText(b []byte) (cues []subtitle.Cue, src TextSource, lang string, ok bool, err error) {
	defer func() {
		if r := recover(); r != nil { // mp4ff on hostile bytes
			ok, err = true, fmt.Errorf("malformed MP4: %v", r)
		}
	}()
	f, derr := mp4.DecodeFile(bytes.NewReader(b))
	if derr != nil || f.Moov == nil || len(f.Moov.Traks) != 1 || f.Moov.Mvex == nil {
		return nil, 0, "", false, nil
	}
	trak := f.Moov.Trak
	if trak.Mdia == nil || trak.Mdia.Minf == nil || trak.Mdia.Minf.Stbl == nil || trak.Mdia.Minf.Stbl.Stsd == nil ||
		len(trak.Mdia.Minf.Stbl.Stsd.Children) == 0 || trak.Mdia.Mdhd == nil || trak.Mdia.Mdhd.Timescale == 0 {
		return nil, 0, "", false, nil
	}
	switch trak.Mdia.Minf.Stbl.Stsd.Children[0].Type() {
	case "wvtt":
		src = WebVTT
	case "stpp":
		src = TTML
	default:
		return nil, 0, "", false, nil
	}
	lang = trak.Mdia.Mdhd.GetLanguage()
	if trak.Mdia.Elng != nil {
		lang = trak.Mdia.Elng.Language
	}
	ts := trak.Mdia.Mdhd.Timescale
	at := func(m uint64) time.Duration {
		return time.Duration(m) * time.Second / time.Duration(ts)
	}
	var trex *mp4.TrexBox
	if len(f.Moov.Mvex.Trexs) > 0 {
		trex = f.Moov.Mvex.Trexs[0]
	}
	for _, seg := range f.Segments {
		for _, fr := range seg.Fragments {
			ss, gerr := fr.GetFullSamples(trex)
			if gerr != nil {
				return cues, src, lang, true, fmt.Errorf("fragment at %d: %w", fr.Moof.StartPos, gerr)
			}
			for _, s := range ss {
				start, end := at(s.DecodeTime), at(s.DecodeTime+uint64(s.Dur))
				if src == TTML {
					doc, perr := subtitle.ParseTTML(s.Data)
					for _, c := range doc { // on the media timeline already
						cues = appendJoined(cues, c)
					}
					if perr != nil && err == nil {
						err = fmt.Errorf("sample at %d: %w", s.DecodeTime, perr)
					}
					continue
				}
				cues = appendVTTSample(cues, s.Data, start, end)
			}
		}
	}
	if len(cues) > subtitle.MaxCues {
		cues = cues[:subtitle.MaxCues]
	}
	return cues, src, lang, true, err
}

// appendVTTSample adds the cues of one wvtt sample shown from start to end;
// a cue the previous sample ended with, same text and settings, goes on.
func appendVTTSample(cues []subtitle.Cue, data []byte, start, end time.Duration) []subtitle.Cue {
	r := bytes.NewReader(data)
	for pos := uint64(0); r.Len() > 0; {
		box, err := mp4.DecodeBox(pos, r)
		if err != nil {
			return cues
		}
		pos += box.Size()
		vttc, ok := box.(*mp4.VttcBox)
		if !ok || vttc.Payl == nil || end <= start {
			continue
		}
		c := subtitle.Cue{Start: start, End: end, Text: strings.TrimRight(vttc.Payl.CueText, "\n")}
		if vttc.Sttg != nil {
			c.Settings = vttc.Sttg.Settings
		}
		if vttc.Iden != nil {
			c.ID = vttc.Iden.CueID
		}
		cues = appendJoined(cues, c)
	}
	return cues
}

// appendJoined appends c, or extends a recent cue that ends where c starts
// with the same text, settings and identifier: a cue that a segment or
// sample boundary split is one cue again. Only the last few cues are
// looked at (a sample holds a handful).
func appendJoined(cues []subtitle.Cue, c subtitle.Cue) []subtitle.Cue {
	from := max(0, len(cues)-8)
	if i := slices.IndexFunc(cues[from:], func(p subtitle.Cue) bool {
		return p.End == c.Start && p.Text == c.Text && p.Settings == c.Settings && p.ID == c.ID
	}); i >= 0 {
		cues[from+i].End = c.End
		return cues
	}
	return append(cues, c)
}
