package origin_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient/redistest"
	"github.com/drmorigin/drmorigin/origin/token"
)

var (
	testSecret = bytes.Repeat([]byte{0x42}, 32)
	testIssuer = "https://sts.example.test/"
	testAud    = "urn:drmorigin:test"
)

// tokenPolicy is a content key policy with aesEnvelope and clearKey options
// behind a JWT restriction with the symmetric key testSecret (and an EC key
// as alternate), requiring a "groups" claim.
func tokenPolicy(name string, ecPub []byte) map[string]any {
	restriction := map[string]any{
		"type": "token", "tokenType": "jwt", "issuer": testIssuer, "audience": testAud,
		"primaryVerificationKey": map[string]any{"type": "symmetric", "value": b64(testSecret)},
		"requiredClaims": []any{
			map[string]any{"type": "groups", "value": "EntitledUsers"},
		},
	}
	if ecPub != nil {
		restriction["alternateVerificationKeys"] = []any{map[string]any{"type": "ecdsa", "pem": string(ecPub)}}
	}
	return map[string]any{"name": name, "options": []any{
		map[string]any{"name": "aes", "configuration": map[string]any{"type": "aesEnvelope"}, "restriction": restriction},
		map[string]any{"name": "ck", "configuration": map[string]any{"type": "clearKey"}, "restriction": restriction},
	}}
}

type contentKey struct{ ID, Value, Type string }

func (o *testOrigin) contentKeys(locator string) []contentKey {
	o.t.Helper()
	r := o.api("POST", "/api/v1/streamingLocators/"+locator+"/listContentKeys", nil)
	var out struct{ ContentKeys []contentKey }
	if r.status != 200 || json.Unmarshal(r.body, &out) != nil {
		o.t.Fatalf("listContentKeys: %s", r)
	}
	return out.ContentKeys
}

func keyOfType(t *testing.T, keys []contentKey, typ string) contentKey {
	for _, k := range keys {
		if k.Type == typ {
			return k
		}
	}
	t.Fatalf("no %s key in %+v", typ, keys)
	return contentKey{}
}

func mint(t *testing.T, key any, alg string, mod func(*token.MintOptions)) string {
	t.Helper()
	o := token.MintOptions{Issuer: testIssuer, Audience: testAud, Lifetime: 10 * time.Minute,
		Claims: map[string]any{"groups": "EntitledUsers"}}
	if mod != nil {
		mod(&o)
	}
	s, err := token.MintJWT(key, alg, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKeyDelivery covers key delivery's decisions over HTTP: one case per
// way a token can be wrong, the content key claim, open and missing
// policies, ClearKey licenses, and CORS.
func TestKeyDelivery(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	o := startOrigin(t, mediaRoot(t), "")
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/premium", tokenPolicy("premium", ecPEM)); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}}}}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status/100 != 2 {
		t.Fatalf("PUT open policy: %s", r)
	}
	o.locator("tok", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "premium"})
	o.locator("opn", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "open"})
	// A key without a content key policy, for an external key server (the
	// streaming policy sends players elsewhere): this origin never hands
	// it out. (With this origin's own key URL, such a locator is refused:
	// TestManagementMistakes.)
	ext := map[string]any{"name": "extaes", "envelopeEncryption": map[string]any{"protocols": []string{"hls"},
		"keyUrlTemplate": "https://keys.example.com/{ContentKeyId}"}}
	if r := o.api("PUT", "/api/v1/streamingPolicies/extaes", ext); r.status/100 != 2 {
		t.Fatalf("PUT streaming policy: %s", r)
	}
	o.locator("nop", "demo", "extaes", nil)
	aes := keyOfType(t, o.contentKeys("tok"), "envelopeEncryption")
	want, _ := base64.StdEncoding.DecodeString(aes.Value)
	keyURL := "/keys/aes/" + aes.ID

	good := mint(t, testSecret, "HS256", nil)
	if r := o.get(keyURL, "Authorization", "Bearer "+good); r.status != 200 || !bytes.Equal(r.body, want) ||
		r.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("a good token: %s", r)
	}
	if r := o.get(keyURL + "?token=" + good); r.status != 200 || !bytes.Equal(r.body, want) {
		t.Errorf("a good token as a query parameter: %s", r)
	}
	if r := o.get(strings.ReplaceAll(keyURL, "-", ""), "Authorization", "Bearer "+good); r.status != 200 {
		t.Errorf("KID as 32 hex digits: %s", r)
	}
	ecTok := mint(t, ecKey, "ES256", nil)
	if r := o.get(keyURL, "Authorization", "Bearer "+ecTok); r.status != 200 {
		t.Errorf("ES256 with the alternate key: %s", r)
	}

	header := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	parts := strings.Split(good, ".")
	for _, c := range []struct {
		name, tok string
		status    int
	}{
		{"missing", "", 401},
		{"bad signature", mint(t, bytes.Repeat([]byte{1}, 32), "HS256", nil), 401},
		{"alg none", header(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".", 401},
		{"wrong alg (HS256 header, ES signature)", header(`{"alg":"HS256","typ":"JWT"}`) + "." + strings.Join(strings.Split(ecTok, ".")[1:], "."), 401},
		{"expired", mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.IssuedAt = time.Now().Add(-2 * time.Hour); m.Lifetime = time.Hour }), 401},
		{"not yet valid", mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.NotBefore = time.Now().Add(time.Hour); m.Lifetime = 2 * time.Hour }), 401},
		{"wrong issuer", mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.Issuer = "https://evil.test/" }), 401},
		{"wrong audience", mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.Audience = "urn:other" }), 401},
		{"missing required claim", mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.Claims = nil }), 403},
		{"wrong required claim", mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.Claims = map[string]any{"groups": "Guests"} }), 403},
		{"KID mismatch", mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.ContentKeyID = "00000000-0000-0000-0000-000000000001" }), 403},
		{"maxuses with a far expiry", mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.MaxUses = 2; m.Lifetime = 3 * time.Hour }), 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.tok != "" {
				hdr = []string{"Authorization", "Bearer " + c.tok}
			}
			r := o.get(keyURL, hdr...)
			if r.status != c.status || bytes.Contains(r.body, want) {
				t.Fatalf("%s: %s, want %d", c.name, r, c.status)
			}
			if c.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
			if c.tok != "" && c.status == 401 && !strings.Contains(r.header.Get("WWW-Authenticate"), "invalid_token") {
				t.Errorf("a bad token's 401 should say error=\"invalid_token\": %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("matching KID claim", func(t *testing.T) {
		tok := mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.ContentKeyID = aes.ID })
		if r := o.get(keyURL, "Authorization", "Bearer "+tok); r.status != 200 {
			t.Errorf("%s", r)
		}
	})
	t.Run("open policy, no policy, unknown KID", func(t *testing.T) {
		ok := keyOfType(t, o.contentKeys("opn"), "envelopeEncryption")
		if r := o.get("/keys/aes/" + ok.ID); r.status != 200 || len(r.body) != 16 {
			t.Errorf("open policy: %s", r)
		}
		nk := keyOfType(t, o.contentKeys("nop"), "envelopeEncryption")
		if r := o.get("/keys/aes/"+nk.ID, "Authorization", "Bearer "+good); r.status != 403 {
			t.Errorf("a key without a content key policy: %s, want 403", r)
		}
		if r := o.get("/keys/aes/12345678-1234-1234-1234-123456789abc"); r.status != 404 {
			t.Errorf("unknown KID: %s", r)
		}
		// The open policy has no clearKey option: a license is refused.
		kid, _ := hexKID(ok.ID)
		body := `{"kids":["` + base64.RawURLEncoding.EncodeToString(kid) + `"],"type":"temporary"}`
		if r := do(t, "POST", o.base+"/keys/clearkey", []byte(body)); r.status != 403 {
			t.Errorf("ClearKey license under a policy without a clearKey option: %s", r)
		}
	})
	t.Run("ClearKey license", func(t *testing.T) {
		ck := keyOfType(t, o.contentKeys("tok"), "commonEncryptionCenc")
		kid, _ := hexKID(ck.ID)
		value, _ := base64.StdEncoding.DecodeString(ck.Value)
		body := `{"kids":["` + base64.RawURLEncoding.EncodeToString(kid) + `"],"type":"temporary"}`
		r := do(t, "POST", o.base+"/keys/clearkey", []byte(body), "Authorization", "Bearer "+good, "Content-Type", "application/json")
		var lic struct {
			Keys []struct{ Kty, KID, K string }
			Type string
		}
		if r.status != 200 || json.Unmarshal(r.body, &lic) != nil || len(lic.Keys) != 1 || lic.Type != "temporary" ||
			lic.Keys[0].Kty != "oct" || lic.Keys[0].K != base64.RawURLEncoding.EncodeToString(value) ||
			lic.Keys[0].KID != base64.RawURLEncoding.EncodeToString(kid) {
			t.Fatalf("license: %s", r)
		}
		if r := do(t, "POST", o.base+"/keys/clearkey", []byte(body)); r.status != 401 {
			t.Errorf("license without a token: %s", r)
		}
	})
	t.Run("CORS", func(t *testing.T) {
		p := do(t, "OPTIONS", o.base+keyURL, nil, "Origin", "https://player.example",
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
		allow := strings.ToLower(p.header.Get("Access-Control-Allow-Headers"))
		if p.status/100 != 2 || !strings.Contains(allow, "authorization") || !strings.Contains(allow, "content-type") ||
			p.header.Get("Access-Control-Allow-Origin") != "https://player.example" {
			t.Errorf("preflight: %s %v", p, p.header)
		}
		r := o.get(keyURL, "Authorization", "Bearer "+good, "Origin", "https://player.example")
		if r.header.Get("Access-Control-Allow-Origin") != "https://player.example" {
			t.Errorf("key response ACAO %q", r.header.Get("Access-Control-Allow-Origin"))
		}
	})
}

func hexKID(guid string) ([]byte, error) {
	h := strings.ReplaceAll(guid, "-", "")
	out := make([]byte, 16)
	for i := 0; i < 16; i++ {
		var v byte
		for _, c := range h[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c-'a') + 10
			}
		}
		out[i] = v
	}
	return out, nil
}

// TestMaxUsesAcrossOrigins: a token with maxuses=2 is honoured twice in
// all, across two origins sharing Redis; while Redis is down it is refused.
func TestMaxUsesAcrossOrigins(t *testing.T) {
	srv := redistest.StartServer(t, "--appendonly", "yes", "--appendfsync", "always")
	a := startOrigin(t, mediaRoot(t), srv.URL())
	b := startOrigin(t, mediaRoot(t), srv.URL())
	if r := a.api("PUT", "/api/v1/contentKeyPolicies/premium", tokenPolicy("premium", nil)); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	a.locator("mu", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "premium"})
	keyURL := "/keys/aes/" + keyOfType(t, a.contentKeys("mu"), "envelopeEncryption").ID
	tok := mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.MaxUses = 2 })
	auth := []string{"Authorization", "Bearer " + tok}
	if r := a.get(keyURL, auth...); r.status != 200 {
		t.Fatalf("first use on a: %s", r)
	}
	if r := b.get(keyURL, auth...); r.status != 200 {
		t.Fatalf("second use on b: %s", r)
	}
	if r := a.get(keyURL, auth...); r.status == 200 {
		t.Fatalf("third use on a was honoured")
	}
	if r := b.get(keyURL, auth...); r.status == 200 {
		t.Fatalf("fourth use on b was honoured")
	}
	fresh := mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.MaxUses = 5 })
	srv.Stop()
	if r := a.get(keyURL, "Authorization", "Bearer "+fresh); r.status == 200 {
		t.Errorf("a replay-limited token was honoured while its counter could not be updated")
	}
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := a.get(keyURL, "Authorization", "Bearer "+fresh)
		if r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("key delivery did not resume after Redis came back: %s", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
