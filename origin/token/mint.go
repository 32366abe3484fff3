package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"
)

// DefaultMintLifetime is the token lifetime when MintOptions.Lifetime is
// zero. It is also the longest a maxuses token may live (keys.md).
const DefaultMintLifetime = time.Hour

// MintOptions describes a token to mint, as a test STS would.
type MintOptions struct {
	// Issuer and Audience become iss and aud (JWT) or Issuer and Audience
	// (SWT).
	Issuer, Audience string
	// Claims are further claims. JWT values are any JSON value; SWT values
	// must be strings, numbers or booleans. They must not name iss, aud,
	// exp, nbf, iat, the SWT's own fields or the two claims below.
	Claims map[string]any
	// ContentKeyID, when set, becomes the
	// urn:microsoft:azure:mediaservices:contentkeyidentifier claim.
	ContentKeyID string
	// MaxUses, when positive, becomes urn:microsoft:azure:mediaservices:maxuses
	// (verifiers refuse it when the token lives over an hour).
	MaxUses int64
	// Lifetime sets exp (ExpiresOn) to IssuedAt+Lifetime; zero means
	// DefaultMintLifetime, a negative value mints an expired token.
	Lifetime time.Duration
	// NotBefore, when set, becomes nbf (JWT only).
	NotBefore time.Time
	// IssuedAt is iat and the base of exp; zero means now.
	IssuedAt time.Time
	// KeyID, when set, becomes the JWS kid header (JWT only), for keys
	// published in a JWKS.
	KeyID string
}

var reservedClaims = []string{"iss", "aud", "exp", "nbf", "iat", swtIssuer, swtAudience,
	swtExpiresOn, swtHMAC, ClaimContentKeyID, ClaimMaxUses}

func (o *MintOptions) times() (iat, exp time.Time, err error) {
	for _, n := range reservedClaims {
		if _, ok := o.Claims[n]; ok {
			return iat, exp, fmt.Errorf("mint: claim %q is set by MintOptions", n)
		}
	}
	iat = o.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	life := o.Lifetime
	if life == 0 {
		life = DefaultMintLifetime
	}
	return iat, iat.Add(life), nil
}

// MintJWT mints a compact JWS JWT signed with key: a []byte HMAC secret
// (HS256/384/512) or a crypto.Signer whose public key is RSA (RS*, PS*) or
// EC (ES256 on P-256, ES384 on P-384, ES512 on P-521). An empty alg picks
// HS256, RS256 or the ES alg of the curve.
func MintJWT(key any, alg string, o MintOptions) (string, error) {
	pub := key
	if s, ok := key.(crypto.Signer); ok {
		pub = s.Public()
	}
	if alg == "" {
		alg = defaultAlg(pub)
	}
	a, ok := algorithms[alg]
	if !ok || !a.fits(pub) {
		return "", fmt.Errorf("mint: alg %q does not fit a %T key", alg, pub)
	}
	iat, exp, err := o.times()
	if err != nil {
		return "", err
	}
	c := make(map[string]any, len(o.Claims)+7)
	maps.Copy(c, o.Claims)
	c["iss"], c["aud"], c["iat"], c["exp"] = o.Issuer, o.Audience, iat.Unix(), exp.Unix()
	if !o.NotBefore.IsZero() {
		c["nbf"] = o.NotBefore.Unix()
	}
	if o.ContentKeyID != "" {
		c[ClaimContentKeyID] = o.ContentKeyID
	}
	if o.MaxUses > 0 {
		c[ClaimMaxUses] = o.MaxUses
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("mint: claims: %w", err)
	}
	h := jws.NewHeaders()
	if err := h.Set("typ", "JWT"); err != nil {
		return "", err
	}
	if o.KeyID != "" {
		if err := h.Set("kid", o.KeyID); err != nil {
			return "", err
		}
	}
	tok, err := jws.Sign(payload, jws.WithKey(a.jwa, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		return "", fmt.Errorf("mint: sign: %w", err)
	}
	return string(tok), nil
}

func defaultAlg(pub any) string {
	switch k := pub.(type) {
	case []byte:
		return "HS256"
	case *rsa.PublicKey:
		return "RS256"
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P384():
			return "ES384"
		case elliptic.P521():
			return "ES512"
		}
		return "ES256"
	}
	return ""
}

// MintSWT mints an SWT signed with key: the claims sorted by name, then the
// content key and maxuses claims, then Issuer, Audience, ExpiresOn and
// HMACSHA256, names and values URL-encoded. It is the form Verify takes;
// put in a query parameter, it must be URL-encoded once more.
func MintSWT(key []byte, o MintOptions) (string, error) {
	if len(key) == 0 {
		return "", errors.New("mint: empty key")
	}
	if !o.NotBefore.IsZero() || o.KeyID != "" {
		return "", errors.New("mint: an swt has no not-before and no key id")
	}
	_, exp, err := o.times()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	add := func(name, value string) {
		b.WriteString(url.QueryEscape(name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(value))
		b.WriteByte('&')
	}
	for _, n := range slices.Sorted(maps.Keys(o.Claims)) {
		switch v := o.Claims[n].(type) {
		case string:
			add(n, v)
		case bool, int, int64, float64, json.Number:
			add(n, fmt.Sprint(v))
		default:
			return "", fmt.Errorf("mint: swt claim %q is not a scalar", n)
		}
	}
	if o.ContentKeyID != "" {
		add(ClaimContentKeyID, o.ContentKeyID)
	}
	if o.MaxUses > 0 {
		add(ClaimMaxUses, strconv.FormatInt(o.MaxUses, 10))
	}
	add(swtIssuer, o.Issuer)
	add(swtAudience, o.Audience)
	b.WriteString(swtExpiresOn + "=" + strconv.FormatInt(exp.Unix(), 10))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(b.String()))
	b.WriteString("&" + swtHMAC + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(m.Sum(nil))))
	return b.String(), nil
}
