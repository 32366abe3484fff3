package packager

import (
	"slices"

	"github.com/drmorigin/drmorigin/codec/subtitle"
)

// textSpan is one cue on the composition timeline of its text track.
type textSpan struct {
	start, end int64 // Timescale units, end > start
	cue        *subtitle.Cue
}

// segmentSpan is segment i's interval on the composition timeline:
// [Fragments[i].Time, Fragments[i].Time + Duration).
func (t *TextTrack) segmentSpan(i int) (from, to int64) {
	f := t.Fragments[i]
	return int64(f.Time), int64(f.Time + f.Duration)
}

// cuesIn returns the cues shown at some time of segment i, in file order,
// with their whole intervals on the media timeline where presentation time
// 0 is at shift: a cue that crosses a segment boundary is in both segments
// (the HLS WebVTT form repeats it; players drop the copy).
func (t *TextTrack) cuesIn(i int, shift int64) []textSpan {
	from, to := t.segmentSpan(i)
	var out []textSpan
	for k := range t.Cues {
		c := &t.Cues[k]
		s, e := t.compTime(c.Start, shift), t.compTime(c.End, shift)
		if s < to && e > from && e > s {
			out = append(out, textSpan{start: s, end: e, cue: c})
		}
	}
	return out
}

// textSample is one sample of a split segment: the interval [start, end)
// and the cues shown throughout it (none: a gap).
type textSample struct {
	start, end int64
	cues       []*subtitle.Cue
}

// samplesIn splits segment i into samples at every cue start and end
// inside it, each holding the cues active over its whole interval: the
// form of ISO/IEC 14496-30 WebVTT samples (a cue that crosses a segment
// boundary is split). The samples cover the segment without gaps.
func (t *TextTrack) samplesIn(i int, shift int64) []textSample {
	from, to := t.segmentSpan(i)
	spans := t.cuesIn(i, shift)
	cuts := []int64{from, to}
	for _, s := range spans {
		cuts = append(cuts, max(s.start, from), min(s.end, to))
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var out []textSample
	for k := 0; k+1 < len(cuts); k++ {
		a, b := cuts[k], cuts[k+1]
		smp := textSample{start: a, end: b}
		for _, s := range spans {
			if s.start <= a && s.end >= b {
				smp.cues = append(smp.cues, s.cue)
			}
		}
		out = append(out, smp)
	}
	return out
}
