package token_test

import (
	"context"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin/token"
)

func TestJWTExpired(t *testing.T) {
	keys(t)
	v, clk := newVerifier()
	tok := mint(t, hmacKey, "", opts()) // expires at t0+30m
	clk.Advance(30*time.Minute + token.DefaultSkew - time.Second)
	if _, err := v.Verify(context.Background(), hsRestriction(), tok); err != nil {
		t.Fatalf("within the skew: %v", err)
	}
	clk.Advance(time.Second)
	_, err := v.Verify(context.Background(), hsRestriction(), tok)
	wantErr(t, err, token.ErrInvalid, tok)

	v.Skew = -1 // no skew at all
	clk.Advance(-token.DefaultSkew)
	_, err = v.Verify(context.Background(), hsRestriction(), tok)
	wantErr(t, err, token.ErrInvalid, tok)
}

func TestJWTExpMissingOrMalformed(t *testing.T) {
	keys(t)
	for name, exp := range map[string]any{"missing": nil, "string": "1893456000", "negative": -5,
		"huge": 1e300, "object": map[string]any{}} {
		t.Run(name, func(t *testing.T) {
			c := validClaims()
			if exp == nil {
				delete(c, "exp")
			} else {
				c["exp"] = exp
			}
			tok := hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, c)
			wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, tok)
		})
	}
	t.Run("fractional exp is fine", func(t *testing.T) {
		c := validClaims()
		c["exp"] = float64(t0.Unix()) + 60.5
		tok := hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, c)
		if err := verify(t, hsRestriction(), tok); err != nil {
			t.Fatal(err)
		}
	})
}

func TestJWTNotYetValid(t *testing.T) {
	keys(t)
	o := opts()
	o.NotBefore = t0.Add(10 * time.Minute)
	tok := mint(t, hmacKey, "HS256", o)
	v, clk := newVerifier()
	_, err := v.Verify(context.Background(), hsRestriction(), tok)
	wantErr(t, err, token.ErrInvalid, tok)
	clk.Advance(10*time.Minute - token.DefaultSkew)
	if _, err := v.Verify(context.Background(), hsRestriction(), tok); err != nil {
		t.Fatalf("nbf within the skew: %v", err)
	}
}

func TestJWTWrongIssuer(t *testing.T) {
	keys(t)
	for _, iss := range []string{"https://evil.example.com/", "https://sts.example.com", ""} {
		o := opts()
		o.Issuer = iss
		tok := mint(t, hmacKey, "HS256", o)
		wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, tok)
	}
	c := validClaims()
	c["iss"] = []string{testIssuer}
	tok := hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, c)
	wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, tok)
}

func TestJWTWrongAudience(t *testing.T) {
	keys(t)
	for name, aud := range map[string]any{"other": "urn:other", "missing": nil, "array without": []string{"a", "b"},
		"empty array": []string{}, "number": 5, "prefix": "urn:example:play"} {
		t.Run(name, func(t *testing.T) {
			c := validClaims()
			c["aud"] = aud
			if aud == nil {
				delete(c, "aud")
			}
			tok := hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, c)
			wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, tok)
		})
	}
	t.Run("array with", func(t *testing.T) {
		c := validClaims()
		c["aud"] = []any{"urn:other", 7, testAudience}
		tok := hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, c)
		if err := verify(t, hsRestriction(), tok); err != nil {
			t.Fatal(err)
		}
	})
}

func requiring(claims ...keyclient.RequiredClaim) *keyclient.Restriction {
	r := hsRestriction()
	r.RequiredClaims = claims
	return r
}

func TestJWTRequiredClaimMissing(t *testing.T) {
	keys(t)
	r := requiring(keyclient.RequiredClaim{Type: token.ClaimContentKeyID},
		keyclient.RequiredClaim{Type: "groups", Value: ptr("EntitledUsers")})
	o := opts()
	o.Claims = map[string]any{"groups": "EntitledUsers"}
	tok := mint(t, hmacKey, "HS256", o)
	wantErr(t, verify(t, r, tok), token.ErrNotEntitled, tok)

	o.Claims = map[string]any{"groups": nil}
	o.ContentKeyID = testKID
	tok = mint(t, hmacKey, "HS256", o)
	wantErr(t, verify(t, r, tok), token.ErrNotEntitled, tok) // null counts as absent
}

func TestJWTRequiredClaimWrongValue(t *testing.T) {
	keys(t)
	r := requiring(keyclient.RequiredClaim{Type: "groups", Value: ptr("EntitledUsers")})
	for name, val := range map[string]any{"string": "entitledusers", "array": []string{"Guests", "Admins"},
		"number": 1, "object": map[string]any{"EntitledUsers": true}, "nested array": [][]string{{"EntitledUsers"}}} {
		t.Run(name, func(t *testing.T) {
			o := opts()
			o.Claims = map[string]any{"groups": val}
			tok := mint(t, hmacKey, "HS256", o)
			wantErr(t, verify(t, r, tok), token.ErrNotEntitled, tok)
		})
	}
}

func TestJWTRequiredClaimForms(t *testing.T) {
	keys(t)
	cases := []struct {
		want string
		val  any
	}{
		{"EntitledUsers", "EntitledUsers"},
		{"EntitledUsers", []string{"Guests", "EntitledUsers"}},
		{"5", 5},
		{"5", 5.0},
		{"5.0", 5},
		{"2.5", []any{1, 2.5}},
		{"true", true},
	}
	for _, c := range cases {
		r := requiring(keyclient.RequiredClaim{Type: "c", Value: ptr(c.want)})
		o := opts()
		o.Claims = map[string]any{"c": c.val}
		if err := verify(t, r, mint(t, hmacKey, "HS256", o)); err != nil {
			t.Errorf("%v vs %q: %v", c.val, c.want, err)
		}
	}
	// A required claim without a value only needs to be there.
	r := requiring(keyclient.RequiredClaim{Type: "c"})
	o := opts()
	o.Claims = map[string]any{"c": false}
	if err := verify(t, r, mint(t, hmacKey, "HS256", o)); err != nil {
		t.Error(err)
	}
}

func TestJWTContentKeyClaim(t *testing.T) {
	keys(t)
	o := opts()
	o.ContentKeyID = testKID
	v, _ := newVerifier()
	got, err := v.Verify(context.Background(), hsRestriction(), mint(t, hmacKey, "HS256", o))
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentKeyID != testKID {
		t.Errorf("ContentKeyID = %q, want %q (the caller compares it with the requested KID)", got.ContentKeyID, testKID)
	}
	for _, bad := range []any{5, "", []string{testKID}} {
		c := validClaims()
		c[token.ClaimContentKeyID] = bad
		tok := hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, c)
		wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, tok)
	}
}

func TestJWTMaxUses(t *testing.T) {
	keys(t)
	for _, mu := range []any{3, "3"} {
		c := validClaims()
		c[token.ClaimMaxUses] = mu
		v, _ := newVerifier()
		got, err := v.Verify(context.Background(), hsRestriction(), hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, c))
		if err != nil || got.MaxUses != 3 {
			t.Errorf("maxuses %#v: %+v, %v", mu, got, err)
		}
	}
	for _, mu := range []any{0, -1, "x", 2.5, "", true} {
		c := validClaims()
		c[token.ClaimMaxUses] = mu
		tok := hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, c)
		wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, tok)
	}
}

func TestJWTMaxUsesFarExpiry(t *testing.T) {
	keys(t)
	o := opts()
	o.MaxUses = 1
	o.Lifetime = 2 * time.Hour
	tok := mint(t, hmacKey, "HS256", o)
	wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, tok)

	o.Lifetime = time.Hour // exactly the limit is fine
	if err := verify(t, hsRestriction(), mint(t, hmacKey, "HS256", o)); err != nil {
		t.Fatal(err)
	}
	o.Lifetime = 2 * time.Hour // without maxuses a long life is fine
	o.MaxUses = 0
	if err := verify(t, hsRestriction(), mint(t, hmacKey, "HS256", o)); err != nil {
		t.Fatal(err)
	}
}
