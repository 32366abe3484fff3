package token_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin/token"
)

// TestReasonOf: each refusal of Verify carries a fixed reason code, the one
// key delivery logs and counts, for JWT and SWT alike.
func TestReasonOf(t *testing.T) {
	keys(t)
	with := func(f func(*token.MintOptions)) token.MintOptions {
		o := opts()
		f(&o)
		return o
	}
	entitled := hsRestriction()
	entitled.RequiredClaims = []keyclient.RequiredClaim{{Type: "groups", Value: ptr("gold")}}
	noKey := hsRestriction()
	noKey.PrimaryVerificationKey = nil
	for _, c := range []struct {
		name string
		r    *keyclient.Restriction
		tok  string
		want token.Reason
	}{
		{"missing", hsRestriction(), "", token.ReasonMissing},
		{"too long", hsRestriction(), strings.Repeat("a", token.MaxTokenLen+1), token.ReasonTooLong},
		{"not a JWS", hsRestriction(), "SECRET", token.ReasonMalformed},
		{"alg none", hsRestriction(), hsToken(t, hmacKey, map[string]any{"alg": "none"}, validClaims()), token.ReasonAlgRefused},
		{"bad signature", hsRestriction(), mint(t, hmacKey2, "HS256", opts()), token.ReasonBadSignature},
		{"expired", hsRestriction(), mint(t, hmacKey, "HS256", with(func(o *token.MintOptions) { o.IssuedAt = t0.Add(-2 * time.Hour) })), token.ReasonExpired},
		{"not yet valid", hsRestriction(), mint(t, hmacKey, "HS256", with(func(o *token.MintOptions) { o.NotBefore = t0.Add(time.Hour) })), token.ReasonNotYetValid},
		{"no exp", hsRestriction(), hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, map[string]any{"iss": testIssuer, "aud": testAudience}), token.ReasonMissingExpiry},
		{"wrong issuer", hsRestriction(), mint(t, hmacKey, "HS256", with(func(o *token.MintOptions) { o.Issuer = "other" })), token.ReasonWrongIssuer},
		{"wrong audience", hsRestriction(), mint(t, hmacKey, "HS256", with(func(o *token.MintOptions) { o.Audience = "other" })), token.ReasonWrongAudience},
		{"malformed claim", hsRestriction(), hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, map[string]any{"iss": testIssuer, "aud": testAudience, "exp": "soon"}), token.ReasonMalformedClaim},
		{"maxuses too long", hsRestriction(), mint(t, hmacKey, "HS256", with(func(o *token.MintOptions) { o.MaxUses, o.Lifetime = 1, 3*time.Hour })), token.ReasonMaxUsesLifetime},
		{"missing claim", entitled, mint(t, hmacKey, "HS256", opts()), token.ReasonMissingClaim},
		{"claim mismatch", entitled, mint(t, hmacKey, "HS256", with(func(o *token.MintOptions) { o.Claims = map[string]any{"groups": "tin"} })), token.ReasonClaimMismatch},
		{"no key", noKey, mint(t, hmacKey, "HS256", opts()), token.ReasonRestriction},
		{"swt expired", swtRestriction(), mintSWT(t, hmacKey, with(func(o *token.MintOptions) { o.IssuedAt = t0.Add(-2 * time.Hour) })), token.ReasonExpired},
		{"swt bad signature", swtRestriction(), mintSWT(t, hmacKey2, opts()), token.ReasonBadSignature},
		{"swt wrong audience", swtRestriction(), mintSWT(t, hmacKey, with(func(o *token.MintOptions) { o.Audience = "other" })), token.ReasonWrongAudience},
		{"swt malformed", swtRestriction(), "a=b", token.ReasonMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := verify(t, c.r, c.tok)
			if got := token.ReasonOf(err); got != c.want {
				t.Errorf("ReasonOf(%v) = %q, want %q", err, got, c.want)
			}
		})
	}
	if r := token.ReasonOf(nil); r != "" {
		t.Errorf("ReasonOf(nil) = %q", r)
	}
	if r := token.ReasonOf(errors.New("other")); r != "" {
		t.Errorf("ReasonOf(other) = %q", r)
	}
}
