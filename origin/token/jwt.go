package token

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/drmorigin/drmorigin/keyclient"
)

// b64url decodes JWS segments: unpadded, and strict about the unused bits
// of the last character, so that one token has one spelling.
var b64url = base64.RawURLEncoding.Strict()

// verifyJWT checks a compact JWS (RFC 7515) carrying a JWT (RFC 7519).
//
// The alg comes from the protected header and must be on the allow-list;
// only keys of the matching type are tried (first the restriction's primary
// and alternate keys, then the OpenID Connect JWKS), each through
// jws.Verify with that alg, so an RSA public key is never an HMAC secret.
// Then exp (required), nbf, iss and aud, then what finish checks.
func (v *Verifier) verifyJWT(ctx context.Context, r *keyclient.Restriction, raw string) (*Claims, error) {
	h64, rest, ok1 := strings.Cut(raw, ".")
	p64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s64, ".") {
		return nil, invalid(ReasonMalformed, "jwt: not a compact JWS")
	}
	hdr, err := b64url.DecodeString(h64)
	if err != nil {
		return nil, invalid(ReasonMalformed, "jwt: header is not base64url")
	}
	payload, err := b64url.DecodeString(p64)
	if err != nil {
		return nil, invalid(ReasonMalformed, "jwt: payload is not base64url")
	}
	sig, err := b64url.DecodeString(s64)
	if err != nil || len(sig) == 0 {
		return nil, invalid(ReasonMalformed, "jwt: signature is not base64url")
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &h); err != nil || h == nil {
		return nil, invalid(ReasonMalformed, "jwt: header is not a JSON object")
	}
	if _, ok := h["crit"]; ok {
		return nil, invalid(ReasonMalformed, "jwt: crit header not supported")
	}
	if _, ok := h["b64"]; ok {
		return nil, invalid(ReasonMalformed, "jwt: b64 header not supported")
	}
	var algName, kid string
	if json.Unmarshal(h["alg"], &algName) != nil {
		return nil, invalid(ReasonAlgRefused, "jwt: alg missing or not a string")
	}
	alg, ok := algorithms[algName]
	if !ok {
		return nil, invalid(ReasonAlgRefused, "jwt: alg %.16q refused", algName)
	}
	if kr, ok := h["kid"]; ok && json.Unmarshal(kr, &kid) != nil {
		return nil, invalid(ReasonMalformed, "jwt: kid is not a string")
	}

	verified := verifyJWS(raw, alg, staticKeys(r, alg))
	// A JWKS holds only public keys (see usableKey): an HS token never
	// makes us fetch it.
	if !verified && r.OpenIDConnectDiscoveryDocument != "" && alg.family != familyHMAC {
		if verified, err = v.verifyOIDC(ctx, r.OpenIDConnectDiscoveryDocument, raw, alg, kid); err != nil {
			return nil, err
		}
	}
	if !verified {
		if r.PrimaryVerificationKey == nil && len(r.AlternateVerificationKeys) == 0 &&
			r.OpenIDConnectDiscoveryDocument == "" {
			return nil, badRestriction("no verification key")
		}
		return nil, invalid(ReasonBadSignature, "jwt: no %s key verifies the signature", algName)
	}

	c, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	out := &Claims{ID: signatureID(alg, sig)}
	if err := v.checkJWTClaims(r, c, out); err != nil {
		return nil, err
	}
	return out, nil
}

// verifyJWS reports whether any of keys verifies the compact JWS raw with
// alg. Every key fits alg (see algorithm.fits).
func verifyJWS(raw string, alg algorithm, keys []any) bool {
	if len(keys) == 0 {
		return false
	}
	opts := make([]jws.VerifyOption, 0, len(keys)+1)
	opts = append(opts, jws.WithCompact())
	for _, k := range keys {
		opts = append(opts, jws.WithKey(alg.jwa, k))
	}
	_, err := jws.Verify([]byte(raw), opts...)
	return err == nil
}

// decodeClaims parses a JWT payload: one JSON object, numbers kept as
// json.Number.
func decodeClaims(payload []byte) (claimSet, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var c map[string]any
	if err := dec.Decode(&c); err != nil || c == nil {
		return nil, invalid(ReasonMalformed, "jwt: claims are not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid(ReasonMalformed, "jwt: data after the claims object")
	}
	return c, nil
}

// checkJWTClaims checks exp (required: Azure's STS always sets it, and
// replay counters must expire), nbf when present, iss and aud, then the
// shared claims.
func (v *Verifier) checkJWTClaims(r *keyclient.Restriction, c claimSet, out *Claims) error {
	ev, ok := c["exp"]
	if !ok {
		return invalid(ReasonMissingExpiry, "jwt: exp missing")
	}
	exp, ok := numericDate(ev)
	if !ok {
		return invalid(ReasonMalformedClaim, "jwt: exp is not a NumericDate")
	}
	var nbf time.Time
	if nv, ok := c["nbf"]; ok {
		if nbf, ok = numericDate(nv); !ok {
			return invalid(ReasonMalformedClaim, "jwt: nbf is not a NumericDate")
		}
	}
	if err := v.checkTime(exp, nbf); err != nil {
		return err
	}
	if iss, _ := c["iss"].(string); iss != r.Issuer {
		return invalid(ReasonWrongIssuer, "jwt: wrong issuer")
	}
	if !audienceContains(c["aud"], r.Audience) {
		return invalid(ReasonWrongAudience, "jwt: wrong audience")
	}
	out.Expiry = exp
	return v.finish(r, c, out)
}

// audienceContains reports whether aud, a string or an array of strings
// (RFC 7519 4.1.3), contains want.
func audienceContains(aud any, want string) bool {
	switch t := aud.(type) {
	case string:
		return t == want
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}
