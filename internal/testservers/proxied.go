package testservers

import (
	"net/http"
	"net/url"
	"testing"
)

// proxied is a store's server process behind a Proxy: what MinIOServer and
// AzuriteServer share (their Stop and Start, and the Proxy's promoted
// methods).
type proxied struct {
	*Proxy
	t     testing.TB
	proc  *process
	ready func() bool // polled after each start until it says yes
}

// launch starts proc, waits until ready, and puts a Proxy to target in
// front of it (failBody words its injected failures); both stop when the
// test ends.
func launch(t testing.TB, proc *process, ready func() bool, target string, failBody func(int, http.Header) []byte) proxied {
	t.Helper()
	t.Cleanup(proc.stop)
	if err := proc.start(ready); err != nil {
		t.Fatalf("testservers: %v", err)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("testservers: %s: %v", proc.name, err)
	}
	p, err := newProxy(u, failBody)
	if err != nil {
		t.Fatalf("testservers: proxy: %v", err)
	}
	t.Cleanup(p.stop)
	return proxied{Proxy: p, t: t, proc: proc, ready: ready}
}

// Stop stops the store (SIGTERM: Azurite writes its metadata out) and
// closes the proxy's port: the code under test sees its connections
// refused, as when a store goes down. The data stays.
func (s *proxied) Stop() {
	s.t.Helper()
	s.Proxy.stop()
	s.proc.stop()
}

// Start starts the store again after Stop, on the same port and data
// directory, and reopens the proxy's port.
func (s *proxied) Start() {
	s.t.Helper()
	if s.proc.running() {
		s.t.Fatalf("testservers: %s: Start: it is running", s.proc.name)
	}
	if err := s.proc.start(s.ready); err != nil {
		s.t.Fatalf("testservers: %v", err)
	}
	if err := s.Proxy.start(); err != nil {
		s.t.Fatalf("testservers: proxy: %v", err)
	}
}
