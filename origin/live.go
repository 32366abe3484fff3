package origin

import (
	"errors"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/packager"
)

// timePath is the streaming listener's clock (spec/live.md, "DASH"): the
// http-iso UTCTiming source of live MPDs.
const timePath = "/time"

// errNotYet is a live asset's segment that is not (or no longer) in its
// window: 404, and Cache-Control: no-cache so that no cache keeps the
// answer for a segment that may arrive in a moment (spec/live.md).
var errNotYet = &httpError{status: fasthttp.StatusNotFound, msg: "not found: not in the live window (yet)"}

// handleTime answers the origin's UTC time as an xs:dateTime ending in Z.
func (s *Server) handleTime(ctx *fasthttp.RequestCtx) {
	setCORS(ctx)
	ctx.SetContentTypeBytes(ctText)
	ctx.Response.Header.SetBytesKV(hdrCacheControl, valNoStore)
	var b [32]byte
	ctx.SetBody(s.now().UTC().AppendFormat(b[:0], "2006-01-02T15:04:05.000Z"))
}

// liveCacheControl is the Cache-Control of a live asset's manifests: a
// max-age of half the shortest segment, rounded down to whole seconds
// (0 or 1 s for 2 s segments); "" for VOD (the configured one).
func liveCacheControl(a *packager.Asset) string {
	if a.Live == nil {
		return ""
	}
	shortest := time.Duration(0)
	for _, t := range a.Tracks {
		for _, f := range t.Fragments {
			d := time.Duration(float64(f.Duration) / float64(t.Timescale) * float64(time.Second))
			if d > 0 && (shortest == 0 || d < shortest) {
				shortest = d
			}
		}
	}
	return "public, max-age=" + strconv.Itoa(int(shortest/2/time.Second))
}

// isNotYet reports whether err is errNotYet.
func isNotYet(err error) bool { return errors.Is(err, errNotYet) }
