package manifest

import "encoding/binary"

// validateProtection checks what every format needs of o.Protection.
func validateProtection(p *Presentation, o Options) error {
	pr := o.Protection
	if pr == nil {
		return nil
	}
	if pr.Method < MethodCENC || pr.Method > MethodAES128 {
		return badProtection("protection: unknown method %d", int(pr.Method))
	}
	if len(pr.Tracks) != len(p.Tracks) {
		return badProtection("protection: %d track entries for %d tracks", len(pr.Tracks), len(p.Tracks))
	}
	for i := range pr.Tracks {
		tp, t := &pr.Tracks[i], &p.Tracks[i]
		if !isURL(tp.KeyURI) {
			return badProtection("track %s: key URI %q cannot be written into a manifest", t.label(), tp.KeyURI)
		}
		for j := range tp.Systems {
			s := &tp.Systems[j]
			if s.Kind < Widevine || s.Kind > FairPlay {
				return badProtection("track %s: system %d: unknown kind %d", t.label(), j, int(s.Kind))
			}
			if !isURL(s.HLSURI) {
				return badProtection("track %s: %s HLS key URI %q cannot be written into a playlist", t.label(), s.Kind, s.HLSURI)
			}
			if !isURL(s.LicenseURL) {
				return badProtection("track %s: %s license URL %q cannot be written into a manifest", t.label(), s.Kind, s.LicenseURL)
			}
			if len(s.PSSH) > 0 && !isPSSH(s.PSSH) {
				return badProtection("track %s: %s PSSH is not a pssh box", t.label(), s.Kind)
			}
			if len(s.PRO) > 0 && !isPRO(s.PRO) {
				return badProtection("track %s: %s PRO is not a PlayReady object", t.label(), s.Kind)
			}
		}
	}
	return nil
}

// isURL reports whether s can be written as is into a quoted HLS attribute
// and, escaped, into XML: printable ASCII without space, '"', '<', '>' and
// '\'. An empty s is allowed (no URL).
func isURL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || c == '"' || c == '<' || c == '>' || c == '\\' {
			return false
		}
	}
	return true
}

// isPSSH reports whether b is one whole 'pssh' box.
func isPSSH(b []byte) bool {
	return len(b) >= 32 && int(binary.BigEndian.Uint32(b)) == len(b) && string(b[4:8]) == "pssh"
}

// isPRO reports whether b is one whole PlayReady Object with at least one
// record.
func isPRO(b []byte) bool {
	return len(b) >= 10 && int(binary.LittleEndian.Uint32(b)) == len(b) && binary.LittleEndian.Uint16(b[4:]) > 0
}
