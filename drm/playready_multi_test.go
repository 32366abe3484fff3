package drm_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"testing"

	"github.com/drmorigin/drmorigin/drm"
)

// TestPlayReadyHeaderKeys: a multi-key header lists every KID with its
// checksum (cenc, version 4.2) or without (cbcs, 4.3); one key is the
// single-key header.
func TestPlayReadyHeaderKeys(t *testing.T) {
	kid, key := kid16(t, prKIDHex), kid16(t, prKeyHex)
	other := drm.ContentKey{KID: [16]byte{1, 2, 3}, Key: [16]byte{4, 5, 6}}
	keys := []drm.ContentKey{{KID: kid, Key: key}, other}
	for _, c := range []struct{ scheme, version, alg string }{{"cenc", "4.2.0.0", "AESCTR"}, {"cbcs", "4.3.0.0", "AESCBC"}} {
		b, err := drm.PlayReadyHeaderKeys(keys, c.scheme, prTestLAURL)
		if err != nil {
			t.Fatal(err)
		}
		var h wrmHeader
		if err := xml.Unmarshal([]byte(parsePRO(t, b).xml), &h); err != nil {
			t.Fatal(err)
		}
		if h.Version != c.version || len(h.Data.Protect.KIDs) != 2 || h.Data.LAURL != prTestLAURL {
			t.Fatalf("%s: parsed %+v", c.scheme, h)
		}
		for i, k := range keys {
			got := h.Data.Protect.KIDs[i]
			prKID := drm.PlayReadyKID(k.KID)
			wantSum := ""
			if c.scheme == "cenc" {
				wantSum = drm.PlayReadyChecksum(k.KID, k.Key)
			}
			if got.AlgID != c.alg || got.Value != base64.StdEncoding.EncodeToString(prKID[:]) || got.Checksum != wantSum {
				t.Errorf("%s KID %d: %+v", c.scheme, i, got)
			}
		}
		if got0 := h.Data.Protect.KIDs[0].Value; got0 != prKIDLE64 {
			t.Errorf("%s: first KID %s, want the test vector's %s", c.scheme, got0, prKIDLE64)
		}
		noKey(t, b, key)
		noKey(t, b, other.Key)
	}
	one, _ := drm.PlayReadyHeaderKeys(keys[:1], "cenc", prTestLAURL)
	single, _ := drm.PlayReadyHeader(kid, key, "cenc", prTestLAURL)
	if !bytes.Equal(one, single) {
		t.Error("one key: not the single-key header")
	}
}
