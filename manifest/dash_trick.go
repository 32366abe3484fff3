package manifest

import (
	"math"

	"github.com/zencoder/go-dash/v3/mpd"
)

// DASH trick mode (players.md "Trick play", DASH-IF IOP 3.2.9): after the
// main sets, each video AdaptationSet whose tracks' key samples are known
// gets a trick-mode AdaptationSet:
//
//	AdaptationSet id=<n> (video, as the main set)
//	├── EssentialProperty schemeIdUri="http://dashif.org/guidelines/trickmode" value=<main set's id>
//	├── ContentProtection … exactly the main set's
//	└── Representation id="{name}_{bitrate}_trick" bandwidth=<key samples' rate> maxPlayoutRate=<samples per key sample>
//	    └── SegmentTemplate initialization = the main representation's init segment,
//	        media = QualityLevels({bitrate})/KeyFrames({track}=$Time$…), the main timeline
//
// Each trick segment holds the key samples of the main segment at the
// same time, and only those, each lasting until the next (packager
// CMAFKeyFrames): the same timeline, the same init segment, the same
// encryption. The URLs name the main track's bitrate literally, since
// $Bandwidth$ would be the trick representation's.

// schemeTrickMode is the DASH-IF trick-mode descriptor scheme.
const schemeTrickMode = "http://dashif.org/guidelines/trickmode"

// dashTrickSet returns the trick-mode AdaptationSet of video group g, whose
// main set has id mainID, or nil when none of its tracks has key samples.
func dashTrickSet(g *group, id int, mainID string, o Options, sNum uint64, sDen uint32, cps []mpd.ContentProtectioner) *mpd.AdaptationSet {
	var tracks []*Track
	for _, t := range g.tracks {
		if hasIFrames(t) {
			tracks = append(tracks, t)
		}
	}
	if g.kind != Video || len(tracks) == 0 {
		return nil
	}
	as := dashAdaptationSet(&group{kind: Video, name: g.name, tracks: tracks}, id, o, sNum, sDen)
	as.SegmentTemplate = nil
	as.EssentialProperty = []mpd.DescriptorType{{SchemeIDURI: ptr(schemeTrickMode), Value: ptr(mainID)}}
	as.ContentProtection = append(as.ContentProtection, cps...)
	as.Representations = nil
	for _, t := range tracks {
		r := dashRepresentation(t)
		r.ID = ptr(representationID(t) + "_trick")
		bw := t.KeyBitrate
		if bw <= 0 {
			bw = t.Bitrate
		}
		r.Bandwidth = ptr(int64(bw))
		r.FrameRate = nil
		r.MaxPlayoutRate = ptr(itoa(maxPlayoutRate(t)))
		st := dashTemplate(t, o, sNum, sDen)
		st.Initialization = ptr(qualityLevels(t) + "Fragments(" + t.Name + "=i" + o.opts() + ")")
		st.Media = ptr(keyFramesURL(t, "$Time$", o))
		r.SegmentTemplate = st
		as.Representations = append(as.Representations, r)
	}
	return as
}

// maxPlayoutRate is the samples per key sample, rounded, at least 1: played
// at that rate, the trick set shows as many frames per second as the main.
func maxPlayoutRate(t *Track) int64 {
	if t.KeyCount <= 0 || t.Samples <= t.KeyCount {
		return 1
	}
	return int64(math.Round(float64(t.Samples) / float64(t.KeyCount)))
}
