package testservers

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Request is one request the Proxy received.
type Request struct {
	Method string
	Path   string // the URL's path, unescaped ("/bucket/asset/video.mp4")
	Range  string // the Range header (or Azure's x-ms-range), if any
	Status int    // the status answered: the store's, or an injected one
}

// Proxy is a reverse proxy in front of a store: it records every request
// it forwards, and on demand delays, fails or cuts them short. For the
// code under test it is the store, so what it counts is what the store
// was asked.
type Proxy struct {
	target *url.URL
	addr   string // host:port it listens on, kept over Stop and Start
	// failBody returns the body of an injected failure in the store's
	// dialect (an S3 or Azure error document) and sets its headers.
	failBody func(status int, h http.Header) []byte

	rp        *httputil.ReverseProxy
	transport *http.Transport

	mu        sync.Mutex
	srv       *http.Server
	reqs      []Request
	gen       int // ResetCounts calls: a request answered after one is not in reqs
	delay     time.Duration
	fail      int // status of every request, 0 for none
	failNext  int // how many of the next requests fail with failNextS
	failNextS int
	short     bool
}

// newProxy returns a Proxy to target, listening on a free 127.0.0.1 port.
func newProxy(target *url.URL, failBody func(int, http.Header) []byte) (*Proxy, error) {
	p := &Proxy{
		target:   target,
		failBody: failBody,
		transport: &http.Transport{
			Proxy:               nil, // never an environment's proxy
			DisableCompression:  true,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
	}
	quiet := log.New(io.Discard, "", 0)
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// Keep the Host the client signed (SigV4 signs it).
			pr.Out.Host = pr.In.Host
		},
		Transport:      p.transport,
		ModifyResponse: p.modify,
		// Flush every write: a body cut short must have sent its first
		// half before the connection drops, not left it in a buffer.
		FlushInterval: -1,
		ErrorLog:      quiet,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	return p, nil
}

// URL is the proxy's base URL, http://127.0.0.1:port.
func (p *Proxy) URL() string { return "http://" + p.addr }

func (p *Proxy) serve(ln net.Listener) {
	srv := &http.Server{
		Handler:           http.HandlerFunc(p.handle),
		ErrorLog:          log.New(io.Discard, "", 0),
		ReadHeaderTimeout: 10 * time.Second,
	}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go srv.Serve(ln)
}

// stop closes the listener and every connection: the store's address
// refuses connections until start.
func (p *Proxy) stop() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	p.transport.CloseIdleConnections()
}

// start listens again on the same address.
func (p *Proxy) start() error {
	var ln net.Listener
	var err error
	// The port was ours a moment ago; give the kernel a few tries.
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.serve(ln)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// statusRecorder notes the status written.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (p *Proxy) handle(w http.ResponseWriter, r *http.Request) {
	rng := r.Header.Get("Range")
	if rng == "" {
		rng = r.Header.Get("X-Ms-Range")
	}
	// Recorded as it arrives, so that it counts before any byte of its
	// answer reaches the client; the status is filled in when it is
	// answered, also when the answer is cut short (a short body panics
	// with http.ErrAbortHandler).
	p.mu.Lock()
	delay, fail := p.delay, p.fail
	if p.failNext > 0 {
		p.failNext--
		fail = p.failNextS
	}
	i, gen := len(p.reqs), p.gen
	p.reqs = append(p.reqs, Request{Method: r.Method, Path: r.URL.Path, Range: rng})
	p.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		p.mu.Lock()
		if p.gen == gen {
			p.reqs[i].Status = rec.status
		}
		p.mu.Unlock()
	}()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if fail != 0 {
		body := p.failBody(fail, rec.Header())
		rec.Header().Set("Content-Length", strconv.Itoa(len(body)))
		rec.WriteHeader(fail)
		if r.Method != http.MethodHead {
			rec.Write(body)
		}
		return
	}
	p.rp.ServeHTTP(rec, r)
}

// modify cuts a GET's body to half its length when short bodies are on:
// the headers promise the whole, the connection drops after the half.
func (p *Proxy) modify(resp *http.Response) error {
	p.mu.Lock()
	short := p.short
	p.mu.Unlock()
	if short && resp.Request.Method == http.MethodGet &&
		(resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent) &&
		resp.ContentLength > 1 {
		resp.Body = &shortBody{ReadCloser: resp.Body, left: resp.ContentLength / 2}
	}
	return nil
}

// shortBody ends with an error after left bytes; the reverse proxy then
// aborts the response, so the client sees the connection close early.
type shortBody struct {
	io.ReadCloser
	left int64
}

var errCut = errors.New("testservers: body cut short")

func (s *shortBody) Read(b []byte) (int, error) {
	if s.left <= 0 {
		return 0, errCut
	}
	if int64(len(b)) > s.left {
		b = b[:s.left]
	}
	n, err := s.ReadCloser.Read(b)
	s.left -= int64(n)
	return n, err
}

// SetDelay holds every request for d before forwarding it (a slow store);
// 0 switches it off.
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// SetFail answers every request with status (503: the store's throttling
// error, SlowDown or ServerBusy) instead of forwarding it; 0 switches it
// off.
func (p *Proxy) SetFail(status int) {
	p.mu.Lock()
	p.fail = status
	p.mu.Unlock()
}

// FailNext answers the next n requests with status, then forwards again:
// a transient fault that a retry gets past.
func (p *Proxy) FailNext(n, status int) {
	p.mu.Lock()
	p.failNext, p.failNextS = n, status
	p.mu.Unlock()
}

// SetShortBody cuts the body of every successful GET to half its length
// and drops the connection (a short read); false switches it off.
func (p *Proxy) SetShortBody(on bool) {
	p.mu.Lock()
	p.short = on
	p.mu.Unlock()
}

// Requests returns the requests received so far, in the order they
// arrived. Status is 0 for one not answered yet (or never: the client
// gave up during a delay).
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.reqs)
}

// Count returns how many requests of that method and path (unescaped,
// "/bucket/key") the proxy received, whatever their range or answer.
func (p *Proxy) Count(method, path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.reqs {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// ResetCounts forgets the requests received so far.
func (p *Proxy) ResetCounts() {
	p.mu.Lock()
	p.reqs = nil
	p.gen++
	p.mu.Unlock()
}
