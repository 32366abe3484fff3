// Package origin is the HTTP side of drmorigin: the fasthttp streaming
// listener (URL grammar, manifests, segments, health), key delivery and the
// management API, and the one place where errors become status codes.
package origin
