package origin

import (
	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/packager"
)

// serveText answers an init or media segment request for a subtitle track
// (players.md "Subtitles"): HLS formats get WebVTT segments (.vtt) timed
// onto that format's timeline, DASH fMP4 wvtt/stpp, Smooth TTML fragments.
// Text is never encrypted, whatever the URL's encryption tag or the
// locator's policy: it carries no key, and players expect it clear.
//
// A URL that does not fit the format — an HLS text URL without .vtt or
// asking for an initialization segment, a .vtt name on DASH or Smooth, a
// time that is no segment's start — is 404, like any unknown fragment.
func (s *Server) serveText(ctx *fasthttp.RequestCtx, r *StreamRequest, st streamState, t *packager.TextTrack) error {
	hls := r.Format.Protocol() == "hls"
	if hls != r.VTT {
		return errNotFound
	}
	b := ctx.Response.SwapBody(nil)
	var err error
	ctype := ctMP4
	switch {
	case r.Kind == KindInit:
		if hls || r.Format == FormatSmooth {
			ctx.Response.SwapBody(b[:0])
			return errNotFound
		}
		b, err = t.AppendInit(b[:0])
	default:
		i, ok := t.FragmentAt(r.Time)
		if !ok {
			ctx.Response.SwapBody(b[:0])
			return errNotFound
		}
		form := packager.TextFMP4
		switch {
		case r.Format == FormatSmooth:
			form = packager.TextSmooth
		case r.Format.IsTS():
			form, ctype = packager.TextHLSTS, ctWebVTT
		case hls:
			form, ctype = packager.TextHLSCMAF, ctWebVTT
		}
		b, err = t.AppendSegment(b[:0], i, form)
	}
	if err != nil {
		ctx.Response.SwapBody(b[:0])
		return err
	}
	ctx.Response.SwapBody(b)
	// The body is a function of the URL and the side file's cues: its hash
	// is the same on every replica with the same file.
	h := fnv64a(fnvOffset, ctx.Path())
	h = fnv64a(h, b)
	var tag [18]byte
	ctx.SetContentTypeBytes(ctype)
	ctx.Response.Header.SetBytesKV(hdrCacheControl, valImmutable)
	serveBody(ctx, appendETag(tag[:0], h), true, true)
	return nil
}
