package origin

// Holding a response's headers for its body's writev.
//
// A segment's body goes to the socket in one writev from where its bytes
// are (the track file's mapping, or the buffer it was encrypted into).
// fasthttp writes the headers before it, through its buffered writer, as a
// write of their own: a second system call per segment, and on loopback a
// TCP segment of 250 bytes that the receiver must take and acknowledge on
// its own (bench, 1.15 MB segments: the copy-only floor, whose headers and
// body go in one writev, made 1 write system call per segment, the origin
// 2). So while a segment stream is set, the connection holds what is
// written to it instead of sending it, and the stream puts those bytes at
// the front of its writev.

// maxHeld bounds what a connection holds: a response's headers, and what
// a pipelining client's earlier answers left in fasthttp's write buffer
// (at most streamWriteBuffer). Past it, what is held is sent first.
const maxHeld = 2 * streamWriteBuffer

// holdWrites makes c keep what is written to it from now on in *buf (its
// length reset), until takeHeld. buf must stay valid until then.
func (c *lineConn) holdWrites(buf *[]byte) {
	*buf = (*buf)[:0]
	c.held = buf
}

// takeHeld ends the hold and returns the bytes held, which the caller must
// send before anything else on c.
func (c *lineConn) takeHeld() []byte {
	if c.held == nil {
		return nil
	}
	b := *c.held
	c.held = nil
	return b
}

// sendHeld ends the hold and sends what was held.
func (c *lineConn) sendHeld() error {
	b := c.takeHeld()
	for len(b) > 0 {
		n, err := c.writeConn(b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (c *lineConn) Write(p []byte) (int, error) {
	if c.held != nil {
		if len(*c.held)+len(p) <= maxHeld {
			*c.held = append(*c.held, p...)
			return len(p), nil
		}
		if err := c.sendHeld(); err != nil {
			return 0, err
		}
	}
	return c.writeConn(p)
}
