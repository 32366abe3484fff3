package origin

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// Read-ahead of a keep-alive request's first bytes.
//
// With ReduceMemoryUsage (server.go: it keeps no buffer per idle
// connection), fasthttp waits for a keep-alive connection's next request
// by reading one byte, then reads the rest of the request through a pooled
// reader: two read system calls for the request's bytes, which arrive in
// one segment, where one would do. On a cached manifest, whose answer is a
// single write, that second read is about a quarter of the system calls of
// the request (bench: 3 reads and 1 write per request).
//
// So a lineConn over a socket answers a read of fewer than
// readAheadBelow bytes (fasthttp's one-byte wait) with one read system
// call into a pooled buffer, taken only once the socket is readable (no
// buffer is held by a waiting connection), returns the bytes asked for and
// keeps the rest for the next Read, which follows at once and gives the
// buffer back. The bytes and their order are the socket's: a pipelined
// request after the first comes out of the read-ahead in turn.

// readAheadBelow: a read asking for fewer bytes reads ahead. fasthttp's
// wait for the next request asks for one; its reader asks for its whole
// buffer.
const readAheadBelow = 16

// readAheadSize is the read-ahead buffer: a request line and the headers
// of a player's request fit; what is longer comes by ordinary reads after.
const readAheadSize = 4 << 10

var readAheadPool = sync.Pool{New: func() any { b := make([]byte, readAheadSize); return &b }}

// socketOf returns the raw socket of c for read-ahead, nil when c has
// none that reads the connection's bytes as they are (TLS).
func socketOf(c net.Conn) syscall.RawConn {
	if _, ok := c.(tlsConn); ok {
		return nil
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// readAhead serves a short read (len(p) < readAheadBelow) by one read
// system call of up to readAheadSize bytes, keeping what p cannot take in
// c.ahead. It waits for the socket under the connection's read deadline,
// like net.Conn.Read.
func (c *lineConn) readAhead(p []byte) (int, error) {
	if c.readFn == nil {
		// A method value made once per connection: a closure made per
		// call would escape to the heap, with what it captures.
		c.readFn = c.readSocket
	}
	if c.turns != nil {
		c.turnBegin()
	}
	var err error
	for {
		if err = c.begin(dirRead); err != nil {
			c.end(dirRead, nil)
			return 0, err
		}
		err = c.sock.Read(c.readFn)
		if !c.end(dirRead, err) || c.sockBuf != nil {
			break
		}
	}
	buf, n, rerr := c.sockBuf, c.sockN, c.sockErr
	c.sockBuf, c.sockErr = nil, nil
	switch {
	case err != nil: // the deadline, or the connection closed (a *net.OpError)
		if buf != nil {
			readAheadPool.Put(buf)
		}
		return 0, err
	case rerr != nil:
		readAheadPool.Put(buf)
		return 0, &net.OpError{Op: "read", Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("read", rerr)}
	case n <= 0:
		readAheadPool.Put(buf)
		return 0, io.EOF
	}
	k := copy(p, (*buf)[:n])
	if k == n {
		readAheadPool.Put(buf)
		return k, nil
	}
	c.aheadBuf, c.ahead = buf, (*buf)[k:n]
	return k, nil
}

// turnBegin readies a wait in turns for the read about to be made: the
// read deadline asked, as it is at c.readGen's count now (see
// turns.wait).
func (c *lineConn) turnBegin() {
	c.turnGen = c.readGen.Load() // before the deadline
	d := &c.deadlines[dirRead]
	d.mu.Lock()
	c.turnAsked = d.want
	d.mu.Unlock()
	c.turnOff = false
}

// endTurn ends the wait in turns, if one is under way: a read deadline
// was asked, or the connection is being closed.
func (c *lineConn) endTurn() {
	c.readGen.Add(1)
	if c.inTurn.Load() {
		c.turns.release(c, false)
	}
}

// Close ends a wait in turns and takes the connection out of them before
// closing: once closed, the socket leaves the epoll set and no event
// would come.
func (c *lineConn) Close() error {
	if c.turns != nil {
		c.readGen.Add(1)
		c.turns.release(c, true)
	}
	return c.Conn.Close()
}

// readSocket is readAhead's attempt on the socket (syscall.RawConn.Read):
// false while nothing is there, to wait for it without holding a buffer.
func (c *lineConn) readSocket(fd uintptr) bool {
	b := readAheadPool.Get().(*[]byte)
	var n int
	var err error
	for {
		if c.turns != nil && c.drained && !c.turnOff {
			// Nothing left to read when last looked: wait for the next
			// bytes in turns, without a read to find nothing.
			c.inTurn.Store(true)
			readable := c.turns.wait(c, fd)
			c.inTurn.Store(false)
			if !readable {
				// A deadline, a close, or no turns: the Go poller's wait,
				// which knows what to do with each, after a read. (The
				// poller forgot what it saw before this RawConn.Read
				// began: only a read after that start may find nothing
				// and wait there.)
				c.turnOff = true
			}
		}
		n, err = syscall.Read(int(fd), *b)
		if err == syscall.EINTR {
			continue
		}
		c.drained = err != nil || n < len(*b)
		if err == syscall.EAGAIN && c.turns != nil && !c.turnOff {
			continue // to wait in turns
		}
		break
	}
	if err == syscall.EAGAIN {
		readAheadPool.Put(b)
		return false
	}
	c.sockBuf, c.sockN, c.sockErr = b, n, err
	return true
}

// readKept serves a read from the bytes read ahead, and gives the buffer
// back once they are all taken.
func (c *lineConn) readKept(p []byte) int {
	k := copy(p, c.ahead)
	c.ahead = c.ahead[k:]
	if len(c.ahead) == 0 {
		readAheadPool.Put(c.aheadBuf)
		c.aheadBuf, c.ahead = nil, nil
	}
	return k
}
