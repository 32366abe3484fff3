package cpix

import "time"

// Document is what a CPIX document says, in clear: keys, signalling, usage
// rules and key periods.
type Document struct {
	// ContentID is CPIX@contentId, the identifier of the presentation.
	ContentID string
	Keys      []ContentKey
	// DRMSystems is the signalling per (system, key).
	DRMSystems []DRMSystem
	// UsageRules say which key protects which tracks.
	UsageRules []UsageRule
	// Periods are the key periods of rotating keys (empty when keys do not
	// rotate).
	Periods []Period
}

// ContentKey is one content key.
type ContentKey struct {
	KID   [16]byte
	Value [16]byte
	// Scheme is @commonEncryptionScheme ("cenc", "cbcs", …) or "".
	Scheme string
}

// DRMSystem is the signalling of one DRM system for one key, each field
// the bytes as they go into their place (decoded from the document's
// base64 where CPIX encodes them).
type DRMSystem struct {
	SystemID [16]byte
	KID      [16]byte
	// PSSH is the complete 'pssh' box for init segments.
	PSSH []byte
	// ContentProtectionData is the DASH ContentProtection XML.
	ContentProtectionData []byte
	// HLSMedia is the key tag text for media playlists (EXT-X-KEY),
	// HLSMaster that for the multivariant playlist (EXT-X-SESSION-KEY;
	// CPIX 2.3 @playlist="master").
	HLSMedia, HLSMaster []byte
	// SmoothHeader is the inner text of the Smooth Streaming manifest's
	// ProtectionHeader element.
	SmoothHeader string
}

// TrackType values of UsageRule.IntendedTrackType that drmorigin writes.
const (
	TrackTypeVideo = "VIDEO"
	TrackTypeAudio = "AUDIO"
)

// UsageRule is a ContentKeyUsageRule: the key KID protects the tracks its
// filters select (a rule without filters selects every track).
type UsageRule struct {
	KID               [16]byte
	IntendedTrackType string
	Video             []VideoFilter
	Audio             []AudioFilter
	// PeriodIDs are the KeyPeriodFilter@periodId references.
	PeriodIDs []string
}

// VideoFilter selects video tracks by pixel count (width × height); a
// zero bound is absent.
type VideoFilter struct {
	MinPixels, MaxPixels int64
}

// AudioFilter selects audio tracks by channel count; a zero bound is
// absent.
type AudioFilter struct {
	MinChannels, MaxChannels int64
}

// Period is a ContentKeyPeriod.
type Period struct {
	ID         string
	Index      int64
	Start, End time.Time
}
