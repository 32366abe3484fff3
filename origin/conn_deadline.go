package origin

import (
	"errors"
	"os"
	"sync"
	"time"
)

// Deadlines set when a socket operation needs them.
//
// fasthttp moves a keep-alive connection's deadlines three times per
// request: the read deadline to the idle timeout before it waits for the
// request, to the read timeout once the first byte is in, and the write
// deadline before the answer. Each move is a runtime poller call (lock,
// timer heap), about 200 ns; with time.Now, 4.7% of the origin's CPU under
// the manifest bench, where the floor (no timeouts) spends none. Most of
// those deadlines are never waited under: with the read-ahead, the request
// after its first byte is read from memory, not from the socket.
//
// So on a plain socket a lineConn records what is asked and the socket
// gets it only before an operation on it, and only when it is earlier than
// what the socket has. A later one waits: if the operation times out at
// the earlier deadline, the later one is set and the operation goes on
// (reads read, writes write what is left), so no operation ends before the
// deadline asked for. While a serving connection is busy its deadlines
// move about once per timeout, not three times per request.
//
// A deadline asked while an operation of its direction is in progress (by
// another goroutine: the serving one is in the operation) is set at once,
// as net.Conn's is, so it can end or extend a blocked operation. TLS
// connections (no socket of their own, lineConn.sock nil) pass every
// deadline through.

// lazyDeadline is one direction's deadline. The zero time is no deadline.
type lazyDeadline struct {
	mu   sync.Mutex
	want time.Time // asked
	set  time.Time // what the socket has
	busy bool      // an operation is in progress
}

// earlier reports whether deadline a ends sooner than b (the zero time is
// none, the latest of all).
func earlier(a, b time.Time) bool {
	switch {
	case a.IsZero():
		return false
	case b.IsZero():
		return true
	}
	return a.Before(b)
}

const (
	dirRead = iota
	dirWrite
)

// setDeadline is SetReadDeadline (dir dirRead) or SetWriteDeadline.
func (c *lineConn) setDeadline(dir int, t time.Time) error {
	if c.sock == nil {
		return c.applyDeadline(dir, t)
	}
	d := &c.deadlines[dir]
	d.mu.Lock()
	defer d.mu.Unlock()
	d.want = t
	if dir == dirRead && c.turns != nil {
		c.endTurn()
	}
	if d.busy {
		return d.syncLocked(c, dir)
	}
	return nil
}

func (c *lineConn) applyDeadline(dir int, t time.Time) error {
	if dir == dirRead {
		return c.Conn.SetReadDeadline(t)
	}
	return c.Conn.SetWriteDeadline(t)
}

// syncLocked gives the socket the deadline asked.
func (d *lazyDeadline) syncLocked(c *lineConn, dir int) error {
	if d.want.Equal(d.set) {
		return nil
	}
	if err := c.applyDeadline(dir, d.want); err != nil {
		return err
	}
	d.set = d.want
	return nil
}

// begin readies the socket for an operation in direction dir: a deadline
// asked earlier than the socket's is set now, a later one waits for end.
func (c *lineConn) begin(dir int) error {
	if c.sock == nil {
		return nil
	}
	d := &c.deadlines[dir]
	d.mu.Lock()
	defer d.mu.Unlock()
	d.busy = true
	if earlier(d.want, d.set) {
		return d.syncLocked(c, dir)
	}
	return nil
}

// end closes an operation begun that ended with err, and reports whether
// to do it again: it timed out at the socket's deadline when a later one
// was asked, which the socket now has.
func (c *lineConn) end(dir int, err error) bool {
	if c.sock == nil {
		return false
	}
	d := &c.deadlines[dir]
	d.mu.Lock()
	defer d.mu.Unlock()
	d.busy = false
	if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) || !earlier(d.set, d.want) {
		return false
	}
	return d.syncLocked(c, dir) == nil
}

// syncWrite gives the socket the write deadline asked, for a write made
// on the socket directly (a segment's writev, segment_stream.go).
func (c *lineConn) syncWrite() error {
	if c.sock == nil {
		return nil
	}
	d := &c.deadlines[dirWrite]
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.syncLocked(c, dirWrite)
}

func (c *lineConn) SetReadDeadline(t time.Time) error  { return c.setDeadline(dirRead, t) }
func (c *lineConn) SetWriteDeadline(t time.Time) error { return c.setDeadline(dirWrite, t) }

func (c *lineConn) SetDeadline(t time.Time) error {
	if err := c.setDeadline(dirRead, t); err != nil {
		return err
	}
	return c.setDeadline(dirWrite, t)
}

// readConn reads p from the socket under the read deadline asked.
func (c *lineConn) readConn(p []byte) (int, error) {
	for {
		if err := c.begin(dirRead); err != nil {
			c.end(dirRead, nil)
			return 0, err
		}
		n, err := c.Conn.Read(p)
		// A short read leaves nothing behind it: the next wait for bytes
		// can be in turns (conn_turns_linux.go).
		c.drained = err != nil || n < len(p)
		if !c.end(dirRead, err) || n > 0 {
			return n, err
		}
	}
}

// writeConn writes p to the socket under the write deadline asked.
func (c *lineConn) writeConn(p []byte) (int, error) {
	done := 0
	for {
		if err := c.begin(dirWrite); err != nil {
			c.end(dirWrite, nil)
			return done, err
		}
		n, err := c.Conn.Write(p[done:])
		done += n
		if !c.end(dirWrite, err) {
			return done, err
		}
	}
}
