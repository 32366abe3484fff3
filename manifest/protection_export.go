package manifest

import (
	"bytes"
	"encoding/xml"
	"strings"
)

// SystemSignalling is what drmorigin's manifests write for one DRM system
// of a track, in the forms a CPIX DRMSystem carries them (DASH-IF CPIX 2.3
// clause 5.3.8): each built by the same code that writes the manifests, so
// that a license service told about it signals exactly what the player
// meets. A field is empty where that format does not signal the system.
type SystemSignalling struct {
	// ContentProtection is the DASH ContentProtection element of the
	// system, as the MPD carries it, made standalone: the namespaces that
	// the MPD declares on its root are declared on the element.
	ContentProtection []byte
	// HLSMedia is the EXT-X-KEY line of media playlists (fMP4: no IV).
	HLSMedia []byte
	// HLSMaster is the EXT-X-SESSION-KEY line of the multivariant playlist.
	HLSMaster []byte
	// SmoothHeader is the inner text of Smooth Streaming's
	// ProtectionHeader (base64 of the PlayReady object); cenc only.
	SmoothHeader string
}

// ExportSignalling returns the signalling of system s for a track whose
// key is kid, encrypted with m (MethodCENC or MethodCBCS: the
// methods a DRM system signals in fMP4). keyURI is the track's KeyURI
// (FairPlay's skd:// URI when s has no LicenseURL).
func ExportSignalling(m Method, kid [16]byte, s System, keyURI string) (SystemSignalling, error) {
	var out SystemSignalling
	label := guid(kid)
	if m == MethodCENC || m == MethodCBCS {
		cp, ok, err := dashSystemCP(&s, label)
		if err != nil {
			return out, err
		}
		if ok {
			cp.attrs = append([]xml.Attr{attr("xmlns", "urn:mpeg:dash:schema:mpd:2011"),
				attr("xmlns:cenc", nsCENC), attr("xmlns:mspr", nsMSPR), attr("xmlns:dashif", nsDASHIF)}, cp.attrs...)
			var b bytes.Buffer
			e := xml.NewEncoder(&b)
			if err := e.Encode(cp); err != nil {
				return out, err
			}
			out.ContentProtection = b.Bytes()
		}
	}
	hls := s.Kind == FairPlay && m != MethodCENC ||
		(s.Kind == Widevine || s.Kind == PlayReady) && m != MethodSampleAES && m != MethodAES128
	if hls {
		tp := &TrackProtection{KID: kid, Systems: []System{s}, KeyURI: keyURI}
		keys, err := hlsKeys(&Track{Name: label}, tp, m)
		if err != nil {
			return out, err
		}
		var media, master strings.Builder
		for _, k := range keys {
			k.write(&media, "#EXT-X-KEY:", nil)
			k.write(&master, "#EXT-X-SESSION-KEY:", nil)
		}
		out.HLSMedia, out.HLSMaster = []byte(media.String()), []byte(master.String())
	}
	if s.Kind == PlayReady && m == MethodCENC && len(s.PRO) > 0 {
		out.SmoothHeader = b64(s.PRO)
	}
	return out, nil
}
