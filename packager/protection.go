package packager

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/drmorigin/drmorigin/crypto"
)

// Scheme is how an output segment is protected: the one vocabulary of
// protection in drmorigin. Origin maps a request's encryption= tag and
// format onto it once (urls.md); the packager applies it.
type Scheme int

// Schemes.
const (
	// SchemeNone is clear output.
	SchemeNone Scheme = iota
	// SchemeCENC is 'cenc' (ISO/IEC 23001-7): AES-128-CTR, NAL-structured
	// video in subsamples with protected ranges of whole 16-byte blocks,
	// audio samples whole; 8-byte per-sample IVs in senc. Output CMAF.
	SchemeCENC
	// SchemeCBCS is 'cbcs': AES-128-CBC, 1:9 pattern from the slice data
	// on for video, whole blocks for audio, one constant IV per (key,
	// track) in tenc and no IVs in senc. Output CMAF.
	SchemeCBCS
	// SchemePIFF is Smooth Streaming's 'cenc' (PIFF 1.1): the bytes of
	// SchemeCENC, with the PIFF sample encryption box (uuid
	// A2394F52-5A9B-4F14-A244-6C427C648DF4, which PlayReady clients read)
	// after senc, saiz and saio (which ISO/IEC 23001-7 readers, ffmpeg
	// among them, read: ffmpeg 5.1 ignores the PIFF box). Both boxes hold
	// the same entries. Output Smooth.
	SchemePIFF
	// SchemeSampleAES is HLS SAMPLE-AES in MPEG-2 TS (Apple's "MPEG-2
	// Stream Encryption Format"): H.264 NAL units and ADTS frames under
	// AES-128-CBC 1:9, the segment IV of SegmentIV. Output TS.
	SchemeSampleAES
	// SchemeAES128 is HLS AES-128 (RFC 8216 4.3.2.4): the whole clear
	// segment, CMAF or TS, under AES-128-CBC with PKCS#7 padding and the
	// segment IV of SegmentIV.
	SchemeAES128
)

var schemeNames = [...]string{
	SchemeNone: "none", SchemeCENC: "cenc", SchemeCBCS: "cbcs", SchemePIFF: "piff",
	SchemeSampleAES: "sample-aes", SchemeAES128: "aes-128",
}

func (s Scheme) String() string {
	if s >= 0 && int(s) < len(schemeNames) {
		return schemeNames[s]
	}
	return fmt.Sprintf("Scheme(%d)", int(s))
}

// FourCC is the ISO/IEC 23001-7 scheme_type that a scheme's DRM signalling
// (pssh data, PlayReady headers) names: "cenc" for SchemeCENC and
// SchemePIFF, "cbcs" for SchemeCBCS and SchemeSampleAES (FairPlay), "" for
// the others.
func (s Scheme) FourCC() string {
	switch s {
	case SchemeCENC, SchemePIFF:
		return "cenc"
	case SchemeCBCS, SchemeSampleAES:
		return "cbcs"
	}
	return ""
}

// Protection is how one track's output is protected: the scheme, the
// content key and its identifier, the DRM signalling of the init segment,
// and the asset name that IVs are derived from. Origin decides it once per
// request from the URL and the locator's policy; every output goes through
// AppendInit and AppendSegment with it. A nil *Protection is clear output.
// It is only read, so it may be shared between goroutines.
type Protection struct {
	Scheme Scheme
	// KID is the key identifier (tenc default_KID).
	KID [16]byte
	// Key is the cipher state of the content key, created once per key by
	// the caller (crypto.NewKey) and cached.
	Key *crypto.Key
	// PSSH holds complete pssh boxes that AppendInit puts in a protected
	// init segment's moov (built with package drm).
	PSSH [][]byte
	// Asset names the asset for IV derivation (urls.md "Initialization
	// vectors"): IVs come from the key and (Asset, track file name,
	// fragment decode time, sample index). It must not be empty.
	Asset string
}

// scheme is p's scheme, SchemeNone for nil.
func (p *Protection) scheme() Scheme {
	if p == nil {
		return SchemeNone
	}
	return p.Scheme
}

// ErrEncryption is returned (wrapped) by AppendInit and AppendSegment when
// the Protection is unusable (nil key, no asset name, unknown scheme, a
// scheme the output cannot carry) or the track's samples cannot be
// encrypted (unknown sample entry, parameter sets or NAL units that do not
// parse, a subsample map larger than saiz can state).
var ErrEncryption = errors.New("packager: cannot encrypt")

// checkProtection validates p for output out.
func checkProtection(out Output, p *Protection) error {
	if p == nil || p.Scheme == SchemeNone {
		return nil
	}
	if p.Key == nil {
		return fmt.Errorf("%w: no key", ErrEncryption)
	}
	if p.Asset == "" {
		// Without it, assets sharing a key and track file names would
		// share IVs.
		return fmt.Errorf("%w: no asset name for IV derivation", ErrEncryption)
	}
	switch {
	case (p.Scheme == SchemeCENC || p.Scheme == SchemeCBCS) && out.form == formCMAF,
		p.Scheme == SchemePIFF && out.form == formSmooth,
		p.Scheme == SchemeSampleAES && out.form == formTS,
		p.Scheme == SchemeAES128 && out.form != formSmooth:
		return nil
	}
	return fmt.Errorf("%w: scheme %v with output %v", ErrEncryption, p.Scheme, out)
}

// ivName is the track's name in IV derivation: the track file's base name.
func (t *Track) ivName() string { return filepath.Base(t.Path) }

// SegmentIV is the IV of segment i under p for SchemeAES128 and
// SchemeSampleAES: the playlist states it (EXT-X-KEY IV=) and the segment
// is encrypted under it. It comes from the key and (asset, track file,
// decode time), so every replica derives the same one.
func (t *Track) SegmentIV(p *Protection, i int) [16]byte {
	return p.Key.SegmentIV(p.Asset, t.ivName(), t.Fragments[i].Time)
}

// fragmentIV is the per-sample IV source of SchemeCENC and SchemePIFF for
// the fragment that starts at decode time time.
func (t *Track) fragmentIV(p *Protection, time uint64) crypto.FragmentIV {
	return p.Key.FragmentIV(p.Asset, t.ivName(), time)
}

// constantIV is the tenc constant IV of SchemeCBCS.
func (t *Track) constantIV(p *Protection) [16]byte {
	return p.Key.CBCSConstantIV(p.Asset, t.ivName())
}
