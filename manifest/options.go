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
	// Protection is nil for clear output; otherwise it states the method and,
	// per track, the KID and the DRMs to signal (protection.go).
	Protection *Protection
}
