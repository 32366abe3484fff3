// Package manifest builds HLS, DASH and Smooth Streaming manifests from a
// neutral Presentation value. It does no I/O and knows nothing of HTTP or of
// the packager: the origin converts an indexed asset into a Presentation.
//
// Builders: DASH (dash.go, mpd-time-csf and mpd-time-cmaf), HLSMultivariant
// and HLSMedia (hls.go: m3u8-cmaf, and with Options.HLSFormat the MPEG-2 TS
// formats m3u8-aapl, m3u8-aapl-v4 and m3u8-aapl-v3 of hls_ts.go), Smooth
// (smooth.go). Every URL they write is relative to the manifest's own URL
// and has one of the shapes of docs/spec/urls.md (url.go). Output is
// deterministic: the same Presentation and Options give the same bytes. A
// Presentation that a format cannot express gives an error wrapping
// ErrInvalidPresentation that names the track and field at fault
// (validate.go).
//
// Options.Protection adds the DRM signalling of an encrypted output
// (protection.go): DASH ContentProtection (dash_protection.go), HLS
// EXT-X-KEY and EXT-X-SESSION-KEY (hls_protection.go) and the Smooth
// Protection header (smooth_protection.go), in the exact forms of
// docs/spec/urls.md. The builders write the PSSH boxes, PlayReady objects
// and URLs they are given and never see a key. A method or DRM a format
// cannot carry gives ErrUnsupportedProtection; a malformed Protection
// ErrInvalidProtection.
//
// manifest imports only the standard library and go-dash; it must never
// import packager, crypto, keyclient, origin or anything that does I/O.
package manifest
