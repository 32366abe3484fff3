// Package origin is the HTTP side of drmorigin. A Server runs two fasthttp
// listeners. The streaming one answers the URL grammar of urls.md (url.go)
// with manifests, initialization and media segments, clear or encrypted
// on the fly; key delivery under /keys/ (token checks live in
// origin/token); /healthz and /readyz; and, when Config.PlayerDir is set,
// the demo player page under /player/. The management one serves the
// management API under /api/v1/ and /metrics. statusOf (errors.go) is the
// one place where errors become status codes.
//
// Every request ends in Server.finish: its metrics (metrics.go: requests,
// latency, bytes, with label sets resolved once, so that a segment request
// allocates nothing for them) and, on the streaming listener, its access
// log line (log_access.go). fasthttp logs through fasthttpLogger
// (log_fasthttp.go), which never prints a request's bytes; management
// changes get an audit line (log_audit.go), refused keys a line with their
// reason (handler_key.go). No log line carries a token, a key or a query.
//
// The streaming listener's connections are lineConns (requestline.go):
// they measure the request line for its 414, read a keep-alive request's
// first bytes ahead in one system call (conn_readahead.go), give the
// socket the deadlines fasthttp asks for only when an operation needs them
// (conn_deadline.go), and wait for their next request in turns, served in
// arrival order rather than the Go poller's newest-first batches
// (conn_turns_linux.go).
//
// origin wires packager, manifest, keyclient and crypto together and takes
// a plain Config; it must never import cmd/drmorigin, cobra or viper.
package origin
