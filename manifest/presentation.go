package manifest

// Presentation is everything a manifest builder needs to know about one
// asset, independent of where it came from. The origin fills it from the
// packager's index; tests fill it by hand.
type Presentation struct {
	// Name is the {name} of the streaming URLs (server manifest base name or
	// asset directory name). Builders do not write it: every URL they write is
	// relative to the manifest's own URL.
	Name string
	// Tracks in server-manifest order (video first is not assumed).
	Tracks []Track
	// Live, when set, makes the manifests those of a live presentation
	// (live.go): dynamic DASH, HLS without EXT-X-ENDLIST, live Smooth.
	Live *Live
	// Texts are the subtitle tracks (text.go), in server-manifest order;
	// never encrypted.
	Texts []TextTrack
}

// Kind is a track's media type.
type Kind int

// Track kinds.
const (
	Video Kind = iota
	Audio
)

func (k Kind) String() string {
	if k == Audio {
		return "audio"
	}
	return "video"
}

// Track is one track file of the asset, as the manifests describe it.
type Track struct {
	// Name is the URL track name: "video", "audio", "audio_eng" or the .ism
	// trackName. Video renditions share a name and differ by Bitrate.
	Name string
	Kind Kind
	// TrackID is the track_ID of the source track file.
	TrackID uint32
	// Bitrate is the QualityLevels({bitrate}) value, in bits per second: the
	// .ism systemBitrate, else the average bitrate measured from the file.
	// It is unique among the tracks that share a Name.
	Bitrate int
	// PeakBitrate is the highest bitrate of any one segment (bits/s), as HLS
	// BANDWIDTH wants it.
	PeakBitrate int
	// Codecs is the RFC 6381 codecs string, e.g. "avc1.64001f", "mp4a.40.2".
	Codecs string
	// FourCC is the Smooth Streaming FourCC: "H264", "HEVC", "AACL", ...
	FourCC string
	// CodecPrivateData is the Smooth Streaming CodecPrivateData, upper-case
	// hex: Annex B parameter sets for video, AudioSpecificConfig for AAC.
	CodecPrivateData string
	// Timescale of the track: every Segment time and duration is in it.
	Timescale uint32
	// Video only.
	Width, Height int
	// FrameRateNum/FrameRateDen is the exact frame rate (e.g. 30000/1001).
	FrameRateNum, FrameRateDen int
	// Audio only.
	SampleRate, Channels int
	// Language as ISO 639-2/T (three letters) or "und".
	Language string
	// Trick play (video only; hls_iframes.go, dash_trick.go). KeyCount is
	// the number of key samples (each fragment's first sample and every
	// sync sample); 0 means unknown, and the track then gets no I-frame
	// stream and no trick-mode set. KeyBitrate and KeyPeakBitrate are the
	// average and the highest per-segment bitrate of those samples alone;
	// Samples is the number of samples, for maxPlayoutRate.
	KeyCount, Samples          int
	KeyBitrate, KeyPeakBitrate int
	// Segments in decode order, one per source fragment.
	Segments []Segment
	// Sequence is the media sequence number of Segments[0]: for a live
	// track, the segments that left its window since it began.
	Sequence uint64
}

// Segment is one media segment of a track: a source fragment.
type Segment struct {
	// Time is the decode time of the segment's first sample (the fragment's
	// tfdt), in the track's timescale.
	Time uint64
	// Duration is the sum of the segment's sample durations.
	Duration uint64
	// Size is the segment's byte size in the source (moof+mdat), for
	// bitrate figures.
	Size int64
}

// Duration returns the track's total duration in its timescale, from the
// start of its first segment to the end of its last.
func (t *Track) Duration() uint64 {
	if len(t.Segments) == 0 {
		return 0
	}
	first, last := t.Segments[0], t.Segments[len(t.Segments)-1]
	return last.Time + last.Duration - first.Time
}
