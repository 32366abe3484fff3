package manifest

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
)

// Namespaces of the ContentProtection children, declared on the MPD root of
// a protected MPD.
const (
	nsCENC   = "urn:mpeg:cenc:2013"
	nsMSPR   = "urn:microsoft:playready"
	nsDASHIF = "https://dashif.org/CPS"
	// mpdRoot is how the MPD start tag begins; dashDeclareNamespaces adds
	// the declarations after it.
	mpdRoot = `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"`
)

// License URL elements. The DASH-IF content protection guidelines (IOP v5
// part 6, namespace https://dashif.org/CPS) and urls.md name it
// dashif:laurl, and dash.js reads that; shaka-player (lib/dash/
// content_protection.js, findChildNS(..., DashIfNamespaceUri_, 'Laurl'))
// and ExoPlayer/media3 (isStartTag "dashif:Laurl") match the capitalised
// dashif:Laurl, case-sensitively. XML element names are case-sensitive, so
// the origin writes both, with the same URL, laurl first: every one of
// these players then finds exactly one element it reads (shaka wants
// exactly one dashif:Laurl).
const (
	elemLaurlDASHIF = "dashif:laurl"
	elemLaurlShaka  = "dashif:Laurl"
	// clearKeyLicenseType is the @licenseType of a ClearKey license URL
	// (DASH-IF IOP v5 part 6 section 8: an EME ClearKey JSON license).
	clearKeyLicenseType = "EME-1.0"
)

// dashCP is one ContentProtection element, written token by token so that
// its prefixed attribute and children (cenc:default_KID, cenc:pssh,
// mspr:pro, dashif:laurl) come out exactly; go-dash's own ContentProtection
// types declare xmlns:cenc on every element and cannot write dashif:laurl.
// go-dash still reads it back: the root scheme as CENCContentProtection,
// Widevine and PlayReady as theirs, ClearKey as a plain ContentProtection.
type dashCP struct {
	attrs    []xml.Attr
	children []dashChild
}

// dashChild is a child element with text content.
type dashChild struct {
	name  string
	attrs []xml.Attr
	text  string
}

// ContentProtected makes dashCP a go-dash mpd.ContentProtectioner.
func (dashCP) ContentProtected() {}

// MarshalXML writes the element; the encoder indents it like the rest of
// the MPD.
func (c dashCP) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: xml.Name{Local: "ContentProtection"}, Attr: c.attrs}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, ch := range c.children {
		s := xml.StartElement{Name: xml.Name{Local: ch.name}, Attr: ch.attrs}
		if err := e.EncodeToken(s); err != nil {
			return err
		}
		if err := e.EncodeToken(xml.CharData(ch.text)); err != nil {
			return err
		}
		if err := e.EncodeToken(s.End()); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func attr(name, value string) xml.Attr { return xml.Attr{Name: xml.Name{Local: name}, Value: value} }

// dashCheckMethod refuses the methods DASH cannot signal.
func dashCheckMethod(o Options) error {
	if o.Protection == nil {
		return nil
	}
	switch m := o.Protection.Method; m {
	case MethodCENC, MethodCBCS:
		return nil
	default:
		return unsupported("dash: encryption %s cannot be signalled in DASH (cenc and cbcs can)", m)
	}
}

// dashContentProtection returns the ContentProtection elements of group g
// (nil for clear output):
//
//	ContentProtection urn:mpeg:dash:mp4protection:2011 value=cenc|cbcs cenc:default_KID
//	ContentProtection urn:uuid:edef8ba9-… (Widevine)
//	└── cenc:pssh, dashif:laurl, dashif:Laurl
//	ContentProtection urn:uuid:9a04f079-… value="MSPR 2.0" (PlayReady)
//	└── mspr:pro, cenc:pssh, dashif:laurl, dashif:Laurl
//	ContentProtection urn:uuid:e2719d58-… value="ClearKey1.0" (ClearKey)
//	└── cenc:pssh, dashif:laurl licenseType="EME-1.0", dashif:Laurl …
//
// one per system in Systems order (FairPlay is skipped), each license URL
// element only when the system has a LicenseURL. The tracks of g must
// signal the same key and systems.
func dashContentProtection(p *Presentation, g *group, o Options) ([]dashCP, error) {
	if o.Protection == nil {
		return nil, nil
	}
	first := o.trackProtection(trackIndex(p, g.tracks[0]))
	for _, t := range g.tracks[1:] {
		if !sameSignalling(first, o.trackProtection(trackIndex(p, t))) {
			return nil, unsupported("dash: tracks %s and %s share an AdaptationSet but have different keys or DRM signalling",
				g.tracks[0].label(), t.label())
		}
	}
	cps := []dashCP{{attrs: []xml.Attr{
		attr("schemeIdUri", schemeMP4Protection),
		attr("value", o.Protection.Method.String()),
		attr("cenc:default_KID", guid(first.KID)),
	}}}
	for i := range first.Systems {
		cp, ok, err := dashSystemCP(&first.Systems[i], g.tracks[0].label())
		if err != nil {
			return nil, err
		}
		if ok {
			cps = append(cps, cp)
		}
	}
	return cps, nil
}

// dashSystemCP returns the ContentProtection element of one DRM system
// of a track (label names it in errors); ok is false for a system DASH
// does not signal (FairPlay).
func dashSystemCP(s *System, label string) (cp dashCP, ok bool, err error) {
	switch s.Kind {
	case Widevine:
		if len(s.PSSH) == 0 {
			return cp, false, unsupported("dash: track %s: widevine needs a PSSH box", label)
		}
		cp.attrs = []xml.Attr{attr("schemeIdUri", "urn:uuid:"+uuidWidevine)}
		cp.children = append(cp.children, dashChild{name: "cenc:pssh", text: b64(s.PSSH)})
	case PlayReady:
		if len(s.PRO) == 0 {
			return cp, false, unsupported("dash: track %s: playready needs a PlayReady object", label)
		}
		cp.attrs = []xml.Attr{attr("schemeIdUri", "urn:uuid:"+uuidPlayReady), attr("value", "MSPR 2.0")}
		cp.children = append(cp.children, dashChild{name: "mspr:pro", text: b64(s.PRO)})
		if len(s.PSSH) > 0 {
			cp.children = append(cp.children, dashChild{name: "cenc:pssh", text: b64(s.PSSH)})
		}
	case ClearKey:
		cp.attrs = []xml.Attr{attr("schemeIdUri", "urn:uuid:"+uuidClearKeyDASH), attr("value", "ClearKey1.0")}
		if len(s.PSSH) > 0 {
			cp.children = append(cp.children, dashChild{name: "cenc:pssh", text: b64(s.PSSH)})
		}
	default: // FairPlay: signalled in HLS only
		return cp, false, nil
	}
	if s.LicenseURL != "" {
		var a []xml.Attr
		if s.Kind == ClearKey {
			a = []xml.Attr{attr("licenseType", clearKeyLicenseType)}
		}
		cp.children = append(cp.children,
			dashChild{name: elemLaurlDASHIF, attrs: a, text: s.LicenseURL},
			dashChild{name: elemLaurlShaka, attrs: a, text: s.LicenseURL})
	}
	return cp, true, nil
}

// dashDeclareNamespaces adds the cenc, mspr and dashif namespace
// declarations to the MPD root of a protected MPD.
func dashDeclareNamespaces(b []byte) ([]byte, bool) {
	i := bytes.Index(b, []byte(mpdRoot))
	if i < 0 {
		return b, false
	}
	i += len(mpdRoot)
	decl := ` xmlns:cenc="` + nsCENC + `" xmlns:mspr="` + nsMSPR + `" xmlns:dashif="` + nsDASHIF + `"`
	out := make([]byte, 0, len(b)+len(decl))
	out = append(out, b[:i]...)
	out = append(out, decl...)
	return append(out, b[i:]...), true
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
