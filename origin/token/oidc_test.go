package token_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin/token"
)

// idp is a fake OpenID provider on 127.0.0.1: a discovery document and a
// JWKS that tests rotate, counting every request.
type idp struct {
	srv       *httptest.Server
	docHits   atomic.Int64
	jwksHits  atomic.Int64
	mu        sync.Mutex
	jwks      []byte
	status    int    // non-zero: every answer has this status
	jwksURI   string // overrides the discovery document's jwks_uri
	keysDelay time.Duration
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	p := &idp{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		status, jwks, uri, delay := p.status, p.jwks, p.jwksURI, p.keysDelay
		p.mu.Unlock()
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			p.docHits.Add(1)
			if uri == "" {
				uri = p.srv.URL + "/jwks"
			}
			if status != 0 {
				w.WriteHeader(status)
				return
			}
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, testIssuer, uri)
		case "/jwks":
			p.jwksHits.Add(1)
			time.Sleep(delay)
			if status != 0 {
				w.WriteHeader(status)
				return
			}
			w.Write(jwks)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) docURL() string { return p.srv.URL + "/.well-known/openid-configuration" }

type jwkSpec struct {
	kid, alg string
	key      any // a public key, or []byte for an oct key
}

// publish replaces the JWKS with keys.
func (p *idp) publish(t *testing.T, keys ...jwkSpec) {
	t.Helper()
	set := jwk.NewSet()
	for _, s := range keys {
		k, err := jwk.Import(s.key)
		if err != nil {
			t.Fatal(err)
		}
		if s.kid != "" {
			_ = k.Set(jwk.KeyIDKey, s.kid)
		}
		if s.alg != "" {
			_ = k.Set(jwk.AlgorithmKey, s.alg)
		}
		if err := set.AddKey(k); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	p.setJWKS(b)
}

// set changes the provider's behaviour under its lock.
func (p *idp) set(f func()) {
	p.mu.Lock()
	f()
	p.mu.Unlock()
}

func (p *idp) setJWKS(b []byte) {
	p.mu.Lock()
	p.jwks = b
	p.mu.Unlock()
}

func (p *idp) setStatus(s int) {
	p.mu.Lock()
	p.status = s
	p.mu.Unlock()
}

func (p *idp) restriction() *keyclient.Restriction {
	r := restriction(nil)
	r.OpenIDConnectDiscoveryDocument = p.docURL()
	return r
}

func withKID(kid string) token.MintOptions {
	o := opts()
	o.KeyID = kid
	return o
}

func TestOIDCRollover(t *testing.T) {
	keys(t)
	p := newIDP(t)
	p.publish(t, jwkSpec{kid: "a", key: &rsaKey.PublicKey})
	v, clk := newVerifier()
	ctx := context.Background()
	tokA := mint(t, rsaKey, "RS256", withKID("a"))
	for range 3 {
		if _, err := v.Verify(ctx, p.restriction(), tokA); err != nil {
			t.Fatalf("key A: %v", err)
		}
	}
	if d, j := p.docHits.Load(), p.jwksHits.Load(); d != 1 || j != 1 {
		t.Fatalf("hits = %d, %d; want one fetch of each for three tokens", d, j)
	}

	// The IdP rolls over to B, an EC key.
	p.publish(t, jwkSpec{kid: "b", key: &ecKey.PublicKey})
	tokB := mint(t, ecKey, "ES256", withKID("b"))
	clk.Advance(token.RefetchInterval)
	if _, err := v.Verify(ctx, p.restriction(), tokB); err != nil {
		t.Fatalf("key B after rollover: %v", err)
	}
	if j := p.jwksHits.Load(); j != 2 {
		t.Fatalf("jwks hits = %d, want 2 (one refetch for the new kid)", j)
	}
	// A has left the JWKS, and the refetch it asks for is rate limited.
	_, err := v.Verify(ctx, p.restriction(), tokA)
	wantErr(t, err, token.ErrInvalid, tokA)
	if j := p.jwksHits.Load(); j != 2 {
		t.Fatalf("jwks hits = %d, want 2", j)
	}
}

func TestOIDCRolloverWithinSeconds(t *testing.T) {
	keys(t)
	p := newIDP(t)
	p.publish(t, jwkSpec{kid: "a", key: &rsaKey.PublicKey})
	v, clk := newVerifier()
	ctx := context.Background()
	if _, err := v.Verify(ctx, p.restriction(), mint(t, rsaKey, "RS256", withKID("a"))); err != nil {
		t.Fatal(err)
	}
	p.publish(t, jwkSpec{kid: "a", key: &rsaKey.PublicKey}, jwkSpec{kid: "b", key: &rsaKey2.PublicKey})
	tokB := mint(t, rsaKey2, "PS256", withKID("b"))
	clk.Advance(time.Second)
	_, err := v.Verify(ctx, p.restriction(), tokB)
	wantErr(t, err, token.ErrInvalid, tokB) // one second after the last fetch: not yet
	clk.Advance(token.RefetchInterval - time.Second)
	if _, err := v.Verify(ctx, p.restriction(), tokB); err != nil {
		t.Fatalf("%v after the last fetch: %v", token.RefetchInterval, err)
	}
}

func TestOIDCUnknownKidFlood(t *testing.T) {
	keys(t)
	p := newIDP(t)
	p.publish(t, jwkSpec{kid: "a", key: &ecKey.PublicKey})
	v, clk := newVerifier()
	ctx := context.Background()
	if _, err := v.Verify(ctx, p.restriction(), mint(t, ecKey, "ES256", withKID("a"))); err != nil {
		t.Fatal(err)
	}
	// Tokens with unknown kids, signed with a key the IdP never had.
	bad := make([]string, 200)
	for i := range bad {
		bad[i] = mint(t, ecKey384, "ES384", withKID(fmt.Sprintf("evil-%d", i)))
	}
	flood := func() {
		var wg sync.WaitGroup
		for _, tok := range bad {
			wg.Go(func() {
				_, err := v.Verify(ctx, p.restriction(), tok)
				if !errors.Is(err, token.ErrInvalid) {
					t.Errorf("unknown kid: %v", err)
				}
			})
		}
		wg.Wait()
	}
	steps := []struct {
		advance time.Duration
		want    int64 // JWKS fetches so far
	}{
		{time.Second, 1},     // 1 s after the first fetch: none
		{9 * time.Second, 2}, // 10 s: exactly one for 200 tokens
		{5 * time.Second, 2}, // 15 s: none
		{5 * time.Second, 3}, // 20 s: one
		{0, 3},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		flood()
		if j, d := p.jwksHits.Load(), p.docHits.Load(); j != s.want || d != s.want {
			t.Fatalf("step %d: hits = %d jwks, %d documents, want %d", i, j, d, s.want)
		}
	}
}

func TestOIDCConcurrentFirstFetch(t *testing.T) {
	keys(t)
	p := newIDP(t)
	p.publish(t, jwkSpec{kid: "a", key: &rsaKey.PublicKey})
	p.set(func() { p.keysDelay = 50 * time.Millisecond })
	v, _ := newVerifier()
	tok := mint(t, rsaKey, "RS256", withKID("a"))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), p.restriction(), tok); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if j := p.jwksHits.Load(); j != 1 {
		t.Fatalf("jwks hits = %d, want 1", j)
	}
}

func TestOIDCNoKid(t *testing.T) {
	keys(t)
	p := newIDP(t)
	p.publish(t, jwkSpec{kid: "a", key: &rsaKey2.PublicKey}, jwkSpec{kid: "b", key: &rsaKey.PublicKey})
	v, _ := newVerifier()
	if _, err := v.Verify(context.Background(), p.restriction(), mint(t, rsaKey, "RS256", opts())); err != nil {
		t.Fatal(err)
	}
}

func TestOIDCKeyAlgAndUse(t *testing.T) {
	keys(t)
	p := newIDP(t)
	// A JWK that names RS256 does not verify PS256, and an oct key in a
	// JWKS is never used: the JWKS is public.
	p.publish(t, jwkSpec{kid: "a", alg: "RS256", key: &rsaKey.PublicKey}, jwkSpec{kid: "s", key: hmacKey})
	v, clk := newVerifier()
	ctx := context.Background()
	for _, tok := range []string{mint(t, rsaKey, "PS256", withKID("a")), mint(t, hmacKey, "HS256", withKID("s"))} {
		clk.Advance(token.RefetchInterval)
		_, err := v.Verify(ctx, p.restriction(), tok)
		wantErr(t, err, token.ErrInvalid, tok)
	}
	if _, err := v.Verify(ctx, p.restriction(), mint(t, rsaKey, "RS256", withKID("a"))); err != nil {
		t.Fatal(err)
	}
}

func TestOIDCUnavailable(t *testing.T) {
	keys(t)
	p := newIDP(t)
	p.publish(t, jwkSpec{kid: "a", key: &rsaKey.PublicKey})
	p.setStatus(http.StatusInternalServerError)
	v, clk := newVerifier()
	ctx := context.Background()
	tok := mint(t, rsaKey, "RS256", withKID("a"))
	for range 3 {
		_, err := v.Verify(ctx, p.restriction(), tok)
		wantErr(t, err, token.ErrUnavailable, tok)
		if !errors.Is(err, keyclient.ErrUnavailable) || errors.Is(err, token.ErrInvalid) {
			t.Fatalf("err = %v: want 503, not 401", err)
		}
	}
	if d := p.docHits.Load(); d != 1 {
		t.Fatalf("document hits = %d, want 1: failures are rate limited too", d)
	}
	p.setStatus(0)
	clk.Advance(token.RefetchInterval)
	if _, err := v.Verify(ctx, p.restriction(), tok); err != nil {
		t.Fatal(err)
	}
}

func TestOIDCOutageKeepsKeys(t *testing.T) {
	keys(t)
	p := newIDP(t)
	p.publish(t, jwkSpec{kid: "a", key: &rsaKey.PublicKey})
	v, clk := newVerifier()
	ctx := context.Background()
	tok := mint(t, rsaKey, "RS256", withKID("a"))
	if _, err := v.Verify(ctx, p.restriction(), tok); err != nil {
		t.Fatal(err)
	}
	p.setStatus(http.StatusBadGateway)
	clk.Advance(token.JWKSMaxAge)
	o := withKID("a")
	o.IssuedAt = clk.Now()
	tok = mint(t, rsaKey, "RS256", o)
	if _, err := v.Verify(ctx, p.restriction(), tok); err != nil {
		t.Fatalf("stale keys during an outage: %v", err)
	}
	if j := p.docHits.Load(); j != 2 {
		t.Fatalf("document hits = %d, want 2 (the stale cache tried once)", j)
	}
}

func TestOIDCBadDocuments(t *testing.T) {
	keys(t)
	cases := map[string]func(t *testing.T, p *idp){
		"JWKS too large": func(t *testing.T, p *idp) {
			p.setJWKS([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", token.MaxDocumentSize) + `"}`))
		},
		"JWKS not JSON":   func(t *testing.T, p *idp) { p.setJWKS([]byte("<html>")) },
		"JWKS only oct":   func(t *testing.T, p *idp) { p.publish(t, jwkSpec{kid: "a", key: hmacKey}) },
		"jwks_uri ftp":    func(t *testing.T, p *idp) { p.set(func() { p.jwksURI = "ftp://127.0.0.1/jwks" }) },
		"jwks_uri empty":  func(t *testing.T, p *idp) { p.set(func() { p.jwksURI = "/jwks" }) },
		"status 404":      func(t *testing.T, p *idp) { p.setStatus(http.StatusNotFound) },
		"JWKS encryption": func(t *testing.T, p *idp) { p.setJWKS(encOnlyJWKS()) },
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			p := newIDP(t)
			p.publish(t, jwkSpec{kid: "a", key: &rsaKey.PublicKey})
			setup(t, p)
			tok := mint(t, rsaKey, "RS256", withKID("a"))
			wantErr(t, verify(t, p.restriction(), tok), token.ErrUnavailable, tok)
		})
	}
}

// encOnlyJWKS is a JWKS whose one RSA key is for encryption only.
func encOnlyJWKS() []byte {
	k, err := jwk.Import(&rsaKey.PublicKey)
	if err != nil {
		panic(err)
	}
	_ = k.Set(jwk.KeyIDKey, "a")
	_ = k.Set(jwk.KeyUsageKey, "enc")
	b, _ := json.Marshal(map[string]any{"keys": []any{k}})
	return b
}

func TestOIDCStaticKeysFirst(t *testing.T) {
	keys(t)
	p := newIDP(t)
	p.publish(t, jwkSpec{kid: "a", key: &rsaKey.PublicKey})
	r := p.restriction()
	r.PrimaryVerificationKey = ptr(symmetricKey(hmacKey))
	v, _ := newVerifier()
	ctx := context.Background()
	if _, err := v.Verify(ctx, r, mint(t, hmacKey, "HS256", opts())); err != nil {
		t.Fatal(err)
	}
	if d := p.docHits.Load(); d != 0 {
		t.Fatalf("document hits = %d: a static key verified, nothing to fetch", d)
	}
	if _, err := v.Verify(ctx, r, mint(t, rsaKey, "RS256", withKID("a"))); err != nil {
		t.Fatal(err)
	}
}

func TestOIDCHSTokenFetchesNothing(t *testing.T) {
	keys(t)
	p := newIDP(t)
	p.publish(t, jwkSpec{kid: "a", key: &rsaKey.PublicKey})
	tok := mint(t, hmacKey, "HS256", withKID("a"))
	wantErr(t, verify(t, p.restriction(), tok), token.ErrInvalid, tok)
	if d := p.docHits.Load(); d != 0 {
		t.Fatalf("document hits = %d: no JWKS key can verify HS256", d)
	}
}

func TestOIDCWaiterHonoursContext(t *testing.T) {
	keys(t)
	p := newIDP(t)
	p.publish(t, jwkSpec{kid: "a", key: &rsaKey.PublicKey})
	p.set(func() { p.keysDelay = 300 * time.Millisecond })
	v, _ := newVerifier()
	tok := mint(t, rsaKey, "RS256", withKID("a"))
	done := make(chan error, 1)
	go func() {
		_, err := v.Verify(context.Background(), p.restriction(), tok)
		done <- err
	}()
	for p.jwksHits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := v.Verify(ctx, p.restriction(), tok)
	wantErr(t, err, token.ErrUnavailable, tok)
	if err := <-done; err != nil {
		t.Fatalf("the fetching caller: %v", err)
	}
}
