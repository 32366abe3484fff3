package manifest

import (
	"strings"

	"github.com/zencoder/go-dash/v3/mpd"
)

// schemeSwitching is the DASH descriptor (ISO/IEC 23009-1 5.3.3.5, DASH-IF
// IOP) that lets a player switch seamlessly between Adaptation Sets; its
// value lists the ids of the sets it may switch to.
const schemeSwitching = "urn:mpeg:dash:adaptation-set-switching:2016"

// dashGroups is groups(p) with each group split where its tracks have
// different keys or DRM signalling (usage rules: SD and HD video under
// separate keys): one AdaptationSet carries one cenc:default_KID, so each
// key gets its own, in order of first appearance. Clear output, and
// groups under one key, are as groups(p) gives them.
func dashGroups(p *Presentation, o Options) (gs []*group, splitFrom []int) {
	for gi, g := range groups(p) {
		if o.Protection == nil {
			gs, splitFrom = append(gs, g), append(splitFrom, gi)
			continue
		}
		var parts []*group
		for _, t := range g.tracks {
			tp := o.trackProtection(trackIndex(p, t))
			var into *group
			for _, part := range parts {
				if sameSignalling(o.trackProtection(trackIndex(p, part.tracks[0])), tp) {
					into = part
					break
				}
			}
			if into == nil {
				into = &group{kind: g.kind, name: g.name, lang: g.lang}
				parts = append(parts, into)
			}
			into.tracks = append(into.tracks, t)
		}
		for _, part := range parts {
			gs, splitFrom = append(gs, part), append(splitFrom, gi)
		}
	}
	return gs, splitFrom
}

// dashSwitching links the video AdaptationSets split from one group
// (splitFrom[i] is the group set i came from) with the switching
// descriptor, so that players adapt across the key tiers as they would
// within one set. Audio sets of one language under different keys are
// linked the same way.
func dashSwitching(sets []*mpd.AdaptationSet, splitFrom []int) {
	for i, as := range sets {
		var others []string
		for j, bs := range sets {
			if j != i && splitFrom[j] == splitFrom[i] {
				others = append(others, *bs.ID)
			}
		}
		if len(others) > 0 {
			as.SupplementalProperty = append(as.SupplementalProperty, mpd.DescriptorType{
				SchemeIDURI: ptr(schemeSwitching), Value: ptr(strings.Join(others, ","))})
		}
	}
}
