package origin_test

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestManifestOneWrite: a cached manifest goes out in one write (headers
// and body together), the DASH MPD with content protection (about 10 KiB)
// included, which fasthttp's default 4 KiB write buffer split in two
// (streamWriteBuffer).
func TestManifestOneWrite(t *testing.T) {
	o := benchOrigin(t)
	c := &fasthttp.HostClient{Addr: strings.TrimPrefix(o.base, "http://"), MaxConns: 1}
	for _, p := range []string{"/clear/demo.ism/manifest(format=m3u8-cmaf)", "/drm/demo.ism/manifest(format=mpd-time-csf,encryption=cenc)"} {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.SetRequestURI(o.base + p)
		if err := c.Do(req, resp); err != nil || resp.StatusCode() != 200 {
			t.Fatalf("%s: %v, status %d", p, err, resp.StatusCode())
		}
		n := len(resp.Body())
		w0 := o.writes.Load()
		const reqs = 50
		for range reqs {
			if err := c.Do(req, resp); err != nil || resp.StatusCode() != 200 {
				t.Fatalf("%s: %v, status %d", p, err, resp.StatusCode())
			}
		}
		if w := o.writes.Load() - w0; w != reqs {
			t.Errorf("%s (%d bytes): %d writes for %d requests, want one each", p, n, w, reqs)
		}
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
	}
}
