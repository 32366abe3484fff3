// Package manifest builds HLS, DASH and Smooth Streaming manifests from a
// neutral Presentation value. It does no I/O and knows nothing of HTTP or of
// the packager: the origin converts an indexed asset into a Presentation.
package manifest
