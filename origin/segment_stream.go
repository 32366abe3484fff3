package origin

import (
	"io"
	"net"
	"sync"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/valyala/fasthttp"
)

// segmentStream is the body of a clear fMP4 segment whose sample data is
// written to the connection straight from the track file's mapping: the
// head (styp, moof, mdat header) from a pooled buffer, then the payload's
// runs (one for a fragmented file, one per stretch of back-to-back samples
// of a progressive one). A buffered body would read the payload into
// memory first, a second copy of every byte. fasthttp calls WriteTo to send
// it and Close when done (or when the response is dropped), which releases
// the mapping.
//
// The response's headers are flushed before the body (ImmediateHeaderFlush),
// so WriteTo can send head and runs to the connection in one writev:
// through fasthttp's buffered writer each run of a progressive file's
// interleaved chunks would be a write syscall of its own (50 a segment for
// ffmpeg's one-frame chunks, measured), and a fragmented segment's first
// 4 KiB would be copied into the buffer first. The connection holds the
// flushed headers (conn_hold.go), and the writev sends them first: one
// system call per segment, as the copy-only floor makes.
//
// A segment written into memory (encrypted, or TS) goes the same way with
// head its whole bytes and no payload (a body stream, from bodyStreamPool):
// as a buffered body fasthttp would copy its first 16 KiB into the write
// buffer behind the headers and send the rest in a second write, since it
// only writes header and body with one writev on a bare *net.TCPConn.
type segmentStream struct {
	hdr  []byte // the response's headers, held by the connection
	head []byte
	runs [][]byte // storage for ms.Payload
	vec  [][]byte // headers, head and runs, for one writev
	bufs net.Buffers
	conn net.Conn  // written to directly: the headers are flushed by then
	dl   *lineConn // conn's lineConn, whose write deadline conn needs first
	lc   *lineConn
	ms   packager.MappedSegment
	off  int // bytes already given out by Read
	open bool
	body bool // head is a whole segment: back to bodyStreamPool
}

var (
	segmentStreamPool = sync.Pool{New: func() any { return &segmentStream{head: make([]byte, 0, 4<<10)} }}
	bodyStreamPool    = sync.Pool{New: func() any { return &segmentStream{body: true} }}
)

// bodyStream returns a pooled body stream (its head, empty, is the buffer
// to write the segment into) for a request whose answer it can send: not a
// range request, which serveBody cuts from a buffered body. Else nil.
func bodyStream(ctx *fasthttp.RequestCtx) *segmentStream {
	if len(ctx.Request.Header.PeekBytes(hdrRange)) > 0 {
		return nil
	}
	ss := bodyStreamPool.Get().(*segmentStream)
	ss.head = ss.head[:0]
	return ss
}

// putBack returns a stream that was never set as a body to its pool.
func (ss *segmentStream) putBack() {
	ss.head = ss.head[:0]
	if ss.body {
		bodyStreamPool.Put(ss)
		return
	}
	segmentStreamPool.Put(ss)
}

// setBody makes ss, its head and payload in place, the body of ctx's
// response: the headers are flushed into the connection's hold when it
// has one (not for HEAD, which sends no body to put them in front of).
func (ss *segmentStream) setBody(ctx *fasthttp.RequestCtx) {
	ss.off, ss.open = 0, true
	c := ctx.Conn()
	ss.conn = rawConn(c) // the TCP connection itself: writev
	ss.dl = lineConnOf(c)
	ctx.Response.ImmediateHeaderFlush = true
	ctx.Response.SetBodyStream(ss, len(ss.head)+ss.ms.PayloadLen())
	if lc := lineConnOf(c); lc != nil && !ctx.IsHead() {
		ss.lc = lc
		lc.holdWrites(&ss.hdr)
	}
}

// serveMappedSegment answers fragment i of t in the form out with a
// segmentStream, or with a buffered body when the file is not mapped. It
// reports false, having set nothing, on error.
func (s *Server) serveMappedSegment(ctx *fasthttp.RequestCtx, r *StreamRequest, t *packager.Track, i int, out packager.Output) (bool, error) {
	ss := segmentStreamPool.Get().(*segmentStream)
	ms, err := t.AppendSegmentMapped(ss.head[:0], ss.runs[:0], i, out)
	ss.runs = ms.Payload[:0]
	if err != nil {
		ss.head = ms.Head[:0]
		segmentStreamPool.Put(ss)
		return false, err
	}
	if len(ms.Payload) == 0 {
		// Not mapped: Head is the whole segment. Serve it as a buffered
		// body, and keep the segment-sized buffer out of this pool.
		ss.head = ctx.Response.SwapBody(ms.Head)[:0]
		if cap(ss.head) > 64<<10 {
			ss.head = make([]byte, 0, 4<<10)
		}
		segmentStreamPool.Put(ss)
		s.segmentHeaders(ctx, r, t, i, nil)
		return true, nil
	}
	ss.head, ss.ms = ms.Head, ms
	ss.setBody(ctx)
	s.segmentHeaders(ctx, r, t, i, nil)
	return true, nil
}

// WriteTo writes the head, then the payload from the mapping: in one writev
// to the connection when it has it, else through w.
func (ss *segmentStream) WriteTo(w io.Writer) (int64, error) {
	if ss.conn != nil && ss.off == 0 {
		if ss.dl != nil {
			// The write deadline the lineConn was asked for (conn_deadline.go).
			if err := ss.dl.syncWrite(); err != nil {
				return 0, err
			}
		}
		var hdr []byte
		if ss.lc != nil {
			hdr, ss.lc = ss.lc.takeHeld(), nil
		}
		ss.vec = append(append(ss.vec[:0], hdr, ss.head), ss.ms.Payload...)
		// In the pooled stream: a net.Buffers of the stack escapes
		// (WriteTo takes a pointer), an allocation per segment.
		ss.bufs = ss.vec
		var n int64
		var err error
		if len(ss.ms.Payload) == 0 {
			n, err = ss.bufs.WriteTo(ss.conn)
		} else if gerr := ss.ms.Guarded(func() { n, err = ss.bufs.WriteTo(ss.conn) }); gerr != nil && err == nil {
			err = gerr
		}
		clear(ss.vec) // no view of the mapping kept in the pool
		ss.bufs = nil
		// What is written of the body, the headers not counted.
		n = max(n-int64(len(hdr)), 0)
		ss.off = int(n)
		return n, err
	}
	if err := ss.sendHeld(); err != nil {
		return 0, err
	}
	n, err := w.Write(ss.head[ss.off:])
	ss.off += n
	if err != nil {
		return int64(n), err
	}
	m, err := ss.ms.WriteTo(w)
	return int64(n) + m, err
}

// Read is the plain io.Reader form of WriteTo, for callers that read the
// body (fasthttp's Body on a stream).
func (ss *segmentStream) Read(p []byte) (int, error) {
	if ss.off < len(ss.head) {
		n := copy(p, ss.head[ss.off:])
		ss.off += n
		return n, nil
	}
	n, err := ss.ms.ReadAt(p, int64(ss.off-len(ss.head)))
	ss.off += n
	return n, err
}

// sendHeld ends the connection's hold, sending what it holds (the
// headers) when WriteTo has not: on a HEAD-less answer without a body
// written (an error, a 304) or before a write through fasthttp's writer.
func (ss *segmentStream) sendHeld() error {
	if ss.lc == nil {
		return nil
	}
	lc := ss.lc
	ss.lc = nil
	return lc.sendHeld()
}

// Close releases the mapping, sends any headers still held, and returns
// the stream to its pool.
func (ss *segmentStream) Close() error {
	if !ss.open {
		return nil
	}
	err := ss.sendHeld()
	ss.open = false
	ss.conn, ss.dl = nil, nil
	ss.ms.Release()
	ss.runs = ss.ms.Payload[:0]
	ss.ms = packager.MappedSegment{}
	ss.hdr = ss.hdr[:0]
	ss.putBack()
	return err
}
