package token_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin/token"
)

// signSWT appends an HMACSHA256 field to body, the way an STS does.
func signSWT(key []byte, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return body + "&HMACSHA256=" + url.QueryEscape(base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

func swtBody(exp time.Time) string {
	return "Issuer=" + url.QueryEscape(testIssuer) + "&Audience=" + url.QueryEscape(testAudience) +
		"&ExpiresOn=" + itoa(exp.Unix())
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestSWTValid(t *testing.T) {
	keys(t)
	o := opts()
	o.Claims = map[string]any{"groups": "Entitled Users", "level": 3}
	o.ContentKeyID = testKID
	o.MaxUses = 2
	tok := mintSWT(t, hmacKey, o)
	r := swtRestriction()
	r.RequiredClaims = []keyclient.RequiredClaim{{Type: "groups", Value: ptr("Entitled Users")},
		{Type: "level", Value: ptr("3")}, {Type: token.ClaimContentKeyID}}
	v, _ := newVerifier()
	got, err := v.Verify(context.Background(), r, tok)
	if err != nil {
		t.Fatalf("Verify(%s): %v", tok, err)
	}
	mac := tok[strings.LastIndex(tok, "=")+1:]
	raw, _ := url.QueryUnescape(mac)
	b, _ := base64.StdEncoding.DecodeString(raw)
	if got.ID != base64.RawURLEncoding.EncodeToString(b) || got.ContentKeyID != testKID || got.MaxUses != 2 ||
		!got.Expiry.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("claims = %+v", got)
	}

	// An unencoded '+' in the HMAC value stays a base64 '+'.
	for i := 0; ; i++ {
		body := swtBody(t0.Add(time.Minute)) + "&n=" + itoa(int64(i+1))
		m := hmac.New(sha256.New, hmacKey)
		m.Write([]byte(body))
		sig := base64.StdEncoding.EncodeToString(m.Sum(nil))
		if !strings.Contains(sig, "+") {
			continue
		}
		if _, err := v.Verify(context.Background(), swtRestriction(), body+"&HMACSHA256="+sig); err != nil {
			t.Fatalf("raw '+' in HMACSHA256: %v", err)
		}
		break
	}
}

func TestSWTAlternateKey(t *testing.T) {
	keys(t)
	r := swtRestriction()
	r.AlternateVerificationKeys = []keyclient.VerificationKey{symmetricKey(hmacKey2)}
	if err := verify(t, r, mintSWT(t, hmacKey2, opts())); err != nil {
		t.Fatal(err)
	}
}

func TestSWTInvalid(t *testing.T) {
	keys(t)
	good := mintSWT(t, hmacKey, opts())
	body := good[:strings.LastIndex(good, "&HMACSHA256=")]
	cases := map[string]string{
		"other key":            mintSWT(t, hmacKey2, opts()),
		"tampered":             strings.Replace(good, "ExpiresOn=", "ExpiresOn=1", 1),
		"claim appended":       body + "&groups=Admins" + good[len(body):],
		"no HMAC":              body,
		"HMAC first":           good[len(body)+1:] + "&" + body,
		"HMAC not last":        good + "&x=1",
		"HMAC twice":           body + "&HMACSHA256=x" + good[len(body):],
		"HMAC not base64":      body + "&HMACSHA256=%%%",
		"HMAC short":           body + "&HMACSHA256=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("short"))),
		"HMAC empty":           body + "&HMACSHA256=",
		"wrong issuer":         signSWT(hmacKey, strings.Replace(body, "sts.example", "evil.example", 1)),
		"wrong audience":       signSWT(hmacKey, strings.Replace(body, "player", "other", 1)),
		"no issuer":            signSWT(hmacKey, body[strings.Index(body, "Audience="):]),
		"no ExpiresOn":         signSWT(hmacKey, body[:strings.Index(body, "&ExpiresOn")]),
		"ExpiresOn not digits": signSWT(hmacKey, body+"a"),
		"ExpiresOn negative":   signSWT(hmacKey, "Issuer="+url.QueryEscape(testIssuer)+"&Audience="+url.QueryEscape(testAudience)+"&ExpiresOn=-1"),
		"duplicate field":      signSWT(hmacKey, body+"&Issuer=x"),
		"field without =":      signSWT(hmacKey, "junk&"+body),
		"bad escape":           signSWT(hmacKey, "a=%zz&"+body),
		"expired":              mintSWT(t, hmacKey, token.MintOptions{Issuer: testIssuer, Audience: testAudience, IssuedAt: t0.Add(-time.Hour), Lifetime: time.Minute}),
		"maxuses far expiry":   mintSWT(t, hmacKey, token.MintOptions{Issuer: testIssuer, Audience: testAudience, IssuedAt: t0, Lifetime: 3 * time.Hour, MaxUses: 1}),
		"maxuses not integer":  signSWT(hmacKey, url.QueryEscape(token.ClaimMaxUses)+"=many&"+body),
		"a JWT":                mint(t, hmacKey, "HS256", opts()),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			wantErr(t, verify(t, swtRestriction(), tok), token.ErrInvalid, "")
		})
	}
}

func TestSWTExpired(t *testing.T) {
	keys(t)
	tok := mintSWT(t, hmacKey, opts())
	v, clk := newVerifier()
	clk.Advance(30*time.Minute + token.DefaultSkew - time.Second)
	if _, err := v.Verify(context.Background(), swtRestriction(), tok); err != nil {
		t.Fatalf("within the skew: %v", err)
	}
	clk.Advance(time.Second)
	_, err := v.Verify(context.Background(), swtRestriction(), tok)
	wantErr(t, err, token.ErrInvalid, tok)
}

func TestSWTNotEntitled(t *testing.T) {
	keys(t)
	r := swtRestriction()
	r.RequiredClaims = []keyclient.RequiredClaim{{Type: "groups", Value: ptr("EntitledUsers")}}
	wantErr(t, verify(t, r, mintSWT(t, hmacKey, opts())), token.ErrNotEntitled, "")
	o := opts()
	o.Claims = map[string]any{"groups": "Guests"}
	wantErr(t, verify(t, r, mintSWT(t, hmacKey, o)), token.ErrNotEntitled, "")
}

func TestSWTNeedsSymmetricKey(t *testing.T) {
	keys(t)
	r := restriction(ptr(rsaVK(t, rsaKey)))
	r.TokenType = keyclient.TokenSWT
	wantErr(t, verify(t, r, mintSWT(t, hmacKey, opts())), token.ErrRestriction, "")
}
