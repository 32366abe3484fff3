package origin

import (
	"bytes"
	"fmt"

	"github.com/drmorigin/drmorigin/drm"
	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/manifest"
)

// smoothPRO is the PlayReady object of a Smooth presentation whose tracks
// have different keys (usage rules): Smooth has one ProtectionHeader for
// every track, so it lists every KID (drm.PlayReadyHeaderKeys), and the
// PIFF init segments carry the same object. It returns nil, with nothing
// to change, when the tracks share one key, the format is not Smooth or
// the policy signals no PlayReady. A license URL template naming
// {ContentKeyId} is expanded with the first track's KID.
func smoothPRO(st streamState, enc Encryption, base string) (pro []byte, kids [][16]byte, err error) {
	if st.format != FormatSmooth || st.resolved.Policy.CommonEncryptionCenc == nil {
		return nil, nil, nil
	}
	pr := st.resolved.Policy.CommonEncryptionCenc.DRM.PlayReady
	if pr == nil {
		return nil, nil, nil
	}
	var keys []drm.ContentKey
	for _, t := range st.asset.Tracks {
		k, err := trackKey(st.resolved, enc, t)
		if err != nil {
			return nil, nil, err
		}
		if !containsKID(kids, k.KID) {
			kids = append(kids, k.KID)
			keys = append(keys, drm.ContentKey{KID: k.KID, Key: k.Value})
		}
	}
	if len(keys) < 2 {
		return nil, nil, nil
	}
	la := expandTemplate(pr.LicenseURLTemplate, keys[0].KID, st.resolved.Locator.Name, base)
	pro, err = drm.PlayReadyHeaderKeys(keys, drm.SchemeCENC, la)
	if err != nil {
		return nil, nil, fmt.Errorf("playready header: %w", err)
	}
	return pro, kids, nil
}

func containsKID(kids [][16]byte, kid keyclient.KID) bool {
	for _, k := range kids {
		if k == kid {
			return true
		}
	}
	return false
}

// withSmoothPRO puts pro (listing kids) in place of the PlayReady object
// of every track's signalling.
func withSmoothPRO(pr *manifest.Protection, pro []byte, kids [][16]byte) {
	box := drm.PlayReadyPSSH(kids, pro)
	for i := range pr.Tracks {
		systems := pr.Tracks[i].Systems
		for j := range systems {
			if systems[j].Kind == manifest.PlayReady {
				systems[j].PRO, systems[j].PSSH = pro, box
			}
		}
	}
}

// replacePlayReadyPSSH returns boxes with the PlayReady pssh box replaced
// by the one of pro.
func replacePlayReadyPSSH(boxes [][]byte, pro []byte, kids [][16]byte) [][]byte {
	out := make([][]byte, len(boxes))
	for i, b := range boxes {
		out[i] = b
		if len(b) >= 28 && bytes.Equal(b[12:28], drm.PlayReadySystemID[:]) {
			out[i] = drm.PlayReadyPSSH(kids, pro)
		}
	}
	return out
}
