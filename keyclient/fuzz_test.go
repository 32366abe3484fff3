package keyclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// locatorSeeds feed FuzzLocatorJSON.
var locatorSeeds = []string{
	`{"name":"b7d3c5f2-0000-4000-8000-000000000001","assetName":"bbb","streamingPolicyName":"multiDrm","defaultContentKeyPolicyName":"premium",` +
		`"startTime":"2026-11-01T00:00:00Z","endTime":null,"contentKeys":[{"id":"0b7e1c58-2f3a-4d5e-8a9b-0c1d2e3f4a5b",` +
		`"value":"AAECAwQFBgcICQoLDA0ODw==","type":"commonEncryptionCenc","labelReferenceInStreamingPolicy":"video",` +
		`"tracks":[{"trackType":"video"}],"policyName":null}]}`,
	`{"assetName":"a","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"envelopeEncryption"},{"type":"commonEncryptionCenc","tracks":[{"trackName":"audio_fr"}]}]}`,
	`{"assetName":"a","streamingPolicyName":"p","contentKeys":[{"value":"AAECAwQFBgcICQoLDA0O","type":"x"}]}`,
	`{"assetName":"../a","foo":[1,2,{}]}`,
	`{"assetName":"a","streamingPolicyName":"p","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","maxHeight":576}]},` +
		`{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","minHeight":577,"maxHeight":1080}]},{"type":"commonEncryptionCenc","tracks":[{"trackType":"audio"}]}]}`,
	`{"assetName":"a","streamingPolicyName":"p","contentKeys":[{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","minHeight":1e3,"maxHeight":-1}]}]}`,
	`[]`, `null`, `{"contentKeys":[null]}`, `{"assetName":"a","streamingPolicyName":"p","startTime":"2026-11-01T00:00:00.123456789+05:30"}`,
}

// FuzzLocatorJSON feeds the management decoder arbitrary bodies. It must
// never panic; what it accepts must survive a re-encode unchanged, and what
// it refuses must be a *ValidationError.
func FuzzLocatorJSON(f *testing.F) {
	for _, s := range locatorSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeLocator(body)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is not a ValidationError: %v", err)
			}
			return
		}
		if len(in.idGiven) != len(in.loc.ContentKeys) || len(in.valueGiven) != len(in.loc.ContentKeys) {
			t.Fatal("flags out of step with keys")
		}
		for i, k := range in.loc.ContentKeys {
			if in.valueGiven[i] && len(k.Value) != 16 {
				t.Fatalf("accepted a %d-byte key", len(k.Value))
			}
		}
		if !validAssetName(in.loc.AssetName) {
			t.Fatalf("accepted asset name %q", in.loc.AssetName)
		}
		enc, err := json.Marshal(&in.loc)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeLocator(enc)
		if err != nil {
			t.Fatalf("re-encoded locator refused: %v\n%s", err, enc)
		}
		enc2, _ := json.Marshal(&again.loc)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip changed the locator:\n%s\n%s", enc, enc2)
		}
	})
}

// FuzzPolicyJSON does the same for both policy decoders.
func FuzzPolicyJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"premium","options":[{"name":"ck","configuration":{"type":"clearKey"},"restriction":{"type":"token","tokenType":"jwt",` +
			`"issuer":"i","audience":"a","primaryVerificationKey":{"type":"symmetric","value":"c2VjcmV0"},` +
			`"requiredClaims":[{"type":"groups","value":"x"}]}}]}`,
		`{"noEncryption":{"protocols":["dash"]},"commonEncryptionCbcs":{"protocols":["hls"],"drm":{"fairPlay":{"allowPersistentLicense":true}}}}`,
		`{"options":[{"configuration":{"type":"aesEnvelope"},"restriction":{"type":"open"}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var ve *ValidationError
		if p, err := DecodeContentKeyPolicy(body); err == nil {
			enc, _ := json.Marshal(p)
			if _, err := DecodeContentKeyPolicy(enc); err != nil {
				t.Fatalf("re-encoded policy refused: %v\n%s", err, enc)
			}
		} else if !errors.As(err, &ve) {
			t.Fatalf("not a ValidationError: %v", err)
		}
		if p, err := DecodeStreamingPolicy(body); err == nil {
			enc, _ := json.Marshal(p)
			if _, err := DecodeStreamingPolicy(enc); err != nil {
				t.Fatalf("re-encoded streaming policy refused: %v\n%s", err, enc)
			}
		} else if !errors.As(err, &ve) {
			t.Fatalf("not a ValidationError: %v", err)
		}
	})
}
