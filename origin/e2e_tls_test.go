package origin_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// testCA is a certificate authority made for one test, and what it signs:
// clients trust it alone, so a handshake succeeds only with its leaves.
type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "drmorigin test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// leaf signs a server certificate for 127.0.0.1 with the given serial
// number (what the tests tell certificates apart by).
func (ca *testCA) leaf(t *testing.T, serial int64) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// client trusts only the CA, and opens a new connection (a new handshake)
// for every request.
func (ca *testCA) client() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
}

// serial is the serial number of the certificate addr presents to a
// client trusting only ca (-1 when the handshake fails).
func (ca *testCA) serial(addr string) int64 {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool})
	if err != nil {
		return -1
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// writeFileAtomic replaces path as a renewal tool does: a temporary file
// renamed over it.
func writeFileAtomic(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func fetch(t *testing.T, c *http.Client, u string) (int, []byte) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// syncBuffer is a log destination the origin's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var aesKeyURIRe = regexp.MustCompile(`URI="([^"]*/keys/aes/[^"]*)"`)

// putEnvelopeLocator creates the open policy and locator "env" (HLS
// AES-128 and ClearKey cenc through this origin's key delivery).
func putEnvelopeLocator(t *testing.T, o *testOrigin) contentKey {
	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}},
		map[string]any{"configuration": map[string]any{"type": "clearKey"}, "restriction": map[string]any{"type": "open"}}}}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	o.locator("env", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "open"})
	return keyOfType(t, o.contentKeys("env"), "envelopeEncryption")
}

// TestHTTPSKeyDelivery: with tls.cert and tls.key the streaming listener
// speaks HTTPS with the configured certificate (a client trusting only the
// test CA verifies it; one trusting the system roots does not); manifests
// served over it carry https key and license URLs (no public.baseUrl: the
// request's scheme decides), and the key they name is delivered over
// HTTPS, to Go's client and to curl given only the CA.
func TestHTTPSKeyDelivery(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certPEM, keyPEM := ca.leaf(t, 2)
	certFile, keyFile, caFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "ca.pem")
	writeFileAtomic(t, certFile, certPEM)
	writeFileAtomic(t, keyFile, keyPEM)
	writeFileAtomic(t, caFile, ca.certPEM)
	o := startOriginWith(t, mediaRoot(t), "", func(c *originConfig) { c.TLSCert, c.TLSKey = certFile, keyFile })
	if !strings.HasPrefix(o.base, "https://") {
		t.Fatalf("streaming listener %s is not HTTPS", o.base)
	}
	key := putEnvelopeLocator(t, o)
	c := ca.client()

	// The playlist's key URL is https and delivers the key.
	status, mv := fetch(t, c, o.base+"/env/demo.ism/manifest(format=m3u8-cmaf,encryption=cbc)")
	if status != 200 {
		t.Fatalf("multivariant playlist over HTTPS: %d", status)
	}
	m := aesKeyURIRe.FindSubmatch(mv)
	if m == nil || string(m[1]) != o.base+"/keys/aes/"+key.ID {
		t.Fatalf("key URI %q, want %s/keys/aes/%s", m, o.base, key.ID)
	}
	if bytes.Contains(mv, []byte("http://")) {
		t.Errorf("a playlist served over HTTPS names an http:// URL:\n%s", mv)
	}
	status, got := fetch(t, c, string(m[1]))
	if want := b64decode(t, key.Value); status != 200 || !bytes.Equal(got, want) {
		t.Fatalf("key over HTTPS: %d, %d bytes", status, len(got))
	}
	// The DASH ClearKey license URL is https too.
	if _, mpd := fetch(t, c, o.base+"/env/demo.ism/manifest(format=mpd-time-csf,encryption=cenc)"); !bytes.Contains(mpd, []byte(o.base+"/keys/clearkey")) {
		t.Errorf("DASH over HTTPS does not name %s/keys/clearkey", o.base)
	}
	// curl, trusting only the test CA.
	needTool(t, "curl", "curl")
	out, err := exec.Command("curl", "-sS", "--fail", "--cacert", caFile, string(m[1])).Output()
	if err != nil || !bytes.Equal(out, got) {
		t.Errorf("curl --cacert: %v (%d bytes)", err, len(out))
	}
	// A client that does not trust the test CA refuses the certificate,
	// so the checks above did verify it.
	if _, err := (&http.Client{Timeout: 5 * time.Second}).Get(o.base + "/healthz"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client without the test CA: %v, want a certificate error", err)
	}
	// Plain HTTP on the TLS listener is not served.
	if r, err := http.Get(strings.Replace(o.base, "https://", "http://", 1) + "/healthz"); err == nil && r.StatusCode == 200 {
		r.Body.Close()
		t.Error("plain HTTP answered 200 on the TLS listener")
	}
}

// TestHTTPSOwnListener: with tls.listen, that address serves HTTPS (https
// key URLs) and the streaming listener stays plain HTTP (http key URLs).
func TestHTTPSOwnListener(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certPEM, keyPEM := ca.leaf(t, 2)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeFileAtomic(t, certFile, certPEM)
	writeFileAtomic(t, keyFile, keyPEM)
	o := startOriginWith(t, mediaRoot(t), "", func(c *originConfig) {
		c.TLSCert, c.TLSKey, c.TLSListen = certFile, keyFile, "127.0.0.1:0"
	})
	key := putEnvelopeLocator(t, o)
	path := "/env/demo.ism/manifest(format=m3u8-cmaf,encryption=cbc)"
	for _, c := range []struct {
		base, scheme string
		client       *http.Client
	}{{o.base, "http://", http.DefaultClient}, {o.secure, "https://", ca.client()}} {
		if !strings.HasPrefix(c.base, c.scheme) {
			t.Fatalf("listener %s, want %s", c.base, c.scheme)
		}
		status, mv := fetch(t, c.client, c.base+path)
		m := aesKeyURIRe.FindSubmatch(mv)
		if status != 200 || m == nil || string(m[1]) != c.base+"/keys/aes/"+key.ID {
			t.Fatalf("%s: %d, key URI %q, want %s/keys/aes/%s", c.base, status, m, c.base, key.ID)
		}
		if status, got := fetch(t, c.client, string(m[1])); status != 200 || !bytes.Equal(got, b64decode(t, key.Value)) {
			t.Errorf("%s: key delivery %d", c.base, status)
		}
	}
}

// TestTLSCertReload: a renewed certificate and key are served to new
// connections within 15 s (here within a short poll interval, which the
// option sets); a new pair that does not load is logged and the previous
// certificate kept; a good pair after it is taken.
func TestTLSCertReload(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	c1, k1 := ca.leaf(t, 101)
	writeFileAtomic(t, certFile, c1)
	writeFileAtomic(t, keyFile, k1)
	logs := &syncBuffer{}
	const interval = 100 * time.Millisecond
	o := startOriginWith(t, mediaRoot(t), "", func(c *originConfig) {
		c.TLSCert, c.TLSKey, c.TLSReloadInterval = certFile, keyFile, interval
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	addr := strings.TrimPrefix(o.base, "https://")
	if s := ca.serial(addr); s != 101 {
		t.Fatalf("serial %d at start, want 101", s)
	}
	waitSerial := func(want int64) time.Duration {
		t.Helper()
		start := time.Now()
		for time.Since(start) < 15*time.Second {
			if ca.serial(addr) == want {
				return time.Since(start)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("certificate %d not served within 15 s (serving %d)", want, ca.serial(addr))
		return 0
	}

	c2, k2 := ca.leaf(t, 102)
	writeFileAtomic(t, keyFile, k2)
	writeFileAtomic(t, certFile, c2)
	took := waitSerial(102)
	t.Logf("renewed certificate served after %v (poll interval %v)", took.Round(time.Millisecond), interval)

	// A certificate whose key is not in the key file. (The renewal above
	// may have been seen half done, key before certificate, and logged:
	// count from here.)
	before := len(logs.String())
	c3, _ := ca.leaf(t, 103)
	writeFileAtomic(t, certFile, c3)
	time.Sleep(6 * interval)
	if s := ca.serial(addr); s != 102 {
		t.Fatalf("after a bad pair: serial %d, want the previous 102", s)
	}
	if n := strings.Count(logs.String()[before:], "do not load"); n != 1 {
		t.Errorf("the bad pair was logged %d times, want once:\n%s", n, logs.String()[before:])
	}
	// A request still works throughout.
	if status, _ := fetch(t, ca.client(), o.base+"/healthz"); status != 200 {
		t.Errorf("healthz after a bad pair: %d", status)
	}

	c4, k4 := ca.leaf(t, 104)
	writeFileAtomic(t, keyFile, k4)
	writeFileAtomic(t, certFile, c4)
	waitSerial(104)
	if !strings.Contains(logs.String(), "certificate reloaded") {
		t.Errorf("no reload logged:\n%s", logs.String())
	}
	for _, secret := range [][]byte{k1, k2, k4} {
		if strings.Contains(logs.String(), string(secret[30:60])) {
			t.Error("a private key is in the log")
		}
	}
}

// TestTLSBadStart: a pair that does not load stops Initialize with a
// message naming the files; a certificate without a key is refused.
func TestTLSBadStart(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certPEM, _ := ca.leaf(t, 5)
	_, otherKey := ca.leaf(t, 6)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeFileAtomic(t, certFile, certPEM)
	writeFileAtomic(t, keyFile, otherKey)
	for _, c := range []struct {
		name      string
		cert, key string
		want      string
	}{
		{"mismatch", certFile, keyFile, "tls.crt"},
		{"missing", filepath.Join(dir, "nope.crt"), keyFile, "nope.crt"},
		{"no key", certFile, "", "both a certificate and a key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newBareServer(t)
			srv.Config.TLSCert, srv.Config.TLSKey = c.cert, c.key
			err := srv.Initialize()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Initialize: %v, want an error naming %q", err, c.want)
			}
		})
	}
}

func b64decode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newBareServer is an origin Server with an embedded store and the demo
// media, not started.
func newBareServer(t *testing.T) *origin.Server {
	t.Helper()
	store, err := keyclient.OpenStore(context.Background(), "file://"+filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	kek, err := keyclient.NewKEK(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := keyclient.NewService(store, kek, keyclient.BuiltinConfig{})
	lib := packager.NewLibrary(storage.NewLocal(mediaRoot(t), storage.LocalOptions{}), 4)
	t.Cleanup(func() { lib.Close() })
	return &origin.Server{Assets: lib, Resolver: keyclient.NewResolver(svc, keyclient.ResolverConfig{}), Service: svc}
}
