package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// into dir and returns the files and the certificate.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ = x509.ParseCertificate(der)
	return certFile, keyFile, cert
}

// TestServeTLSFromEnv: DRMORIGIN_TLS_CERT, _KEY and _LISTEN give an HTTPS
// listener (a client trusting only that certificate gets 200) while the
// streaming listener stays plain HTTP; a certificate whose key does not
// match, or one without a key, stops serve naming the key.
func TestServeTLSFromEnv(t *testing.T) {
	media, _ := filepath.Abs("../../testdata/media")
	dir := t.TempDir()
	certFile, keyFile, cert := selfSigned(t, dir, "a")
	kek, _ := testKEK(3)
	tlsAddr := freeAddr(t)
	p := startServeWith(t, serveOpts{store: "file://" + filepath.Join(dir, "x.db"), kek: kek,
		env: []string{"DRMORIGIN_STORAGE_ROOT=" + media, "DRMORIGIN_TLS_CERT=" + certFile, "DRMORIGIN_TLS_KEY=" + keyFile,
			"DRMORIGIN_TLS_LISTEN=" + tlsAddr}})
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	r, err := c.Get("https://" + tlsAddr + "/healthz")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("HTTPS healthz on tls.listen: %v %v (serve: %s)", r, err, p.errb.String())
	}
	r.Body.Close()
	if s, _ := p.header(t, "GET", "/healthz", "Content-Type"); s != 200 {
		t.Errorf("plain HTTP on the streaming listener: %d", s)
	}
	mustContain(t, "serve's log", p.errb.String(), "HTTPS on its own listener")

	_, otherKey, _ := selfSigned(t, dir, "b")
	out := serveMustFail(t, serveOpts{store: "file://" + filepath.Join(dir, "y.db"), kek: kek,
		env: []string{"DRMORIGIN_STORAGE_ROOT=" + media, "DRMORIGIN_TLS_CERT=" + certFile, "DRMORIGIN_TLS_KEY=" + otherKey}})
	mustContain(t, "a mismatched pair", out, "tls.cert", "DRMORIGIN_TLS_CERT")
	out = serveMustFail(t, serveOpts{store: "file://" + filepath.Join(dir, "z.db"), kek: kek,
		env: []string{"DRMORIGIN_STORAGE_ROOT=" + media, "DRMORIGIN_TLS_CERT=" + certFile}})
	mustContain(t, "a certificate without a key", out, "tls.key")
}
