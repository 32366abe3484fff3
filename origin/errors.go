package origin

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/manifest"
	"github.com/drmorigin/drmorigin/packager"
)

// httpError is an error that already knows its status and its short,
// client-safe message.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func httpErrorf(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// errNotFound is the one 404 answer for "does not exist" and "not yours"
// alike (urls.md): unknown or expired locator, asset, track or fragment.
var errNotFound = &httpError{status: fasthttp.StatusNotFound, msg: "not found"}

// statusOf is the one place where errors become status codes and messages.
// Messages are fixed or come from input validation; none carries key
// material.
func statusOf(err error) (int, string) {
	var he *httpError
	var ue *URLError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg
	case errors.As(err, &ue):
		return fasthttp.StatusBadRequest, ue.Msg
	case errors.Is(err, errNoRoute),
		errors.Is(err, keyclient.ErrNotFound),
		errors.Is(err, packager.ErrAssetNotFound),
		errors.Is(err, packager.ErrInvalidName),
		errors.Is(err, packager.ErrFragmentNotFound):
		return fasthttp.StatusNotFound, "not found"
	case errors.Is(err, manifest.ErrNoMediaPlaylist):
		return fasthttp.StatusNotFound, "not found"
	case errors.Is(err, manifest.ErrUnsupportedProtection):
		return fasthttp.StatusBadRequest, err.Error()
	case errors.Is(err, keyclient.ErrUnavailable):
		return fasthttp.StatusServiceUnavailable, "service unavailable: the key store cannot be reached"
	case errors.Is(err, packager.ErrCorrupt):
		return fasthttp.StatusInternalServerError, "the asset cannot be read"
	}
	return fasthttp.StatusInternalServerError, "internal error"
}

// fail answers a streaming request with err's status and message, and logs
// server-side failures (never with key material: errors carry none).
func (s *Server) fail(ctx *fasthttp.RequestCtx, err error) {
	status, msg := statusOf(err)
	if status >= 500 {
		s.Config.Logger.Warn("request failed", "path", string(ctx.Path()), "status", status, "err", err)
	}
	plainError(ctx, status, msg)
}

// b2s views b as a string without copying; the string must not outlive b.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
