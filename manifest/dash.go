package manifest

import (
	"bytes"
	"fmt"

	"github.com/zencoder/go-dash/v3/mpd"
)

// DASH profiles written in MPD@profiles.
const (
	dashProfileLive = "urn:mpeg:dash:profile:isoff-live:2011"
	dashProfileCMAF = "urn:mpeg:dash:profile:cmaf:2019"
	// cmafBrand is the CMAF structural brand stated as
	// AdaptationSet@segmentProfiles on mpd-time-cmaf.
	cmafBrand = "cmfc"
	// schemeRole and schemeChannels are DASH descriptor schemes.
	schemeRole     = "urn:mpeg:dash:role:2011"
	schemeChannels = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
)

// DASH returns the static isoff-live MPD of p: one AdaptationSet per video
// track Name and per audio (Name, Language), each with a $Time$
// SegmentTemplate and SegmentTimeline. That is mpd-time-csf; with o.CMAF it
// is mpd-time-cmaf, where MPD@profiles adds the CMAF profile and each
// AdaptationSet states the CMAF brand "cmfc" as @segmentProfiles. Its
// content type is application/dash+xml.
//
// The MPD is built from go-dash's types, which express everything written
// here (SegmentTimeline S@t/@d/@r included), and marshalled with
// encoding/xml, so the output is deterministic.
//
//	MPD (static, mediaPresentationDuration, minBufferTime)
//	└── Period id="0"
//	    └── AdaptationSet (contentType, lang, Role main on the first audio)
//	        ├── ContentProtection … (encrypted: dash_protection.go)
//	        ├── SegmentTemplate (timescale, initialization, media)
//	        │   └── SegmentTimeline / S t d r
//	        └── Representation (id, bandwidth, codecs, ...)
//
// When renditions of one AdaptationSet have different timelines, each
// Representation gets a SegmentTemplate of its own instead. Video sets
// whose key samples are known get a trick-mode set each, after the main
// sets (dash_trick.go).
func DASH(p *Presentation, o Options) ([]byte, error) {
	p = aligned(p)
	if err := validate(p, o); err != nil {
		return nil, err
	}
	if err := dashCheckMethod(o); err != nil {
		return nil, err
	}
	// The presentation runs from the earliest start to the latest end; each
	// track's presentationTimeOffset maps the earliest start to period time 0.
	sNum, sDen, eNum, eDen := span(p)
	profiles := dashProfileLive
	if o.CMAF {
		profiles += "," + dashProfileCMAF
	}
	maxSeg, maxSegTS := longestSegment(p)
	m := &mpd.MPD{
		XMLNs:                     ptr("urn:mpeg:dash:schema:mpd:2011"),
		Profiles:                  ptr(profiles),
		Type:                      ptr("static"),
		MediaPresentationDuration: ptr(spanDuration(sNum, sDen, eNum, eDen)),
		MinBufferTime:             ptr(xsDuration(maxSeg, maxSegTS)),
	}
	period := &mpd.Period{ID: "0"}
	if l := p.Live; l != nil {
		dashLive(m, period, p, l, eNum, eDen)
		// Period time 0 is media time 0 (availabilityStartTime's), not
		// the window's start: no presentationTimeOffset.
		sNum, sDen = 0, 1
	}
	m.Periods = []*mpd.Period{period}
	firstAudio := true
	gs, splitFrom := dashGroups(p, o)
	var tricks []*mpd.AdaptationSet
	for i, g := range gs {
		as := dashAdaptationSet(g, i+1, o, sNum, sDen)
		cps, err := dashContentProtection(p, g, o)
		if err != nil {
			return nil, err
		}
		for _, cp := range cps {
			as.ContentProtection = append(as.ContentProtection, cp)
		}
		if g.kind == Audio && firstAudio {
			as.Roles = []*mpd.Role{{SchemeIDURI: ptr(schemeRole), Value: ptr("main")}}
			firstAudio = false
		}
		period.AdaptationSets = append(period.AdaptationSets, as)
		if ts := dashTrickSet(g, len(gs)+len(tricks)+1, *as.ID, o, sNum, sDen, as.ContentProtection); ts != nil {
			tricks = append(tricks, ts)
		}
	}
	dashSwitching(period.AdaptationSets, splitFrom)
	period.AdaptationSets = append(period.AdaptationSets, tricks...)
	period.AdaptationSets = append(period.AdaptationSets, dashTextSets(p, len(gs)+len(tricks)+1, o, sNum, sDen)...) // dash_text.go

	var b bytes.Buffer
	if err := m.Write(&b); err != nil {
		return nil, fmt.Errorf("manifest: dash %s: %w", p.Name, err)
	}
	if o.Protection != nil {
		out, ok := dashDeclareNamespaces(b.Bytes())
		if !ok {
			return nil, fmt.Errorf("manifest: dash %s: no MPD root to declare the protection namespaces on", p.Name)
		}
		return out, nil
	}
	return b.Bytes(), nil
}

// dashLive makes m dynamic (spec/live.md, "DASH"): availabilityStartTime
// fixed for the event, publishTime the wall clock of the newest segment's
// end (the same on every replica for the same window), minimumUpdatePeriod
// the shortest segment, timeShiftBufferDepth the window, and UTCTiming.
func dashLive(m *mpd.MPD, period *mpd.Period, p *Presentation, l *Live, eNum uint64, eDen uint32) {
	m.Type = ptr("dynamic")
	m.MediaPresentationDuration = nil
	m.AvailabilityStartTime = ptr(xsDateTime(l.Start))
	m.PublishTime = ptr(xsDateTime(l.at(eNum, eDen)))
	d, ts := shortestSegment(p)
	m.MinimumUpdatePeriod = ptr(xsDuration(rescaleFloor(d, ts, 1000), 1000))
	m.TimeShiftBufferDepth = ptr(msDuration(l.Window))
	start := mpd.Duration(0)
	period.Start = &start
	if l.TimeURL != "" {
		m.UTCTiming = &mpd.DescriptorType{SchemeIDURI: ptr("urn:mpeg:dash:utc:http-iso:2014"), Value: ptr(l.TimeURL)}
	}
}

// longestSegment returns the longest segment duration of p, in the
// timescale of its track (for minBufferTime).
func longestSegment(p *Presentation) (d uint64, timescale uint32) {
	timescale = 1
	for i := range p.Tracks {
		t := &p.Tracks[i]
		for _, s := range t.Segments {
			if less(d, timescale, s.Duration, t.Timescale) {
				d, timescale = s.Duration, t.Timescale
			}
		}
	}
	return d, timescale
}

// dashAdaptationSet describes one group of tracks. The SegmentTemplate is
// shared when the tracks share a timeline, else each Representation has its
// own.
func dashAdaptationSet(g *group, id int, o Options, sNum uint64, sDen uint32) *mpd.AdaptationSet {
	as := &mpd.AdaptationSet{
		ID:               ptr(itoa(int64(id))),
		ContentType:      ptr(g.kind.String()),
		SegmentAlignment: ptr(true),
	}
	as.StartWithSAP = ptr(int64(1))
	if o.CMAF {
		as.SegmentProfiles = ptr(cmafBrand)
	}
	if g.kind == Video {
		as.MimeType = ptr("video/mp4")
		maxW, maxH := 0, 0
		for _, t := range g.tracks {
			maxW, maxH = max(maxW, t.Width), max(maxH, t.Height)
		}
		as.MaxWidth = ptr(itoa(int64(maxW)))
		as.MaxHeight = ptr(itoa(int64(maxH)))
	} else {
		as.MimeType = ptr("audio/mp4")
		if g.lang != "" {
			as.Lang = ptr(g.lang)
		}
	}
	shared := g.sharedTimeline()
	if shared {
		as.SegmentTemplate = dashTemplate(g.tracks[0], o, sNum, sDen)
	}
	for _, t := range g.tracks {
		r := dashRepresentation(t)
		if !shared {
			r.SegmentTemplate = dashTemplate(t, o, sNum, sDen)
		}
		as.Representations = append(as.Representations, r)
	}
	return as
}

func ptr[T any](v T) *T { return &v }

// dashRepresentation describes one track.
func dashRepresentation(t *Track) *mpd.Representation {
	r := &mpd.Representation{
		ID:        ptr(representationID(t)),
		Bandwidth: ptr(int64(t.Bitrate)),
		Codecs:    ptr(t.Codecs),
	}
	if t.Kind == Video {
		r.Width = ptr(int64(t.Width))
		r.Height = ptr(int64(t.Height))
		if fr := dashFrameRate(t.FrameRateNum, t.FrameRateDen); fr != "" {
			r.FrameRate = ptr(fr)
		}
		r.Sar = ptr("1:1")
	} else {
		r.AudioSamplingRate = ptr(int64(t.SampleRate))
		r.AudioChannelConfiguration = &mpd.AudioChannelConfiguration{
			SchemeIDURI: ptr(schemeChannels),
			Value:       ptr(itoa(int64(t.Channels))),
		}
	}
	return r
}

// representationID is "{name}_{bitrate}", unique because validate refuses
// two tracks with the same name and bitrate; e.g. "video_640000".
func representationID(t *Track) string {
	return t.Name + "_" + itoa(int64(t.Bitrate))
}

// dashTemplate is t's SegmentTemplate with its SegmentTimeline. The
// presentationTimeOffset maps the presentation's earliest start (sNum/sDen
// seconds) to period time 0; it is left out when 0. There is no
// startNumber: with $Time$ addressing it means nothing, and ffmpeg 5.1
// skips the first segment when it is present.
func dashTemplate(t *Track, o Options, sNum uint64, sDen uint32) *mpd.SegmentTemplate {
	st := &mpd.SegmentTemplate{
		Timescale:      ptr(int64(t.Timescale)),
		Initialization: ptr("QualityLevels($Bandwidth$)/Fragments(" + t.Name + "=i" + o.opts() + ")"),
		Media:          ptr("QualityLevels($Bandwidth$)/Fragments(" + t.Name + "=$Time$" + o.opts() + ")"),
	}
	if pto := rescaleFloor(sNum, sDen, t.Timescale); pto != 0 {
		st.PresentationTimeOffset = &pto
	}
	st.SegmentTimeline = &mpd.SegmentTimeline{}
	for _, rn := range runs(t.Segments) {
		s := &mpd.SegmentTimelineSegment{Duration: rn.d}
		if rn.explicitT {
			tt := rn.t
			s.StartTime = &tt
		}
		if rn.r > 0 {
			r := rn.r
			s.RepeatCount = &r
		}
		st.SegmentTimeline.Segments = append(st.SegmentTimeline.Segments, s)
	}
	return st
}
