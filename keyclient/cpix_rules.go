package keyclient

import (
	"fmt"

	"github.com/drmorigin/drmorigin/drm/cpix"
)

// The seam between a locator's track selection and CPIX usage rules. Both
// directions live here, so that richer selectors (by video height:
// VideoFilter@minPixels/@maxPixels; by audio: AudioFilter) are added in
// one place: UsageRules writes them, TracksFromRules reads them.

// UsageRules returns the ContentKeyUsageRules of a key that selects tracks
// (nil: every track): one rule per track type selector, or one rule
// without filters for a key of every track. A selector by track name has
// no CPIX filter and is left out.
func UsageRules(kid KID, tracks []TrackSelector) []cpix.UsageRule {
	if len(tracks) == 0 {
		return []cpix.UsageRule{{KID: kid}}
	}
	var out []cpix.UsageRule
	for _, t := range tracks {
		switch t.TrackType {
		case "video":
			out = append(out, cpix.UsageRule{KID: kid, IntendedTrackType: cpix.TrackTypeVideo, Video: []cpix.VideoFilter{{}}})
		case "audio":
			out = append(out, cpix.UsageRule{KID: kid, IntendedTrackType: cpix.TrackTypeAudio, Audio: []cpix.AudioFilter{{}}})
		}
	}
	return out
}

// TracksFromRules returns the track selection of key kid from a document's
// usage rules: nil (every track) when no rule names the key or one rule
// without filters does; else a video selector for rules with a
// VideoFilter and an audio one for rules with an AudioFilter. Filters this
// origin cannot apply (by pixels, channels or key period) are refused,
// named, rather than ignored: ignoring one would put the key on tracks the
// license service meant for another.
func TracksFromRules(kid KID, rules []cpix.UsageRule) ([]TrackSelector, error) {
	var out []TrackSelector
	add := func(ts TrackSelector) {
		for _, o := range out {
			if o == ts {
				return
			}
		}
		out = append(out, ts)
	}
	named := false
	for _, r := range rules {
		if KID(r.KID) != kid {
			continue
		}
		named = true
		at := "ContentKeyUsageRule kid " + kid.String()
		if len(r.PeriodIDs) > 0 {
			return nil, fmt.Errorf("%s: KeyPeriodFilter (rotating keys) is not supported", at)
		}
		if len(r.Video) == 0 && len(r.Audio) == 0 {
			return nil, nil // every track
		}
		for _, v := range r.Video {
			if v.MinPixels != 0 || v.MaxPixels != 0 {
				return nil, fmt.Errorf("%s: VideoFilter@minPixels/@maxPixels (keys by resolution) is not supported", at)
			}
			add(TrackSelector{TrackType: "video"})
		}
		for _, a := range r.Audio {
			if a.MinChannels != 0 || a.MaxChannels != 0 {
				return nil, fmt.Errorf("%s: AudioFilter@minChannels/@maxChannels is not supported", at)
			}
			add(TrackSelector{TrackType: "audio"})
		}
	}
	if !named {
		return nil, nil
	}
	return out, nil
}
