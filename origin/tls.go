package origin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// DefaultTLSReloadInterval is how often the certificate and key files are
// read for changes: exchange.md wants a change picked up within 15 s.
const DefaultTLSReloadInterval = 5 * time.Second

// certReloader serves the streaming listener's certificate and picks up
// new certificate and key files while the origin runs: a renewal (by an
// ACME client, a secret mount) needs no restart. It reads both files every
// interval and compares their hash with the pair it last tried, so a
// rewrite that keeps the mtime and size is seen too, and an unchanged pair
// costs two small reads. A new pair that does not load (half written, a
// key that does not match) is logged once and the old one kept; the
// pair is tried again when the files change once more.
type certReloader struct {
	certFile, keyFile string
	interval          time.Duration
	log               *slog.Logger

	cur   atomic.Pointer[tls.Certificate]
	tried [sha256.Size]byte // hash of the pair last tried, good or bad
}

// newCertReloader loads the pair once: a pair that does not load at start
// is an error, not a listener without a certificate.
func newCertReloader(certFile, keyFile string, interval time.Duration, log *slog.Logger) (*certReloader, error) {
	if interval <= 0 {
		interval = DefaultTLSReloadInterval
	}
	r := &certReloader{certFile: certFile, keyFile: keyFile, interval: interval, log: log}
	certPEM, keyPEM, sum, err := r.read()
	if err != nil {
		return nil, err
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tls: certificate %s and key %s: %w", certFile, keyFile, err)
	}
	r.cur.Store(&c)
	r.tried = sum
	return r, nil
}

// read reads both files and hashes them together.
func (r *certReloader) read() (certPEM, keyPEM []byte, sum [sha256.Size]byte, err error) {
	if certPEM, err = os.ReadFile(r.certFile); err != nil {
		return nil, nil, sum, fmt.Errorf("tls: certificate: %w", err)
	}
	if keyPEM, err = os.ReadFile(r.keyFile); err != nil {
		return nil, nil, sum, fmt.Errorf("tls: key: %w", err)
	}
	h := sha256.New()
	h.Write(certPEM)
	h.Write([]byte{0})
	h.Write(keyPEM)
	copy(sum[:], h.Sum(nil))
	return certPEM, keyPEM, sum, nil
}

// check reloads the pair when the files changed since the last try.
func (r *certReloader) check() {
	certPEM, keyPEM, sum, err := r.read()
	if err != nil {
		// A file being replaced may be missing for a moment: try again
		// at the next tick, without remembering this as a bad pair.
		r.log.Warn("tls: cannot read the certificate or key; serving the previous certificate", "err", err)
		return
	}
	if bytes.Equal(sum[:], r.tried[:]) {
		return
	}
	r.tried = sum
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		r.log.Warn("tls: the new certificate and key do not load; serving the previous certificate",
			"cert", r.certFile, "key", r.keyFile, "err", err)
		return
	}
	r.cur.Store(&c)
	r.log.Info("tls: certificate reloaded", "cert", r.certFile, "notAfter", notAfter(&c))
}

func notAfter(c *tls.Certificate) string {
	if c.Leaf == nil {
		return ""
	}
	return c.Leaf.NotAfter.UTC().Format(time.RFC3339)
}

// run polls until ctx is done.
func (r *certReloader) run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.check()
		}
	}
}

func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := r.cur.Load()
	if c == nil {
		return nil, errors.New("tls: no certificate")
	}
	return c, nil
}

// tlsConfig is the streaming listener's TLS configuration: TLS 1.2 and
// up, HTTP/1.1 only (fasthttp serves no HTTP/2), the certificate from r.
func (r *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"http/1.1"},
		GetCertificate: r.getCertificate,
	}
}
