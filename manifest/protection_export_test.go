package manifest_test

import (
	"bytes"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/manifest"
)

// TestExportSignallingIsWhatManifestsWrite checks that every form
// ExportSignalling gives (what a CPIX export carries) is in the manifest
// that the same protection builds: the ContentProtection element in the
// MPD (less the namespace declarations that the MPD root holds), the
// EXT-X-KEY line in the media playlist, the EXT-X-SESSION-KEY line in the
// multivariant playlist, the ProtectionHeader text in the Smooth manifest.
func TestExportSignallingIsWhatManifestsWrite(t *testing.T) {
	decl := regexp.MustCompile(` xmlns(:[a-z]+)?="[^"]*"`)
	between := regexp.MustCompile(`>\s+<`)
	for _, m := range []manifest.Method{manifest.MethodCENC, manifest.MethodCBCS} {
		p := demo()
		o := manifest.Options{URLOptions: "format=mpd-time-csf,encryption=" + m.String(), CMAF: m == manifest.MethodCBCS}
		o.Protection = protect(t, p, m, m == manifest.MethodCENC)
		mpd, err := manifest.DASH(p, o)
		if err != nil {
			t.Fatal(err)
		}
		flatMPD := between.ReplaceAll(mpd, []byte("><"))
		ho := manifest.Options{URLOptions: "format=m3u8-cmaf,encryption=" + m.String(), Protection: o.Protection}
		mv, err := manifest.HLSMultivariant(p, ho)
		if err != nil {
			t.Fatal(err)
		}
		media, err := manifest.HLSMedia(p, &p.Tracks[0], ho)
		if err != nil {
			t.Fatal(err)
		}
		var ismc []byte
		if m == manifest.MethodCENC {
			if ismc, err = manifest.Smooth(p, manifest.Options{URLOptions: "encryption=piff", Protection: o.Protection}); err != nil {
				t.Fatal(err)
			}
		}
		tp := o.Protection.Tracks[0]
		for _, s := range tp.Systems {
			sig, err := manifest.ExportSignalling(m, tp.KID, s, tp.KeyURI)
			if err != nil {
				t.Fatalf("%s %s: %v", m, s.Kind, err)
			}
			name := m.String() + " " + s.Kind.String()
			if s.Kind == manifest.FairPlay {
				if sig.ContentProtection != nil {
					t.Errorf("%s: DASH does not signal FairPlay, got %s", name, sig.ContentProtection)
				}
			} else {
				if err := xml.Unmarshal(sig.ContentProtection, new(struct{})); err != nil {
					t.Errorf("%s: ContentProtection is not standalone XML: %v", name, err)
				}
				if !bytes.Contains(flatMPD, decl.ReplaceAll(sig.ContentProtection, nil)) {
					t.Errorf("%s: the MPD has no\n%s", name, sig.ContentProtection)
				}
			}
			if s.Kind == manifest.ClearKey {
				if sig.HLSMedia != nil {
					t.Errorf("%s: HLS does not signal ClearKey", name)
				}
			} else {
				if len(sig.HLSMedia) == 0 || !strings.Contains(string(media), string(sig.HLSMedia)) {
					t.Errorf("%s: the media playlist has no %q", name, sig.HLSMedia)
				}
				if len(sig.HLSMaster) == 0 || !strings.Contains(string(mv), string(sig.HLSMaster)) {
					t.Errorf("%s: the multivariant playlist has no %q", name, sig.HLSMaster)
				}
			}
			if s.Kind == manifest.PlayReady && m == manifest.MethodCENC {
				if sig.SmoothHeader == "" || !strings.Contains(string(ismc), ">"+sig.SmoothHeader+"</ProtectionHeader>") {
					t.Errorf("%s: the Smooth manifest has no ProtectionHeader %q", name, sig.SmoothHeader)
				}
			} else if sig.SmoothHeader != "" {
				t.Errorf("%s: a Smooth header where Smooth signals nothing", name)
			}
		}
	}
}
