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
