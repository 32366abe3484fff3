package origin

import (
	"os"
	"path/filepath"

	"github.com/valyala/fasthttp"
)

// playerFiles maps the player page's URLs to files under Config.PlayerDir:
// our own page, and the player libraries that `make web` installs from npm.
// They are read at run time and never embedded, so the binary builds with Go
// alone.
var playerFiles = map[string]struct{ path, ctype string }{
	"/player":                              {"player.html", "text/html; charset=utf-8"},
	"/player/":                             {"player.html", "text/html; charset=utf-8"},
	"/player/lib/shaka-player.compiled.js": {"node_modules/shaka-player/dist/shaka-player.compiled.js", "text/javascript"},
	"/player/lib/hls.min.js":               {"node_modules/hls.js/dist/hls.min.js", "text/javascript"},
	"/player/lib/dash.all.min.js":          {"node_modules/dashjs/dist/modern/umd/dash.all.min.js", "text/javascript"},
	// dash.js's Smooth Streaming support is a separate plugin (dashjs.MssHandler).
	"/player/lib/dash.mss.min.js": {"node_modules/dashjs/dist/modern/umd/dash.mss.min.js", "text/javascript"},
}

// servePlayer answers the demo player page and its libraries when the page
// is enabled. It reports whether path was one of its URLs.
func (s *Server) servePlayer(ctx *fasthttp.RequestCtx, path string) bool {
	if s.Config.PlayerDir == "" {
		return false
	}
	f, ok := playerFiles[path]
	if !ok {
		return false
	}
	b, err := os.ReadFile(filepath.Join(s.Config.PlayerDir, f.path))
	if err != nil {
		plainError(ctx, fasthttp.StatusNotFound, "player file missing: run `make web` to install the player libraries")
		return true
	}
	ctx.SetContentType(f.ctype)
	ctx.Response.Header.Set("Cache-Control", "no-cache")
	ctx.SetBody(b)
	return true
}
