package token_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin/token"
)

// fuzzCheck verifies tok and fails on anything but a clean answer: claims
// with an ID, or an error of a known class that does not quote the token.
func fuzzCheck(t *testing.T, r *keyclient.Restriction, tok string) {
	v := &token.Verifier{Now: func() time.Time { return t0 }}
	c, err := v.Verify(context.Background(), r, tok)
	switch {
	case err == nil:
		if c == nil || c.ID == "" || c.Expiry.IsZero() || c.MaxUses < 0 {
			t.Fatalf("accepted with claims %+v", c)
		}
	case errors.Is(err, token.ErrInvalid), errors.Is(err, token.ErrNotEntitled), errors.Is(err, token.ErrMissing):
		if len(tok) >= 16 && strings.Contains(err.Error(), tok) {
			t.Fatalf("error %q quotes the token", err)
		}
	default:
		t.Fatalf("unexpected error class: %v", err)
	}
}

func fuzzRestriction(tt keyclient.TokenType) *keyclient.Restriction {
	r := hsRestriction()
	r.TokenType = tt
	r.RequiredClaims = []keyclient.RequiredClaim{{Type: "groups", Value: ptr("EntitledUsers")}, {Type: "sub"}}
	return r
}

// FuzzJWT feeds Verify a raw token, and a token built from the fuzzed
// header and payload and signed with the restriction's key, so that the
// claim checks are reached whatever the fuzzer writes.
func FuzzJWT(f *testing.F) {
	keys(f)
	o := opts()
	o.Claims = map[string]any{"groups": []string{"EntitledUsers"}, "sub": "u1"}
	o.ContentKeyID = testKID
	o.MaxUses = 3
	good := mint(f, hmacKey, "HS256", o)
	parts := strings.Split(good, ".")
	hdr, payload := mustB64(f, parts[0]), mustB64(f, parts[1])
	f.Add(good, hdr, payload)
	f.Add(parts[0]+"."+parts[1]+".", []byte(`{"alg":"none"}`), payload)
	f.Add(mint(f, hmacKey2, "HS512", opts()), []byte(`{"alg":"HS256","crit":["x"]}`), []byte(`{"exp":1e400}`))
	f.Add(mint(f, rsaKey, "RS256", opts()), []byte(`{"alg":"RS256"}`), []byte(`{"exp":"1","nbf":[],"aud":[1,{}]}`))
	f.Add("a.b.c", []byte(`{"alg":"HS256","kid":7}`), []byte(`[]`))
	f.Add(good+"=", []byte(`{"alg":"HS256"}`), []byte(`{"exp":4102444800,"iss":"https://sts.example.com/","aud":"urn:example:player","`+token.ClaimMaxUses+`":"9"}`))
	f.Add("", []byte(`{"alg":"HS256"}`), []byte(`{"exp":1795463200}{}`))
	f.Fuzz(func(t *testing.T, raw string, hdr, payload []byte) {
		r := fuzzRestriction(keyclient.TokenJWT)
		fuzzCheck(t, r, raw)
		in := b64(hdr) + "." + b64(payload)
		m := hmac.New(sha256.New, hmacKey)
		m.Write([]byte(in))
		fuzzCheck(t, r, in+"."+b64(m.Sum(nil)))
	})
}

// FuzzSWT feeds Verify a raw SWT, and the fuzzed body signed with the
// restriction's key.
func FuzzSWT(f *testing.F) {
	keys(f)
	o := opts()
	o.Claims = map[string]any{"groups": "EntitledUsers", "sub": "u 1&2=3"}
	o.MaxUses = 1
	good := mintSWT(f, hmacKey, o)
	body := good[:strings.LastIndex(good, "&HMACSHA256=")]
	f.Add(good, body)
	f.Add(body, "groups=EntitledUsers&sub=x&"+swtBody(t0.Add(2*time.Hour)))
	f.Add(good+"&x=1", "a=%zz&"+body)
	f.Add("HMACSHA256=", "=&&=")
	f.Add(strings.Repeat("a=b&", 100)+"HMACSHA256=AAAA", "ExpiresOn=99999999999999999999&Issuer=&Audience=")
	f.Fuzz(func(t *testing.T, raw, body string) {
		r := fuzzRestriction(keyclient.TokenSWT)
		fuzzCheck(t, r, raw)
		fuzzCheck(t, r, signSWT(hmacKey, body))
	})
}

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := b64dec(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
