package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// jwksKey is one usable signing key of a JWKS.
type jwksKey struct {
	kid string
	alg string // the JWK's alg, "" when it names none
	pub any    // *rsa.PublicKey or *ecdsa.PublicKey
}

// oidcEntry caches one discovery document's JWKS. At most one fetch is in
// flight, and a fetch starts at most once per RefetchInterval.
type oidcEntry struct {
	mu       sync.Mutex
	keys     []jwksKey
	have     bool          // keys come from a successful fetch
	fetched  time.Time     // last successful fetch
	tried    time.Time     // last fetch started
	err      error         // last fetch's error
	inflight chan struct{} // closed when the running fetch ends
}

// verifyOIDC verifies raw with the JWKS of the discovery document docURL.
// When the token's kid is not in the cached JWKS (or, without a kid, no
// cached key verifies), the JWKS is refetched once if RefetchInterval
// allows, so a signing-key rollover works within seconds.
func (v *Verifier) verifyOIDC(ctx context.Context, docURL, raw string, alg algorithm, kid string) (bool, error) {
	keys, _, err := v.jwks(ctx, docURL, false)
	if err != nil {
		return false, err
	}
	ok, known := verifyWithJWKS(raw, alg, kid, keys)
	if ok || known {
		return ok, nil
	}
	keys, fresh, err := v.jwks(ctx, docURL, true)
	if err != nil || !fresh {
		return false, err
	}
	ok, _ = verifyWithJWKS(raw, alg, kid, keys)
	return ok, nil
}

// verifyWithJWKS tries the keys named kid (every key when kid is "") that
// fit alg and whose own alg, if any, is alg. known reports whether kid
// names a key in keys.
func verifyWithJWKS(raw string, alg algorithm, kid string, keys []jwksKey) (ok, known bool) {
	var cands []any
	for _, k := range keys {
		if kid != "" && k.kid != kid {
			continue
		}
		known = kid != ""
		if (k.alg == "" || k.alg == alg.jwa.String()) && alg.fits(k.pub) {
			cands = append(cands, k.pub)
		}
	}
	return verifyJWS(raw, alg, cands), known
}

func (v *Verifier) entry(docURL string) *oidcEntry {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.oidc == nil {
		v.oidc = map[string]*oidcEntry{}
	}
	e := v.oidc[docURL]
	if e == nil {
		e = &oidcEntry{}
		v.oidc[docURL] = e
	}
	return e
}

// jwks returns the cached keys of docURL, fetching them first when none
// are held, when they are older than JWKSMaxAge, or when force is set, as
// far as RefetchInterval allows. fresh reports that the keys returned come
// from a fetch made after the call began (its own or a concurrent one). A
// failed fetch keeps the old keys; without any, it is ErrUnavailable.
func (v *Verifier) jwks(ctx context.Context, docURL string, force bool) (keys []jwksKey, fresh bool, err error) {
	e := v.entry(docURL)
	e.mu.Lock()
	now := v.now()
	if e.have && !force && now.Sub(e.fetched) < JWKSMaxAge {
		defer e.mu.Unlock()
		return e.keys, false, nil
	}
	if ch := e.inflight; ch != nil {
		e.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, false, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.result(true)
	}
	if !e.tried.IsZero() && now.Sub(e.tried) < RefetchInterval {
		defer e.mu.Unlock()
		return e.result(false)
	}
	ch := make(chan struct{})
	e.inflight, e.tried = ch, now
	e.mu.Unlock()

	// The fetch serves every waiter, so it must not die with this caller's
	// context; it is bounded by DefaultHTTPTimeout instead.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultHTTPTimeout)
	got, ferr := v.fetchJWKS(fctx, docURL)
	cancel()

	e.mu.Lock()
	defer e.mu.Unlock()
	e.inflight = nil
	close(ch)
	e.err = ferr
	if ferr == nil {
		e.keys, e.have, e.fetched = got, true, v.now()
	}
	return e.result(true)
}

// result returns the entry's keys after a fetch (fetched: one was just
// made) or a refused one. e.mu is held.
func (e *oidcEntry) result(fetched bool) ([]jwksKey, bool, error) {
	if e.have {
		return e.keys, fetched && e.err == nil, nil
	}
	if e.err == nil {
		return nil, false, ErrUnavailable
	}
	return nil, false, fmt.Errorf("%w: %w", ErrUnavailable, e.err)
}

// fetchJWKS reads the discovery document, then the JWKS at its jwks_uri.
func (v *Verifier) fetchJWKS(ctx context.Context, docURL string) ([]jwksKey, error) {
	body, err := v.get(ctx, docURL)
	if err != nil {
		return nil, fmt.Errorf("discovery document: %w", err)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, errors.New("discovery document: not JSON")
	}
	du, _ := url.Parse(docURL)
	ju, err := url.Parse(doc.JWKSURI)
	if err != nil || (ju.Scheme != "https" && ju.Scheme != "http") || ju.Host == "" {
		return nil, errors.New("discovery document: jwks_uri is not an http(s) URL")
	}
	if du != nil && du.Scheme == "https" && ju.Scheme != "https" {
		return nil, errors.New("discovery document: jwks_uri downgrades https to http")
	}
	if body, err = v.get(ctx, ju.String()); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return nil, errors.New("jwks: not a JWK set")
	}
	var keys []jwksKey
	for i := range set.Len() {
		k, _ := set.Key(i)
		if jk, ok := usableKey(k); ok {
			keys = append(keys, jk)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks: no RSA or EC signing key")
	}
	return keys, nil
}

// usableKey turns an RSA or EC signing JWK into its public key. Symmetric
// (oct) keys are ignored: a published JWKS holds public keys, and taking an
// oct key from it would let anyone who reads the JWKS sign.
func usableKey(k jwk.Key) (jwksKey, bool) {
	if k == nil {
		return jwksKey{}, false
	}
	if use, ok := k.KeyUsage(); ok && use != "" && use != "sig" {
		return jwksKey{}, false
	}
	pk, err := jwk.PublicKeyOf(k)
	if err != nil {
		return jwksKey{}, false
	}
	jk := jwksKey{}
	jk.kid, _ = k.KeyID()
	if a, ok := k.Algorithm(); ok {
		jk.alg = a.String()
	}
	if kt := k.KeyType(); kt != jwa.RSA() && kt != jwa.EC() {
		return jwksKey{}, false
	}
	var raw any
	if jwk.Export(pk, &raw) != nil {
		return jwksKey{}, false
	}
	switch pub := raw.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		jk.pub = pub
	default:
		return jwksKey{}, false
	}
	return jk, true
}

// get fetches u with a JSON Accept header, requiring 200 and at most
// MaxDocumentSize bytes.
func (v *Verifier) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocumentSize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxDocumentSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxDocumentSize)
	}
	return body, nil
}
