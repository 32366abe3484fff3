package origin

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/live"
)

// The ingest listener (live.md, "Ingest"): encoders POST their feeds to
//
//	/{event}/{accessToken}/ingest.isml/Streams({stream})
//
// one long chunked POST per stream (Smooth / fragmented-MP4 ingest), or,
// for CMAF ingest, one POST per fragment to the same path, possibly with a
// file name after it. The origin checks the event and the token, then
// hands the body, as a stream, to the live room (live.Ingester). The token
// is a path segment: no log line, error or metric carries it
// (redactIngestPath).

// Limits of the ingest listener.
const (
	// ingestPrefetch bounds what fasthttp reads of a body before the
	// handler runs (a body of known length up to this size is read
	// whole; anything longer, and every chunked body, is streamed). There
	// is no cap on a feed's length: it ends when the encoder stops.
	ingestPrefetch = 64 << 10
	// MaxStreamNameLen bounds {stream}.
	MaxStreamNameLen = 128
	// ingestDefaultStream is the stream of a POST to .../ingest.isml
	// without Streams(…).
	ingestDefaultStream = "default"
)

var errIngestNotBuilt = errors.New("live ingest not built")

func (s *Server) newIngestServer() *fasthttp.Server {
	return &fasthttp.Server{
		Name:         "drmorigin-ingest",
		Handler:      s.handleIngest,
		ErrorHandler: s.handleIngestReadError,
		Logger:       fasthttpLogger{s.Config.Logger.With("listener", listenerNames[listenerIngest])},
		ConnState:    s.connState,
		// Bounded read buffers: the request line and headers, then the
		// body in pieces of at most this size.
		ReadBufferSize:     MaxRequestLineLen + MaxHeaderBytes,
		MaxRequestBodySize: ingestPrefetch,
		StreamRequestBody:  true,
		// ReadTimeout bounds the request line and headers only: the
		// handler re-arms the connection's deadline before every body
		// read (IngestStallTimeout), so that a feed of any length lives
		// while bytes come.
		ReadTimeout:     s.Config.ReadTimeout,
		WriteTimeout:    s.Config.WriteTimeout,
		IdleTimeout:     s.Config.IdleTimeout,
		CloseOnShutdown: true,
	}
}

// handleIngest is the ingest listener's handler: the route, then the
// request's metrics.
func (s *Server) handleIngest(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	s.routeIngest(ctx)
	s.finish(ctx, listenerIngest, reqInfo{kind: reqIngest, format: -1, enc: -1}, start)
}

func (s *Server) routeIngest(ctx *fasthttp.RequestCtx) {
	// Whatever the answer, the connection closes unless the body was read
	// to its end: draining an endless feed to reuse the connection would
	// never end.
	if !checkLimits(ctx) {
		ctx.SetConnectionClose()
		return
	}
	event, token, stream, ok := parseIngestPath(ctx.Path())
	if !ok {
		s.ingestRefuse(ctx, fasthttp.StatusNotFound, ingestBadRequest, "not an ingest URL: POST /{event}/{accessToken}/ingest.isml/Streams({stream})")
		return
	}
	if !ctx.IsPost() && !ctx.IsPut() {
		ctx.Response.Header.Set("Allow", "POST, PUT")
		s.ingestRefuse(ctx, fasthttp.StatusMethodNotAllowed, ingestBadRequest, "method not allowed")
		return
	}
	if stream == "" {
		s.ingestRefuse(ctx, fasthttp.StatusBadRequest, ingestBadRequest,
			fmt.Sprintf("Streams(…): a stream name of 1..%d characters of A-Z a-z 0-9 - _ . ~", MaxStreamNameLen))
		return
	}
	c, cancel := context.WithTimeout(context.Background(), s.Config.StoreTimeout)
	e, err := s.Service.LiveEvent(c, event)
	cancel()
	var ve *keyclient.ValidationError
	switch {
	case errors.Is(err, keyclient.ErrNotFound), errors.As(err, &ve):
		// No such event: the same answer as a wrong token, so that the
		// listener tells nobody which events exist.
		s.ingestRefuse(ctx, fasthttp.StatusForbidden, ingestForbidden, "forbidden")
		return
	case err != nil:
		s.Config.Logger.Warn("ingest refused: the store cannot be read", "event", event, "stream", stream, "remote", remoteIP(ctx), "err", err)
		ctx.Response.Header.Set("Retry-After", "1")
		s.ingestRefuse(ctx, fasthttp.StatusServiceUnavailable, ingestUnavailable, "service unavailable: the store cannot be reached")
		return
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(e.Input.AccessToken)) != 1 {
		s.ingestRefuse(ctx, fasthttp.StatusForbidden, ingestForbidden, "forbidden")
		return
	}
	if e.ResourceState != keyclient.LiveRunning {
		s.ingestRefuse(ctx, fasthttp.StatusNotFound, ingestNotRunning, "live event "+event+" is "+e.ResourceState+", not Running")
		return
	}
	if s.Ingester == nil {
		s.ingestRefuse(ctx, fasthttp.StatusServiceUnavailable, ingestUnavailable, errIngestNotBuilt.Error())
		return
	}
	s.ingestFeed(ctx, event, stream)
}

// ingestFeed hands an authorized POST's body to the live room and answers
// how the feed ended.
func (s *Server) ingestFeed(ctx *fasthttp.RequestCtx, event, stream string) {
	var body io.Reader = ctx.RequestBodyStream()
	if body == nil {
		body = bytes.NewReader(ctx.PostBody())
	}
	r := &ingestReader{r: body, ctx: ctx, stall: s.Config.IngestStallTimeout}
	log := s.Config.Logger.With("event", event, "stream", stream, "remote", remoteIP(ctx))
	log.Info("ingest feed started")
	m := s.ingestMetrics
	m.feeds.Inc()
	start := time.Now()
	feed, cancel := context.WithCancel(s.feeds)
	err := s.Ingester.Ingest(feed, event, stream, r)
	cancel()
	m.feeds.Dec()
	m.bytes.WithLabelValues(event).Add(float64(r.n))
	m.fragments.WithLabelValues(event).Add(float64(r.boxes.moofs))
	attrs := []any{"bytes", r.n, "fragments", r.boxes.moofs, "took", time.Since(start).Round(time.Millisecond)}
	if err == nil {
		log.Info("ingest feed ended", attrs...)
		ctx.SetStatusCode(fasthttp.StatusOK)
		return
	}
	status, reason, msg := ingestStatus(err, s.feeds.Err() != nil)
	if status == fasthttp.StatusInternalServerError {
		log.Error("ingest feed failed", append(attrs, "err", err)...)
	} else {
		log.Warn("ingest feed ended: "+msg, append(attrs, "status", status, "err", err)...)
	}
	s.ingestRefuse(ctx, status, reason, msg)
}

// ingestStatus maps how the live room ended a feed to the answer:
// live.ErrNotFMP4 and ErrRefused 400, ErrStalled 408, ErrNotRunning 404,
// the drain 503, an encoder gone mid-body 400 (nobody reads it).
func ingestStatus(err error, draining bool) (status int, reason, msg string) {
	switch {
	case errors.Is(err, live.ErrNotFMP4):
		return fasthttp.StatusBadRequest, ingestNotFMP4, "the body is not fragmented MP4"
	case errors.Is(err, live.ErrRefused):
		return fasthttp.StatusBadRequest, ingestRefused, "fragment refused: " + err.Error()
	case errors.Is(err, live.ErrStalled):
		return fasthttp.StatusRequestTimeout, ingestStalled, "the feed stalled"
	case errors.Is(err, live.ErrNotRunning):
		return fasthttp.StatusNotFound, ingestNotRunning, "the live event is not running"
	case draining || errors.Is(err, context.Canceled):
		return fasthttp.StatusServiceUnavailable, ingestAborted, "the origin is shutting down: reconnect"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), isConnError(err):
		return fasthttp.StatusBadRequest, ingestAborted, "the encoder's request ended mid-body"
	}
	return fasthttp.StatusInternalServerError, ingestInternal, "internal error"
}

func isConnError(err error) bool {
	var op *net.OpError
	var be fasthttp.ErrBrokenChunk
	return errors.As(err, &op) || errors.As(err, &be)
}

// ingestRefuse answers an ingest request that was not (or no longer)
// read, closes its connection and counts it.
func (s *Server) ingestRefuse(ctx *fasthttp.RequestCtx, status int, reason, msg string) {
	s.ingestMetrics.refused(reason)
	ctx.SetConnectionClose()
	plainError(ctx, status, msg)
	switch reason {
	case ingestForbidden, ingestBadRequest, ingestNotRunning, ingestUnavailable:
		s.Config.Logger.Info("ingest refused", "status", status, "reason", reason, "remote", remoteIP(ctx),
			"path", string(appendEscaped(nil, redactIngestPath(pathOf(ctx)), MaxLoggedPath)))
	}
}

// handleIngestReadError answers ingest requests fasthttp could not read,
// as handleReadError does for the other listeners, but logs the path
// without its token.
func (s *Server) handleIngestReadError(ctx *fasthttp.RequestCtx, err error) {
	start := time.Now()
	status, msg := statusOf(&readError{err: err}, false)
	plainError(ctx, status, msg)
	ctx.SetConnectionClose()
	path := pathOf(ctx)
	if _, p, ok := requestLineOf(err); ok {
		path = p
	}
	s.Config.Logger.Debug("request not read", "listener", listenerNames[listenerIngest], "status", status, "reason", msg,
		"remote", remoteIP(ctx), "path", string(appendEscaped(nil, redactIngestPath(path), MaxLoggedPath)))
	s.finish(ctx, listenerIngest, infoOther, start)
}

// redactIngestPath is an ingest path as logs may give it: its second
// segment, the access token, replaced ("/ev/[token]/ingest.isml/…"). A
// path of one segment has no token.
func redactIngestPath(p []byte) []byte {
	p = withoutQuery(p)
	if len(p) == 0 || p[0] != '/' {
		return p
	}
	i := bytes.IndexByte(p[1:], '/')
	if i < 0 {
		return p
	}
	first := p[:1+i+1] // "/event/"
	rest := p[len(first):]
	out := append([]byte(nil), first...)
	out = append(out, "[token]"...)
	if j := bytes.IndexByte(rest, '/'); j >= 0 {
		out = append(out, rest[j:]...)
	}
	return out
}

// parseIngestPath splits /{event}/{token}/ingest.isml[/Streams({stream})[/…]].
// ok is false for a path of another form; stream is "" when Streams(…)
// names an invalid one, ingestDefaultStream when there is none. Anything
// after Streams(…) (a CMAF fragment's file name) is ignored; so is a file
// name right after ingest.isml without Streams(…). The path starts with
// "/" (fasthttp's decoded path always does).
//
// Fuzzed: FuzzIngestPath (testdata/fuzz/FuzzIngestPath/790da8e789330ea3, a
// path without its leading "/" whose token redactIngestPath kept, fixed
// by requiring the "/"; 013fe43d3903aaf4, an event with '#' that the
// redaction cut before its token, fixed by refusing '?' and '#' there).
func parseIngestPath(path []byte) (event, token, stream string, ok bool) {
	if len(path) == 0 || path[0] != '/' {
		return "", "", "", false
	}
	p := string(path[1:])
	parts := strings.SplitN(p, "/", 5)
	if len(parts) < 3 || !strings.EqualFold(parts[2], "ingest.isml") || parts[0] == "" || parts[1] == "" ||
		strings.ContainsAny(parts[0], "?#") || strings.ContainsAny(parts[1], "?#") {
		// An event or token with '?' or '#' (decoded from %3F, %23) is
		// no name of ours, and a log's redaction cuts there.
		return "", "", "", false
	}
	event, token, stream = parts[0], parts[1], ingestDefaultStream
	if len(parts) >= 4 && parts[3] != "" {
		if name, isStreams := streamsName(parts[3]); isStreams {
			stream = name
		}
	}
	return event, token, stream, true
}

// streamsName reads "Streams(name)": isStreams says whether seg has that
// form, name is "" when the name is not valid.
func streamsName(seg string) (name string, isStreams bool) {
	if len(seg) < len("Streams()") || !strings.EqualFold(seg[:len("Streams(")], "Streams(") || seg[len(seg)-1] != ')' {
		return "", false
	}
	name = seg[len("Streams(") : len(seg)-1]
	if len(name) == 0 || len(name) > MaxStreamNameLen {
		return "", true
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '~') {
			return "", true
		}
	}
	return name, true
}

// ingestReader is a feed's body as the live room reads it: it re-arms the
// connection's read deadline before each read (a stall of
// IngestStallTimeout ends the feed with live.ErrStalled, a feed of any
// length lives), and counts bytes and fragments for the metrics.
type ingestReader struct {
	r     io.Reader
	ctx   *fasthttp.RequestCtx
	stall time.Duration
	n     int64
	boxes boxCounter
}

func (r *ingestReader) Read(p []byte) (int, error) {
	if r.stall > 0 {
		_ = r.ctx.SetReadDeadline(time.Now().Add(r.stall))
	}
	n, err := r.r.Read(p)
	r.n += int64(n)
	r.boxes.feed(p[:n])
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return n, fmt.Errorf("ingest: no byte for %s: %w", r.stall, live.ErrStalled)
	}
	return n, err
}
