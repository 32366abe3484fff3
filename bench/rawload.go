package bench

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// rawTarget is one URL as the raw generator sends it.
type rawTarget struct {
	req     []byte // the whole request
	bodyLen int    // the answer's body length, from a fetch before the run
}

// rawConn is one connection's state.
type rawConn struct {
	fd      int
	target  int       // index of the request in flight, -1 when idle
	sent    time.Time // when its write began
	due     time.Time // when the paced schedule wanted it sent
	hdr     []byte    // header bytes so far, while the header is incomplete
	left    int       // body bytes still to come, once the header is read
	pending []time.Time
	out     []byte // request bytes the socket did not take yet
}

// rawResult is one run of rawLoad.
type rawResult struct {
	rec *Recorder // latency from the request's write to the answer's last byte read
	// fromDue: paced runs only, latency from the schedule's send time (the
	// coordinated-omission-free figure: a request that waited for its
	// connection's previous answer counts that wait).
	fromDue *Recorder
	// late is how far behind the schedule paced sends went (ns, sorted
	// on summary): the generator's own delay.
	late []int64
	wall time.Duration
}

// take consumes b, bytes of c's answer. It returns done once the answer
// is complete, with the error class ("" for a 2xx of the expected body
// length) and the body's size.
func (c *rawConn) take(b []byte, want int) (done bool, errClass string, size int) {
	if c.left < 0 {
		c.hdr = append(c.hdr, b...)
		end := bytes.Index(c.hdr, []byte("\r\n\r\n"))
		if end < 0 {
			return false, "", 0
		}
		status, length, ok := parseRawHeader(c.hdr[:end+2])
		if !ok {
			return true, ErrTransport, 0
		}
		body := len(c.hdr) - end - 4
		if body > length {
			return true, ErrTransport, 0 // more bytes than asked for: nothing is pipelined
		}
		c.left = length - body
		c.hdr = c.hdr[:0]
		c.hdr = append(c.hdr, strconv.Itoa(status)...) // keep the status until the body is in
		c.hdr = append(c.hdr, ' ')
		c.hdr = strconv.AppendInt(c.hdr, int64(length), 10)
	} else {
		if len(b) > c.left {
			return true, ErrTransport, 0
		}
		c.left -= len(b)
	}
	if c.left > 0 {
		return false, "", 0
	}
	st, ln, _ := bytes.Cut(c.hdr, []byte(" "))
	status, _ := strconv.Atoi(string(st))
	length, _ := strconv.Atoi(string(ln))
	switch {
	case status < 200 || status > 299:
		return true, strconv.Itoa(status), length
	case want >= 0 && length != want:
		return true, ErrInvalid, length
	}
	return true, "", length
}

// parseRawHeader reads the status code and Content-Length of an answer's
// header (status line and fields, each ending in CRLF). ok is false when
// the status line is not HTTP/1.x, or no Content-Length says how long the
// body is (a chunked answer, which the origin does not send for a
// manifest, is not read by this generator).
func parseRawHeader(h []byte) (status, length int, ok bool) {
	line, rest, _ := bytes.Cut(h, []byte("\r\n"))
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, 0, false
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, false
	}
	length = -1
	for len(rest) > 0 {
		var f []byte
		f, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, v, found := bytes.Cut(f, []byte(":"))
		if !found {
			continue
		}
		if bytes.EqualFold(name, []byte("Content-Length")) {
			n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil || n < 0 {
				return 0, 0, false
			}
			length = n
		} else if bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(bytes.TrimSpace(v), []byte("close")) {
			return 0, 0, false // the connection would not carry the next request
		}
	}
	return status, length, length >= 0
}

// rawRequest is the GET of u as the raw generator sends it: the request
// line, Host and User-Agent, nothing else (what fasthttp's client sends).
func rawRequest(u string) ([]byte, error) {
	p, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	return []byte("GET " + p.RequestURI() + " HTTP/1.1\r\nHost: " + p.Host + "\r\nUser-Agent: drmbench\r\n\r\n"), nil
}

func cutLast(s, sep string) (string, string, bool) {
	i := bytes.LastIndex([]byte(s), []byte(sep))
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

var errRawNoTargets = errors.New("raw load: no targets")

// rawTargets builds the requests for urls and fetches each once with c
// (warming the origin's cache) to learn its answer's body length.
func rawTargets(c *Client, urls []string) ([]rawTarget, error) {
	if len(urls) == 0 {
		return nil, errRawNoTargets
	}
	ts := make([]rawTarget, len(urls))
	for i, u := range urls {
		req, err := rawRequest(u)
		if err != nil {
			return nil, err
		}
		r := c.Get(KindManifest, u, false, nil)
		if r.Err != "" {
			return nil, fmt.Errorf("%s: %s", u, r.Err)
		}
		ts[i] = rawTarget{req: req, bodyLen: r.Size}
	}
	return ts, nil
}
