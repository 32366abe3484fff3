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
// 4 KiB would be copied into the buffer first.
type segmentStream struct {
	head []byte
	runs [][]byte // storage for ms.Payload
	vec  [][]byte // head and runs, for one writev
	conn net.Conn // written to directly: the headers are flushed by then
	ms   packager.MappedSegment
	off  int // bytes already given out by Read
	open bool
}

var segmentStreamPool = sync.Pool{New: func() any { return &segmentStream{head: make([]byte, 0, 4<<10)} }}

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
	ss.head, ss.ms, ss.off, ss.open = ms.Head, ms, 0, true
	ss.conn = rawConn(ctx.Conn()) // the TCP connection itself: writev
	ctx.Response.ImmediateHeaderFlush = true
	ctx.Response.SetBodyStream(ss, len(ss.head)+ss.ms.PayloadLen())
	s.segmentHeaders(ctx, r, t, i, nil)
	return true, nil
}

// WriteTo writes the head, then the payload from the mapping: in one writev
// to the connection when it has it, else through w.
func (ss *segmentStream) WriteTo(w io.Writer) (int64, error) {
	if ss.conn != nil && ss.off == 0 {
		ss.vec = append(append(ss.vec[:0], ss.head), ss.ms.Payload...)
		bufs := net.Buffers(ss.vec)
		var n int64
		var err error
		if gerr := ss.ms.Guarded(func() { n, err = bufs.WriteTo(ss.conn) }); gerr != nil && err == nil {
			err = gerr
		}
		clear(ss.vec) // no view of the mapping kept in the pool
		ss.off = int(n)
		return n, err
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

// Close releases the mapping and returns the stream to its pool.
func (ss *segmentStream) Close() error {
	if !ss.open {
		return nil
	}
	ss.open = false
	ss.conn = nil
	ss.ms.Release()
	ss.runs = ss.ms.Payload[:0]
	ss.ms = packager.MappedSegment{}
	ss.head = ss.head[:0]
	segmentStreamPool.Put(ss)
	return nil
}
