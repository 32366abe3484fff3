package manifest

import "github.com/zencoder/go-dash/v3/mpd"

// dashTextSets returns one text AdaptationSet per text track of p, with
// ids after the media sets': contentType text, mimeType application/mp4,
// lang in its shortest BCP 47 form, Role subtitle, a $Time$ SegmentTemplate
// on the video's timeline (the same presentationTimeOffset as the media
// sets, so cue times line up with the frames they belong to), and never
// ContentProtection.
func dashTextSets(p *Presentation, firstID int, o Options, sNum uint64, sDen uint32) []*mpd.AdaptationSet {
	var out []*mpd.AdaptationSet
	for i := range p.Texts {
		t := &p.Texts[i]
		tr := t.asTrack()
		as := &mpd.AdaptationSet{
			ID:               ptr(itoa(int64(firstID + i))),
			ContentType:      ptr("text"),
			SegmentAlignment: ptr(true),
			Roles:            []*mpd.Role{{SchemeIDURI: ptr(schemeRole), Value: ptr("subtitle")}},
			SegmentTemplate:  dashTemplate(tr, o, sNum, sDen),
		}
		as.MimeType = ptr("application/mp4")
		if t.Language != "und" {
			as.Lang = ptr(bcp47(t.Language))
		}
		if o.CMAF {
			as.SegmentProfiles = ptr(cmafBrand)
		}
		as.StartWithSAP = ptr(int64(1))
		as.Representations = []*mpd.Representation{{
			ID:        ptr(representationID(tr)),
			Bandwidth: ptr(int64(t.Bitrate)),
			Codecs:    ptr(t.Codecs),
		}}
		out = append(out, as)
	}
	return out
}
