package origin

import (
	"bytes"
	"crypto/tls"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// A request line over MaxRequestLineLen must get 414 before its headers
// count toward the 431 of MaxHeaderBytes (quality.md). fasthttp reads the
// whole header block into a buffer of MaxRequestLineLen+MaxHeaderBytes;
// when the block does not fit, it fails with ErrSmallBuffer, whatever
// overflowed, and keeps nothing of what it read. So each connection
// measures the request line as its bytes go by: lineConn counts the bytes
// of the first line of the request being read, and Server.connState
// starts the count again once a request is answered (fasthttp's
// StateIdle). A client that pipelines may have sent part of its next
// request before that; its line is then measured short, and an
// overflowing block gets 431, as it did before.

// lineListener wraps the connections it accepts in a lineConn.
// Plain sockets it accepts wait for their next request in turns, when
// turns is not nil.
type lineListener struct {
	net.Listener
	turns *turns
}

func (l lineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	lc := &lineConn{Conn: c, sock: socketOf(c)}
	if lc.sock != nil {
		lc.turns = l.turns
	}
	if _, ok := c.(tlsConn); ok {
		// fasthttp tells TLS connections by these methods (ctx.IsTLS).
		return &lineTLSConn{lc}, nil
	}
	return lc, nil
}

// tlsConn is how fasthttp recognises a TLS connection.
type tlsConn interface {
	Handshake() error
	ConnectionState() tls.ConnectionState
}

// lineConn is a connection that measures the request line of the request
// being read. Only the goroutine serving the connection touches its
// counters (fasthttp reads, and calls ConnState and the ErrorHandler, from
// that goroutine).
type lineConn struct {
	net.Conn
	line  int  // bytes of the request line seen so far, without CR LF
	ended bool // the request line's LF was seen

	// The read-ahead (conn_readahead.go): the raw socket (nil: none), and
	// the bytes read ahead that no Read has taken yet, in aheadBuf.
	sock     syscall.RawConn
	ahead    []byte
	aheadBuf *[]byte
	// readFn is readSocket, bound once; sockBuf, sockN and sockErr are
	// what it read.
	readFn  func(fd uintptr) bool
	sockBuf *[]byte
	sockN   int
	sockErr error

	// The wait for the next request in arrival order (conn_turns_linux.go):
	// the turns (nil: the Go poller's wait) and the wake. Under turns.mu:
	// whether the socket is in the turns' set and its descriptor there,
	// whether bytes came since the last wait, whether a wait is under way
	// and whether bytes ended it. readGen counts read
	// deadlines asked and closes, so that one asked while a wait begins is
	// not missed; inTurn is set while the serving goroutine is in a wait.
	// Of the serving goroutine: drained, the last read of the socket left
	// nothing (short, or none); turnGen and turnAsked, readGen and the
	// read deadline when the read began (the deadline of its wait, read
	// by the taker under turns.mu while the wait lasts); turnOff, the
	// read waits in the Go poller.
	turns       *turns
	turnWake    chan struct{}
	turnIn      bool
	turnFd      int32
	turnReady   bool
	turnWaiting bool
	turnByBytes bool
	readGen     atomic.Uint32
	inTurn      atomic.Bool
	drained     bool
	turnGen     uint32
	turnAsked   time.Time
	turnOff     bool

	// The read and write deadlines asked, set on the socket when an
	// operation needs them (conn_deadline.go).
	deadlines [2]lazyDeadline

	// held, when not nil, keeps what is written to the connection until
	// a segment stream sends it in front of its body (conn_hold.go).
	held *[]byte
}

func (c *lineConn) Read(p []byte) (n int, err error) {
	switch {
	case len(c.ahead) > 0:
		n = c.readKept(p)
	case len(p) < readAheadBelow && len(p) > 0 && c.sock != nil:
		n, err = c.readAhead(p)
	default:
		n, err = c.readConn(p)
	}
	if !c.ended && n > 0 {
		c.scan(p[:n])
	}
	return n, err
}

func (c *lineConn) scan(b []byte) {
	if c.line == 0 {
		b = bytes.TrimLeft(b, "\r\n") // fasthttp skips empty lines before a request
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		c.line += i
		if i > 0 && b[i-1] == '\r' {
			c.line--
		}
		c.ended = true
		return
	}
	c.line += len(b)
}

// next starts the measure of the next request's line.
func (c *lineConn) next() { c.line, c.ended = 0, false }

// tooLong reports whether the request line being read is longer than
// MaxRequestLineLen (ended or not).
func (c *lineConn) tooLong() bool { return c.line > MaxRequestLineLen }

// lineTLSConn is a lineConn over a TLS connection.
type lineTLSConn struct{ *lineConn }

func (c *lineTLSConn) Handshake() error { return c.Conn.(tlsConn).Handshake() }
func (c *lineTLSConn) ConnectionState() tls.ConnectionState {
	return c.Conn.(tlsConn).ConnectionState()
}

// lineConnOf returns the lineConn of a connection lineListener accepted,
// else nil.
func lineConnOf(c net.Conn) *lineConn {
	switch x := c.(type) {
	case *lineConn:
		return x
	case *lineTLSConn:
		return x.lineConn
	}
	return nil
}

// rawConn is the connection under a lineConn: the one that writes a
// net.Buffers with writev.
func rawConn(c net.Conn) net.Conn {
	if lc := lineConnOf(c); lc != nil {
		return lc.Conn
	}
	return c
}
