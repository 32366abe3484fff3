package manifest

import "strings"

// Options are the per-request choices that change what a builder writes.
type Options struct {
	// URLOptions is written inside the parentheses of every Manifest(...) and
	// Fragments(...) URL the builder writes, after the track part, e.g.
	// "format=mpd-time-csf" or "format=m3u8-cmaf,encryption=cenc"; empty ->
	// nothing. It may hold only letters, digits and "=,_.-;" (";" separates
	// the names of filter=a;b).
	URLOptions string
	// CMAF selects the mpd-time-cmaf profile and brands (DASH only).
	CMAF bool
	// HLSFormat selects the HLS flavour of HLSMultivariant and HLSMedia: the
	// zero value HLSCMAF (m3u8-cmaf), HLSTSv4 (m3u8-aapl, m3u8-aapl-v4) or
	// HLSTSv3 (m3u8-aapl-v3). DASH and Smooth ignore it.
	HLSFormat HLSFormat
	// Protection is nil for clear output; otherwise it states the method and,
	// per track, the KID and the DRMs to signal (protection.go).
	Protection *Protection
}

// HLSFormat is the flavour of the HLS playlists (hls.go, hls_ts.go).
type HLSFormat int

// HLS formats.
const (
	// HLSCMAF is m3u8-cmaf: EXT-X-VERSION 7, fMP4 segments (.m4s) with an
	// EXT-X-MAP initialization section (.mp4), audio as EXT-X-MEDIA
	// renditions. The zero value.
	HLSCMAF HLSFormat = iota
	// HLSTSv4 is m3u8-aapl and m3u8-aapl-v4: EXT-X-VERSION 4 (5 with
	// KEYFORMAT, i.e. cbcs-aapl), MPEG-2 TS segments (.ts) without
	// EXT-X-MAP, video variants with audio as EXT-X-MEDIA renditions that
	// have TS media playlists of their own.
	HLSTSv4
	// HLSTSv3 is m3u8-aapl-v3: EXT-X-VERSION 3 (5 with KEYFORMAT, i.e.
	// cbcs-aapl), MPEG-2 TS segments (.ts), no EXT-X-MEDIA: the default audio
	// track (the first audio track of the Presentation) is muxed into each
	// video variant's segments, which follow the video track's timeline.
	HLSTSv3
)

// String returns the format= value of f (m3u8-aapl for HLSTSv4).
func (f HLSFormat) String() string {
	switch f {
	case HLSCMAF:
		return "m3u8-cmaf"
	case HLSTSv4:
		return "m3u8-aapl"
	case HLSTSv3:
		return "m3u8-aapl-v3"
	}
	return "hlsformat(" + itoa(int64(f)) + ")"
}

// ParseHLSFormat returns the HLSFormat of a format= value, compared without
// regard to case: m3u8-cmaf, m3u8-aapl, m3u8-aapl-v4 or m3u8-aapl-v3. ok is
// false for any other value (DASH, Smooth or unknown formats).
func ParseHLSFormat(format string) (f HLSFormat, ok bool) {
	switch strings.ToLower(format) {
	case "m3u8-cmaf":
		return HLSCMAF, true
	case "m3u8-aapl", "m3u8-aapl-v4":
		return HLSTSv4, true
	case "m3u8-aapl-v3":
		return HLSTSv3, true
	}
	return 0, false
}

// ts reports whether f has MPEG-2 TS segments.
func (f HLSFormat) ts() bool { return f == HLSTSv4 || f == HLSTSv3 }
