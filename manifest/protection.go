package manifest

import "encoding/hex"

// Protection describes an encrypted output: the method and, for each track
// of the Presentation, what the manifests signal. The manifest package
// writes what it is given: the origin builds the PSSH boxes and PlayReady
// objects (package drm) and expands the license URL templates of the
// streaming policy. Nothing here is a key.
type Protection struct {
	// Method is the encryption of every track.
	Method Method
	// Tracks is parallel to Presentation.Tracks: Tracks[i] protects
	// Presentation.Tracks[i].
	Tracks []TrackProtection
}

// Method is an encryption method, as the encryption= URL option names it.
type Method int

// Methods. The zero Method is invalid, so a Protection must state one.
const (
	// MethodCENC is CENC 'cenc' (AES-CTR): DASH, HLS (SAMPLE-AES-CTR) and
	// Smooth (PIFF 1.1, encryption=piff).
	MethodCENC Method = iota + 1
	// MethodCBCS is CENC 'cbcs' for multi-DRM: DASH and HLS fMP4.
	MethodCBCS
	// MethodSampleAES is encryption=cbcs-aapl: FairPlay only, SAMPLE-AES
	// ('cbcs' in fMP4, SAMPLE-AES in TS). HLS only.
	MethodSampleAES
	// MethodAES128 is encryption=cbc: HLS AES-128, whole segments. HLS only.
	MethodAES128
)

// String returns the encryption= tag of m.
func (m Method) String() string {
	switch m {
	case MethodCENC:
		return "cenc"
	case MethodCBCS:
		return "cbcs"
	case MethodSampleAES:
		return "cbcs-aapl"
	case MethodAES128:
		return "cbc"
	}
	return "method(" + itoa(int64(m)) + ")"
}

// TrackProtection is what the manifests signal for one track.
type TrackProtection struct {
	// KID is the track's key ID, in the byte order of tenc (written as a
	// lowercase GUID in cenc:default_KID).
	KID [16]byte
	// Systems are the DRMs to signal, in order. Each format writes the ones
	// it can carry and skips the rest: DASH skips FairPlay, HLS skips
	// ClearKey (HLS has no ClearKey key format), Smooth signals PlayReady
	// only.
	Systems []System
	// KeyURI is the HLS AES-128 key URL (MethodAES128). For FairPlay it is
	// the skd:// URI when the FairPlay System has no LicenseURL.
	KeyURI string
	// IV, when not nil, gives the explicit IV of media segment i (its index
	// in Track.Segments): HLS then writes its key tags before every segment
	// with IV=0x…, as urls.md requires for cbc and for SAMPLE-AES in TS.
	// When nil, the key tags are written once, after EXT-X-MAP, without IV
	// (fMP4 cbcs: the constant IV is in tenc). It must be deterministic.
	IV func(segment int) [16]byte
}

// SystemKind is a DRM system.
type SystemKind int

// DRM systems.
const (
	// Widevine is signalled with its PSSH box (DASH cenc:pssh, HLS data: URI).
	Widevine SystemKind = iota + 1
	// PlayReady is signalled with its PlayReady Object (DASH mspr:pro and
	// cenc:pssh, HLS data: URI, Smooth ProtectionHeader).
	PlayReady
	// ClearKey (W3C) is signalled in DASH only, with its license URL.
	ClearKey
	// FairPlay is signalled in HLS only, with its skd:// URI.
	FairPlay
)

// String returns the system's name.
func (k SystemKind) String() string {
	switch k {
	case Widevine:
		return "widevine"
	case PlayReady:
		return "playready"
	case ClearKey:
		return "clearkey"
	case FairPlay:
		return "fairplay"
	}
	return "system(" + itoa(int64(k)) + ")"
}

// System is one DRM to signal for a track.
type System struct {
	Kind SystemKind
	// PSSH is the complete 'pssh' box of the system (Widevine: required;
	// PlayReady and ClearKey: optional, written as cenc:pssh in DASH when
	// set; ClearKey's is the W3C common system's box).
	PSSH []byte
	// PRO is the PlayReady Object (PlayReady only, required).
	PRO []byte
	// LicenseURL is the license server URL from the streaming policy, or
	// empty: the DRM is then signalled without one. For FairPlay it is the
	// skd:// URI.
	LicenseURL string
	// HLSURI, when set, is the URI of the system's HLS key tag as a
	// license service gave it (a CPIX import), written in place of the
	// data: URI built from PSSH or PRO (Widevine and PlayReady only).
	HLSURI string
}

// Scheme URIs and key formats of the DRM systems.
const (
	schemeMP4Protection = "urn:mpeg:dash:mp4protection:2011"
	uuidWidevine        = "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
	uuidPlayReady       = "9a04f079-9840-4286-ab92-e65be0885f95"
	// uuidClearKeyDASH is the DASH-IF ClearKey descriptor scheme; the
	// pssh boxes of ClearKey use the W3C common system instead.
	uuidClearKeyDASH = "e2719d58-a985-b3c9-781a-b030af78d30e"
)

// guid formats b as a lowercase GUID, 8-4-4-4-12, the bytes in order.
func guid(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// trackProtection returns the protection of p.Tracks[i], or nil for clear
// output.
func (o Options) trackProtection(i int) *TrackProtection {
	if o.Protection == nil {
		return nil
	}
	return &o.Protection.Tracks[i]
}

// trackIndex returns the index of t in p.Tracks: t itself, else the track
// with t's name and bitrate (validate makes that unique); -1 if none.
func trackIndex(p *Presentation, t *Track) int {
	for i := range p.Tracks {
		if &p.Tracks[i] == t {
			return i
		}
	}
	for i := range p.Tracks {
		if p.Tracks[i].Name == t.Name && p.Tracks[i].Bitrate == t.Bitrate {
			return i
		}
	}
	return -1
}

// sameSignalling reports whether a and b signal the same thing (KID and
// systems; IVs are per segment and not compared).
func sameSignalling(a, b *TrackProtection) bool {
	if a.KID != b.KID || a.KeyURI != b.KeyURI || len(a.Systems) != len(b.Systems) {
		return false
	}
	for i := range a.Systems {
		x, y := &a.Systems[i], &b.Systems[i]
		if x.Kind != y.Kind || x.LicenseURL != y.LicenseURL || x.HLSURI != y.HLSURI || string(x.PSSH) != string(y.PSSH) || string(x.PRO) != string(y.PRO) {
			return false
		}
	}
	return true
}
