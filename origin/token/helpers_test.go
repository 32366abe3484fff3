package token_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin/token"
)

const (
	testIssuer   = "https://sts.example.com/"
	testAudience = "urn:example:player"
	testKID      = "b7d3c5f2-0000-4000-8000-000000000001"
)

// t0 is the fixed "now" of every test.
var t0 = time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)

// clock is an injectable, concurrency-safe clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newVerifier() (*token.Verifier, *clock) {
	c := &clock{now: t0}
	return &token.Verifier{Now: c.Now}, c
}

// Keys are generated once per test binary: RSA generation is slow.
var (
	keysOnce          sync.Once
	hmacKey, hmacKey2 []byte
	rsaKey, rsaKey2   *rsa.PrivateKey
	ecKey, ecKey384   *ecdsa.PrivateKey
)

func keys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		hmacKey = []byte("0123456789abcdef0123456789abcdef")
		hmacKey2 = []byte("fedcba9876543210fedcba9876543210")
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if ecKey384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

func symmetricKey(b []byte) keyclient.VerificationKey {
	return keyclient.VerificationKey{Type: keyclient.VerificationSymmetric, Value: b}
}

func pkixPEM(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func rsaVK(t testing.TB, k *rsa.PrivateKey) keyclient.VerificationKey {
	return keyclient.VerificationKey{Type: keyclient.VerificationRSA, PEM: pkixPEM(t, &k.PublicKey)}
}

func ecVK(t testing.TB, k *ecdsa.PrivateKey) keyclient.VerificationKey {
	return keyclient.VerificationKey{Type: keyclient.VerificationECDSA, PEM: pkixPEM(t, &k.PublicKey)}
}

// certVK wraps signer's public key in a self-signed certificate.
func certVK(t testing.TB, signer crypto.Signer) keyclient.VerificationKey {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test sts"},
		NotBefore:    t0.Add(-time.Hour),
		NotAfter:     t0.Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	return keyclient.VerificationKey{Type: keyclient.VerificationX509,
		PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// restriction is a jwt token restriction with primary key p and alternates.
func restriction(p *keyclient.VerificationKey, alt ...keyclient.VerificationKey) *keyclient.Restriction {
	return &keyclient.Restriction{
		Type:                      keyclient.RestrictionToken,
		TokenType:                 keyclient.TokenJWT,
		Issuer:                    testIssuer,
		Audience:                  testAudience,
		PrimaryVerificationKey:    p,
		AlternateVerificationKeys: alt,
	}
}

func hsRestriction() *keyclient.Restriction {
	k := symmetricKey(hmacKey)
	return restriction(&k)
}

func swtRestriction() *keyclient.Restriction {
	r := hsRestriction()
	r.TokenType = keyclient.TokenSWT
	return r
}

// opts are valid mint options at t0.
func opts() token.MintOptions {
	return token.MintOptions{Issuer: testIssuer, Audience: testAudience, IssuedAt: t0,
		Lifetime: 30 * time.Minute}
}

func mint(t testing.TB, key any, alg string, o token.MintOptions) string {
	t.Helper()
	tok, err := token.MintJWT(key, alg, o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func mintSWT(t testing.TB, key []byte, o token.MintOptions) string {
	t.Helper()
	tok, err := token.MintSWT(key, o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jsonSeg(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(b)
}

// hsToken signs any header and claims with HMAC-SHA256 under secret,
// whatever the header says: the way an attacker builds tokens.
func hsToken(t testing.TB, secret []byte, header, claims any) string {
	t.Helper()
	in := jsonSeg(t, header) + "." + jsonSeg(t, claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + b64(m.Sum(nil))
}

// validClaims are claims that pass every check at t0.
func validClaims() map[string]any {
	return map[string]any{"iss": testIssuer, "aud": testAudience,
		"exp": t0.Add(30 * time.Minute).Unix()}
}

func b64dec(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
