// Package origin is the HTTP side of drmorigin. A Server runs two fasthttp
// listeners. The streaming one answers the URL grammar of urls.md (url.go)
// with manifests, initialization and media segments, clear or encrypted
// on the fly; key delivery under /keys/ (token checks live in
// origin/token); /healthz and /readyz; and, when Config.PlayerDir is set,
// the demo player page under /player/. The management one serves the
// management API under /api/v1/ and /metrics. statusOf (errors.go) is the
// one place where errors become status codes.
//
// origin wires packager, manifest, keyclient and crypto together and takes
// a plain Config; it must never import cmd/drmorigin, cobra or viper.
package origin
