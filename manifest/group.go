package manifest

// group is a set of tracks that one DASH AdaptationSet or one Smooth
// StreamIndex describes: video tracks that share a Name, or audio tracks that
// share a Name and a Language. Groups and their tracks keep the
// Presentation's order.
type group struct {
	kind   Kind
	name   string
	lang   string
	tracks []*Track
}

// groups splits p's tracks into groups, in order of first appearance.
func groups(p *Presentation) []*group {
	var gs []*group
	for i := range p.Tracks {
		t := &p.Tracks[i]
		var g *group
		for _, c := range gs {
			if c.kind == t.Kind && c.name == t.Name && (t.Kind == Video || c.lang == t.Language) {
				g = c
				break
			}
		}
		if g == nil {
			g = &group{kind: t.Kind, name: t.Name, lang: t.Language}
			gs = append(gs, g)
		}
		g.tracks = append(g.tracks, t)
	}
	return gs
}

// sharedTimeline reports whether all tracks of g have the same timeline.
func (g *group) sharedTimeline() bool {
	for _, t := range g.tracks[1:] {
		if !sameTimeline(g.tracks[0], t) {
			return false
		}
	}
	return true
}

// span returns the earliest start and the latest end of p's tracks, in
// seconds as exact fractions: start = sNum/sDen, end = eNum/eDen.
func span(p *Presentation) (sNum uint64, sDen uint32, eNum uint64, eDen uint32) {
	for i := range p.Tracks {
		t := &p.Tracks[i]
		first, last := t.Segments[0], t.Segments[len(t.Segments)-1]
		if i == 0 || less(first.Time, t.Timescale, sNum, sDen) {
			sNum, sDen = first.Time, t.Timescale
		}
		if end := last.Time + last.Duration; i == 0 || less(eNum, eDen, end, t.Timescale) {
			eNum, eDen = end, t.Timescale
		}
	}
	return sNum, sDen, eNum, eDen
}
