package origin

import (
	"strconv"

	"github.com/drmorigin/drmorigin/manifest"
	"github.com/drmorigin/drmorigin/packager"
)

// presentationOf describes an indexed asset for the manifest builders.
func presentationOf(a *packager.Asset) *manifest.Presentation {
	p := &manifest.Presentation{Name: a.ManifestName, Tracks: make([]manifest.Track, 0, len(a.Tracks))}
	for _, t := range a.Tracks {
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
			Segments:         make([]manifest.Segment, len(t.Fragments)),
		}
		if t.Kind == packager.Audio {
			mt.Kind = manifest.Audio
		}
		for i, f := range t.Fragments {
			mt.Segments[i] = manifest.Segment{Time: f.Time, Duration: f.Duration, Size: f.Size}
			mt.Samples += f.Samples
		}
		if t.Kind == packager.Video {
			// Trick play: I-frame streams and trick-mode sets.
			mt.KeyCount, mt.KeyBitrate, mt.KeyPeakBitrate = t.KeyCount, t.KeyBitrate, t.KeyPeakBitrate
		}
		p.Tracks = append(p.Tracks, mt)
	}
	return p
}

func itoa(v int) string { return strconv.Itoa(v) }
