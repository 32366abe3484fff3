package manifest

// run is a sequence of contiguous segments of one duration: the DASH
// SegmentTimeline S element and the Smooth c element.
type run struct {
	t uint64 // start time of the first segment
	d uint64 // duration of each segment
	// r is the number of segments after the first (DASH S@r).
	r int
	// explicitT is set on the first run and after a gap, where the start
	// time does not follow from the previous run.
	explicitT bool
}

// runs compresses segments into runs of equal, contiguous durations.
func runs(segs []Segment) []run {
	var out []run
	var end uint64
	for i, s := range segs {
		gap := i == 0 || s.Time != end
		if n := len(out); !gap && out[n-1].d == s.Duration {
			out[n-1].r++
		} else {
			out = append(out, run{t: s.Time, d: s.Duration, explicitT: gap})
		}
		end = s.Time + s.Duration
	}
	return out
}
