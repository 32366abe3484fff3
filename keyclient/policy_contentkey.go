package keyclient

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/url"
)

// ConfigurationType names what a content key policy option delivers.
type ConfigurationType string

// Configuration types of a content key policy option.
const (
	ConfigAESEnvelope ConfigurationType = "aesEnvelope"
	ConfigClearKey    ConfigurationType = "clearKey"
	ConfigPlayReady   ConfigurationType = "playReady"
	ConfigWidevine    ConfigurationType = "widevine"
	ConfigFairPlay    ConfigurationType = "fairPlay"
)

// RestrictionType is "open" or "token".
type RestrictionType string

// Restriction types.
const (
	RestrictionOpen  RestrictionType = "open"
	RestrictionToken RestrictionType = "token"
)

// TokenType is "jwt" or "swt".
type TokenType string

// Token types.
const (
	TokenJWT TokenType = "jwt"
	TokenSWT TokenType = "swt"
)

// VerificationKeyType names the form of a token verification key.
type VerificationKeyType string

// Verification key types.
const (
	VerificationSymmetric VerificationKeyType = "symmetric"
	VerificationRSA       VerificationKeyType = "rsa"
	VerificationX509      VerificationKeyType = "x509"
	VerificationECDSA     VerificationKeyType = "ecdsa"
)

// ContentKeyPolicy decides who may obtain a key or license, and what kind.
type ContentKeyPolicy struct {
	Name    string                   `json:"name"`
	Options []ContentKeyPolicyOption `json:"options"`
}

// ContentKeyPolicyOption pairs a configuration with a restriction.
type ContentKeyPolicyOption struct {
	Name          string        `json:"name,omitempty"`
	Configuration Configuration `json:"configuration"`
	Restriction   Restriction   `json:"restriction"`
}

// Configuration of an option: which kind of key or license it delivers.
type Configuration struct {
	Type ConfigurationType `json:"type"`
}

// Restriction says who may use an option: anyone (open) or a token holder.
type Restriction struct {
	Type                           RestrictionType   `json:"type"`
	TokenType                      TokenType         `json:"tokenType,omitempty"`
	Issuer                         string            `json:"issuer,omitempty"`
	Audience                       string            `json:"audience,omitempty"`
	PrimaryVerificationKey         *VerificationKey  `json:"primaryVerificationKey,omitempty"`
	AlternateVerificationKeys      []VerificationKey `json:"alternateVerificationKeys,omitempty"`
	OpenIDConnectDiscoveryDocument string            `json:"openIdConnectDiscoveryDocument,omitempty"`
	RequiredClaims                 []RequiredClaim   `json:"requiredClaims,omitempty"`
}

// VerificationKey is a token verification key: symmetric (Value, the HMAC
// key) or a PEM (rsa: PUBLIC KEY, x509: CERTIFICATE, ecdsa: EC PUBLIC KEY).
type VerificationKey struct {
	Type  VerificationKeyType `json:"type"`
	Value []byte              `json:"value,omitempty"`
	PEM   string              `json:"pem,omitempty"`
}

// RequiredClaim is a claim a token must carry, equal to Value when given.
type RequiredClaim struct {
	Type  string  `json:"type"`
	Value *string `json:"value,omitempty"`
}

// PublicKey parses an asymmetric verification key (rsa, x509, ecdsa) and
// returns its public key; for a symmetric key it returns an error.
func (k *VerificationKey) PublicKey() (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(k.PEM))
	if block == nil {
		return nil, errors.New("not PEM")
	}
	switch k.Type {
	case VerificationRSA:
		if pub, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
			if rk, ok := pub.(*rsa.PublicKey); ok {
				return rk, nil
			}
			return nil, errors.New("not an RSA public key")
		}
		if rk, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
			return rk, nil
		}
		return nil, errors.New("not an RSA public key PEM")
	case VerificationECDSA:
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, errors.New("not an EC public key PEM")
		}
		ek, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return nil, errors.New("not an EC public key")
		}
		return ek, nil
	case VerificationX509:
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, errors.New("not a certificate PEM")
		}
		switch cert.PublicKey.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			return cert.PublicKey, nil
		}
		return nil, errors.New("certificate key is neither RSA nor EC")
	}
	return nil, errors.New("not an asymmetric key")
}

// OptionFor returns the first option whose configuration type is t.
func (p *ContentKeyPolicy) OptionFor(t ConfigurationType) (*ContentKeyPolicyOption, bool) {
	for i := range p.Options {
		if p.Options[i].Configuration.Type == t {
			return &p.Options[i], true
		}
	}
	return nil, false
}

// DecodeContentKeyPolicy strictly decodes and validates a content key
// policy; errors are *ValidationError naming the field.
func DecodeContentKeyPolicy(body []byte) (*ContentKeyPolicy, error) {
	var d dec
	m := d.root(body, "name", "options")
	p := &ContentKeyPolicy{}
	p.Name, _ = d.str(m, "", "name")
	opts := d.array(m, "", "options")
	if d.err == nil && len(opts) == 0 {
		d.fail("options", "at least one option is required")
	}
	names := map[string]bool{}
	for i, raw := range opts {
		path := index("options", i)
		om := d.object(raw, path, "name", "configuration", "restriction")
		var o ContentKeyPolicyOption
		o.Name, _ = d.str(om, path, "name")
		if o.Name != "" {
			if names[o.Name] {
				d.fail(join(path, "name"), "duplicate option name %q", o.Name)
			}
			names[o.Name] = true
		}
		cpath := join(path, "configuration")
		if isNull(om["configuration"]) {
			d.fail(cpath, "required")
		}
		cm := d.object(om["configuration"], cpath, "type")
		switch t := ConfigurationType(d.reqStr(cm, cpath, "type")); t {
		case ConfigAESEnvelope, ConfigClearKey, ConfigPlayReady, ConfigWidevine, ConfigFairPlay:
			o.Configuration.Type = t
		default:
			d.fail(join(cpath, "type"), "must be one of aesEnvelope, clearKey, playReady, widevine, fairPlay")
		}
		o.Restriction = d.restriction(om, join(path, "restriction"))
		if d.err != nil {
			return nil, d.err
		}
		p.Options = append(p.Options, o)
	}
	if d.err != nil {
		return nil, d.err
	}
	return p, nil
}

func (d *dec) restriction(om map[string]json.RawMessage, rpath string) Restriction {
	var r Restriction
	if d.err != nil {
		return r
	}
	if isNull(om["restriction"]) {
		d.fail(rpath, "required")
		return r
	}
	rm := d.object(om["restriction"], rpath, "type", "tokenType", "issuer", "audience",
		"primaryVerificationKey", "alternateVerificationKeys", "openIdConnectDiscoveryDocument", "requiredClaims")
	switch t := RestrictionType(d.reqStr(rm, rpath, "type")); t {
	case RestrictionOpen:
		r.Type = t
		for _, f := range []string{"tokenType", "issuer", "audience", "primaryVerificationKey",
			"alternateVerificationKeys", "openIdConnectDiscoveryDocument", "requiredClaims"} {
			if !isNull(rm[f]) {
				d.fail(join(rpath, f), "not allowed for an open restriction")
			}
		}
		return r
	case RestrictionToken:
		r.Type = t
	default:
		d.fail(join(rpath, "type"), "must be open or token")
		return r
	}
	switch tt := TokenType(d.reqStr(rm, rpath, "tokenType")); tt {
	case TokenJWT, TokenSWT:
		r.TokenType = tt
	default:
		d.fail(join(rpath, "tokenType"), "must be jwt or swt")
	}
	r.Issuer = d.reqStr(rm, rpath, "issuer")
	r.Audience = d.reqStr(rm, rpath, "audience")
	if !isNull(rm["primaryVerificationKey"]) {
		k := d.verificationKey(rm["primaryVerificationKey"], join(rpath, "primaryVerificationKey"))
		r.PrimaryVerificationKey = &k
	}
	for i, raw := range d.array(rm, rpath, "alternateVerificationKeys") {
		r.AlternateVerificationKeys = append(r.AlternateVerificationKeys,
			d.verificationKey(raw, index(join(rpath, "alternateVerificationKeys"), i)))
	}
	if s, ok := d.str(rm, rpath, "openIdConnectDiscoveryDocument"); ok {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			d.fail(join(rpath, "openIdConnectDiscoveryDocument"), "must be an http(s) URL")
		}
		r.OpenIDConnectDiscoveryDocument = s
	}
	if d.err == nil && r.PrimaryVerificationKey == nil && r.OpenIDConnectDiscoveryDocument == "" {
		d.fail(join(rpath, "primaryVerificationKey"), "required unless openIdConnectDiscoveryDocument is set")
	}
	if d.err == nil && r.TokenType == TokenSWT {
		if r.OpenIDConnectDiscoveryDocument != "" || r.PrimaryVerificationKey == nil ||
			r.PrimaryVerificationKey.Type != VerificationSymmetric {
			d.fail(join(rpath, "primaryVerificationKey"), "an swt restriction needs a symmetric key")
		}
	}
	for i, raw := range d.array(rm, rpath, "requiredClaims") {
		cpath := index(join(rpath, "requiredClaims"), i)
		cm := d.object(raw, cpath, "type", "value")
		c := RequiredClaim{Type: d.reqStr(cm, cpath, "type")}
		if v, ok := d.str(cm, cpath, "value"); ok {
			c.Value = &v
		}
		r.RequiredClaims = append(r.RequiredClaims, c)
	}
	return r
}

func (d *dec) verificationKey(raw json.RawMessage, path string) VerificationKey {
	var k VerificationKey
	m := d.object(raw, path, "type", "value", "pem")
	if d.err != nil {
		return k
	}
	k.Type = VerificationKeyType(d.reqStr(m, path, "type"))
	switch k.Type {
	case VerificationSymmetric:
		if !isNull(m["pem"]) {
			d.fail(join(path, "pem"), "not allowed for a symmetric key")
		}
		s := d.reqStr(m, path, "value")
		if d.err != nil {
			return k
		}
		b, ok := decodeBase64(s)
		if !ok || len(b) == 0 {
			d.fail(join(path, "value"), "must be non-empty base64")
		}
		k.Value = b
	case VerificationRSA, VerificationX509, VerificationECDSA:
		if !isNull(m["value"]) {
			d.fail(join(path, "value"), "not allowed for a %s key (use pem)", k.Type)
		}
		k.PEM = d.reqStr(m, path, "pem")
		if d.err != nil {
			return k
		}
		if _, err := k.PublicKey(); err != nil {
			d.fail(join(path, "pem"), "%v", err)
		}
	default:
		if d.err == nil {
			d.fail(join(path, "type"), "must be one of symmetric, rsa, x509, ecdsa")
		}
	}
	return k
}
