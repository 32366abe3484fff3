package drm

import (
	"encoding/base64"
	"encoding/xml"
	"strings"
)

// ContentKey is a KID and its key, as PlayReadyHeaderKeys reads them (the
// key only for the AESCTR checksum).
type ContentKey struct {
	KID [16]byte
	Key [16]byte
}

// PlayReadyHeaderKeys returns the PlayReady Object of a presentation whose
// tracks have different keys (usage rules: SD, HD and audio keys), for
// the one Smooth ProtectionHeader: a WRMHEADER version 4.2.0.0 ("cenc",
// each <KID ALGID="AESCTR" VALUE="…" CHECKSUM="…">) or 4.3.0.0 ("cbcs",
// ALGID AESCBC, no checksum) listing every KID in <PROTECTINFO><KIDS>,
// as the PlayReady Header Specification defines multi-key headers. One key
// gives what PlayReadyHeader gives.
func PlayReadyHeaderKeys(keys []ContentKey, scheme string, laURL string) ([]byte, error) {
	if len(keys) == 1 {
		return PlayReadyHeader(keys[0].KID, keys[0].Key, scheme, laURL)
	}
	if _, err := schemeFourCC(scheme); err != nil {
		return nil, err
	}
	version, alg := "4.2.0.0", "AESCTR"
	if scheme != SchemeCENC {
		version, alg = "4.3.0.0", "AESCBC"
	}
	var b strings.Builder
	b.WriteString(`<WRMHEADER xmlns="` + wrmNS + `" version="` + version + `"><DATA><PROTECTINFO><KIDS>`)
	for _, k := range keys {
		prKID := PlayReadyKID(k.KID)
		b.WriteString(`<KID ALGID="` + alg + `" VALUE="` + base64.StdEncoding.EncodeToString(prKID[:]) + `"`)
		if scheme == SchemeCENC {
			b.WriteString(` CHECKSUM="` + PlayReadyChecksum(k.KID, k.Key) + `"`)
		}
		b.WriteString(`></KID>`)
	}
	b.WriteString(`</KIDS></PROTECTINFO>`)
	if laURL != "" {
		b.WriteString("<LA_URL>")
		_ = xml.EscapeText(&b, []byte(laURL)) // a strings.Builder never fails
		b.WriteString("</LA_URL>")
	}
	b.WriteString("</DATA></WRMHEADER>")
	return PlayReadyObject(b.String())
}
