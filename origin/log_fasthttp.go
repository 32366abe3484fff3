package origin

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// fasthttpLogger is the Logger of both fasthttp servers. fasthttp's default
// logger prints the raw bytes of a request it could not read, headers and
// all: Authorization and ?token= with them (issue 19). This one formats
// fasthttp's message only when every value is of a type that cannot carry
// request bytes (numbers, addresses, durations); otherwise it logs the
// message's template, with a short reason for an error value. A request
// fasthttp could not read is logged by handleReadError instead, which
// knows the request: the connection's end is a debug line here.
type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	var err error
	for _, a := range args {
		if e, ok := a.(error); ok {
			err = e
		}
	}
	switch {
	case strings.HasPrefix(format, "error when serving connection"):
		remote := ""
		if len(args) >= 2 {
			if a, ok := args[1].(net.Addr); ok {
				remote = a.String()
			}
		}
		f.l.Debug("connection closed on error", "remote", remote, "reason", connErrorReason(err))
	case safeArgs(args):
		f.l.Warn("fasthttp: " + fmt.Sprintf(format, args...))
	case err != nil:
		f.l.Warn("fasthttp: "+format, "reason", connErrorReason(err))
	default:
		f.l.Warn("fasthttp: " + format)
	}
}

// safeArgs reports whether every value is of a type that holds no request
// bytes.
func safeArgs(args []any) bool {
	for _, a := range args {
		switch a.(type) {
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, bool,
			time.Duration, net.Addr, net.IP:
		default:
			return false
		}
	}
	return true
}

// connErrorReason is a short, fixed description of an error fasthttp met
// on a connection. Its text is never used: fasthttp's read errors quote
// the request.
func connErrorReason(err error) string {
	var small *fasthttp.ErrSmallBuffer
	var te interface{ Timeout() bool }
	var op *net.OpError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &small):
		return "request headers too large"
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return "request body too large"
	case errors.As(err, &te) && te.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return "connection reset"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed mid-request"
	case errors.As(err, &op):
		return "network error (" + op.Op + ")"
	}
	return "malformed request"
}

// handleReadError answers requests fasthttp could not read: a request
// line over MaxRequestLineLen (414), oversized headers (431), bodies
// (413), timeouts (408), anything else 400 (statusOf).
// It logs the reason with the method and path (never the query, the
// headers or the body), and the request goes to the metrics and the access
// log as any other.
func (s *Server) handleReadError(ctx *fasthttp.RequestCtx, err error, l listener) {
	start := time.Now()
	re := &readError{err: err}
	var small *fasthttp.ErrSmallBuffer
	if errors.As(err, &small) {
		// The header block did not fit the read buffer: fasthttp does not
		// say whether its request line is to blame; the connection has
		// measured it (requestline.go).
		if lc := lineConnOf(ctx.Conn()); lc != nil {
			re.lineTooLong = lc.tooLong()
		}
	}
	status, msg := statusOf(re, false)
	plainError(ctx, status, msg)
	method, path := ctx.Method(), pathOf(ctx)
	if m, p, ok := requestLineOf(err); ok {
		// The headers could not be read, so fasthttp reset them: the
		// request line comes from the error (the line only).
		method, path = m, p
		ctx.Request.Header.SetMethodBytes(method)
		ctx.Request.Header.SetRequestURIBytes(path)
	}
	s.Config.Logger.Debug("request not read", "listener", listenerNames[l], "status", status, "reason", msg,
		"remote", remoteIP(ctx), "method", string(appendEscaped(nil, method, 16)),
		"path", string(appendEscaped(nil, path, MaxLoggedPath)))
	s.finish(ctx, l, infoOther, start)
}

// requestLineOf recovers the method and the path (without the query) of a
// request whose headers fasthttp could not read, from the error it gave:
// its text quotes the start of the request's bytes, Go-quoted after
// "contents: " (fasthttp header.go, headerErrorMsg). ok is false when the
// error does not. Nothing else of the text is kept: it holds the headers,
// Authorization among them.
func requestLineOf(err error) (method, path []byte, ok bool) {
	const mark = "contents: "
	msg := err.Error()
	i := strings.Index(msg, mark)
	if i < 0 {
		return nil, nil, false
	}
	q, qerr := strconv.QuotedPrefix(msg[i+len(mark):])
	if qerr != nil {
		return nil, nil, false
	}
	raw, qerr := strconv.Unquote(q)
	if qerr != nil {
		return nil, nil, false
	}
	line, _, _ := strings.Cut(raw, "\n")
	m, rest, ok := strings.Cut(strings.TrimSuffix(line, "\r"), " ")
	if !ok || m == "" {
		return nil, nil, false
	}
	uri, _, _ := strings.Cut(rest, " ")
	if j := strings.IndexAny(uri, "?#"); j >= 0 {
		uri = uri[:j]
	}
	return []byte(m), []byte(uri), true
}

// remoteIP is the client's address as logs give it.
func remoteIP(ctx *fasthttp.RequestCtx) string { return string(appendRemoteIP(nil, ctx)) }
