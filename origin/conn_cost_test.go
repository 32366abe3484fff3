package origin

import (
	"bufio"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// BenchmarkKeepAliveCPU is the CPU time (this process: 16 loopback
// clients and the server) per keep-alive request of a small cached answer
// (2 KiB, a manifest's headers), through fasthttp configured as the
// streaming listener and as the bench's floor:
//
//	NetDeadlines  the origin before the lazy deadlines (each deadline
//	              fasthttp asks for is set on the socket)
//	Lazy          the lazy deadlines (conn_deadline.go), keep-alive waits in
//	              the Go poller: the origin before turns
//	LazyNoReduce  the origin without ReduceMemoryUsage
//	NoTimeouts    the origin without read, write and idle timeouts
//	Turns         the origin, keep-alive waits in turns (conn_turns_linux.go)
//	Floor         bare fasthttp over the bare socket, no timeouts
//
// The clients cost the same in each; the differences are the server's.
// Run with -count and compare medians (-count runs the variants in turn):
//
//	go test ./origin -run '^$' -bench KeepAliveCPU -count 11
//
// It needs a quiet machine: on the shared 2-core machine of session 8
// (load 7) the quartiles of each variant spanned 15%, wider than any
// difference between them; BenchmarkDeadlines isolates the deadlines.
func BenchmarkKeepAliveCPU(b *testing.B) {
	body := make([]byte, 2<<10)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	originHandler := func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentTypeBytes([]byte("application/dash+xml"))
		ctx.Response.Header.SetCanonical(hdrCacheControl, []byte("public, max-age=2"))
		setCORS(ctx)
		ctx.Response.SetBodyRaw(body)
		ctx.Response.Header.SetBytesKV(hdrETag, []byte(`"0123456789abcdef"`))
	}
	floorHandler := func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentTypeBytes([]byte("video/mp4"))
		ctx.Response.Header.SetBytesKV(hdrCacheControl, []byte("public, max-age=31536000, immutable"))
		ctx.Response.SetBodyRaw(body)
	}
	origin := func(reduce, timeouts bool) *fasthttp.Server {
		s := &fasthttp.Server{Handler: originHandler, Name: "drmorigin", ReadBufferSize: MaxRequestLineLen + MaxHeaderBytes,
			WriteBufferSize: streamWriteBuffer, ReduceMemoryUsage: reduce}
		if timeouts {
			s.ReadTimeout, s.WriteTimeout, s.IdleTimeout = 10*time.Second, time.Minute, time.Minute
		}
		return s
	}
	for _, v := range []struct {
		name string
		srv  *fasthttp.Server
		wrap func(net.Listener) net.Listener
	}{
		{"NetDeadlines", origin(true, true), func(l net.Listener) net.Listener { return netDeadlineListener{Listener: l} }},
		{"Lazy", origin(true, true), func(l net.Listener) net.Listener { return lineListener{Listener: l} }},
		{"LazyNoReduce", origin(false, true), func(l net.Listener) net.Listener { return lineListener{Listener: l} }},
		{"NoTimeouts", origin(true, false), func(l net.Listener) net.Listener { return lineListener{Listener: l} }},
		{"Turns", origin(true, true), func(l net.Listener) net.Listener { return lineListener{Listener: l, turns: newTestTurns(b)} }},
		{"Floor", &fasthttp.Server{Handler: floorHandler, Name: "floor", ReadBufferSize: 8 << 10}, func(l net.Listener) net.Listener { return l }},
	} {
		b.Run(v.name, func(b *testing.B) {
			keepAliveCPU(b, v.srv, v.wrap)
		})
	}
}

func keepAliveCPU(b *testing.B, srv *fasthttp.Server, wrap func(net.Listener) net.Listener) {
	const conns = 16
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(wrap(ln))
	defer srv.Shutdown()
	req := []byte("GET /bench-seg1080-none/seg1080.ism/manifest(format=mpd-time-csf) HTTP/1.1\r\nHost: " + ln.Addr().String() + "\r\n\r\n")
	cs := make([]net.Conn, conns)
	brs := make([]*bufio.Reader, conns)
	n := 0
	for i := range cs {
		if cs[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			b.Fatal(err)
		}
		defer cs[i].Close()
		brs[i] = bufio.NewReaderSize(cs[i], 8<<10)
		cs[i].Write(req)
		var r fasthttp.Response
		if err := r.Read(brs[i]); err != nil || r.StatusCode() != 200 {
			b.Fatalf("warm-up: %d, %v", r.StatusCode(), err)
		}
		n = len(r.Header.Header()) + len(r.Body())
	}
	per := max(b.N/conns, 1)
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := processCPU()
	for i := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, n)
			for range per {
				if _, err := cs[i].Write(req); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(brs[i], buf); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(per*conns), "cpu-ns/request")
}

// processCPU is this process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// netDeadlineListener accepts lineConns whose deadlines go to the socket
// as they are asked, as before the lazy deadlines (the read-ahead and
// everything else the same).
type netDeadlineListener struct{ net.Listener }

func (l netDeadlineListener) Accept() (net.Conn, error) {
	c, err := lineListener{Listener: l.Listener}.Accept()
	if err != nil {
		return nil, err
	}
	if lc, ok := c.(*lineConn); ok {
		return netDeadlineConn{lc}, nil
	}
	return c, nil
}

type netDeadlineConn struct{ *lineConn }

func (c netDeadlineConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(t) }
func (c netDeadlineConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(t) }
func (c netDeadlineConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(t) }
