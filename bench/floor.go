package bench

import (
	"net"
	"sync"

	"github.com/valyala/fasthttp"
)

// FloorServer is the copy-only floor: it serves fixed bodies from memory
// over HTTP, the least any origin can spend per segment. A GET of a path in
// Bodies answers its bytes with the headers a static file server sends.
type FloorServer struct {
	// Bodies are the segment bytes by URL path, served as they are.
	Bodies map[string][]byte

	mu  sync.Mutex
	srv *fasthttp.Server
}

var (
	floorCT   = []byte("video/mp4")
	floorCC   = []byte("public, max-age=31536000, immutable")
	hdrCCName = []byte("Cache-Control")
)

// Serve answers on ln until Close.
func (f *FloorServer) Serve(ln net.Listener) error {
	srv := &fasthttp.Server{Handler: f.handle, Name: "floor", ReadBufferSize: 8 << 10}
	f.mu.Lock()
	f.srv = srv
	f.mu.Unlock()
	return srv.Serve(ln)
}

// Close stops the server.
func (f *FloorServer) Close() error {
	f.mu.Lock()
	srv := f.srv
	f.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown()
}

func (f *FloorServer) handle(ctx *fasthttp.RequestCtx) {
	body, ok := f.Bodies[string(ctx.Path())]
	if !ok {
		ctx.Error("not found", fasthttp.StatusNotFound)
		return
	}
	ctx.SetContentTypeBytes(floorCT)
	ctx.Response.Header.SetBytesKV(hdrCCName, floorCC)
	// Immutable bytes: written from memory without a copy, as nginx's
	// sendfile writes from the page cache.
	ctx.Response.SetBodyRaw(body)
}
