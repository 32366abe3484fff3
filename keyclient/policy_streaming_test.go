package keyclient_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/drmorigin/drmorigin/keyclient"
)

func TestBuiltinSchemes(t *testing.T) {
	cfg := keyclient.BuiltinConfig{WidevineLicenseURLTemplate: "https://wv/{ContentKeyId}"}
	byName := map[string]*keyclient.StreamingPolicy{}
	for _, p := range keyclient.BuiltinPolicies(cfg) {
		byName[p.Name] = p
	}
	S := func(s ...keyclient.Scheme) []keyclient.Scheme { return s }
	for _, c := range []struct {
		policy string
		proto  keyclient.Protocol
		want   []keyclient.Scheme
	}{
		{keyclient.PredefinedClearStreamingOnly, keyclient.ProtocolSmooth, S(keyclient.SchemeClear)},
		{keyclient.PredefinedClearKey, keyclient.ProtocolHLS, S(keyclient.SchemeEnvelope)},
		{keyclient.PredefinedClearKey, keyclient.ProtocolDash, S(keyclient.SchemeCENC)},
		{keyclient.PredefinedClearKey, keyclient.ProtocolSmooth, nil},
		{keyclient.PredefinedMultiDrmCencStreaming, keyclient.ProtocolSmooth, S(keyclient.SchemeCENC)},
		{keyclient.PredefinedMultiDrmStreaming, keyclient.ProtocolHLS, S(keyclient.SchemeCENC, keyclient.SchemeCBCS)},
		{keyclient.PredefinedMultiDrmStreaming, keyclient.ProtocolDash, S(keyclient.SchemeCENC, keyclient.SchemeCBCS)},
		{keyclient.PredefinedMultiDrmStreaming, keyclient.ProtocolSmooth, S(keyclient.SchemeCENC)},
	} {
		if got := byName[c.policy].Schemes(c.proto); !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %v, want %v", c.policy, c.proto, got, c.want)
		}
	}
	mds := byName[keyclient.PredefinedMultiDrmStreaming]
	if mds.CommonEncryptionCbcs.DRM.FairPlay.LicenseURLTemplate != "skd://{ContentKeyId}" ||
		mds.CommonEncryptionCenc.DRM.Widevine.LicenseURLTemplate != "https://wv/{ContentKeyId}" ||
		mds.CommonEncryptionCenc.DRM.PlayReady == nil || mds.CommonEncryptionCenc.DRM.PlayReady.LicenseURLTemplate != "" ||
		mds.CommonEncryptionCenc.DRM.ClearKey.LicenseURLTemplate != "/keys/clearkey" {
		t.Errorf("MultiDrmStreaming DRM: %+v %+v", mds.CommonEncryptionCenc.DRM, mds.CommonEncryptionCbcs.DRM)
	}
	ck := byName[keyclient.PredefinedClearKey]
	if ck.EnvelopeEncryption.KeyURLTemplate != "/keys/aes/{ContentKeyId}" {
		t.Errorf("ClearKey envelope template %q", ck.EnvelopeEncryption.KeyURLTemplate)
	}
	b, _ := json.Marshal(ck)
	back, err := keyclient.DecodeStreamingPolicy(b)
	if err != nil || !slices.Equal(back.Schemes(keyclient.ProtocolHLS), ck.Schemes(keyclient.ProtocolHLS)) {
		t.Errorf("built-in JSON does not decode: %v\n%s", err, b)
	}
}
