package manifest

import (
	"errors"
	"fmt"
)

// ErrInvalidPresentation is returned (wrapped, with the track and the field
// at fault) by every builder when the Presentation cannot be expressed in the
// requested format: no tracks, a zero timescale, a track without segments,
// overlapping segments, a missing codec string and the like.
var ErrInvalidPresentation = errors.New("invalid presentation")

// invalid wraps ErrInvalidPresentation with a message naming what is wrong.
func invalid(format string, args ...any) error {
	return fmt.Errorf("manifest: %s: %w", fmt.Sprintf(format, args...), ErrInvalidPresentation)
}

// ErrInvalidProtection is returned (wrapped, naming the track and field) by
// every builder when Options.Protection is malformed: no or an unknown
// Method, a Tracks list that is not parallel to Presentation.Tracks, an
// unknown SystemKind, a PSSH or PRO that is not one, or a URL that cannot
// be written into a quoted attribute.
var ErrInvalidProtection = errors.New("invalid protection")

// ErrUnsupportedProtection is returned (wrapped) when Options.Protection
// asks a format for what it cannot carry: cbc or cbcs-aapl in DASH,
// anything but cenc in Smooth, FairPlay with cenc in HLS, a system without
// the data its signalling needs (Widevine without PSSH, PlayReady without
// PRO, FairPlay without an skd:// URI), no DRM the format can signal,
// tracks that share an AdaptationSet (StreamIndex) with different keys, or,
// in the HLS TS formats (hls_ts.go), a method other than cbc and cbcs-aapl,
// a track without per-segment IVs, cbcs-aapl with non-H.264 video, and
// cbcs-aapl in m3u8-aapl-v3 with a default audio key other than the video's.
var ErrUnsupportedProtection = errors.New("protection not supported by the format")

// badProtection wraps ErrInvalidProtection.
func badProtection(format string, args ...any) error {
	return fmt.Errorf("manifest: %s: %w", fmt.Sprintf(format, args...), ErrInvalidProtection)
}

// unsupported wraps ErrUnsupportedProtection.
func unsupported(format string, args ...any) error {
	return fmt.Errorf("manifest: %s: %w", fmt.Sprintf(format, args...), ErrUnsupportedProtection)
}

// ErrNoMediaPlaylist is returned (wrapped, naming the track) by HLSMedia for
// a track that the format's multivariant playlist does not reference: an
// audio track in m3u8-aapl-v3 when the presentation has video (its audio is
// muxed into the video variants). The origin answers such a request as an
// unknown track (404).
var ErrNoMediaPlaylist = errors.New("no media playlist for the track in this format")

// noMediaPlaylist wraps ErrNoMediaPlaylist.
func noMediaPlaylist(format string, args ...any) error {
	return fmt.Errorf("manifest: %s: %w", fmt.Sprintf(format, args...), ErrNoMediaPlaylist)
}
