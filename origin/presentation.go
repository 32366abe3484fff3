package origin

import (
	"strconv"

	"github.com/drmorigin/drmorigin/manifest"
	"github.com/drmorigin/drmorigin/packager"
)

// presentationOf describes what view v keeps of an indexed asset for the
// manifest builders: its tracks with their kept fragments. With
// firstVariant (HLS), the video track that firstQuality picks comes before
// the other video tracks, so that its variant is the first
// EXT-X-STREAM-INF; audio keeps its order (the first is the default).
// Each Presentation track's TrackID is that of its source; the caller maps
// them back through v. base is the public base URL (a live presentation's
// UTCTiming is base/time).
func presentationOf(a *packager.Asset, v *assetView, firstVariant bool, base string) *manifest.Presentation {
	p := &manifest.Presentation{Name: a.ManifestName, Tracks: make([]manifest.Track, 0, len(v.tracks))}
	if l := a.Live; l != nil {
		p.Live = &manifest.Live{Start: l.Start, Window: l.Window, TimeURL: base + timePath}
	}
	for _, vt := range v.ordered(firstVariant) {
		t := vt.t
		mt := manifest.Track{
			Name:             t.Name,
			Kind:             manifest.Video,
			TrackID:          t.TrackID,
			Bitrate:          t.Bitrate,
			PeakBitrate:      t.PeakBitrate,
			Codecs:           t.Codecs,
			FourCC:           t.FourCC,
			CodecPrivateData: t.CodecPrivateData,
			Timescale:        t.Timescale,
			Width:            t.Width,
			Height:           t.Height,
			FrameRateNum:     t.FrameRateNum,
			FrameRateDen:     t.FrameRateDen,
			SampleRate:       t.SampleRate,
			Channels:         t.Channels,
			Language:         t.Language,
			Segments:         make([]manifest.Segment, 0, vt.to-vt.from),
			Sequence:         t.Sequence,
		}
		if t.Kind == packager.Audio {
			mt.Kind = manifest.Audio
		}
		if a.Live != nil {
			// A live window cut by a filter keeps every segment's number
			// (HLS EXT-X-MEDIA-SEQUENCE).
			mt.Sequence += uint64(vt.from)
		}
		for _, f := range t.Fragments[vt.from:vt.to] {
			mt.Segments = append(mt.Segments, manifest.Segment{Time: f.Time, Duration: f.Duration, Size: f.Size})
			mt.Samples += f.Samples
		}
		if t.Kind == packager.Video {
			// Trick play: I-frame streams and trick-mode sets.
			mt.KeyCount, mt.KeyBitrate, mt.KeyPeakBitrate = t.KeyCount, t.KeyBitrate, t.KeyPeakBitrate
		}
		p.Tracks = append(p.Tracks, mt)
	}
	for _, t := range a.Texts {
		mt := manifest.TextTrack{Name: t.Name, Bitrate: t.Bitrate, Language: t.Language, Codecs: t.Codecs(),
			Timescale: t.Timescale, Segments: make([]manifest.Segment, len(t.Fragments))}
		for i, f := range t.Fragments {
			mt.Segments[i] = manifest.Segment{Time: f.Time, Duration: f.Duration}
		}
		p.Texts = append(p.Texts, mt)
	}
	return p
}

func itoa(v int) string { return strconv.Itoa(v) }

// ordered returns the kept tracks in asset order or, with firstVariant and
// a firstQuality pick, with the picked video track moved to where the
// first video track is.
func (v *assetView) ordered(firstVariant bool) []viewTrack {
	if !firstVariant || v.first < 0 {
		return v.tracks
	}
	fv := 0
	for v.tracks[fv].t.Kind != packager.Video {
		fv++ // v.first is a video track: there is one
	}
	if fv == v.first {
		return v.tracks
	}
	out := make([]viewTrack, 0, len(v.tracks))
	for i, vt := range v.tracks {
		switch i {
		case fv:
			out = append(out, v.tracks[v.first], vt)
		case v.first:
		default:
			out = append(out, vt)
		}
	}
	return out
}
