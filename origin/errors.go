package origin

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/manifest"
	"github.com/drmorigin/drmorigin/origin/token"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
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

// statusOf is the one place where errors become status codes and messages
// (urls.md "HTTP behaviour": 400 malformed or unsupported, 403 not enabled,
// 404 unknown, 503 when a key or locator cannot be resolved), for every
// answer of the origin: the streaming handler (fail), key delivery
// (keyFail), the management API (apiFail) and requests fasthttp could not
// read (handleReadError) only give the answer its shape. Messages are fixed or come from input validation; none carries
// key material. admin says the management API asks: only an operator sees
// its answers, so they say which file is at fault, and an asset that
// cannot be read is 422 there (the request is fine, the asset is not)
// where players get a 500.
func statusOf(err error, admin bool) (int, string) {
	var he *httpError
	var ue *URLError
	var ve *keyclient.ValidationError
	var nts *notInTSError
	var re *readError
	switch {
	case errors.As(err, &re):
		var small *fasthttp.ErrSmallBuffer
		var te interface{ Timeout() bool }
		switch {
		case re.lineTooLong:
			return fasthttp.StatusRequestURITooLong, "request URI too long"
		case errors.As(err, &small):
			return fasthttp.StatusRequestHeaderFieldsTooLarge, "request header fields too large"
		case errors.Is(err, fasthttp.ErrBodyTooLarge):
			return fasthttp.StatusRequestEntityTooLarge, "request body too large"
		case errors.As(err, &te) && te.Timeout():
			return fasthttp.StatusRequestTimeout, "request timeout"
		}
		return fasthttp.StatusBadRequest, "malformed request"
	case errors.As(err, &he):
		return he.status, he.msg
	case errors.As(err, &ue):
		return fasthttp.StatusBadRequest, ue.Msg
	case errors.Is(err, token.ErrMissing):
		return fasthttp.StatusUnauthorized, "a bearer token is required"
	case errors.Is(err, token.ErrInvalid):
		return fasthttp.StatusUnauthorized, "invalid token"
	case errors.Is(err, token.ErrNotEntitled):
		return fasthttp.StatusForbidden, "forbidden"
	case errors.Is(err, errNoRoute),
		errors.Is(err, keyclient.ErrNotFound),
		errors.Is(err, packager.ErrAssetNotFound),
		errors.Is(err, packager.ErrInvalidName),
		errors.Is(err, packager.ErrFragmentNotFound),
		errors.Is(err, manifest.ErrNoMediaPlaylist):
		return fasthttp.StatusNotFound, "not found"
	case errors.Is(err, keyclient.ErrConflict):
		return fasthttp.StatusConflict, err.Error()
	case errors.Is(err, token.ErrUnavailable):
		return fasthttp.StatusServiceUnavailable, "service unavailable"
	case errors.Is(err, keyclient.ErrKeyServer):
		return fasthttp.StatusBadGateway, err.Error()
	case errors.Is(err, keyclient.ErrKEK):
		// This replica lacks a KEK the store's keys are wrapped under (its
		// /readyz says so too): another replica may serve the request.
		return fasthttp.StatusServiceUnavailable, "service unavailable"
	case errors.Is(err, keyclient.ErrUnavailable):
		// Before ValidationError: the resolver wraps whatever a store
		// lookup returned in ErrUnavailable.
		return fasthttp.StatusServiceUnavailable, "service unavailable: the store cannot be reached"
	case errors.Is(err, storage.ErrUnavailable):
		// Before ErrCorrupt: a read the store could not answer is not damage.
		return fasthttp.StatusServiceUnavailable, "service unavailable: the asset store cannot be read"
	case errors.Is(err, storage.ErrChanged):
		return fasthttp.StatusServiceUnavailable, "service unavailable: the asset changed while it was read"
	case errors.As(err, &ve):
		return fasthttp.StatusBadRequest, ve.Message
	case errors.Is(err, manifest.ErrUnsupportedProtection):
		return fasthttp.StatusBadRequest, err.Error()
	case errors.Is(err, packager.ErrSampleAESHEVC):
		return fasthttp.StatusBadRequest, "encryption=cbcs-aapl on MPEG-2 TS is defined for H.264 and AAC only: use format=m3u8-cmaf"
	case errors.As(err, &nts):
		return fasthttp.StatusBadRequest, nts.message()
	case errors.Is(err, packager.ErrUnsupported):
		if admin {
			return fasthttp.StatusBadRequest, err.Error()
		}
		return fasthttp.StatusBadRequest, "unsupported media: this asset cannot be served in any format"
	case errors.Is(err, packager.ErrCorrupt):
		if admin {
			return fasthttp.StatusUnprocessableEntity, err.Error()
		}
		return fasthttp.StatusInternalServerError, "the asset cannot be read"
	}
	return fasthttp.StatusInternalServerError, "internal error"
}

// readError is an error fasthttp met reading a request, before any
// handler ran (Server.ErrorHandler). lineTooLong is set when the header
// block did not fit because of its request line (requestLineTooLong).
type readError struct {
	err         error
	lineTooLong bool
}

func (e *readError) Error() string { return "read request: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// notInTSError wraps a packager.ErrUnsupported met while cutting an MPEG-2
// TS segment: the asset is served, but TS cannot carry one of its tracks
// (it takes H.264, HEVC and AAC; AC-3 audio, say, is not). enc is the
// request's encryption, so that the answer names the formats that do work.
type notInTSError struct {
	enc Encryption
	err error
}

func (e *notInTSError) Error() string { return "MPEG-2 TS: " + e.err.Error() }
func (e *notInTSError) Unwrap() error { return e.err }

// message names the fMP4 formats that carry the track with the request's
// encryption (urls.md's table).
func (e *notInTSError) message() string {
	var alt []string
	for _, f := range []Format{FormatM3U8CMAF, FormatMPDTimeCSF, FormatMPDTimeCMAF, FormatSmooth} {
		switch {
		case !f.Allows(e.enc):
		case f == FormatSmooth:
			alt = append(alt, "Smooth Streaming (no format=)")
		default:
			alt = append(alt, "format="+f.String())
		}
	}
	last := len(alt) - 1 // never -1: m3u8-cmaf takes every tag TS takes
	if last > 0 {
		alt = append(alt[:last-1], alt[last-1]+" or "+alt[last])
	}
	return "unsupported media: MPEG-2 TS carries H.264, HEVC and AAC only; use " + strings.Join(alt, ", ")
}

// fail answers a streaming request with err's status and message, and logs
// server-side failures (never with key material: errors carry none).
func (s *Server) fail(ctx *fasthttp.RequestCtx, err error) {
	status, msg := statusOf(err, false)
	if status >= 500 {
		if errors.Is(err, keyclient.ErrUnavailable) || errors.Is(err, keyclient.ErrKEK) {
			s.metrics.storeError("resolve")
		}
		s.Config.Logger.Warn("request failed", "path", string(ctx.Path()), "status", status, "err", err)
	}
	plainError(ctx, status, msg)
	if isNotYet(err) {
		ctx.Response.Header.Set("Cache-Control", "no-cache")
	}
	if status == fasthttp.StatusServiceUnavailable {
		// A store that could not be read, or an asset being re-indexed:
		// worth a retry soon. CDNs must not cache the 503 (plainError
		// sets no-store).
		ctx.Response.Header.Set("Retry-After", "1")
	}
}

// b2s views b as a string without copying; the string must not outlive b.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// s2b views s as bytes without copying, for a callee that only reads
// them and keeps no reference (the bytes must not be written).
func s2b(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
