package keyclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/drmorigin/drmorigin/drm"
	"github.com/drmorigin/drmorigin/drm/cpix"
)

// importCPIX turns the CPIX document of a locator body into its content
// keys: read and verified with the origin's own recipient key, each key
// given with its id and value, its type from @commonEncryptionScheme
// (cenc, cbcs; a key without one serves every encryption the streaming
// policy enables), its tracks from the usage rules and its DRM signalling
// from the DRMSystems. Every enabled encryption must be left with a key
// for video and for audio tracks. A document that does not verify is a
// ValidationError on "cpix" that says why; nothing is stored.
func (s *Service) importCPIX(ctx context.Context, in *locatorInput) error {
	l := &in.loc
	pol, err := s.StreamingPolicy(ctx, l.StreamingPolicyName)
	if errors.Is(err, ErrNotFound) {
		return invalid("streamingPolicyName", "no streaming policy named %q", l.StreamingPolicyName)
	}
	if err != nil {
		return err
	}
	enabled := pol.encryptedTypes()
	if len(enabled) == 0 {
		return invalid("cpix", "streaming policy %s encrypts nothing: a CPIX document's keys would protect no track", pol.Name)
	}
	key, cert, err := s.CPIXIdentity(ctx)
	if err != nil {
		return err
	}
	doc, err := cpix.Read([]byte(in.cpix), cpix.ReadOptions{Key: key, Certificate: cert})
	if err != nil {
		return invalid("cpix", "%v", err)
	}
	if err := keysFromDocument(in, doc, pol, enabled); err != nil {
		return invalid("cpix", "%s", err)
	}
	return nil
}

// keysFromDocument gives in the keys of a verified CPIX document: each key
// with its id and value, its type from @commonEncryptionScheme (cenc,
// cbcs; a key without one serves every encryption the policy enables),
// its tracks from the usage rules (TracksFromRules) and its DRM signalling
// from the DRMSystems. Every enabled encryption must be left with a key
// for video and for audio tracks. The error says what is wrong.
func keysFromDocument(in *locatorInput, doc *cpix.Document, pol *StreamingPolicy, enabled []KeyType) error {
	l := &in.loc
	for _, k := range doc.Keys {
		var types []KeyType
		switch k.Scheme {
		case "":
			types = enabled
		case "cenc", "cbcs":
			t := KeyTypeCENC
			if k.Scheme == "cbcs" {
				t = KeyTypeCBCS
			}
			if !slices.Contains(enabled, t) {
				return fmt.Errorf("ContentKey %s is for %s, which streaming policy %s does not enable", KID(k.KID), k.Scheme, pol.Name)
			}
			types = []KeyType{t}
		default:
			return fmt.Errorf("ContentKey %s: @commonEncryptionScheme %q is not cenc or cbcs", KID(k.KID), k.Scheme)
		}
		tracks, err := TracksFromRules(KID(k.KID), doc.UsageRules)
		if err != nil {
			return err
		}
		var drm []DRMSignal
		for _, d := range doc.DRMSystems {
			if d.KID == k.KID {
				if err := checkSignal(d); err != nil {
					return fmt.Errorf("DRMSystem systemId %s kid %s: %v", KID(d.SystemID), KID(d.KID), err)
				}
				drm = append(drm, DRMSignal{SystemID: KID(d.SystemID), PSSH: d.PSSH, ContentProtectionData: d.ContentProtectionData,
					HLSMedia: d.HLSMedia, HLSMaster: d.HLSMaster, SmoothHeader: d.SmoothHeader})
			}
		}
		for _, t := range types {
			v := k.Value
			l.ContentKeys = append(l.ContentKeys, ContentKey{ID: KID(k.KID), Value: v[:], Type: t, Tracks: tracks})
			in.idGiven = append(in.idGiven, true)
			in.valueGiven = append(in.valueGiven, true)
			in.drm = append(in.drm, drm)
		}
	}
	for _, t := range enabled {
		for _, kind := range []string{"video", "audio"} {
			if !covers(l.ContentKeys, t, kind) {
				return fmt.Errorf("the usage rules leave %s tracks without a %s key (streaming policy %s enables it)", kind, t, pol.Name)
			}
		}
	}
	if err := checkKeys(l, in.valueGiven); err != nil {
		return fmt.Errorf("the document's keys and usage rules conflict: %s", err)
	}
	return nil
}

// checkSignal refuses imported signalling that the origin could not write
// into a manifest: a PlayReady PSSH whose data is no PlayReady object, a
// FairPlay key tag without an skd:// URI.
func checkSignal(d cpix.DRMSystem) error {
	switch d.SystemID {
	case drm.PlayReadySystemID:
		if len(d.PSSH) > 0 {
			if pro, ok := drm.PSSHData(d.PSSH); !ok || !drm.IsPlayReadyObject(pro) {
				return errors.New("the PlayReady PSSH's data is not a PlayReady object")
			}
		}
		if d.SmoothHeader != "" {
			pro, err := base64.StdEncoding.DecodeString(d.SmoothHeader)
			if err != nil || !drm.IsPlayReadyObject(pro) {
				return errors.New("SmoothStreamingProtectionHeaderData is not base64 of a PlayReady object")
			}
		}
	case drm.FairPlaySystemID:
		if len(d.HLSMedia) > 0 {
			if _, ok := SkdURI(d.HLSMedia); !ok {
				return errors.New(`the media HLSSignalingData has no URI="skd://…"`)
			}
		}
	}
	return nil
}

// HLSKeyURI returns the URI attribute of the first key tag in an HLS
// signalling text, if it can be written into a playlist as it is ("" if
// not).
func HLSKeyURI(tag []byte) string {
	s := string(tag)
	i := strings.Index(s, `URI="`)
	if i < 0 {
		return ""
	}
	s = s[i+len(`URI="`):]
	j := strings.IndexByte(s, '"')
	if j <= 0 {
		return ""
	}
	for _, c := range []byte(s[:j]) {
		if c <= ' ' || c > '~' || c == '<' || c == '>' || c == '\\' {
			return ""
		}
	}
	return s[:j]
}

// SkdURI returns the skd:// URI of a FairPlay key tag.
func SkdURI(tag []byte) (string, bool) {
	s := string(tag)
	i := strings.Index(s, `URI="skd://`)
	if i < 0 {
		return "", false
	}
	s = s[i+len(`URI="`):]
	j := strings.IndexByte(s, '"')
	if j < 0 || strings.ContainsAny(s[:j], " <>\\\n") {
		return "", false
	}
	return s[:j], true
}

// covers reports whether a key of type t protects tracks of the kind.
func covers(keys []ContentKey, t KeyType, kind string) bool {
	for _, k := range keys {
		if k.Type != t {
			continue
		}
		if len(k.Tracks) == 0 {
			return true
		}
		for _, ts := range k.Tracks {
			if ts.TrackType == kind {
				return true
			}
		}
	}
	return false
}
