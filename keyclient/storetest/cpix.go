package storetest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
)

// testCPIXIdentity: the origin's recipient identity is made once per
// store (the first one stored wins), another Service over the same store
// reads the same one, and its private key is only stored wrapped.
func testCPIXIdentity(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	if _, err := st.CPIXIdentity(ctx); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("empty store: %v, want ErrNotFound", err)
	}
	a, err := st.AddCPIXIdentity(ctx, []byte(`{"n":1}`))
	if err != nil || string(a) != `{"n":1}` {
		t.Fatalf("first add: %q %v", a, err)
	}
	b, err := st.AddCPIXIdentity(ctx, []byte(`{"n":2}`))
	if err != nil || string(b) != `{"n":1}` {
		t.Fatalf("second add: %q %v, want the first one kept", b, err)
	}
}

func testCPIXIdentityService(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	key, cert, err := s.CPIXIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if key.N.Cmp(cert.PublicKey.(*rsa.PublicKey).N) != 0 {
		t.Fatal("the certificate is not the private key's")
	}
	other := NewService(t, st)
	_, cert2, err := other.CPIXIdentity(ctx)
	if err != nil || !bytes.Equal(cert.Raw, cert2.Raw) {
		t.Fatalf("another service over the same store: %v, same certificate %v", err, err == nil && bytes.Equal(cert.Raw, cert2.Raw))
	}
	if d, ok := st.(keyclient.Dumper); ok {
		dump, err := d.Dump(ctx)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		for _, form := range [][]byte{der[len(der)-64:], []byte(base64.StdEncoding.EncodeToString(der[:96]))} {
			if bytes.Contains(dump, form) {
				t.Fatal("the store holds the recipient's private key in clear")
			}
		}
	}
}

func selfSigned(t *testing.T, pub, priv any) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "recipient"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// testCPIXRecipients: recipients are stored, listed and deleted like
// policies; a certificate without an RSA key is refused on "certificate";
// an export to an unknown recipient is refused on "recipient".
func testCPIXRecipients(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"name": "svc", "certificate": selfSigned(t, &rk.PublicKey, rk)})
	mustPut(t, s, keyclient.KindCPIXRecipients, "svc", string(body))
	if _, err := s.Get(ctx, keyclient.KindCPIXRecipients, "svc"); err != nil {
		t.Fatal(err)
	}
	items, _, err := s.List(ctx, keyclient.KindCPIXRecipients, "", 0)
	if err != nil || len(items) != 1 {
		t.Fatalf("list: %d %v", len(items), err)
	}
	rs, err := s.CPIXRecipients(ctx, []string{"svc"})
	if err != nil || len(rs) != 1 || rs[0].Certificate == nil {
		t.Fatalf("CPIXRecipients: %v", err)
	}
	if _, err := s.CPIXRecipients(ctx, []string{"svc", "nobody"}); !isValidation(err, "recipient") {
		t.Fatalf("unknown recipient: %v", err)
	}
	if _, err := s.CPIXRecipients(ctx, nil); !isValidation(err, "recipient") {
		t.Fatalf("no recipient: %v", err)
	}
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec, _ := json.Marshal(map[string]string{"certificate": selfSigned(t, &ek.PublicKey, ek)})
	if _, _, err := s.Put(ctx, keyclient.KindCPIXRecipients, "ec", ec); !isValidation(err, "certificate") {
		t.Fatalf("an ECDSA certificate: %v", err)
	}
	if err := s.Delete(ctx, keyclient.KindCPIXRecipients, "svc"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, keyclient.KindCPIXRecipients, "svc"); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}
