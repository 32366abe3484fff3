package manifest

import (
	"time"
)

// Live makes a Presentation a live one (spec/live.md, "Serving live"): the
// manifests describe the archive window, and players come back for more.
// Nil for VOD; an ended live output is VOD.
type Live struct {
	// Start is the wall clock of media time 0 of every track: DASH
	// availabilityStartTime, and the origin of HLS PROGRAM-DATE-TIME. It is
	// fixed for the event.
	Start time.Time
	// Window is the archive window: DASH timeShiftBufferDepth, Smooth
	// DVRWindowLength.
	Window time.Duration
	// TimeURL is the UTCTiming http-iso source that DASH states (the
	// origin's GET /time), absolute; empty leaves UTCTiming out.
	TimeURL string
}

// xsDateTime formats t as an xs:dateTime in UTC with milliseconds,
// ending in Z: "2026-12-07T10:00:00.000Z".
func xsDateTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// at is the wall clock of media time v of a track of timescale ts.
func (l *Live) at(v uint64, ts uint32) time.Time {
	sec := v / uint64(ts)
	frac := v % uint64(ts)
	return l.Start.Add(time.Duration(sec)*time.Second + time.Duration(frac*uint64(time.Second)/uint64(ts)))
}

// shortestSegment returns the shortest segment duration of p, in the
// timescale of its track.
func shortestSegment(p *Presentation) (d uint64, timescale uint32) {
	for i := range p.Tracks {
		t := &p.Tracks[i]
		for _, s := range t.Segments {
			if s.Duration > 0 && (timescale == 0 || less(s.Duration, t.Timescale, d, timescale)) {
				d, timescale = s.Duration, t.Timescale
			}
		}
	}
	if timescale == 0 {
		return 0, 1
	}
	return d, timescale
}

// ShortestSegment is the shortest segment of p: a live manifest may be
// cached for half of it (spec/live.md).
func ShortestSegment(p *Presentation) time.Duration {
	d, ts := shortestSegment(p)
	return time.Duration(rescaleFloor(d, ts, 1000)) * time.Millisecond
}

// msDuration formats d, rounded down to milliseconds, as an xs:duration.
func msDuration(d time.Duration) string {
	return xsDuration(uint64(d/time.Millisecond), 1000)
}

// aligned returns p with each group's tracks cut to the segments that all
// of them have, when p is live: the renditions of one encoder arrive one
// after the other, so for a moment one has a segment the others do not
// (or still has one they dropped). A shared timeline lets DASH share one
// SegmentTemplate and is what Smooth requires. p itself is not changed.
func aligned(p *Presentation) *Presentation {
	if p == nil || p.Live == nil {
		return p
	}
	cp := *p
	cp.Tracks = append([]Track(nil), p.Tracks...)
	for _, g := range groups(&cp) {
		if len(g.tracks) < 2 || g.sharedTimeline() {
			continue
		}
		in := func(t *Track, v uint64) bool {
			lo, hi := 0, len(t.Segments)
			for lo < hi {
				m := (lo + hi) / 2
				if t.Segments[m].Time < v {
					lo = m + 1
				} else {
					hi = m
				}
			}
			return lo < len(t.Segments) && t.Segments[lo].Time == v
		}
		for _, t := range g.tracks {
			var keep []Segment
			for _, s := range t.Segments {
				all := true
				for _, o := range g.tracks {
					if o != t && !in(o, s.Time) {
						all = false
						break
					}
				}
				if all {
					keep = append(keep, s)
				} else if len(keep) == 0 {
					t.Sequence = t.Sequence + 1
				}
			}
			t.Segments = keep
		}
	}
	return &cp
}
