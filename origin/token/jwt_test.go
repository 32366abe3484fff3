package token_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin/token"
)

func TestJWTValid(t *testing.T) {
	keys(t)
	sym, sym2 := symmetricKey(hmacKey), symmetricKey(hmacKey2)
	rsaPub, ecPub := rsaVK(t, rsaKey), ecVK(t, ecKey)
	pkcs1 := keyclient.VerificationKey{Type: keyclient.VerificationRSA, PEM: string(pem.EncodeToMemory(
		&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)}))}
	cases := []struct {
		name string
		r    *keyclient.Restriction
		key  any
		alg  string
	}{
		{"HS256", restriction(&sym), hmacKey, "HS256"},
		{"HS384", restriction(&sym), hmacKey, "HS384"},
		{"HS512", restriction(&sym), hmacKey, "HS512"},
		{"RS256", restriction(&rsaPub), rsaKey, "RS256"},
		{"RS512", restriction(&rsaPub), rsaKey, "RS512"},
		{"PS256", restriction(&rsaPub), rsaKey, "PS256"},
		{"PS384", restriction(&rsaPub), rsaKey, "PS384"},
		{"RS256 PKCS#1 PEM", restriction(&pkcs1), rsaKey, "RS256"},
		{"ES256 P-256", restriction(&ecPub), ecKey, "ES256"},
		{"ES384 P-384", restriction(ptr(ecVK(t, ecKey384))), ecKey384, "ES384"},
		{"x509 RSA certificate", restriction(ptr(certVK(t, rsaKey))), rsaKey, "RS256"},
		{"x509 EC certificate", restriction(ptr(certVK(t, ecKey))), ecKey, "ES256"},
		{"symmetric alternate", restriction(&sym2, sym), hmacKey, "HS256"},
		{"RSA alternate after symmetric primary", restriction(&sym, ecPub, rsaPub), rsaKey, "PS512"},
		{"EC alternate", restriction(&rsaPub, ecPub), ecKey, "ES256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, _ := newVerifier()
			tok := mint(t, c.key, c.alg, opts())
			got, err := v.Verify(context.Background(), c.r, tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.alg[0] != 'E' && got.ID != tok[strings.LastIndexByte(tok, '.')+1:] {
				t.Errorf("ID = %q, want the signature segment", got.ID)
			}
			if got.ID == "" || !got.Expiry.Equal(t0.Add(30*time.Minute)) || got.MaxUses != 0 || got.ContentKeyID != "" {
				t.Errorf("claims = %+v", got)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// wantErr fails unless err wraps want and says nothing of tok.
func wantErr(t *testing.T, err, want error, tok string) {
	t.Helper()
	t.Log(err)
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	if tok != "" && (strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), tok[strings.LastIndexByte(tok, '.')+1:])) {
		t.Fatalf("error %q carries the token", err)
	}
}

func verify(t *testing.T, r *keyclient.Restriction, tok string) error {
	t.Helper()
	v, _ := newVerifier()
	_, err := v.Verify(context.Background(), r, tok)
	return err
}

func TestJWTMissing(t *testing.T) {
	keys(t)
	wantErr(t, verify(t, hsRestriction(), ""), token.ErrMissing, "")
}

func TestJWTBadSignature(t *testing.T) {
	keys(t)
	t.Run("other secret", func(t *testing.T) {
		tok := mint(t, hmacKey2, "HS256", opts())
		wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, tok)
	})
	t.Run("other RSA key", func(t *testing.T) {
		tok := mint(t, rsaKey2, "RS256", opts())
		wantErr(t, verify(t, restriction(ptr(rsaVK(t, rsaKey))), tok), token.ErrInvalid, tok)
	})
	t.Run("tampered payload", func(t *testing.T) {
		tok := mint(t, hmacKey, "HS256", opts())
		parts := strings.Split(tok, ".")
		o := validClaims()
		o["aud"] = "urn:other"
		parts[1] = jsonSeg(t, o)
		bad := strings.Join(parts, ".")
		wantErr(t, verify(t, hsRestriction(), bad), token.ErrInvalid, bad)
	})
	t.Run("non-canonical base64 signature", func(t *testing.T) {
		// HS256 signatures are 32 bytes: the last base64url character
		// carries 2 unused bits, and flipping them must not yield a
		// second spelling of the same token (replay counting).
		tok := mint(t, hmacKey, "HS256", opts())
		last := tok[len(tok)-1]
		alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		bad := tok[:len(tok)-1] + string(alphabet[strings.IndexByte(alphabet, last)^1])
		wantErr(t, verify(t, hsRestriction(), bad), token.ErrInvalid, bad)
	})
}

func TestJWTWrongAlg(t *testing.T) {
	keys(t)
	rsaPub := rsaVK(t, rsaKey)
	der, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	// The classic confusion: the RSA public key (public knowledge) used
	// as an HS256 secret, hoping the verifier passes the key it has to
	// whatever alg the header names.
	for name, secret := range map[string][]byte{"PEM": []byte(rsaPub.PEM), "DER": der} {
		t.Run("HS256 with RSA public key "+name, func(t *testing.T) {
			tok := hsToken(t, secret, map[string]any{"alg": "HS256", "typ": "JWT"}, validClaims())
			wantErr(t, verify(t, restriction(&rsaPub), tok), token.ErrInvalid, tok)
			sym := symmetricKey(hmacKey)
			wantErr(t, verify(t, restriction(&sym, rsaPub), tok), token.ErrInvalid, tok)
		})
	}
	t.Run("RS256 against a symmetric key", func(t *testing.T) {
		tok := mint(t, rsaKey, "RS256", opts())
		wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, tok)
	})
	t.Run("ES256 against an RSA key", func(t *testing.T) {
		tok := mint(t, ecKey, "ES256", opts())
		wantErr(t, verify(t, restriction(&rsaPub), tok), token.ErrInvalid, tok)
	})
	t.Run("ES384 header with a P-256 key", func(t *testing.T) {
		tok := mint(t, ecKey, "ES256", opts())
		parts := strings.Split(tok, ".")
		parts[0] = jsonSeg(t, map[string]any{"alg": "ES384"})
		bad := strings.Join(parts, ".")
		wantErr(t, verify(t, restriction(ptr(ecVK(t, ecKey))), bad), token.ErrInvalid, bad)
	})
	for _, alg := range []string{"hs256", "EdDSA", "ES256K", "HS1", "", "RSA-OAEP"} {
		t.Run("alg "+alg, func(t *testing.T) {
			tok := hsToken(t, hmacKey, map[string]any{"alg": alg}, validClaims())
			wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, tok)
		})
	}
	t.Run("alg not a string", func(t *testing.T) {
		tok := hsToken(t, hmacKey, map[string]any{"alg": 256}, validClaims())
		wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, tok)
	})
}

func TestJWTNone(t *testing.T) {
	keys(t)
	for _, alg := range []string{"none", "None", "NONE"} {
		t.Run(alg, func(t *testing.T) {
			unsigned := jsonSeg(t, map[string]any{"alg": alg, "typ": "JWT"}) + "." + jsonSeg(t, validClaims()) + "."
			wantErr(t, verify(t, hsRestriction(), unsigned), token.ErrInvalid, "")
			signed := hsToken(t, hmacKey, map[string]any{"alg": alg}, validClaims())
			wantErr(t, verify(t, hsRestriction(), signed), token.ErrInvalid, signed)
		})
	}
}

func TestJWTMalformed(t *testing.T) {
	keys(t)
	good := mint(t, hmacKey, "HS256", opts())
	parts := strings.Split(good, ".")
	cases := map[string]string{
		"two parts":          parts[0] + "." + parts[1],
		"four parts":         good + ".x",
		"JWE shape":          "a.b.c.d.e",
		"padded":             good + "=",
		"std base64":         strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/",
		"header not JSON":    b64([]byte("{")) + "." + parts[1] + "." + parts[2],
		"header array":       b64([]byte(`["alg"]`)) + "." + parts[1] + "." + parts[2],
		"empty signature":    parts[0] + "." + parts[1] + ".",
		"spaces":             " " + good,
		"too long":           good + strings.Repeat("A", token.MaxTokenLen),
		"crit":               hsToken(t, hmacKey, map[string]any{"alg": "HS256", "crit": []string{"exp"}, "exp": 1}, validClaims()),
		"b64 false":          hsToken(t, hmacKey, map[string]any{"alg": "HS256", "b64": false, "crit": []string{"b64"}}, validClaims()),
		"payload array":      hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, []any{validClaims()}),
		"payload null":       hsToken(t, hmacKey, map[string]any{"alg": "HS256"}, nil),
		"kid not string":     hsToken(t, hmacKey, map[string]any{"alg": "HS256", "kid": 1}, validClaims()),
		"JSON serialization": `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`,
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			wantErr(t, verify(t, hsRestriction(), tok), token.ErrInvalid, "")
		})
	}
}

func TestJWTRestrictionErrors(t *testing.T) {
	keys(t)
	tok := mint(t, hmacKey, "HS256", opts())
	open := &keyclient.Restriction{Type: keyclient.RestrictionOpen}
	noKeys := restriction(nil)
	noIssuer := hsRestriction()
	noIssuer.Issuer = ""
	badType := hsRestriction()
	badType.TokenType = "saml"
	for name, r := range map[string]*keyclient.Restriction{"nil": nil, "open": open, "no keys": noKeys,
		"no issuer": noIssuer, "token type": badType} {
		t.Run(name, func(t *testing.T) {
			err := verify(t, r, tok)
			wantErr(t, err, token.ErrRestriction, tok)
			if errors.Is(err, token.ErrInvalid) {
				t.Error("a configuration fault must not look like a bad token")
			}
		})
	}
}

// TestJWTECDSAMalleability: (r, n-s) verifies as well as (r, s); both
// spellings must count as one token.
func TestJWTECDSAMalleability(t *testing.T) {
	keys(t)
	r := restriction(ptr(ecVK(t, ecKey)))
	tok := mint(t, ecKey, "ES256", opts())
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	n := ecKey.Curve.Params().N
	s := new(big.Int).SetBytes(sig[32:])
	flipped := append([]byte(nil), sig...)
	new(big.Int).Sub(n, s).FillBytes(flipped[32:])
	twin := tok[:i+1] + b64(flipped)

	v, _ := newVerifier()
	a, err := v.Verify(context.Background(), r, tok)
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.Verify(context.Background(), r, twin)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID {
		t.Errorf("IDs differ: %s vs %s", a.ID, b.ID)
	}
}
