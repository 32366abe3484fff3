package origin

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/drm"
	"github.com/drmorigin/drmorigin/drm/usage"
	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/manifest"
	"github.com/drmorigin/drmorigin/packager"
)

// keyCache holds one crypto.Key (expanded AES key) per content key, so the
// segment path never expands a key: a hit is a map lookup under a mutex
// and allocates nothing. It is bounded by starting over when full, which
// costs one key expansion per key afterwards.
type keyCache struct {
	mu sync.Mutex
	m  map[[32]byte]*crypto.Key
}

// maxCachedKeys bounds keyCache.
const maxCachedKeys = 1 << 14

func (c *keyCache) get(k *keyclient.Key) (*crypto.Key, error) {
	var id [32]byte
	copy(id[:16], k.KID[:])
	copy(id[16:], k.Value[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	if ck, ok := c.m[id]; ok {
		return ck, nil
	}
	ck, err := crypto.NewKey(k.Value[:])
	if err != nil {
		return nil, err
	}
	if c.m == nil || len(c.m) >= maxCachedKeys {
		c.m = make(map[[32]byte]*crypto.Key)
	}
	c.m[id] = ck
	return ck, nil
}

// errNoKey: a locator enables a scheme but holds no key for a track. The
// key cannot be resolved, so the answer is 503, never clear media.
var errNoKey = &httpError{status: fasthttp.StatusServiceUnavailable, msg: "service unavailable: no content key for this track"}

// usageTrack is t as usage rules see it: kind, name and frame size.
func usageTrack(t *packager.Track) usage.Track {
	u := usage.Track{Kind: usage.Video, Name: t.Name, Width: t.Width, Height: t.Height}
	if t.Kind == packager.Audio {
		u = usage.Track{Kind: usage.Audio, Name: t.Name}
	}
	return u
}

// schemeOf is the packager scheme that the encryption tag enc means in
// format f: the one place where a URL tag becomes what the packager applies
// (urls.md). cenc on Smooth is PIFF; cbcs-aapl is SAMPLE-AES on TS and the
// cbcs bytes on fMP4 (FairPlay-only signalling, which signalFor decides
// from the tag); cbc is HLS AES-128 over the whole segment.
func schemeOf(enc Encryption, f Format) packager.Scheme {
	switch enc {
	case EncryptionCENC:
		if f == FormatSmooth {
			return packager.SchemePIFF
		}
		return packager.SchemeCENC
	case EncryptionPIFF:
		return packager.SchemePIFF
	case EncryptionCBCS:
		return packager.SchemeCBCS
	case EncryptionCBCSAAPL:
		if f.IsTS() {
			return packager.SchemeSampleAES
		}
		return packager.SchemeCBCS
	case EncryptionCBC:
		return packager.SchemeAES128
	}
	return packager.SchemeNone
}

// protectionPool recycles the per-request packager.Protection of media
// segments, so the segment path allocates nothing for it.
var protectionPool = sync.Pool{New: func() any { return new(packager.Protection) }}

// fillProtection fills p with how track t is protected for this request:
// the scheme decided in prepare, the track's content key (cached cipher
// state) and, withPSSH, the pssh boxes that init segments carry. It
// returns false, leaving p alone, for clear output.
func (s *Server) fillProtection(p *packager.Protection, ctx *fasthttp.RequestCtx, st streamState, t *packager.Track, withPSSH bool) (bool, error) {
	if st.scheme == packager.SchemeNone {
		return false, nil
	}
	k, err := trackKey(st.resolved, st.enc, t)
	if err != nil {
		return false, err
	}
	ck, err := s.keys.get(k)
	if err != nil {
		return false, err
	}
	*p = packager.Protection{Scheme: st.scheme, KID: k.KID, Key: ck, Asset: st.resolved.Locator.AssetName}
	if withPSSH {
		sig, err := signalFor(st.resolved.Policy, st.enc, k, st.resolved.Locator.Name, s.baseURL(ctx))
		if err != nil {
			return false, err
		}
		p.PSSH = sig.pssh
		pro, kids, err := smoothPRO(st, st.enc, s.baseURL(ctx))
		if err != nil {
			return false, err
		}
		if pro != nil {
			p.PSSH = replacePlayReadyPSSH(sig.pssh, pro, kids)
		}
	}
	return true, nil
}

// trackKey finds the content key that encrypts track t with enc.
func trackKey(res *keyclient.Resolved, enc Encryption, t *packager.Track) (*keyclient.Key, error) {
	k, ok := res.KeyFor(keyclient.Scheme(enc.Scheme()), usageTrack(t))
	if !ok {
		return nil, errNoKey
	}
	return k, nil
}

// expandTemplate fills a license or key URL template of the streaming
// policy: {ContentKeyId} is the KID as a lowercase GUID, {AlternativeMediaId}
// the locator name (drmorigin keeps no separate alternative id); a relative
// template ("/keys/…") is prefixed with the public base URL.
func expandTemplate(tmpl string, kid keyclient.KID, locator, base string) string {
	if tmpl == "" {
		return ""
	}
	s := strings.ReplaceAll(tmpl, "{ContentKeyId}", kid.String())
	s = strings.ReplaceAll(s, "{AlternativeMediaId}", locator)
	if strings.HasPrefix(s, "/") {
		s = strings.TrimSuffix(base, "/") + s
	}
	return s
}

// drmSignal is what one key signals: the manifest systems and the pssh boxes
// of its init segments.
type drmSignal struct {
	systems []manifest.System
	pssh    [][]byte
}

// signalFor builds the DRM signalling of key k under enc from the policy's
// DRM configuration.
func signalFor(p *keyclient.StreamingPolicy, enc Encryption, k *keyclient.Key, locator, base string) (sig drmSignal, err error) {
	var d *keyclient.DRM
	scheme := drm.SchemeCENC
	switch enc {
	case EncryptionCENC, EncryptionPIFF:
		if p.CommonEncryptionCenc != nil {
			d = &p.CommonEncryptionCenc.DRM
		}
	case EncryptionCBCS, EncryptionCBCSAAPL:
		scheme = drm.SchemeCBCS
		if p.CommonEncryptionCbcs != nil {
			d = &p.CommonEncryptionCbcs.DRM
		}
	default:
		return sig, nil
	}
	if d == nil {
		return sig, nil
	}
	// A key imported from a CPIX document brings the license service's
	// signalling, used as given in place of the generated one (exchange.md).
	imported := func(id drm.SystemID) *keyclient.DRMSignal {
		sg, _ := k.Signal(id)
		return sg
	}
	kids := [][16]byte{k.KID}
	if d.Widevine != nil && enc != EncryptionCBCSAAPL {
		var box []byte
		if sg := imported(drm.WidevineSystemID); sg != nil && len(sg.PSSH) > 0 {
			box = sg.PSSH
		} else if box, err = drm.WidevinePSSH(kids, scheme); err != nil {
			return sig, fmt.Errorf("widevine pssh: %w", err)
		}
		sig.systems = append(sig.systems, manifest.System{Kind: manifest.Widevine, PSSH: box,
			LicenseURL: expandTemplate(d.Widevine.LicenseURLTemplate, k.KID, locator, base), HLSURI: importedHLSURI(imported(drm.WidevineSystemID))})
		sig.pssh = append(sig.pssh, box)
	}
	if d.PlayReady != nil && enc != EncryptionCBCSAAPL {
		la := expandTemplate(d.PlayReady.LicenseURLTemplate, k.KID, locator, base)
		var pro, box []byte
		if sg := imported(drm.PlayReadySystemID); sg != nil && len(sg.PSSH) > 0 {
			box = sg.PSSH
			pro, _ = drm.PSSHData(box) // checked on import
		} else if sg != nil && sg.SmoothHeader != "" {
			pro, _ = base64.StdEncoding.DecodeString(sg.SmoothHeader) // checked on import
			box = drm.PlayReadyPSSH(kids, pro)
		} else {
			if pro, err = drm.PlayReadyHeader(k.KID, k.Value, scheme, la); err != nil {
				return sig, fmt.Errorf("playready header: %w", err)
			}
			box = drm.PlayReadyPSSH(kids, pro)
		}
		sig.systems = append(sig.systems, manifest.System{Kind: manifest.PlayReady, PSSH: box, PRO: pro, LicenseURL: la,
			HLSURI: importedHLSURI(imported(drm.PlayReadySystemID))})
		sig.pssh = append(sig.pssh, box)
	}
	if d.ClearKey != nil && enc != EncryptionCBCSAAPL {
		sig.systems = append(sig.systems, manifest.System{Kind: manifest.ClearKey,
			LicenseURL: expandTemplate(d.ClearKey.LicenseURLTemplate, k.KID, locator, base)})
		box := drm.CommonPSSH(kids)
		if sg := imported(drm.CommonSystemID); sg != nil && len(sg.PSSH) > 0 {
			box = sg.PSSH
		}
		sig.pssh = append(sig.pssh, box)
	}
	if d.FairPlay != nil && (enc == EncryptionCBCS || enc == EncryptionCBCSAAPL) {
		tmpl := d.FairPlay.LicenseURLTemplate
		if tmpl == "" {
			tmpl = keyclient.DefaultFairPlayURLTemplate
		}
		uri := expandTemplate(tmpl, k.KID, locator, base)
		if sg := imported(drm.FairPlaySystemID); sg != nil {
			if u, ok := keyclient.SkdURI(sg.HLSMedia); ok {
				uri = u
			}
		}
		sig.systems = append(sig.systems, manifest.System{Kind: manifest.FairPlay, LicenseURL: uri})
	}
	return sig, nil
}

// importedHLSURI is the key tag URI of an imported system's media
// HLSSignalingData ("" when there is none: the origin builds it).
func importedHLSURI(sg *keyclient.DRMSignal) string {
	if sg == nil {
		return ""
	}
	return keyclient.HLSKeyURI(sg.HLSMedia)
}

func methodOf(e Encryption) manifest.Method {
	switch e {
	case EncryptionCENC, EncryptionPIFF:
		return manifest.MethodCENC
	case EncryptionCBCS:
		return manifest.MethodCBCS
	case EncryptionCBCSAAPL:
		return manifest.MethodSampleAES
	}
	return manifest.MethodAES128
}

// protectionOf describes, for the manifest builders, how every track of
// presentation p (what view v keeps of the asset) is encrypted with
// st.enc. Segment IVs are those of the source fragments, so a filtered
// playlist states the IVs its segments are encrypted with.
func (s *Server) protectionOf(st streamState, v *assetView, p *manifest.Presentation, base string) (*manifest.Protection, error) {
	res, enc := st.resolved, st.enc
	pr := &manifest.Protection{Method: methodOf(enc), Tracks: make([]manifest.TrackProtection, len(p.Tracks))}
	for i := range p.Tracks {
		vt := v.byTrack(&p.Tracks[i])
		t, from := vt.t, vt.from
		k, err := trackKey(res, enc, t)
		if err != nil {
			return nil, err
		}
		tp := manifest.TrackProtection{KID: k.KID}
		if enc == EncryptionCBC || st.format.IsTS() {
			// HLS AES-128 states each segment's IV, and so does every TS
			// segment (SAMPLE-AES too), as the segment encryption derives it.
			ck, err := s.keys.get(k)
			if err != nil {
				return nil, err
			}
			p := &packager.Protection{Scheme: schemeOf(enc, st.format), Key: ck, Asset: res.Locator.AssetName}
			tp.IV = func(i int) [16]byte { return t.SegmentIV(p, from+i) }
		}
		if enc == EncryptionCBC {
			if p := res.Policy.EnvelopeEncryption; p != nil {
				tmpl := p.KeyURLTemplate
				if tmpl == "" {
					tmpl = keyclient.BuiltinAESKeyURLTemplate
				}
				tp.KeyURI = expandTemplate(tmpl, k.KID, res.Locator.Name, base)
			}
		} else {
			sig, err := signalFor(res.Policy, enc, k, res.Locator.Name, base)
			if err != nil {
				return nil, err
			}
			tp.Systems = sig.systems
		}
		pr.Tracks[i] = tp
	}
	pro, kids, err := smoothPRO(st, enc, base)
	if err != nil {
		return nil, err
	}
	if pro != nil {
		withSmoothPRO(pr, pro, kids)
	}
	return pr, nil
}
