package keyclient_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/keyclient/storetest"
)

type pems struct{ rsa, ec, cert string }

func testPEMs(t *testing.T) pems {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	rder, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	eder, _ := x509.MarshalPKIXPublicKey(&ek.PublicKey)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sts"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	cder, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ek.PublicKey, ek)
	if err != nil {
		t.Fatal(err)
	}
	return pems{enc("PUBLIC KEY", rder), enc("PUBLIC KEY", eder), enc("CERTIFICATE", cder)}
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

func tokenPolicy(keys string) string {
	return `{"options":[{"name":"ck","configuration":{"type":"clearKey"},"restriction":{"type":"token","tokenType":"jwt",` +
		`"issuer":"https://sts.example.com/","audience":"urn:example:player",` + keys +
		`,"requiredClaims":[{"type":"urn:microsoft:azure:mediaservices:contentkeyidentifier"},{"type":"groups","value":"EntitledUsers"}]}}]}`
}

var ctx = context.Background()

func TestValidation(t *testing.T) {
	p := testPEMs(t)
	sym := `"primaryVerificationKey":{"type":"symmetric","value":"c2VjcmV0c2VjcmV0c2VjcmV0"}`
	const (
		loc = keyclient.KindStreamingLocators
		ckp = keyclient.KindContentKeyPolicies
		sp  = keyclient.KindStreamingPolicies
	)
	k1 := `{"id":"` + storetest.KID1 + `","value":"` + storetest.Value1 + `","type":"commonEncryptionCenc"`
	cases := []struct {
		name   string
		kind   keyclient.Kind
		body   string
		target string // "-" = valid
	}{
		// Content key policies.
		{"ckp symmetric", ckp, tokenPolicy(sym), "-"},
		{"ckp rsa+x509+ecdsa", ckp, tokenPolicy(sym + `,"alternateVerificationKeys":[{"type":"rsa","pem":` + jsonString(p.rsa) +
			`},{"type":"x509","pem":` + jsonString(p.cert) + `},{"type":"ecdsa","pem":` + jsonString(p.ec) + `}]`), "-"},
		{"ckp oidc", ckp, tokenPolicy(`"openIdConnectDiscoveryDocument":"https://sts.example.com/.well-known/openid-configuration"`), "-"},
		{"ckp open", ckp, strings.Replace(storetest.OpenPolicy, `"name":"open",`, "", 1), "-"},
		{"ckp unknown field", ckp, `{"options":[],"x":1}`, "x"},
		{"ckp no options", ckp, `{"options":[]}`, "options"},
		{"ckp options not array", ckp, `{"options":{}}`, "options"},
		{"ckp bad config", ckp, `{"options":[{"configuration":{"type":"bogus"},"restriction":{"type":"open"}}]}`, "options[0].configuration.type"},
		{"ckp config wrong type", ckp, `{"options":[{"configuration":{"type":5},"restriction":{"type":"open"}}]}`, "options[0].configuration.type"},
		{"ckp unknown restriction field", ckp, `{"options":[{"configuration":{"type":"clearKey"},"restriction":{"type":"open","foo":1}}]}`, "options[0].restriction.foo"},
		{"ckp open with issuer", ckp, `{"options":[{"configuration":{"type":"clearKey"},"restriction":{"type":"open","issuer":"x"}}]}`, "options[0].restriction.issuer"},
		{"ckp no issuer", ckp, strings.Replace(tokenPolicy(sym), `"issuer":"https://sts.example.com/",`, "", 1), "options[0].restriction.issuer"},
		{"ckp bad token type", ckp, strings.Replace(tokenPolicy(sym), `"jwt"`, `"saml"`, 1), "options[0].restriction.tokenType"},
		{"ckp no key", ckp, tokenPolicy(`"primaryVerificationKey":null`), "options[0].restriction.primaryVerificationKey"},
		{"ckp bad symmetric", ckp, tokenPolicy(`"primaryVerificationKey":{"type":"symmetric","value":"!!!"}`), "options[0].restriction.primaryVerificationKey.value"},
		{"ckp rsa is ec", ckp, tokenPolicy(`"primaryVerificationKey":{"type":"rsa","pem":` + jsonString(p.ec) + `}`), "options[0].restriction.primaryVerificationKey.pem"},
		{"ckp ecdsa is rsa", ckp, tokenPolicy(sym + `,"alternateVerificationKeys":[{"type":"ecdsa","pem":` + jsonString(p.rsa) + `}]`), "options[0].restriction.alternateVerificationKeys[0].pem"},
		{"ckp x509 garbage", ckp, tokenPolicy(`"primaryVerificationKey":{"type":"x509","pem":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}`), "options[0].restriction.primaryVerificationKey.pem"},
		{"ckp bad key type", ckp, tokenPolicy(`"primaryVerificationKey":{"type":"dsa","pem":"x"}`), "options[0].restriction.primaryVerificationKey.type"},
		{"ckp swt asymmetric", ckp, strings.Replace(tokenPolicy(`"primaryVerificationKey":{"type":"rsa","pem":`+jsonString(p.rsa)+`}`), `"jwt"`, `"swt"`, 1), "options[0].restriction.primaryVerificationKey"},
		{"ckp bad oidc", ckp, tokenPolicy(`"openIdConnectDiscoveryDocument":"ftp://x"`), "options[0].restriction.openIdConnectDiscoveryDocument"},
		{"ckp claim without type", ckp, strings.Replace(tokenPolicy(sym), `{"type":"groups","value":"EntitledUsers"}`, `{"value":"x"}`, 1), "options[0].restriction.requiredClaims[1].type"},
		{"ckp malformed", ckp, `{"options":[`, ""},
		{"ckp array", ckp, `[]`, ""},

		// Streaming policies.
		{"sp ok", sp, `{"envelopeEncryption":{"protocols":["hls"],"keyUrlTemplate":"https://k/{ContentKeyId}"},"commonEncryptionCbcs":{"protocols":["hls","dash"],"drm":{"fairPlay":{"licenseUrlTemplate":"skd://{ContentKeyId}","allowPersistentLicense":true},"widevine":{}}}}`, "-"},
		{"sp empty", sp, `{}`, ""},
		{"sp bad protocol", sp, `{"noEncryption":{"protocols":["dash","rtmp"]}}`, "noEncryption.protocols[1]"},
		{"sp dup protocol", sp, `{"noEncryption":{"protocols":["dash","dash"]}}`, "noEncryption.protocols[1]"},
		{"sp no protocols", sp, `{"noEncryption":{"protocols":[]}}`, "noEncryption.protocols"},
		{"sp fairplay cenc", sp, `{"commonEncryptionCenc":{"protocols":["dash"],"drm":{"fairPlay":{}}}}`, "commonEncryptionCenc.drm.fairPlay"},
		{"sp unknown drm", sp, `{"commonEncryptionCenc":{"protocols":["dash"],"drm":{"marlin":{}}}}`, "commonEncryptionCenc.drm.marlin"},
		{"sp template type", sp, `{"commonEncryptionCenc":{"protocols":["dash"],"drm":{"widevine":{"licenseUrlTemplate":1}}}}`, "commonEncryptionCenc.drm.widevine.licenseUrlTemplate"},

		// Locators.
		{"loc ok", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_MultiDrmStreaming","defaultContentKeyPolicyName":"open","contentKeys":[` + k1 + `,"tracks":[{"trackType":"video"}]},{"type":"commonEncryptionCenc","tracks":[{"trackType":"audio"}]}]}`, "-"},
		{"loc unknown field", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","foo":1}`, "foo"},
		{"loc unknown key field", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","foo":1}]}`, "contentKeys[0].foo"},
		{"loc asset type", loc, `{"assetName":5,"streamingPolicyName":"Predefined_ClearKey"}`, "assetName"},
		{"loc no asset", loc, `{"streamingPolicyName":"Predefined_ClearKey"}`, "assetName"},
		{"loc asset traversal", loc, `{"assetName":"../etc","streamingPolicyName":"Predefined_ClearKey"}`, "assetName"},
		{"loc asset separator", loc, `{"assetName":"a/b","streamingPolicyName":"Predefined_ClearKey"}`, "assetName"},
		{"loc keys not array", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":{}}`, "contentKeys"},
		{"loc bad base64", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"envelopeEncryption"},{"value":"%%%","type":"commonEncryptionCenc"}]}`, "contentKeys[1].value"},
		{"loc 15-byte key", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"value":"AAECAwQFBgcICQoLDA0O","type":"commonEncryptionCenc"}]}`, "contentKeys[0].value"},
		{"loc value not string", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"value":16,"type":"commonEncryptionCenc"}]}`, "contentKeys[0].value"},
		{"loc bad id", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"id":"nope","type":"commonEncryptionCenc"}]}`, "contentKeys[0].id"},
		{"loc bad type", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"cenc"}]}`, "contentKeys[0].type"},
		{"loc bad track type", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"text"}]}]}`, "contentKeys[0].tracks[0].trackType"},
		{"loc both selectors", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","trackName":"v"}]}]}`, "contentKeys[0].tracks[0]"},
		{"loc overlap", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"video"}]},{"type":"commonEncryptionCenc","tracks":[{"trackType":"video"}]}]}`, "contentKeys[1].tracks"},
		{"loc two untracked", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc"},{"type":"commonEncryptionCenc"}]}`, "contentKeys[1].tracks"},
		{"loc tiers ok", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_MultiDrmCencStreaming","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","maxHeight":576}]},{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","minHeight":577,"maxHeight":1080}]},{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","minHeight":1081}]},{"type":"commonEncryptionCenc","tracks":[{"trackType":"audio"}]}]}`, "-"},
		{"loc tiers overlap", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","maxHeight":576}]},{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","minHeight":576}]}]}`, "contentKeys[1].tracks"},
		{"loc tier beside all video", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"video"}]},{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","maxHeight":576}]}]}`, "contentKeys[1].tracks"},
		{"loc audio height", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"audio","maxHeight":576}]}]}`, "contentKeys[0].tracks[0].maxHeight"},
		{"loc name height", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackName":"video","minHeight":576}]}]}`, "contentKeys[0].tracks[0].minHeight"},
		{"loc min above max", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","minHeight":1081,"maxHeight":1080}]}]}`, "contentKeys[0].tracks[0].minHeight"},
		{"loc height zero", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","maxHeight":0}]}]}`, "contentKeys[0].tracks[0].maxHeight"},
		{"loc height string", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","maxHeight":"576"}]}]}`, "contentKeys[0].tracks[0].maxHeight"},
		{"loc height fraction", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","maxHeight":576.5}]}]}`, "contentKeys[0].tracks[0].maxHeight"},
		{"loc dup kid values", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_MultiDrmStreaming","contentKeys":[` + k1 + `},{"id":"` + storetest.KID1 + `","value":"` + storetest.Value2 + `","type":"commonEncryptionCbcs"}]}`, "contentKeys[1].value"},
		{"loc unknown streaming policy", loc, `{"assetName":"bbb","streamingPolicyName":"nosuch"}`, "streamingPolicyName"},
		{"loc unknown key policy", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","defaultContentKeyPolicyName":"nosuch"}`, "defaultContentKeyPolicyName"},
		{"loc scheme not enabled", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearStreamingOnly","contentKeys":[{"type":"commonEncryptionCenc"}]}`, "contentKeys[0].type"},
		{"loc name mismatch", loc, `{"name":"other","assetName":"bbb","streamingPolicyName":"Predefined_ClearKey"}`, "name"},
		{"loc bad time", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","startTime":"yesterday"}`, "startTime"},
		{"loc end before start", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","startTime":"2026-01-02T00:00:00Z","endTime":"2026-01-01T00:00:00Z"}`, "endTime"},
		{"loc duplicate field", loc, `{"assetName":"bbb","assetName":"ccc","streamingPolicyName":"Predefined_ClearKey"}`, "assetName"},
		{"loc duplicate key field", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"commonEncryptionCenc","type":"envelopeEncryption"}]}`, "contentKeys[0].type"},
		{"loc malformed", loc, `{"assetName":`, ""},
		{"loc trailing garbage", loc, `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearKey"} x`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := newBolt(t)
			s := storetest.NewService(t, st)
			if _, _, err := s.Put(ctx, keyclient.KindContentKeyPolicies, "open", []byte(storetest.OpenPolicy)); err != nil {
				t.Fatal(err)
			}
			_, _, err := s.Put(ctx, c.kind, "x1", []byte(c.body))
			if c.target == "-" {
				if err != nil {
					t.Fatalf("valid body refused: %v", err)
				}
				return
			}
			var ve *keyclient.ValidationError
			if !errors.As(err, &ve) || ve.Target != c.target {
				t.Fatalf("got %v, want a validation error on %q", err, c.target)
			}
			if c.target != "" && !strings.Contains(ve.Error(), c.target) {
				t.Fatalf("message %q does not name %q", ve.Error(), c.target)
			}
			if _, err := s.Get(ctx, c.kind, "x1"); !errors.Is(err, keyclient.ErrNotFound) {
				t.Fatalf("refused body was written: %v", err)
			}
			d, _ := st.(keyclient.Dumper).Dump(ctx)
			if strings.Contains(string(d), "x1") || strings.Contains(string(d), "keys\t") {
				t.Fatalf("refused body left something:\n%s", d)
			}
		})
	}
}

func TestPutNames(t *testing.T) {
	s := storetest.NewService(t, newBolt(t))
	for _, name := range []string{"", "a b", "a/b", strings.Repeat("a", 261), "é"} {
		if _, _, err := s.Put(ctx, keyclient.KindStreamingPolicies, name, []byte(`{"noEncryption":{"protocols":["dash"]}}`)); !isValidation(err, "name") {
			t.Errorf("name %q: %v", name, err)
		}
	}
	if _, _, err := s.Put(ctx, keyclient.KindStreamingLocators, strings.Repeat("a", 260), []byte(`{"assetName":"a","streamingPolicyName":"Predefined_ClearStreamingOnly"}`)); err != nil {
		t.Errorf("260-char name: %v", err)
	}
	if _, _, err := s.Put(ctx, "assets", "x", nil); !errors.Is(err, keyclient.ErrNotFound) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, _, err := s.Put(ctx, keyclient.KindStreamingPolicies, "Predefined_Other", []byte(`{}`)); !errors.Is(err, keyclient.ErrReadOnly) {
		t.Errorf("reserved prefix: %v", err)
	}
}

func isValidation(err error, target string) bool {
	var ve *keyclient.ValidationError
	return errors.As(err, &ve) && ve.Target == target
}
