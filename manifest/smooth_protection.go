package manifest

import "strings"

// smoothPlayReadySystemID is the PlayReady SystemID as Smooth writes it
// (MS-SSTR ProtectionHeader@SystemID: an upper-case GUID).
const smoothPlayReadySystemID = "9A04F079-9840-4286-AB92-E65BE0885F95"

// smoothProtection returns the Protection element of a protected Smooth
// manifest ("" for clear output):
//
//	<Protection>
//	  <ProtectionHeader SystemID="9A04F079-…">base64(PlayReady object)</ProtectionHeader>
//	</Protection>
//
// Smooth carries only cenc (PIFF 1.1) and only PlayReady, with one
// ProtectionHeader for the whole presentation: every track must have the
// same PlayReady object (one whose WRMHEADER lists every KID when tracks
// have different keys). Other systems are skipped.
func smoothProtection(p *Presentation, o Options) (string, error) {
	if o.Protection == nil {
		return "", nil
	}
	if m := o.Protection.Method; m != MethodCENC {
		return "", unsupported("smooth: encryption %s cannot be signalled in Smooth Streaming (cenc/piff can)", m)
	}
	var pro []byte
	for i := range p.Tracks {
		t, tp := &p.Tracks[i], o.trackProtection(i)
		var have []byte
		for j := range tp.Systems {
			if s := &tp.Systems[j]; s.Kind == PlayReady && len(s.PRO) > 0 {
				have = s.PRO
				break
			}
		}
		switch {
		case have == nil:
			return "", unsupported("smooth: track %s: playready with a PlayReady object is needed", t.label())
		case pro != nil && string(have) != string(pro):
			return "", unsupported("smooth: track %s: its PlayReady object differs from track %s's (Smooth has one ProtectionHeader)",
				t.label(), p.Tracks[0].label())
		}
		pro = have
	}
	var b strings.Builder
	b.WriteString("  <Protection>\n")
	b.WriteString(`    <ProtectionHeader SystemID="` + smoothPlayReadySystemID + `">` + b64(pro) + "</ProtectionHeader>\n")
	b.WriteString("  </Protection>\n")
	return b.String(), nil
}
