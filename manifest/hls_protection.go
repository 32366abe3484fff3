package manifest

import (
	"encoding/hex"
	"strings"
)

// HLS key formats (KEYFORMAT) and the data: URI prefixes of the DRMs that
// HLS signals (urls.md "HLS key tags per scheme").
const (
	keyFormatFairPlay  = "com.apple.streamingkeydelivery"
	keyFormatWidevine  = "urn:uuid:" + uuidWidevine
	keyFormatPlayReady = "com.microsoft.playready"
	dataURIWidevine    = "data:text/plain;base64,"
	dataURIPlayReady   = "data:text/plain;charset=UTF-16;base64,"
	skdScheme          = "skd://"
)

// hlsKey is one EXT-X-KEY (or EXT-X-SESSION-KEY) without its IV.
type hlsKey struct {
	method, uri string
	// keyFormat is empty for AES-128 (the default "identity"); otherwise
	// KEYFORMATVERSIONS="1" follows it.
	keyFormat string
}

// hlsKeys returns the key tags of one track, in Systems order:
//
//	cbc       METHOD=AES-128,URI="<KeyURI>"
//	cbcs-aapl METHOD=SAMPLE-AES,URI="skd://…",KEYFORMAT="com.apple.streamingkeydelivery"
//	cbcs      one METHOD=SAMPLE-AES per FairPlay, Widevine and PlayReady system
//	cenc      one METHOD=SAMPLE-AES-CTR per Widevine and PlayReady system
//
// Widevine's URI is data:text/plain;base64,<pssh box>, PlayReady's
// data:text/plain;charset=UTF-16;base64,<PlayReady object>. ClearKey has no
// HLS key format and is skipped; FairPlay cannot do cenc.
func hlsKeys(t *Track, tp *TrackProtection, m Method) ([]hlsKey, error) {
	if m == MethodAES128 {
		if tp.KeyURI == "" {
			return nil, unsupported("hls: track %s: cbc needs the key URI", t.label())
		}
		return []hlsKey{{method: "AES-128", uri: tp.KeyURI}}, nil
	}
	method := "SAMPLE-AES"
	if m == MethodCENC {
		method = "SAMPLE-AES-CTR"
	}
	var keys []hlsKey
	fairPlay := func(s *System) error {
		uri := tp.KeyURI
		if s != nil && s.LicenseURL != "" {
			uri = s.LicenseURL
		}
		if !strings.HasPrefix(uri, skdScheme) {
			return unsupported("hls: track %s: fairplay needs an skd:// URI, have %q", t.label(), uri)
		}
		keys = append(keys, hlsKey{method: method, uri: uri, keyFormat: keyFormatFairPlay})
		return nil
	}
	for i := range tp.Systems {
		s := &tp.Systems[i]
		switch {
		case s.Kind == FairPlay && m == MethodCENC:
			return nil, unsupported("hls: track %s: fairplay cannot signal cenc (cbcs and cbcs-aapl can)", t.label())
		case s.Kind == FairPlay:
			if err := fairPlay(s); err != nil {
				return nil, err
			}
		case m == MethodSampleAES: // cbcs-aapl is FairPlay only
		case s.Kind == Widevine:
			if len(s.PSSH) == 0 {
				return nil, unsupported("hls: track %s: widevine needs a PSSH box", t.label())
			}
			keys = append(keys, hlsKey{method: method, uri: orURI(s.HLSURI, dataURIWidevine+b64(s.PSSH)), keyFormat: keyFormatWidevine})
		case s.Kind == PlayReady:
			if len(s.PRO) == 0 {
				return nil, unsupported("hls: track %s: playready needs a PlayReady object", t.label())
			}
			keys = append(keys, hlsKey{method: method, uri: orURI(s.HLSURI, dataURIPlayReady+b64(s.PRO)), keyFormat: keyFormatPlayReady})
		}
	}
	if m == MethodSampleAES && len(keys) == 0 && tp.KeyURI != "" {
		if err := fairPlay(nil); err != nil {
			return nil, err
		}
	}
	if len(keys) == 0 {
		return nil, unsupported("hls: track %s: no DRM that HLS can signal for %s", t.label(), m)
	}
	return keys, nil
}

// orURI is given when set, else built.
func orURI(given, built string) string {
	if given != "" {
		return given
	}
	return built
}

// write writes k as tag ("#EXT-X-KEY:" or "#EXT-X-SESSION-KEY:") with iv
// when not nil, attributes in the order METHOD, URI, IV, KEYFORMAT,
// KEYFORMATVERSIONS.
func (k hlsKey) write(b *strings.Builder, tag string, iv *[16]byte) {
	b.WriteString(tag + "METHOD=" + k.method + `,URI="` + k.uri + `"`)
	if iv != nil {
		b.WriteString(",IV=" + hexIV(*iv))
	}
	if k.keyFormat != "" {
		b.WriteString(`,KEYFORMAT="` + k.keyFormat + `",KEYFORMATVERSIONS="1"`)
	}
	b.WriteString("\n")
}

// hexIV formats an IV as RFC 8216's hexadecimal-sequence: 0x and 32
// upper-case hex digits.
func hexIV(iv [16]byte) string {
	return "0x" + strings.ToUpper(hex.EncodeToString(iv[:]))
}

// hlsSessionKeys returns the distinct key tags of the tracks whose media
// playlists the multivariant playlist references, in track order, as
// EXT-X-SESSION-KEY lines (without IVs), and whether one has a KEYFORMAT.
// Those are all tracks, except in m3u8-aapl-v3 with video (hasVideo): the
// video tracks only, whose key tags cover their muxed audio (hls_ts.go).
func hlsSessionKeys(p *Presentation, o Options, hasVideo bool) (string, bool, error) {
	if o.Protection == nil {
		return "", false, nil
	}
	var b strings.Builder
	seen := map[hlsKey]bool{}
	keyFormat := false
	for i := range p.Tracks {
		if o.HLSFormat == HLSTSv3 && hasVideo && p.Tracks[i].Kind != Video {
			continue
		}
		keys, _, err := hlsTrackKeys(p, i, o)
		if err != nil {
			return "", false, err
		}
		keyFormat = keyFormat || hasKeyFormat(keys)
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				k.write(&b, "#EXT-X-SESSION-KEY:", nil)
			}
		}
	}
	return b.String(), keyFormat, nil
}

// hasKeyFormat reports whether one of keys has a KEYFORMAT attribute.
func hasKeyFormat(keys []hlsKey) bool {
	for _, k := range keys {
		if k.keyFormat != "" {
			return true
		}
	}
	return false
}
