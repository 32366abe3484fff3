package manifest_test

import (
	"encoding/binary"
	"testing"

	"github.com/drmorigin/drmorigin/drm"
	"github.com/drmorigin/drmorigin/manifest"
)

// Fixed keys of the protected golden files. The video KID and key are the
// PlayReady test vector of package drm (CHECKSUM "Me48z71nuqY="); the audio
// ones are counting bytes. Both tracks of one kind share a key, as the
// locator's "tracks" selection (by trackType) gives them.
var (
	videoKID = [16]byte{0x8b, 0xa9, 0x4a, 0xde, 0x6e, 0xb9, 0x44, 0x9d, 0xb4, 0x4f, 0xa5, 0xbe, 0xef, 0xaf, 0x43, 0xb0}
	videoKey = [16]byte{0xdb, 0xfd, 0x69, 0x22, 0xc3, 0x21, 0xc4, 0xbb, 0x48, 0x6f, 0x4a, 0x1c, 0x44, 0x09, 0x7e, 0xd6}
	audioKID = [16]byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf}
	audioKey = [16]byte{0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf}
)

// License and key URLs, as a streaming policy's templates expand them. The
// Widevine one has a '&' that XML must escape.
const (
	prURL = "https://pr.example.com/rightsmanager.asmx"
	ckURL = "https://origin.example.com/keys/clearkey"
)

func wvURL(kid [16]byte) string {
	return "https://wv.example.com/license?kid=" + drm.GUID(kid) + "&provider=drmorigin"
}
func aesURL(kid [16]byte) string { return "https://origin.example.com/keys/aes/" + drm.GUID(kid) }
func skdURI(kid [16]byte) string { return "skd://" + drm.GUID(kid) }

// keyOf returns the KID and key of track tr.
func keyOf(tr *manifest.Track, oneKey bool) (kid, key [16]byte) {
	if tr.Kind == manifest.Video || oneKey {
		return videoKID, videoKey
	}
	return audioKID, audioKey
}

// testIV is a deterministic per-(track, segment) IV: the KID's first four
// bytes, the bitrate, the segment index.
func testIV(kid [16]byte, bitrate int) func(int) [16]byte {
	return func(seg int) [16]byte {
		var iv [16]byte
		copy(iv[:4], kid[:4])
		binary.BigEndian.PutUint32(iv[4:], uint32(bitrate))
		binary.BigEndian.PutUint64(iv[8:], uint64(seg))
		return iv
	}
}

// systemsFor builds what the origin would signal for one key.
func systemsFor(t *testing.T, m manifest.Method, kid, key [16]byte) []manifest.System {
	t.Helper()
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kids := [][16]byte{kid}
	switch m {
	case manifest.MethodCENC:
		pro := must(drm.PlayReadyHeader(kid, key, drm.SchemeCENC, prURL))
		return []manifest.System{
			{Kind: manifest.Widevine, PSSH: must(drm.WidevinePSSH(kids, drm.SchemeCENC)), LicenseURL: wvURL(kid)},
			{Kind: manifest.PlayReady, PRO: pro, PSSH: drm.PlayReadyPSSH(kids, pro), LicenseURL: prURL},
			{Kind: manifest.ClearKey, PSSH: drm.CommonPSSH(kids), LicenseURL: ckURL},
		}
	case manifest.MethodCBCS:
		pro := must(drm.PlayReadyHeader(kid, key, drm.SchemeCBCS, prURL))
		return []manifest.System{
			{Kind: manifest.FairPlay, LicenseURL: skdURI(kid)},
			// No Widevine license URL is configured: signalled without one.
			{Kind: manifest.Widevine, PSSH: must(drm.WidevinePSSH(kids, drm.SchemeCBCS))},
			{Kind: manifest.PlayReady, PRO: pro, PSSH: drm.PlayReadyPSSH(kids, pro), LicenseURL: prURL},
		}
	case manifest.MethodSampleAES:
		return []manifest.System{{Kind: manifest.FairPlay, LicenseURL: skdURI(kid)}}
	}
	return nil
}

// protect returns p's protection with method m; oneKey gives every track
// the video key (Smooth has one ProtectionHeader).
func protect(t *testing.T, p *manifest.Presentation, m manifest.Method, oneKey bool) *manifest.Protection {
	t.Helper()
	pr := &manifest.Protection{Method: m}
	for i := range p.Tracks {
		tr := &p.Tracks[i]
		kid, key := keyOf(tr, oneKey)
		tp := manifest.TrackProtection{KID: kid, Systems: systemsFor(t, m, kid, key)}
		if m == manifest.MethodAES128 {
			tp.KeyURI = aesURL(kid)
			tp.IV = testIV(kid, tr.Bitrate)
		}
		pr.Tracks = append(pr.Tracks, tp)
	}
	return pr
}
