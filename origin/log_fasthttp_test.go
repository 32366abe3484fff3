package origin

import (
	"bufio"
	"bytes"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// readHeaderError is the error fasthttp gives for a request it cannot
// read: its text quotes the request's bytes.
func readHeaderError(t *testing.T, raw string) error {
	t.Helper()
	var h fasthttp.RequestHeader
	err := h.Read(bufio.NewReader(strings.NewReader(raw)))
	if err == nil {
		t.Fatalf("fasthttp read %q", raw)
	}
	return err
}

// TestFasthttpLoggerWithholdsRequest: what fasthttp hands its logger, a
// connection error quoting a whole request, a request-scoped message with
// the request URI, reaches the log without a byte of the request but the
// reason and the client's address.
func TestFasthttpLoggerWithholdsRequest(t *testing.T) {
	const secret = "SECRET4b1d"
	raw := "GET /keys/aes/x\x01?token=" + secret + " HTTP/1.1\r\nHost: o\r\nAuthorization: Bearer " + secret + "\r\n\r\n"
	err := readHeaderError(t, raw)
	if !strings.Contains(err.Error(), secret) {
		t.Fatalf("fasthttp's error no longer quotes the request (%v): this test proves nothing", err)
	}
	var buf bytes.Buffer
	l := fasthttpLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	remote := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 51234}
	// The messages of fasthttp v1.78 (workerpool.go, server.go).
	l.Printf("error when serving connection %q<->%q: %v", local, remote, err)
	l.Printf("%.3f %s - %s", 0.5, "#0000000100000001 - 127.0.0.1:8080<->192.0.2.7:51234 - GET http://o/keys?token="+secret, "cannot parse "+secret)
	l.Printf("Permanent error when accepting new connections: %v", &net.OpError{Op: "accept", Net: "tcp", Err: errors.New("too many open files")})
	l.Printf("The incoming connection cannot be served, because %d concurrent connections are served. Try increasing Server.Concurrency", 256)
	out := buf.String()
	t.Log(out)
	if strings.Contains(out, secret) {
		t.Fatalf("the request reached the log:\n%s", out)
	}
	for _, want := range []string{
		`msg="connection closed on error" remote=192.0.2.7:51234 reason="malformed request"`,
		`msg="fasthttp: %.3f %s - %s"`,
		`reason="network error (accept)"`,
		`msg="fasthttp: The incoming connection cannot be served, because 256 concurrent connections are served.`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
}

// TestRequestLineOf: the method and the path of a request fasthttp could
// not read come from its error, never the query or what follows the
// request line.
func TestRequestLineOf(t *testing.T) {
	for _, c := range []struct {
		raw, method, path string
		ok                bool
	}{
		{"GET /keys/aes/x\x01?token=S HTTP/1.1\r\nAuthorization: Bearer S\r\n\r\n", "GET", "/keys/aes/x\x01", true},
		{"POST /a#frag\x01 HTTP/1.1\r\n\r\n", "POST", "/a", true},
		{"GET /ok HTTP/1.1\r\nBad header line\r\nAuthorization: Bearer S\r\n\r\n", "GET", "/ok", true},
		{"G\x01T /" + strings.Repeat("a", 500) + "?token=S HTTP/1.1\r\n\r\n", "G\x01T", "/" + strings.Repeat("a", 195), true}, // the error quotes the first 200 bytes
	} {
		m, p, ok := requestLineOf(readHeaderError(t, c.raw))
		if ok != c.ok || string(m) != c.method || string(p) != c.path {
			t.Errorf("%q: %q %q %v, want %q %q %v", c.raw, m, p, ok, c.method, c.path, c.ok)
		}
	}
	if _, _, ok := requestLineOf(errors.New("timeout")); ok {
		t.Error("an error without contents gave a request line")
	}
	var te interface{ Timeout() bool } = &net.OpError{Op: "read", Err: timeoutErr{}}
	if r := connErrorReason(te.(error)); r != "timeout" {
		t.Errorf("timeout: %q", r)
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
