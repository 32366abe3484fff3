package token

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
)

// Limits on what Verify reads. Each bounds work an anonymous client can
// cause.
const (
	// DefaultSkew is the clock skew allowed for exp, nbf and ExpiresOn when
	// Verifier.Skew is zero: two minutes covers NTP-synced STSs and players
	// without stretching a token's life noticeably.
	DefaultSkew = 2 * time.Minute

	// MaxTokenLen bounds a token in bytes. Real JWTs and SWTs are well under
	// 4 KiB; 16 KiB leaves room for group claims without letting a client
	// make us base64-decode and JSON-parse megabytes.
	MaxTokenLen = 16 << 10

	// MaxMaxUsesLifetime is how far ahead (plus the skew) a token carrying
	// urn:microsoft:azure:mediaservices:maxuses may expire (keys.md: one
	// hour), so that the replay counter in the store can expire with it.
	MaxMaxUsesLifetime = time.Hour

	// MaxDocumentSize bounds an OpenID discovery document or a JWKS: real
	// ones are a few KiB; 1 MiB keeps a hostile or broken IdP from filling
	// memory.
	MaxDocumentSize = 1 << 20

	// RefetchInterval is the least time between two fetches of one
	// discovery document and its JWKS (keys.md: at most once every 10
	// seconds), so a flood of unknown kids cannot hammer the IdP.
	RefetchInterval = 10 * time.Second

	// JWKSMaxAge is how long a fetched JWKS is used before the next token
	// refetches it (rate limited as above), so that a key the IdP withdrew
	// stops verifying. A failed refresh keeps the old keys.
	JWKSMaxAge = time.Hour

	// DefaultHTTPTimeout is the timeout of the HTTP client used when
	// Verifier.HTTPClient is nil.
	DefaultHTTPTimeout = 5 * time.Second
)

// Claim names with a meaning of their own (keys.md).
const (
	ClaimContentKeyID = "urn:microsoft:azure:mediaservices:contentkeyidentifier"
	ClaimMaxUses      = "urn:microsoft:azure:mediaservices:maxuses"
)

// Verifier checks tokens against a content key policy option's restriction.
// The zero value is ready to use; a Verifier must not be copied after first
// use, and is safe for concurrent use.
type Verifier struct {
	// Skew is the allowed clock skew for exp, nbf and the SWT ExpiresOn:
	// zero means DefaultSkew (2 minutes), a negative value means none.
	Skew time.Duration
	// Now is the clock (tests inject it); nil means time.Now.
	Now func() time.Time
	// HTTPClient fetches OpenID Connect discovery documents and JWKS; nil
	// means a client with DefaultHTTPTimeout (5 s).
	HTTPClient *http.Client

	mu   sync.Mutex
	oidc map[string]*oidcEntry // discovery URL → its JWKS
}

// Claims is what a verified token tells key delivery.
type Claims struct {
	// ID identifies the token for replay counting: the JWS signature or the
	// SWT HMACSHA256 value, as unpadded base64url of the signature bytes
	// (an ECDSA signature with s in its low form), so that re-encoding a
	// token cannot make it look new.
	ID string
	// Expiry is the exp (JWT) or ExpiresOn (SWT) time.
	Expiry time.Time
	// ContentKeyID is the urn:microsoft:azure:mediaservices:contentkeyidentifier
	// claim as given, or "" when absent; the caller compares it with the
	// requested KID.
	ContentKeyID string
	// MaxUses is urn:microsoft:azure:mediaservices:maxuses (at least 1), or
	// 0 when absent.
	MaxUses int64
}

// Verify checks raw against r and returns its claims.
//
// raw is the token exactly as sent: the value after "Bearer " or the token
// query parameter decoded once. A JWT is then its compact serialization; an
// SWT is its wire form, name=value pairs joined by '&' whose names and
// values are still URL-encoded (an SWT in a query parameter arrives encoded
// twice, and the caller undoes the outer layer).
//
// Errors: ErrMissing, ErrInvalid, ErrNotEntitled (each wrapped with a
// reason), ErrUnavailable (the IdP cannot be reached) and ErrRestriction (r
// is unusable). ctx bounds the OpenID Connect fetches only.
func (v *Verifier) Verify(ctx context.Context, r *keyclient.Restriction, raw string) (*Claims, error) {
	if r == nil || r.Type != keyclient.RestrictionToken {
		return nil, badRestriction("not a token restriction")
	}
	if r.Issuer == "" || r.Audience == "" {
		return nil, badRestriction("no issuer or audience")
	}
	if raw == "" {
		return nil, ErrMissing
	}
	if len(raw) > MaxTokenLen {
		return nil, invalid(ReasonTooLong, "longer than %d bytes", MaxTokenLen)
	}
	switch r.TokenType {
	case keyclient.TokenJWT:
		return v.verifyJWT(ctx, r, raw)
	case keyclient.TokenSWT:
		return v.verifySWT(r, raw)
	}
	return nil, badRestriction("token type %q", r.TokenType)
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) skew() time.Duration {
	switch {
	case v.Skew == 0:
		return DefaultSkew
	case v.Skew < 0:
		return 0
	}
	return v.Skew
}

var defaultHTTPClient = &http.Client{Timeout: DefaultHTTPTimeout, CheckRedirect: noDowngrade}

// noDowngrade follows at most 5 redirects, never from https to http.
func noDowngrade(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("too many redirects")
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return errors.New("redirect from https to http")
	}
	return nil
}

func (v *Verifier) httpClient() *http.Client {
	if v.HTTPClient != nil {
		return v.HTTPClient
	}
	return defaultHTTPClient
}
