package keyclient

import (
	"encoding/json"
	"slices"
	"strings"
)

// Protocol is a streaming protocol a policy enables.
type Protocol string

// Protocols.
const (
	ProtocolDash   Protocol = "dash"
	ProtocolHLS    Protocol = "hls"
	ProtocolSmooth Protocol = "smooth"
)

// Scheme is an encryption scheme as the origin's URL tags see it.
type Scheme string

// Schemes, in the fixed order Schemes returns them.
const (
	SchemeClear    Scheme = "none"
	SchemeEnvelope Scheme = "cbc"
	SchemeCENC     Scheme = "cenc"
	SchemeCBCS     Scheme = "cbcs"
)

// StreamingPolicy says which protocols and schemes a locator may be
// streamed with, and where players get licenses. A nil scheme is disabled.
type StreamingPolicy struct {
	Name                 string              `json:"name"`
	NoEncryption         *NoEncryption       `json:"noEncryption"`
	EnvelopeEncryption   *EnvelopeEncryption `json:"envelopeEncryption"`
	CommonEncryptionCenc *CommonEncryption   `json:"commonEncryptionCenc"`
	CommonEncryptionCbcs *CommonEncryption   `json:"commonEncryptionCbcs"`
	// KeyServer, when set, is asked for the keys of every locator created
	// under the policy without keys (SPEKE v2.0, exchange.md).
	KeyServer *KeyServer `json:"keyServer,omitempty"`
}

// NoEncryption enables clear streaming for Protocols.
type NoEncryption struct {
	Protocols []Protocol `json:"protocols"`
}

// EnvelopeEncryption enables HLS AES-128 (cbc). KeyURLTemplate may hold
// {ContentKeyId}; a relative template ("/keys/aes/…") is prefixed with the
// origin's public base URL.
type EnvelopeEncryption struct {
	Protocols      []Protocol `json:"protocols"`
	KeyURLTemplate string     `json:"keyUrlTemplate,omitempty"`
}

// CommonEncryption enables cenc or cbcs with the DRMs it signals.
type CommonEncryption struct {
	Protocols []Protocol `json:"protocols"`
	DRM       DRM        `json:"drm"`
}

// DRM lists the DRM systems signalled; nil means not signalled. A present
// system with an empty template is signalled without a license URL.
type DRM struct {
	Widevine  *LicenseTemplate `json:"widevine,omitempty"`
	PlayReady *LicenseTemplate `json:"playReady,omitempty"`
	ClearKey  *LicenseTemplate `json:"clearKey,omitempty"`
	FairPlay  *FairPlay        `json:"fairPlay,omitempty"`
}

// LicenseTemplate is a license URL template ({ContentKeyId},
// {AlternativeMediaId}).
type LicenseTemplate struct {
	LicenseURLTemplate string `json:"licenseUrlTemplate,omitempty"`
}

// FairPlay configuration: the skd:// key URI template.
type FairPlay struct {
	LicenseURLTemplate     string `json:"licenseUrlTemplate,omitempty"`
	AllowPersistentLicense bool   `json:"allowPersistentLicense"`
}

// schemeSets holds every subset of the four schemes in the fixed order,
// indexed by bit mask (1 none, 2 cbc, 4 cenc, 8 cbcs), so Schemes returns
// a shared slice without allocating.
var schemeSets = func() (sets [16][]Scheme) {
	all := [4]Scheme{SchemeClear, SchemeEnvelope, SchemeCENC, SchemeCBCS}
	for m := range sets {
		for i, s := range all {
			if m&(1<<i) != 0 {
				sets[m] = append(sets[m], s)
			}
		}
	}
	return sets
}()

// Schemes returns the schemes the policy enables for protocol, in the
// fixed order none, cbc, cenc, cbcs. The slice is shared: do not modify
// it. It does not allocate.
func (p *StreamingPolicy) Schemes(protocol Protocol) []Scheme {
	m := 0
	for i, s := range [4]Scheme{SchemeClear, SchemeEnvelope, SchemeCENC, SchemeCBCS} {
		if p.Enables(protocol, s) {
			m |= 1 << i
		}
	}
	return schemeSets[m]
}

// Enables reports whether the policy enables scheme for protocol; it does
// not allocate.
func (p *StreamingPolicy) Enables(protocol Protocol, s Scheme) bool {
	switch s {
	case SchemeClear:
		return p.NoEncryption != nil && slices.Contains(p.NoEncryption.Protocols, protocol)
	case SchemeEnvelope:
		return p.EnvelopeEncryption != nil && slices.Contains(p.EnvelopeEncryption.Protocols, protocol)
	case SchemeCENC:
		return p.CommonEncryptionCenc != nil && slices.Contains(p.CommonEncryptionCenc.Protocols, protocol)
	case SchemeCBCS:
		return p.CommonEncryptionCbcs != nil && slices.Contains(p.CommonEncryptionCbcs.Protocols, protocol)
	}
	return false
}

// encryptedTypes returns the content key types of the encrypted schemes
// the policy enables, in scheme order.
func (p *StreamingPolicy) encryptedTypes() []KeyType {
	var out []KeyType
	if p.EnvelopeEncryption != nil {
		out = append(out, KeyTypeEnvelope)
	}
	if p.CommonEncryptionCenc != nil {
		out = append(out, KeyTypeCENC)
	}
	if p.CommonEncryptionCbcs != nil {
		out = append(out, KeyTypeCBCS)
	}
	return out
}

// ownDeliveryOnly returns the path of this origin's key delivery when the
// policy sends players for keys of type t there and nowhere else, and ""
// when it signals another way to get them (an external key URL, or
// Widevine, PlayReady or FairPlay, whose license servers are elsewhere), or
// none. A URL template that is relative, or an absent envelope key URL
// (which defaults to BuiltinAESKeyURLTemplate), is this origin's.
func (p *StreamingPolicy) ownDeliveryOnly(t KeyType) string {
	own := func(tmpl string) bool { return strings.HasPrefix(tmpl, "/") }
	switch t {
	case KeyTypeEnvelope:
		if e := p.EnvelopeEncryption; e != nil && (e.KeyURLTemplate == "" || own(e.KeyURLTemplate)) {
			return "/keys/aes"
		}
		return ""
	case KeyTypeCENC, KeyTypeCBCS:
		c := p.CommonEncryptionCenc
		if t == KeyTypeCBCS {
			c = p.CommonEncryptionCbcs
		}
		if c == nil {
			return ""
		}
		d := c.DRM
		if d.Widevine != nil || d.PlayReady != nil || d.FairPlay != nil || d.ClearKey == nil || !own(d.ClearKey.LicenseURLTemplate) {
			return ""
		}
		return "/keys/clearkey"
	}
	return ""
}

// Built-in streaming policy names. They are read-only, always present,
// and the prefix "Predefined_" is reserved.
const (
	PredefinedClearStreamingOnly    = "Predefined_ClearStreamingOnly"
	PredefinedClearKey              = "Predefined_ClearKey"
	PredefinedMultiDrmCencStreaming = "Predefined_MultiDrmCencStreaming"
	PredefinedMultiDrmStreaming     = "Predefined_MultiDrmStreaming"
	predefinedPrefix                = "Predefined_"
)

// Relative license URL templates of this origin's key delivery; the origin
// prefixes public.baseUrl.
const (
	BuiltinAESKeyURLTemplate   = "/keys/aes/{ContentKeyId}"
	BuiltinClearKeyURLTemplate = "/keys/clearkey"
	DefaultFairPlayURLTemplate = "skd://{ContentKeyId}"
)

// BuiltinConfig holds the external license URL templates that the built-in
// streaming policies name (empty: signalled without a URL).
type BuiltinConfig struct {
	// WidevineLicenseURLTemplate is drm.widevine.licenseUrlTemplate.
	WidevineLicenseURLTemplate string
	// PlayReadyLicenseURLTemplate is drm.playReady.licenseUrlTemplate.
	PlayReadyLicenseURLTemplate string
	// FairPlayLicenseURLTemplate is drm.fairPlay.licenseUrlTemplate;
	// empty means DefaultFairPlayURLTemplate.
	FairPlayLicenseURLTemplate string
}

// BuiltinPolicies returns the four built-in streaming policies, sorted by
// name.
func BuiltinPolicies(cfg BuiltinConfig) []*StreamingPolicy {
	fp := cfg.FairPlayLicenseURLTemplate
	if fp == "" {
		fp = DefaultFairPlayURLTemplate
	}
	all := []Protocol{ProtocolDash, ProtocolHLS, ProtocolSmooth}
	cenc := func() *CommonEncryption {
		return &CommonEncryption{Protocols: all, DRM: DRM{
			Widevine:  &LicenseTemplate{cfg.WidevineLicenseURLTemplate},
			PlayReady: &LicenseTemplate{cfg.PlayReadyLicenseURLTemplate},
			ClearKey:  &LicenseTemplate{BuiltinClearKeyURLTemplate},
		}}
	}
	return []*StreamingPolicy{
		{Name: PredefinedClearKey,
			EnvelopeEncryption: &EnvelopeEncryption{Protocols: []Protocol{ProtocolHLS}, KeyURLTemplate: BuiltinAESKeyURLTemplate},
			CommonEncryptionCenc: &CommonEncryption{Protocols: []Protocol{ProtocolDash},
				DRM: DRM{ClearKey: &LicenseTemplate{BuiltinClearKeyURLTemplate}}}},
		{Name: PredefinedClearStreamingOnly, NoEncryption: &NoEncryption{Protocols: all}},
		{Name: PredefinedMultiDrmCencStreaming, CommonEncryptionCenc: cenc()},
		{Name: PredefinedMultiDrmStreaming, CommonEncryptionCenc: cenc(),
			CommonEncryptionCbcs: &CommonEncryption{Protocols: []Protocol{ProtocolHLS, ProtocolDash}, DRM: DRM{
				FairPlay:  &FairPlay{LicenseURLTemplate: fp},
				Widevine:  &LicenseTemplate{cfg.WidevineLicenseURLTemplate},
				PlayReady: &LicenseTemplate{cfg.PlayReadyLicenseURLTemplate},
			}}},
	}
}

func isPredefinedName(name string) bool { return strings.HasPrefix(name, predefinedPrefix) }

// DecodeStreamingPolicy strictly decodes and validates a streaming policy.
func DecodeStreamingPolicy(body []byte) (*StreamingPolicy, error) {
	var d dec
	m := d.root(body, "name", "noEncryption", "envelopeEncryption", "commonEncryptionCenc", "commonEncryptionCbcs", "keyServer")
	p := &StreamingPolicy{}
	p.Name, _ = d.str(m, "", "name")
	if !isNull(m["noEncryption"]) {
		nm := d.object(m["noEncryption"], "noEncryption", "protocols")
		p.NoEncryption = &NoEncryption{Protocols: d.protocols(nm, "noEncryption")}
	}
	if !isNull(m["envelopeEncryption"]) {
		em := d.object(m["envelopeEncryption"], "envelopeEncryption", "protocols", "keyUrlTemplate")
		p.EnvelopeEncryption = &EnvelopeEncryption{Protocols: d.protocols(em, "envelopeEncryption")}
		p.EnvelopeEncryption.KeyURLTemplate, _ = d.str(em, "envelopeEncryption", "keyUrlTemplate")
	}
	p.CommonEncryptionCenc = d.commonEncryption(m, "commonEncryptionCenc", "widevine", "playReady", "clearKey")
	p.CommonEncryptionCbcs = d.commonEncryption(m, "commonEncryptionCbcs", "widevine", "playReady", "fairPlay")
	p.KeyServer = d.keyServer(m)
	if d.err == nil && p.KeyServer != nil && p.CommonEncryptionCenc == nil && p.CommonEncryptionCbcs == nil {
		d.fail("keyServer", "a key server gives keys for commonEncryptionCenc or commonEncryptionCbcs, and the policy enables neither")
	}
	if d.err == nil && p.NoEncryption == nil && p.EnvelopeEncryption == nil &&
		p.CommonEncryptionCenc == nil && p.CommonEncryptionCbcs == nil {
		d.fail("", "a streaming policy must enable at least one of noEncryption, envelopeEncryption, commonEncryptionCenc, commonEncryptionCbcs")
	}
	if d.err != nil {
		return nil, d.err
	}
	return p, nil
}

func (d *dec) protocols(m map[string]json.RawMessage, path string) []Protocol {
	ss := d.strArray(m, path, "protocols")
	if d.err == nil && len(ss) == 0 {
		d.fail(join(path, "protocols"), "at least one of dash, hls, smooth is required")
	}
	out := make([]Protocol, 0, len(ss))
	for i, s := range ss {
		p := Protocol(s)
		switch p {
		case ProtocolDash, ProtocolHLS, ProtocolSmooth:
		default:
			d.fail(index(join(path, "protocols"), i), "must be one of dash, hls, smooth")
		}
		if slices.Contains(out, p) {
			d.fail(index(join(path, "protocols"), i), "duplicate protocol %q", s)
		}
		out = append(out, p)
	}
	return out
}

func (d *dec) commonEncryption(m map[string]json.RawMessage, key string, drms ...string) *CommonEncryption {
	if d.err != nil || isNull(m[key]) {
		return nil
	}
	cm := d.object(m[key], key, "protocols", "drm")
	c := &CommonEncryption{Protocols: d.protocols(cm, key)}
	if isNull(cm["drm"]) {
		return c
	}
	dpath := join(key, "drm")
	dm := d.object(cm["drm"], dpath, "widevine", "playReady", "clearKey", "fairPlay")
	for _, name := range []string{"widevine", "playReady", "clearKey", "fairPlay"} {
		raw := dm[name]
		if d.err != nil || isNull(raw) {
			continue
		}
		path := join(dpath, name)
		if !slices.Contains(drms, name) {
			d.fail(path, "not signalled with %s", key)
			return nil
		}
		if name == "fairPlay" {
			fm := d.object(raw, path, "licenseUrlTemplate", "allowPersistentLicense")
			f := &FairPlay{}
			f.LicenseURLTemplate, _ = d.str(fm, path, "licenseUrlTemplate")
			f.AllowPersistentLicense = d.boolean(fm, path, "allowPersistentLicense")
			c.DRM.FairPlay = f
			continue
		}
		lm := d.object(raw, path, "licenseUrlTemplate")
		t := &LicenseTemplate{}
		t.LicenseURLTemplate, _ = d.str(lm, path, "licenseUrlTemplate")
		switch name {
		case "widevine":
			c.DRM.Widevine = t
		case "playReady":
			c.DRM.PlayReady = t
		case "clearKey":
			c.DRM.ClearKey = t
		}
	}
	return c
}
