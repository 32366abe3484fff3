package origin_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/origin"
)

// memConn is a net.Conn that reads one request and counts what is written,
// so a whole request can be served in-process through fasthttp without
// sockets (fasthttp's own allocation tests do the same).
type memConn struct {
	r       bytes.Reader
	written int64
}

func (c *memConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *memConn) Write(p []byte) (int, error) { c.written += int64(len(p)); return len(p), nil }
func (c *memConn) Close() error                { return nil }
func (c *memConn) LocalAddr() net.Addr         { return memAddr }
func (c *memConn) RemoteAddr() net.Addr        { return memAddr }
func (c *memConn) SetDeadline(time.Time) error { return nil }
func (c *memConn) SetReadDeadline(time.Time) error {
	return nil
}
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

var memAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}

// inProcess serves raw requests through the origin's streaming handler.
type inProcess struct {
	srv  *fasthttp.Server
	conn memConn
}

func newInProcess(o *testOrigin) *inProcess {
	return &inProcess{srv: &fasthttp.Server{Handler: o.srv.StreamHandler(), ReadBufferSize: 24 << 10}}
}

// serve answers one request and returns the bytes written.
func (p *inProcess) serve(req []byte) (int64, error) {
	p.conn.r.Reset(req)
	p.conn.written = 0
	err := p.srv.ServeConn(&p.conn)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return p.conn.written, err
	}
	return p.conn.written, nil
}

func getRequest(path string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n")
}

// benchOrigin publishes the demo under clear and encrypted locators.
func benchOrigin(b testing.TB) *testOrigin {
	o := startOrigin(b, mediaRoot(b), "")
	o.locator("clear", "demo", "Predefined_ClearStreamingOnly", nil)
	o.locator("drm", "demo", "Predefined_MultiDrmStreaming", nil)
	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}}}}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status != 201 {
		b.Fatalf("PUT content key policy: %s", r)
	}
	o.locator("env", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "open"})
	// A filter that keeps everything: the Filtered benchmarks weigh what
	// filtering costs a request, not a smaller answer.
	all := `{"presentationTimeRange":{"startTimestamp":0},"tracks":[{"trackSelections":[{"property":"Type","value":"Video"},` +
		`{"property":"Bitrate","value":"0-100000000"}]},{"trackSelections":[{"property":"Type","value":"Audio"}]}]}`
	if r := o.api("PUT", "/api/v1/accountFilters/all", all); r.status != 201 {
		b.Fatalf("PUT filter: %s", r)
	}
	return o
}

// The first 2 s video segment of the 640x360 rendition (169 KB).
const videoSeg = "/demo.ism/QualityLevels(600000)/Fragments(video=0"

func BenchmarkServeSegment(b *testing.B) {
	o := benchOrigin(b)
	p := newInProcess(o)
	for _, c := range []struct{ name, path string }{
		{"Clear", "/clear" + videoSeg + ",format=mpd-time-csf)"},
		{"EncryptCENC", "/drm" + videoSeg + ",format=mpd-time-csf,encryption=cenc)"},
		{"EncryptCBCS", "/drm" + videoSeg + ",format=mpd-time-csf,encryption=cbcs)"},
		{"EncryptPIFF", "/drm" + videoSeg + ",encryption=piff)"},
		{"EncryptCBC", "/env" + videoSeg + ",format=m3u8-cmaf,encryption=cbc).m4s"},
		{"ClearFiltered", "/clear" + videoSeg + ",format=mpd-time-csf,filter=all)"},
		{"TS", "/clear" + videoSeg + ",format=m3u8-aapl).ts"},
		{"TSMuxed", "/clear" + videoSeg + ",format=m3u8-aapl-v3).ts"},
		{"TSSampleAES", "/drm" + videoSeg + ",format=m3u8-aapl,encryption=cbcs-aapl).ts"},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := getRequest(c.path)
			n, err := p.serve(req)
			if err != nil || n < 100000 {
				b.Fatalf("warm-up: %d bytes, %v", n, err)
			}
			b.SetBytes(n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.serve(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkServeManifest(b *testing.B) {
	o := benchOrigin(b)
	p := newInProcess(o)
	for _, c := range []struct{ name, path string }{
		{"DASH", "/clear/demo.ism/manifest(format=mpd-time-csf)"},
		{"HLS", "/clear/demo.ism/manifest(format=m3u8-cmaf)"},
		{"DASHEncryptCENC", "/drm/demo.ism/manifest(format=mpd-time-csf,encryption=cenc)"},
		{"DASHFiltered", "/clear/demo.ism/manifest(format=mpd-time-csf,filter=all)"},
		{"HLSFiltered", "/clear/demo.ism/manifest(format=m3u8-cmaf,filter=all)"},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := getRequest(c.path)
			n, err := p.serve(req)
			if err != nil || n < 500 {
				b.Fatalf("warm-up: %d bytes, %v", n, err)
			}
			b.SetBytes(n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.serve(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAccessLog is the cost of the access log on the segment path
// and on a cached manifest (the cheapest request): off, then each format
// into io.Discard (the batching is measured, the write of a batch is the
// destination's). The difference with Off is the cost per request.
func BenchmarkAccessLog(b *testing.B) {
	for _, f := range []struct {
		name string
		f    origin.AccessLogFormat
	}{{"Off", ""}, {"Combined", origin.AccessLogCombined}, {"JSON", origin.AccessLogJSON}} {
		o := startOriginWith(b, mediaRoot(b), "", func(c *originConfig) {
			if f.f != "" {
				c.AccessLog, c.AccessLogFormat = io.Discard, f.f
			}
		})
		o.locator("clear", "demo", "Predefined_ClearStreamingOnly", nil)
		p := newInProcess(o)
		for _, c := range []struct{ name, path string }{
			{"Segment", "/clear" + videoSeg + ",format=mpd-time-csf)"},
			{"Manifest", "/clear/demo.ism/manifest(format=mpd-time-csf)"},
		} {
			b.Run(c.name+"/"+f.name, func(b *testing.B) {
				req := getRequest(c.path + "?token=eyJhbGciOiJIUzI1NiJ9.e30.sig")
				req = append(req[:len(req)-2], "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n\r\n"...)
				n, err := p.serve(req)
				if err != nil || n < 500 {
					b.Fatalf("warm-up: %d bytes, %v", n, err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.serve(req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkServeSegmentConcurrent serves a segment over several in-process
// connections at once (run it with -cpu 1, the bench's pinned core): for
// HLS AES-128 the chains of requests served at the same time share the CBC
// lanes, so ns/op (per segment) falls as connections rise; clear is the
// reference that should not move.
func BenchmarkServeSegmentConcurrent(b *testing.B) {
	o := benchOrigin(b)
	for _, c := range []struct{ name, path string }{
		{"Clear", "/clear" + videoSeg + ",format=m3u8-cmaf).m4s"},
		{"EncryptCBC", "/env" + videoSeg + ",format=m3u8-cmaf,encryption=cbc).m4s"},
	} {
		for _, conns := range []int{1, 4, 8} {
			b.Run(fmt.Sprintf("%s/conns=%d", c.name, conns), func(b *testing.B) {
				req := getRequest(c.path)
				n, err := newInProcess(o).serve(req)
				if err != nil || n < 100000 {
					b.Fatalf("warm-up: %d bytes, %v", n, err)
				}
				b.SetBytes(n)
				b.ReportAllocs()
				b.SetParallelism(conns)
				b.RunParallel(func(pb *testing.PB) {
					p := newInProcess(o)
					for pb.Next() {
						if _, err := p.serve(req); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
