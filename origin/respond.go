package origin

import (
	"bytes"
	"strconv"

	"github.com/valyala/fasthttp"
)

// Header names and values, kept as []byte so setting them allocates nothing.
var (
	hdrCacheControl      = []byte("Cache-Control")
	hdrETag              = []byte("ETag")
	hdrAcceptRanges      = []byte("Accept-Ranges")
	hdrContentRange      = []byte("Content-Range")
	hdrIfNoneMatch       = []byte("If-None-Match")
	hdrRange             = []byte("Range")
	hdrACAO              = []byte("Access-Control-Allow-Origin")
	hdrACAM              = []byte("Access-Control-Allow-Methods")
	hdrACAH              = []byte("Access-Control-Allow-Headers")
	hdrACEH              = []byte("Access-Control-Expose-Headers")
	hdrACMA              = []byte("Access-Control-Max-Age")
	hdrVary              = []byte("Vary")
	valBytes             = []byte("bytes")
	valStar              = []byte("*")
	valStreamMethods     = []byte("GET, HEAD, OPTIONS")
	valStreamAllowHdrs   = []byte("Range, If-None-Match, Authorization, Content-Type")
	valExposeHdrs        = []byte("Content-Length, Content-Range, ETag, Date")
	valMaxAge            = []byte("86400")
	valImmutable         = []byte("public, max-age=31536000, immutable")
	valNoStore           = []byte("no-store")
	ctDASH               = []byte("application/dash+xml")
	ctHLS                = []byte("application/vnd.apple.mpegurl")
	ctSmooth             = []byte("application/vnd.ms-sstr+xml")
	ctVideoMP4           = []byte("video/mp4")
	ctAudioMP4           = []byte("audio/mp4")
	ctTS                 = []byte("video/mp2t")
	ctWebVTT             = []byte("text/vtt; charset=utf-8")
	ctMP4                = []byte("application/mp4")
	ctText               = []byte("text/plain; charset=utf-8")
	ctJSON               = []byte("application/json")
	ctOctets             = []byte("application/octet-stream")
	strBytesEq           = []byte("bytes=")
	strWeakPrefix        = []byte("W/")
	strContentRangeStart = []byte("bytes ")
)

// setCORS adds the streaming listener's CORS headers: any origin may fetch
// manifests and segments (browser players live on other origins).
func setCORS(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	// The names are written canonical: SetCanonical skips normalizing
	// them on every response.
	h.SetCanonical(hdrACAO, valStar)
	h.SetCanonical(hdrACEH, valExposeHdrs)
}

// preflight answers a CORS preflight on the streaming listener.
func preflight(ctx *fasthttp.RequestCtx) {
	setCORS(ctx)
	h := &ctx.Response.Header
	h.SetBytesKV(hdrACAM, valStreamMethods)
	h.SetBytesKV(hdrACAH, valStreamAllowHdrs)
	h.SetBytesKV(hdrACMA, valMaxAge)
	ctx.SetStatusCode(fasthttp.StatusNoContent)
}

// plainError writes a short plain-text error. Messages never carry key
// material or tokens; callers pass fixed or user-derived text only.
func plainError(ctx *fasthttp.RequestCtx, status int, msg string) {
	ctx.Response.ResetBody()
	ctx.Response.Header.Del("ETag")
	ctx.Response.Header.Del("Content-Range")
	ctx.Response.Header.SetBytesKV(hdrCacheControl, valNoStore)
	ctx.SetStatusCode(status)
	ctx.SetContentTypeBytes(ctText)
	ctx.SetBodyString(msg + "\n")
}

// etagMatches reports whether the request's If-None-Match names etag (or *).
func etagMatches(ctx *fasthttp.RequestCtx, etag []byte) bool {
	inm := ctx.Request.Header.PeekBytes(hdrIfNoneMatch)
	if len(inm) == 0 {
		return false
	}
	for len(inm) > 0 {
		var tag []byte
		if i := bytes.IndexByte(inm, ','); i >= 0 {
			tag, inm = inm[:i], inm[i+1:]
		} else {
			tag, inm = inm, nil
		}
		tag = bytes.TrimSpace(tag)
		tag = bytes.TrimPrefix(tag, strWeakPrefix)
		if bytes.Equal(tag, valStar) || bytes.Equal(tag, etag) {
			return true
		}
	}
	return false
}

// appendETag appends a strong entity tag for a 64-bit hash: "<16 hex>".
func appendETag(dst []byte, h uint64) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hex[(h>>uint(shift))&0xf])
	}
	return append(dst, '"')
}

// fnv64a folds s into the FNV-1a hash h. It is the origin's cheap,
// allocation-free identity hash for ETags; it is not a security primitive.
func fnv64a(h uint64, s []byte) uint64 {
	for _, c := range s {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

const fnvOffset = 14695981039346656037

func fnv64aUint(h, v uint64) uint64 {
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= 1099511628211
		v >>= 8
	}
	return h
}

// byteRange parses a single "bytes=a-b", "bytes=a-" or "bytes=-n" range
// against a body of size n. ok is false when there is no usable single range
// (no header, several ranges, or a malformed one: the full body is served, as
// RFC 9110 permits); unsatisfiable is true when the range lies past the end.
func byteRange(spec []byte, n int) (start, end int, ok, unsatisfiable bool) {
	if !bytes.HasPrefix(spec, strBytesEq) {
		return 0, 0, false, false
	}
	spec = spec[len(strBytesEq):]
	if bytes.IndexByte(spec, ',') >= 0 {
		return 0, 0, false, false
	}
	dash := bytes.IndexByte(spec, '-')
	if dash < 0 {
		return 0, 0, false, false
	}
	first, last := bytes.TrimSpace(spec[:dash]), bytes.TrimSpace(spec[dash+1:])
	if len(first) == 0 { // suffix range: the last n bytes
		suffix, err := parseDigits(last)
		if err != nil {
			return 0, 0, false, false
		}
		if suffix == 0 {
			return 0, 0, false, true
		}
		if suffix > n {
			suffix = n
		}
		return n - suffix, n - 1, true, false
	}
	s, err := parseDigits(first)
	if err != nil {
		return 0, 0, false, false
	}
	if s >= n {
		return 0, 0, false, true
	}
	e := n - 1
	if len(last) > 0 {
		v, err := parseDigits(last)
		if err != nil || v < s {
			return 0, 0, false, false
		}
		if v < e {
			e = v
		}
	}
	return s, e, true, false
}

func parseDigits(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 15 {
		return 0, strconv.ErrSyntax
	}
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
		v = v*10 + int(c-'0')
	}
	return v, nil
}

// serveBody finishes a 200 response whose body is already set: it answers
// If-None-Match with 304 and a single byte Range with 206 (or 416), on
// segments only (ranges is false for manifests). owned says the body was
// written into the response's own buffer (SwapBody), so a range may be moved
// in place; otherwise the body is shared immutable bytes (SetBodyRaw) and a
// range is a sub-slice of them.
func serveBody(ctx *fasthttp.RequestCtx, etag []byte, ranges, owned bool) {
	h := &ctx.Response.Header
	h.SetBytesKV(hdrETag, etag)
	if etagMatches(ctx, etag) {
		ctx.Response.ResetBody()
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	if !ranges {
		return
	}
	h.SetBytesKV(hdrAcceptRanges, valBytes)
	spec := ctx.Request.Header.PeekBytes(hdrRange)
	if len(spec) == 0 {
		return
	}
	body := ctx.Response.Body()
	n := len(body)
	start, end, ok, unsat := byteRange(spec, n)
	switch {
	case unsat:
		ctx.Response.ResetBody()
		var cr [32]byte
		v := append(cr[:0], "bytes */"...)
		v = strconv.AppendInt(v, int64(n), 10)
		h.SetBytesKV(hdrContentRange, v)
		ctx.SetStatusCode(fasthttp.StatusRequestedRangeNotSatisfiable)
	case ok:
		var cr [64]byte
		v := append(cr[:0], strContentRangeStart...)
		v = strconv.AppendInt(v, int64(start), 10)
		v = append(v, '-')
		v = strconv.AppendInt(v, int64(end), 10)
		v = append(v, '/')
		v = strconv.AppendInt(v, int64(n), 10)
		h.SetBytesKV(hdrContentRange, v)
		if owned {
			// Move the range to the front of the buffer we own and cut it.
			copy(body, body[start:end+1])
			b := ctx.Response.SwapBody(nil)
			ctx.Response.SwapBody(b[:end-start+1])
		} else {
			ctx.Response.SetBodyRaw(body[start : end+1])
		}
		ctx.SetStatusCode(fasthttp.StatusPartialContent)
	}
}
