package origin

import (
	"bytes"
	"io"
	"net/netip"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// AccessLogFormat is the form of the access log's lines (Config.AccessLog).
type AccessLogFormat string

// Access log formats.
const (
	// AccessLogCombined is the NCSA combined format that web servers
	// write, with the time taken (seconds) appended, as nginx's
	// $request_time:
	//
	//	192.0.2.7 - - [07/Dec/2026:10:00:00 +0000] "GET /loc/a.ism/manifest(format=m3u8-cmaf) HTTP/1.1" 200 1234 "-" "AppleCoreMedia/1.0" 0.000081
	AccessLogCombined AccessLogFormat = "combined"
	// AccessLogJSON is one JSON object a line, in the shape of the JSON
	// application log (time, level, msg) with the request's fields:
	//
	//	{"time":"2026-12-07T10:00:00.123456789Z","level":"INFO","msg":"access","remote":"192.0.2.7","method":"GET","path":"/loc/a.ism/manifest(format=m3u8-cmaf)","proto":"HTTP/1.1","status":200,"bytes":1234,"duration":0.000081,"referer":"","ua":"AppleCoreMedia/1.0"}
	AccessLogJSON AccessLogFormat = "json"
)

// What an access log line quotes of a request is bounded, so that a line
// is too: longer values are cut and end in "...". MaxLoggedPath is past
// any path of the URL grammar (a locator, a manifest name, a track and
// options), MaxLoggedHeader past real user agents.
const (
	MaxLoggedPath   = 1024
	MaxLoggedHeader = 256
)

// The access log is written in batches: whole lines, in one Write when the
// batch passes accessFlushBytes or is accessFlushInterval old (Serve runs
// the flusher), and when Serve returns. A line never waits more than
// accessFlushInterval, and a write never carries part of a line, so lines
// do not interleave with other writers of the same file.
const (
	accessFlushBytes    = 32 << 10
	accessFlushInterval = 200 * time.Millisecond
)

var (
	strDash         = []byte("-")
	hdrUserAgent    = []byte("User-Agent")
	hdrReferer      = []byte("Referer")
	jsonAccessStart = []byte(`{"time":"`)
)

// accessLog writes one line per request.
type accessLog struct {
	w     io.Writer
	json  bool
	clock lineClock

	mu  sync.Mutex
	buf []byte // whole lines not yet written
}

func newAccessLog(w io.Writer, f AccessLogFormat) *accessLog {
	return &accessLog{w: w, json: f == AccessLogJSON, buf: make([]byte, 0, accessFlushBytes+4<<10)}
}

var accessLinePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// log writes the line of a request answered with status and n body bytes,
// whose handling started at start and took took. The path is logged
// without its query (where tokens travel), the referer too.
func (a *accessLog) log(ctx *fasthttp.RequestCtx, start time.Time, status, n int, took time.Duration) {
	lp := accessLinePool.Get().(*[]byte)
	var line []byte
	if a.json {
		line = a.appendJSON((*lp)[:0], ctx, start, status, n, took)
	} else {
		line = a.appendCombined((*lp)[:0], ctx, start, status, n, took)
	}
	a.mu.Lock()
	a.buf = append(a.buf, line...)
	if len(a.buf) >= accessFlushBytes {
		a.flushLocked()
	}
	a.mu.Unlock()
	*lp = line
	accessLinePool.Put(lp)
}

func (a *accessLog) flush() {
	a.mu.Lock()
	a.flushLocked()
	a.mu.Unlock()
}

func (a *accessLog) flushLocked() {
	if len(a.buf) == 0 {
		return
	}
	// A failed write (a closed pipe) drops the batch: logging must not
	// stop serving.
	_, _ = a.w.Write(a.buf)
	a.buf = a.buf[:0]
}

// run flushes every accessFlushInterval until stop is closed, then once
// more.
func (a *accessLog) run(stop <-chan struct{}) {
	t := time.NewTicker(accessFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.flush()
		case <-stop:
			a.flush()
			return
		}
	}
}

// appendSeconds appends d in seconds with six decimals, as
// strconv.AppendFloat(b, d.Seconds(), 'f', 6, 64) does (for d >= 0), at a
// fraction of its cost.
func appendSeconds(b []byte, d time.Duration) []byte {
	us := max(d.Microseconds(), 0)
	b = strconv.AppendInt(b, us/1e6, 10)
	frac := us % 1e6
	var digits [7]byte
	digits[0] = '.'
	for i := 6; i >= 1; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, digits[:]...)
}

// pathOf is the request's path as it came, without the query.
func pathOf(ctx *fasthttp.RequestCtx) []byte {
	return withoutQuery(ctx.Request.Header.RequestURI())
}

// withoutQuery is a URI (the request's, a Referer) without its query and
// fragment.
func withoutQuery(v []byte) []byte {
	if i := bytes.IndexByte(v, '?'); i >= 0 {
		v = v[:i]
	}
	if i := bytes.IndexByte(v, '#'); i >= 0 {
		v = v[:i]
	}
	return v
}

func appendRemoteIP(dst []byte, ctx *fasthttp.RequestCtx) []byte {
	ip, ok := netip.AddrFromSlice(ctx.RemoteIP())
	if !ok {
		return append(dst, '-')
	}
	return ip.Unmap().AppendTo(dst)
}

func (a *accessLog) appendCombined(b []byte, ctx *fasthttp.RequestCtx, start time.Time, status, n int, took time.Duration) []byte {
	b = appendRemoteIP(b, ctx)
	b = append(b, " - - ["...)
	b = a.clock.appendCombined(b, start)
	b = append(b, `] "`...)
	b = appendEscaped(b, ctx.Method(), 16)
	b = append(b, ' ')
	b = appendEscaped(b, pathOf(ctx), MaxLoggedPath)
	b = append(b, ' ')
	b = appendEscaped(b, ctx.Request.Header.Protocol(), 16)
	b = append(b, `" `...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, ` "`...)
	b = appendEscapedOrDash(b, withoutQuery(ctx.Request.Header.PeekBytes(hdrReferer)))
	b = append(b, `" "`...)
	b = appendEscapedOrDash(b, ctx.Request.Header.PeekBytes(hdrUserAgent))
	b = append(b, `" `...)
	b = appendSeconds(b, took)
	return append(b, '\n')
}

func appendEscapedOrDash(b, v []byte) []byte {
	if len(v) == 0 {
		return append(b, strDash...)
	}
	return appendEscaped(b, v, MaxLoggedHeader)
}

// appendEscaped appends at most limit bytes of v for a quoted field of the
// combined format: quotes, backslashes, control bytes and bytes past ASCII
// as \xHH (as nginx does), so that a line is one line of printable ASCII.
func appendEscaped(b, v []byte, limit int) []byte {
	const hex = "0123456789ABCDEF"
	cut := len(v) > limit
	if cut {
		v = v[:limit]
	}
	for len(v) > 0 {
		i := 0
		for i < len(v) && plainCombined[v[i]] {
			i++
		}
		b = append(b, v[:i]...)
		if i == len(v) {
			break
		}
		c := v[i]
		b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		v = v[i+1:]
	}
	if cut {
		b = append(b, "..."...)
	}
	return b
}

// plainCombined and plainJSON say which bytes a field takes as they are.
var plainCombined, plainJSON = func() (c, j [256]bool) {
	for i := 0x20; i < 0x7f; i++ {
		c[i] = i != '"' && i != '\\'
		j[i] = c[i]
	}
	return c, j
}()

func (a *accessLog) appendJSON(b []byte, ctx *fasthttp.RequestCtx, start time.Time, status, n int, took time.Duration) []byte {
	b = append(b, jsonAccessStart...)
	b = a.clock.appendRFC3339Nano(b, start) // as slog's JSON handler
	b = append(b, `","level":"INFO","msg":"access","remote":"`...)
	b = appendRemoteIP(b, ctx)
	b = append(b, `","method":`...)
	b = appendJSONString(b, ctx.Method(), 16)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, pathOf(ctx), MaxLoggedPath)
	b = append(b, `,"proto":`...)
	b = appendJSONString(b, ctx.Request.Header.Protocol(), 16)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"duration":`...)
	b = appendSeconds(b, took)
	b = append(b, `,"referer":`...)
	b = appendJSONString(b, withoutQuery(ctx.Request.Header.PeekBytes(hdrReferer)), MaxLoggedHeader)
	b = append(b, `,"ua":`...)
	b = appendJSONString(b, ctx.Request.Header.PeekBytes(hdrUserAgent), MaxLoggedHeader)
	return append(b, "}\n"...)
}

// appendJSONString appends at most limit bytes of v as a JSON string:
// quotes, backslashes and control bytes escaped, invalid UTF-8 as U+FFFD.
func appendJSONString(b, v []byte, limit int) []byte {
	const hex = "0123456789abcdef"
	cut := len(v) > limit
	if cut {
		v = v[:limit]
	}
	b = append(b, '"')
	for len(v) > 0 {
		i := 0
		for i < len(v) && plainJSON[v[i]] {
			i++
		}
		b = append(b, v[:i]...)
		if i == len(v) {
			break
		}
		c := v[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			v = v[i+1:]
		case c < utf8.RuneSelf: // control bytes and DEL
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			v = v[i+1:]
		default:
			r, size := utf8.DecodeRune(v[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, v[i:i+size]...)
			}
			v = v[i+size:]
		}
	}
	if cut {
		b = append(b, "..."...)
	}
	return append(b, '"')
}

// lineClock formats the times of access log lines. Formatting a time costs
// more than the rest of a line; it changes once a second but for the
// fraction, so the second's text is kept.
type lineClock struct {
	mu       sync.Mutex
	sec      int64 // Unix seconds of the texts below; 0: none yet
	combined [32]byte
	nc       int
	rfc      [32]byte // up to the seconds
	nr       int
	zone     [8]byte // "Z" or "+hh:mm"
	nz       int
}

// second brings the cached texts to t's second; c.mu is held.
func (c *lineClock) second(t time.Time) {
	if s := t.Unix(); s != c.sec {
		c.sec = s
		c.nc = len(t.AppendFormat(c.combined[:0], "02/Jan/2006:15:04:05 -0700"))
		c.nr = len(t.AppendFormat(c.rfc[:0], "2006-01-02T15:04:05"))
		c.nz = len(t.AppendFormat(c.zone[:0], "Z07:00"))
	}
}

// appendCombined appends t as the combined format's time,
// 07/Dec/2026:10:00:00 +0000.
func (c *lineClock) appendCombined(b []byte, t time.Time) []byte {
	c.mu.Lock()
	c.second(t)
	b = append(b, c.combined[:c.nc]...)
	c.mu.Unlock()
	return b
}

// appendRFC3339Nano appends t as t.AppendFormat(b, time.RFC3339Nano)
// does: the fraction without trailing zeros, none when it is zero.
func (c *lineClock) appendRFC3339Nano(b []byte, t time.Time) []byte {
	c.mu.Lock()
	c.second(t)
	b = append(b, c.rfc[:c.nr]...)
	var zone [8]byte
	nz := copy(zone[:], c.zone[:c.nz])
	c.mu.Unlock()
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, zone[:nz]...)
}
