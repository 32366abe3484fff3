package keyclient_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/drm/usage"
	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/keyclient/storetest"
)

// TestKeyPolicyRequired: a locator whose keys only this origin's key
// delivery would hand out, with no content key policy for them, is refused
// naming defaultContentKeyPolicyName (issue 19, defect 5: it was created,
// and every key request then failed); keys that an external license
// server can serve need none.
func TestKeyPolicyRequired(t *testing.T) {
	s := storetest.NewService(t, newBolt(t))
	if _, _, err := s.Put(ctx, keyclient.KindContentKeyPolicies, "open", []byte(storetest.OpenPolicy)); err != nil {
		t.Fatal(err)
	}
	for _, sp := range []struct{ name, body string }{
		{"ownaes", `{"envelopeEncryption":{"protocols":["hls"],"keyUrlTemplate":"/keys/aes/{ContentKeyId}"}}`},
		{"defaultaes", `{"envelopeEncryption":{"protocols":["hls"]}}`},
		{"extaes", `{"envelopeEncryption":{"protocols":["hls"],"keyUrlTemplate":"https://keys.example.com/{ContentKeyId}"}}`},
		{"ownck", `{"commonEncryptionCenc":{"protocols":["dash"],"drm":{"clearKey":{"licenseUrlTemplate":"/keys/clearkey"}}}}`},
		{"ckwv", `{"commonEncryptionCenc":{"protocols":["dash"],"drm":{"clearKey":{"licenseUrlTemplate":"/keys/clearkey"},"widevine":{}}}}`},
	} {
		if _, _, err := s.Put(ctx, keyclient.KindStreamingPolicies, sp.name, []byte(sp.body)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, body string
		refused    bool
	}{
		{"clearkey, no policy", `{"assetName":"a","streamingPolicyName":"Predefined_ClearKey"}`, true},
		{"clearkey, default policy", `{"assetName":"a","streamingPolicyName":"Predefined_ClearKey","defaultContentKeyPolicyName":"open"}`, false},
		{"clearkey, one key's policy only", `{"assetName":"a","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"envelopeEncryption","policyName":"open"}]}`, true},
		{"clearkey, every key's policy", `{"assetName":"a","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"type":"envelopeEncryption","policyName":"open"},{"type":"commonEncryptionCenc","policyName":"open"}]}`, false},
		{"own aes URL", `{"assetName":"a","streamingPolicyName":"ownaes"}`, true},
		{"default aes URL", `{"assetName":"a","streamingPolicyName":"defaultaes"}`, true},
		{"external aes URL", `{"assetName":"a","streamingPolicyName":"extaes"}`, false},
		{"own clearkey URL", `{"assetName":"a","streamingPolicyName":"ownck"}`, true},
		{"clearkey beside widevine", `{"assetName":"a","streamingPolicyName":"ckwv"}`, false},
		{"multi-DRM", `{"assetName":"a","streamingPolicyName":"Predefined_MultiDrmStreaming"}`, false},
		{"clear", `{"assetName":"a","streamingPolicyName":"Predefined_ClearStreamingOnly"}`, false},
	} {
		name := strings.NewReplacer(" ", "-", ",", "", "'", "").Replace(c.name)
		_, _, err := s.Put(ctx, keyclient.KindStreamingLocators, name, []byte(c.body))
		var ve *keyclient.ValidationError
		switch {
		case !c.refused && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.refused && (!errors.As(err, &ve) || ve.Target != "defaultContentKeyPolicyName" || !strings.Contains(ve.Message, "content key policy")):
			t.Errorf("%s: %v, want a validation error on defaultContentKeyPolicyName", c.name, err)
		case c.refused:
			if _, err := s.Get(ctx, keyclient.KindStreamingLocators, name); !errors.Is(err, keyclient.ErrNotFound) {
				t.Errorf("%s: refused, but written: %v", c.name, err)
			}
		}
	}
}

// TestAssetCheck: Service.AssetCheck is asked about a new locator's asset
// only; its refusal and its other errors come back as they are, and
// nothing is written.
func TestAssetCheck(t *testing.T) {
	s := storetest.NewService(t, newBolt(t))
	down := errors.New("asset store down")
	var asked []string
	s.AssetCheck = func(_ context.Context, name string) error {
		asked = append(asked, name)
		switch name {
		case "nosuch":
			return &keyclient.ValidationError{Target: "assetName", Message: "no asset named nosuch"}
		case "down":
			return down
		}
		return nil
	}
	put := func(name, asset string) error {
		_, _, err := s.Put(ctx, keyclient.KindStreamingLocators, name,
			[]byte(`{"assetName":"`+asset+`","streamingPolicyName":"Predefined_ClearStreamingOnly"}`))
		return err
	}
	var ve *keyclient.ValidationError
	if err := put("l1", "nosuch"); !errors.As(err, &ve) || ve.Target != "assetName" {
		t.Errorf("no such asset: %v", err)
	}
	if err := put("l2", "down"); !errors.Is(err, down) {
		t.Errorf("asset store down: %v", err)
	}
	for _, n := range []string{"l1", "l2"} {
		if _, err := s.Get(ctx, keyclient.KindStreamingLocators, n); !errors.Is(err, keyclient.ErrNotFound) {
			t.Errorf("%s: refused, but written: %v", n, err)
		}
	}
	if err := put("l3", "bbb"); err != nil {
		t.Fatal(err)
	}
	asked = nil
	// The same body again: the locator exists, and its asset is not asked
	// about (a locator is immutable; its asset may have gone meanwhile).
	if err := put("l3", "bbb"); err != nil || len(asked) != 0 {
		t.Errorf("same body again: %v, asked about %v", err, asked)
	}
}

// TestGetDeleteNames: Get and Delete refuse an invalid name as Put does
// (a ValidationError on "name" that quotes it), rather than "not found".
func TestGetDeleteNames(t *testing.T) {
	s := storetest.NewService(t, newBolt(t))
	for _, name := range []string{"a/b", "a b", ""} {
		_, err := s.Get(ctx, keyclient.KindStreamingLocators, name)
		var ve *keyclient.ValidationError
		if !errors.As(err, &ve) || ve.Target != "name" || (name != "" && !strings.Contains(ve.Message, `"`+name+`"`)) {
			t.Errorf("Get %q: %v", name, err)
		}
		if err := s.Delete(ctx, keyclient.KindContentKeyPolicies, name); !isValidation(err, "name") {
			t.Errorf("Delete %q: %v", name, err)
		}
	}
}

// TestUsageRulesAgainstAsset: with Service.AssetTracks, a locator whose
// keys leave a track of its asset without a key is refused naming the
// track, and nothing is written; SD, HD and audio keys that cover every
// track are accepted; an asset whose tracks are unknown (nil) is checked
// only for overlaps.
func TestUsageRulesAgainstAsset(t *testing.T) {
	s := storetest.NewService(t, newBolt(t))
	assets := map[string][]usage.Track{
		"ladder": {
			{Kind: usage.Video, Name: "video", Width: 640, Height: 360},
			{Kind: usage.Video, Name: "video", Width: 1280, Height: 720},
			{Kind: usage.Audio, Name: "audio_eng"},
		},
	}
	s.AssetTracks = func(_ context.Context, name string) ([]usage.Track, error) { return assets[name], nil }
	const (
		sd    = `{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","maxHeight":576}]}`
		hd    = `{"type":"commonEncryptionCenc","tracks":[{"trackType":"video","minHeight":577,"maxHeight":1080}]}`
		audio = `{"type":"commonEncryptionCenc","tracks":[{"trackType":"audio"}]}`
		rest  = `{"type":"commonEncryptionCenc"}`
	)
	loc := func(asset string, keys ...string) []byte {
		return []byte(`{"assetName":"` + asset + `","streamingPolicyName":"Predefined_MultiDrmCencStreaming","contentKeys":[` +
			strings.Join(keys, ",") + `]}`)
	}
	for _, c := range []struct {
		name, asset string
		keys        []string
		want        string // "" accepted, else words of the message
	}{
		{"sd-hd-audio", "ladder", []string{sd, hd, audio}, ""},
		{"sd-audio", "ladder", []string{sd, audio}, "video track video 1280x720"},
		{"sd-hd", "ladder", []string{sd, hd}, "audio track audio_eng"},
		{"sd-rest", "ladder", []string{sd, rest}, ""},
		{"unknown-tracks", "elsewhere", []string{sd}, ""},
	} {
		_, _, err := s.Put(ctx, keyclient.KindStreamingLocators, c.name, loc(c.asset, c.keys...))
		var ve *keyclient.ValidationError
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (!errors.As(err, &ve) || ve.Target != "contentKeys" || !strings.Contains(ve.Message, c.want)):
			t.Errorf("%s: %v, want a validation error on contentKeys naming %q", c.name, err, c.want)
		case c.want != "":
			if _, err := s.Get(ctx, keyclient.KindStreamingLocators, c.name); !errors.Is(err, keyclient.ErrNotFound) {
				t.Errorf("%s: refused, but written: %v", c.name, err)
			}
		}
	}
	// The accepted tiers resolve to their keys, each track to its own.
	res, err := keyclient.NewResolver(s, keyclient.ResolverConfig{}).Resolve(ctx, "sd-hd-audio")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[keyclient.KID]bool{}
	for _, tr := range assets["ladder"] {
		k, ok := res.KeyFor(keyclient.SchemeCENC, tr)
		if !ok {
			t.Fatalf("no key for %s", tr)
		}
		seen[k.KID] = true
	}
	if len(seen) != 3 {
		t.Errorf("%d distinct keys for SD, HD and audio, want 3", len(seen))
	}
}
