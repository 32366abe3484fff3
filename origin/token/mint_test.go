package token_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin/token"
)

func TestMintJWTDefaultAlg(t *testing.T) {
	keys(t)
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		key any
		vk  keyclient.VerificationKey
		hdr string
	}{
		{hmacKey, symmetricKey(hmacKey), `"alg":"HS256"`},
		{rsaKey, rsaVK(t, rsaKey), `"alg":"RS256"`},
		{ecKey, ecVK(t, ecKey), `"alg":"ES256"`},
		{ecKey384, ecVK(t, ecKey384), `"alg":"ES384"`},
		{p521, ecVK(t, p521), `"alg":"ES512"`},
	}
	for _, c := range cases {
		tok := mint(t, c.key, "", opts())
		hdr := mustB64(t, tok[:strings.IndexByte(tok, '.')])
		if !strings.Contains(string(hdr), c.hdr) {
			t.Errorf("header %s, want %s", hdr, c.hdr)
		}
		if err := verify(t, restriction(&c.vk), tok); err != nil {
			t.Errorf("%s: %v", c.hdr, err)
		}
	}
}

func TestMintJWTRefuses(t *testing.T) {
	keys(t)
	cases := map[string]struct {
		key any
		alg string
		o   token.MintOptions
	}{
		"HS256 with an RSA key":  {rsaKey, "HS256", opts()},
		"RS256 with a secret":    {hmacKey, "RS256", opts()},
		"ES384 with P-256":       {ecKey, "ES384", opts()},
		"none":                   {hmacKey, "none", opts()},
		"empty secret":           {[]byte{}, "HS256", opts()},
		"unknown key":            {"secret", "", opts()},
		"reserved claim exp":     {hmacKey, "HS256", token.MintOptions{Claims: map[string]any{"exp": 1}}},
		"reserved content claim": {hmacKey, "HS256", token.MintOptions{Claims: map[string]any{token.ClaimContentKeyID: "x"}}},
	}
	for name, c := range cases {
		if _, err := token.MintJWT(c.key, c.alg, c.o); err == nil {
			t.Errorf("%s: minted", name)
		}
	}
}

func TestMintSWT(t *testing.T) {
	keys(t)
	o := opts()
	o.Claims = map[string]any{"name": "a&b=c d+é", "n": 7, "ok": true}
	tok := mintSWT(t, hmacKey, o)
	if !strings.HasPrefix(tok, "n=7&name=a%26b%3Dc+d%2B%C3%A9&ok=true&Issuer=") {
		t.Errorf("token = %s", tok)
	}
	r := swtRestriction()
	r.RequiredClaims = []keyclient.RequiredClaim{{Type: "name", Value: ptr("a&b=c d+é")}, {Type: "ok", Value: ptr("true")}}
	if err := verify(t, r, tok); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]token.MintOptions{
		"not before":   {NotBefore: t0},
		"key id":       {KeyID: "a"},
		"object claim": {Claims: map[string]any{"x": map[string]any{}}},
		"reserved":     {Claims: map[string]any{"Issuer": "x"}},
	} {
		if _, err := token.MintSWT(hmacKey, o); err == nil {
			t.Errorf("%s: minted", name)
		}
	}
	if _, err := token.MintSWT(nil, opts()); err == nil {
		t.Error("minted with no key")
	}
}

func ExampleVerifier_Verify() {
	secret := []byte("0123456789abcdef0123456789abcdef")
	r := &keyclient.Restriction{
		Type: keyclient.RestrictionToken, TokenType: keyclient.TokenJWT,
		Issuer: "https://sts.example.com/", Audience: "urn:example:player",
		PrimaryVerificationKey: &keyclient.VerificationKey{Type: keyclient.VerificationSymmetric, Value: secret},
		RequiredClaims:         []keyclient.RequiredClaim{{Type: token.ClaimContentKeyID}},
	}
	now := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	tok, _ := token.MintJWT(secret, "HS256", token.MintOptions{
		Issuer: r.Issuer, Audience: r.Audience, IssuedAt: now, Lifetime: 10 * time.Minute,
		ContentKeyID: "b7d3c5f2-0000-4000-8000-000000000001", MaxUses: 2,
	})
	v := &token.Verifier{Now: func() time.Time { return now }}
	c, err := v.Verify(context.Background(), r, tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.ContentKeyID, c.MaxUses, c.Expiry.Format(time.RFC3339))
	// Output: b7d3c5f2-0000-4000-8000-000000000001 2 2026-11-23T20:10:00Z
}
