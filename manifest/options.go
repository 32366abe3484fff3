package manifest

// Options are the per-request choices that change what a builder writes.
type Options struct {
	// URLOptions is written inside the parentheses of every Manifest(...) and
	// Fragments(...) URL the builder writes, after the track part, e.g.
	// "format=mpd-time-csf" or "format=m3u8-cmaf,encryption=cenc"; empty ->
	// nothing. It may hold only letters, digits and "=,_.-".
	URLOptions string
	// CMAF selects the mpd-time-cmaf profile and brands (DASH only).
	CMAF bool
	// Protection is nil for clear output.
	Protection *Protection
}

// Protection is a placeholder for the encryption work: it will carry the
// scheme, KIDs and DRM signalling (ContentProtection, EXT-X-KEY, Smooth
// ProtectionHeader) of a protected output. Builders ignore it for now.
type Protection struct{}
