package manifest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/drm"
	"github.com/drmorigin/drmorigin/manifest"
)

// The HD key of the tiered golden files: usage rules give the 640x360
// rendition (HD tier in this test, minHeight 300) its own key, the 320x180
// one (maxHeight 299) the video key, audio the audio key.
var (
	hdKID = [16]byte{0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf}
	hdKey = [16]byte{0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf}
)

// protectTiers is protect with the 640x360 rendition under hdKID.
func protectTiers(t *testing.T, p *manifest.Presentation, m manifest.Method) *manifest.Protection {
	pr := protect(t, p, m, false)
	for i := range p.Tracks {
		if tr := &p.Tracks[i]; tr.Kind == manifest.Video && tr.Height >= 300 {
			pr.Tracks[i] = manifest.TrackProtection{KID: hdKID, Systems: systemsFor(t, m, hdKID, hdKey)}
		}
	}
	return pr
}

// TestTieredKeysGolden: SD, HD and audio keys. DASH gives each key its own
// AdaptationSet (one cenc:default_KID each) and links the two video sets
// with the adaptation-set-switching descriptor; the HLS multivariant
// playlist lists every key as EXT-X-SESSION-KEY.
func TestTieredKeysGolden(t *testing.T) {
	dashOpts := manifest.Options{URLOptions: "format=mpd-time-csf,encryption=cenc"}
	hlsOpts := manifest.Options{URLOptions: "format=m3u8-cmaf,encryption=cenc"}
	t.Run("demo-tiers-cenc.mpd", func(t *testing.T) {
		p := demo()
		o := dashOpts
		o.Protection = protectTiers(t, p, manifest.MethodCENC)
		out, err := manifest.DASH(p, o)
		if err != nil {
			t.Fatal(err)
		}
		compareOrUpdate(t, "demo-tiers-cenc.mpd", out)
		noKeys(t, out)
		checkProtectedDASH(t, p, o, out)
		var doc struct {
			Sets []struct {
				ID       string  `xml:"id,attr"`
				Content  string  `xml:"contentType,attr"`
				CP       []xmlCP `xml:"ContentProtection"`
				Switches []struct {
					Scheme string `xml:"schemeIdUri,attr"`
					Value  string `xml:"value,attr"`
				} `xml:"SupplementalProperty"`
				Reps []struct {
					Height int `xml:"height,attr"`
				} `xml:"Representation"`
			} `xml:"Period>AdaptationSet"`
		}
		if err := xml.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		var videoKIDs []string
		for _, as := range doc.Sets {
			kid := ""
			for _, cp := range as.CP {
				if cp.DefaultKID != "" {
					kid = cp.DefaultKID
				}
			}
			if as.Content != "video" {
				continue
			}
			want := drm.GUID(videoKID)
			if len(as.Reps) != 1 {
				t.Fatalf("video set %s has %d representations, want 1 per key", as.ID, len(as.Reps))
			}
			if as.Reps[0].Height >= 300 {
				want = drm.GUID(hdKID)
			}
			if kid != want {
				t.Errorf("video set %s (height %d): default_KID %s, want %s", as.ID, as.Reps[0].Height, kid, want)
			}
			if len(as.Switches) != 1 || as.Switches[0].Scheme != "urn:mpeg:dash:adaptation-set-switching:2016" || as.Switches[0].Value == as.ID {
				t.Errorf("video set %s: switching descriptor %+v", as.ID, as.Switches)
			}
			videoKIDs = append(videoKIDs, kid)
		}
		if len(videoKIDs) != 2 || videoKIDs[0] == videoKIDs[1] {
			t.Errorf("video sets' KIDs %v, want two distinct", videoKIDs)
		}
		for _, k := range [][16]byte{hdKID, videoKID, audioKID} {
			if !bytes.Contains(out, []byte(drm.GUID(k))) {
				t.Errorf("MPD does not signal KID %s", drm.GUID(k))
			}
		}
	})
	t.Run("demo-tiers-cenc.m3u8", func(t *testing.T) {
		p := demo()
		o := hlsOpts
		o.Protection = protectTiers(t, p, manifest.MethodCENC)
		out, err := manifest.HLSMultivariant(p, o)
		if err != nil {
			t.Fatal(err)
		}
		compareOrUpdate(t, "demo-tiers-cenc.m3u8", out)
		noKeys(t, out)
		checkProtectedMultivariant(t, p, o, out)
		// Every key's Widevine PSSH is there: each names its KID.
		var psshs [][]byte
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.HasPrefix(l, "#EXT-X-SESSION-KEY:") || !strings.Contains(l, "edef8ba9") {
				continue
			}
			_, rest, _ := strings.Cut(l, `URI="data:text/plain;base64,`)
			data, _, _ := strings.Cut(rest, `"`)
			b, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				t.Fatalf("session key URI: %v", err)
			}
			psshs = append(psshs, b)
		}
		if len(psshs) != 3 {
			t.Errorf("%d Widevine session keys, want 3 (SD, HD, audio)", len(psshs))
		}
		for _, k := range [][16]byte{videoKID, hdKID, audioKID} {
			if !slices.ContainsFunc(psshs, func(b []byte) bool { return bytes.Contains(b, k[:]) }) {
				t.Errorf("no session key names KID %s", drm.GUID(k))
			}
		}
	})
}
