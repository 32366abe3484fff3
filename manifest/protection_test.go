package manifest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/grafov/m3u8"
	"github.com/zencoder/go-dash/v3/mpd"

	"github.com/drmorigin/drmorigin/drm"
	"github.com/drmorigin/drmorigin/manifest"
)

// protectedCase is one protected golden file of the demo presentation.
type protectedCase struct {
	file   string
	method manifest.Method
	oneKey bool
	build  func(p *manifest.Presentation, o manifest.Options) ([]byte, error)
	check  func(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte)
	opts   manifest.Options
}

func protectedCases() []protectedCase {
	dash := func(p *manifest.Presentation, o manifest.Options) ([]byte, error) { return manifest.DASH(p, o) }
	mv := func(p *manifest.Presentation, o manifest.Options) ([]byte, error) {
		return manifest.HLSMultivariant(p, o)
	}
	media := func(i int) func(p *manifest.Presentation, o manifest.Options) ([]byte, error) {
		return func(p *manifest.Presentation, o manifest.Options) ([]byte, error) {
			return manifest.HLSMedia(p, &p.Tracks[i], o)
		}
	}
	checkMediaOf := func(i int) func(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte) {
		return func(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte) {
			checkProtectedMedia(t, p, i, o, out)
		}
	}
	hls := func(enc string) manifest.Options {
		return manifest.Options{URLOptions: "format=m3u8-cmaf,encryption=" + enc}
	}
	const video640, audioEng = 0, 2
	return []protectedCase{
		{"demo-cenc.mpd", manifest.MethodCENC, false, dash, checkProtectedDASH, manifest.Options{URLOptions: "format=mpd-time-csf,encryption=cenc"}},
		{"demo-cbcs.mpd", manifest.MethodCBCS, false, dash, checkProtectedDASH, manifest.Options{URLOptions: "format=mpd-time-cmaf,encryption=cbcs", CMAF: true}},
		{"demo-cbc.m3u8", manifest.MethodAES128, false, mv, checkProtectedMultivariant, hls("cbc")},
		{"demo-cbc_video_640000.m3u8", manifest.MethodAES128, false, media(video640), checkMediaOf(video640), hls("cbc")},
		{"demo-cbc_audio_eng_128000.m3u8", manifest.MethodAES128, false, media(audioEng), checkMediaOf(audioEng), hls("cbc")},
		{"demo-cbcs-aapl.m3u8", manifest.MethodSampleAES, false, mv, checkProtectedMultivariant, hls("cbcs-aapl")},
		{"demo-cbcs-aapl_video_640000.m3u8", manifest.MethodSampleAES, false, media(video640), checkMediaOf(video640), hls("cbcs-aapl")},
		{"demo-cbcs.m3u8", manifest.MethodCBCS, false, mv, checkProtectedMultivariant, hls("cbcs")},
		{"demo-cbcs_video_640000.m3u8", manifest.MethodCBCS, false, media(video640), checkMediaOf(video640), hls("cbcs")},
		{"demo-cenc.m3u8", manifest.MethodCENC, false, mv, checkProtectedMultivariant, hls("cenc")},
		{"demo-cenc_video_640000.m3u8", manifest.MethodCENC, false, media(video640), checkMediaOf(video640), hls("cenc")},
		{"demo-piff.ismc", manifest.MethodCENC, true,
			func(p *manifest.Presentation, o manifest.Options) ([]byte, error) { return manifest.Smooth(p, o) },
			checkProtectedSmooth, manifest.Options{URLOptions: "encryption=piff"}},
	}
}

func TestProtectedGolden(t *testing.T) {
	for _, c := range protectedCases() {
		t.Run(c.file, func(t *testing.T) {
			p := demo()
			o := c.opts
			o.Protection = protect(t, p, c.method, c.oneKey)
			out, err := c.build(p, o)
			if err != nil {
				t.Fatal(err)
			}
			again, err := c.build(p, o)
			if err != nil || !bytes.Equal(out, again) {
				t.Fatalf("second build differs (%v)", err)
			}
			compareOrUpdate(t, c.file, out)
			c.check(t, p, o, out)
			noKeys(t, out)
		})
	}
}

// noKeys fails when out holds a content key in any usual form.
func noKeys(t *testing.T, out []byte) {
	t.Helper()
	for _, k := range [][16]byte{videoKey, audioKey} {
		for _, f := range []string{hex.EncodeToString(k[:]), strings.ToUpper(hex.EncodeToString(k[:])),
			base64.StdEncoding.EncodeToString(k[:]), base64.RawURLEncoding.EncodeToString(k[:]), string(k[:])} {
			if bytes.Contains(out, []byte(f)) {
				t.Errorf("output contains a content key as %q", f)
			}
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// --- DASH ---

type xmlLaurl struct {
	LicenseType string `xml:"licenseType,attr"`
	URL         string `xml:",chardata"`
}

// xmlCP reads a ContentProtection with namespace-qualified names, so the
// test fails if a prefix is undeclared or bound to the wrong namespace.
type xmlCP struct {
	Scheme     string     `xml:"schemeIdUri,attr"`
	Value      string     `xml:"value,attr"`
	DefaultKID string     `xml:"urn:mpeg:cenc:2013 default_KID,attr"`
	PSSH       []string   `xml:"urn:mpeg:cenc:2013 pssh"`
	PRO        []string   `xml:"urn:microsoft:playready pro"`
	Laurl      []xmlLaurl `xml:"https://dashif.org/CPS laurl"`
	LaurlShaka []xmlLaurl `xml:"https://dashif.org/CPS Laurl"`
	Any        []xml.Name `xml:",any"`
}

type xmlMPD struct {
	Periods []struct {
		Sets []struct {
			CP   []xmlCP `xml:"ContentProtection"`
			Reps []struct {
				ID string `xml:"id,attr"`
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
}

// trackByRep returns the index of the track a Representation id names.
func trackByRep(p *manifest.Presentation, id string) int {
	for i := range p.Tracks {
		if p.Tracks[i].Name+"_"+itoa(p.Tracks[i].Bitrate) == id {
			return i
		}
	}
	return -1
}

func checkProtectedDASH(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte) {
	t.Helper()
	checkDASH(t, p, o, out)
	root := `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:cenc="urn:mpeg:cenc:2013" xmlns:mspr="urn:microsoft:playready" xmlns:dashif="https://dashif.org/CPS" `
	if !bytes.Contains(out, []byte(root)) {
		t.Errorf("MPD root does not declare the cenc, mspr and dashif namespaces")
	}
	m, err := mpd.ReadFromString(string(out))
	if err != nil {
		t.Fatalf("go-dash: %v", err)
	}
	var x xmlMPD
	if err := xml.Unmarshal(out, &x); err != nil {
		t.Fatalf("xml: %v", err)
	}
	for ai, as := range m.Periods[0].AdaptationSets {
		xas := x.Periods[0].Sets[ai]
		ti := trackByRep(p, *as.Representations[0].ID)
		tp := &o.Protection.Tracks[ti]
		// go-dash's view.
		root, ok := as.ContentProtection[0].(*mpd.CENCContentProtection)
		if !ok || *root.SchemeIDURI != "urn:mpeg:dash:mp4protection:2011" || *root.Value != o.Protection.Method.String() ||
			*root.DefaultKID != drm.GUID(tp.KID) {
			t.Errorf("AdaptationSet %d: first ContentProtection %#v", ai, as.ContentProtection[0])
		}
		var want []manifest.System
		for _, s := range tp.Systems {
			if s.Kind != manifest.FairPlay {
				want = append(want, s)
			}
		}
		if len(as.ContentProtection) != 1+len(want) || len(xas.CP) != 1+len(want) {
			t.Fatalf("AdaptationSet %d: %d ContentProtection, want %d", ai, len(as.ContentProtection), 1+len(want))
		}
		if c := xas.CP[0]; c.DefaultKID != drm.GUID(tp.KID) || len(c.Any) != 0 {
			t.Errorf("AdaptationSet %d: cenc:default_KID %q (namespace-qualified), children %v", ai, c.DefaultKID, c.Any)
		}
		for si, s := range want {
			gd, c := as.ContentProtection[1+si], xas.CP[1+si]
			var wantScheme, wantValue, wantLicenseType string
			var wantPSSH, wantPRO []string
			if len(s.PSSH) > 0 {
				wantPSSH = []string{b64(s.PSSH)}
			}
			switch s.Kind {
			case manifest.Widevine:
				wantScheme = "urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
				wv, ok := gd.(*mpd.WidevineContentProtection)
				if !ok || wv.PSSH == nil || *wv.PSSH != b64(s.PSSH) {
					t.Errorf("AdaptationSet %d: go-dash Widevine %#v", ai, gd)
				}
			case manifest.PlayReady:
				wantScheme, wantValue = "urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95", "MSPR 2.0"
				wantPRO = []string{b64(s.PRO)}
				pr, ok := gd.(*mpd.PlayreadyContentProtection)
				if !ok || pr.PRO == nil || *pr.PRO != b64(s.PRO) || pr.PSSH == nil || *pr.PSSH != b64(s.PSSH) {
					t.Errorf("AdaptationSet %d: go-dash PlayReady %#v", ai, gd)
				}
			case manifest.ClearKey:
				wantScheme, wantValue, wantLicenseType = "urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e", "ClearKey1.0", "EME-1.0"
			}
			var wantURL []xmlLaurl
			if s.LicenseURL != "" {
				wantURL = []xmlLaurl{{LicenseType: wantLicenseType, URL: s.LicenseURL}}
			}
			if c.Scheme != wantScheme || c.Value != wantValue || c.DefaultKID != "" ||
				!equalStrings(c.PSSH, wantPSSH) || !equalStrings(c.PRO, wantPRO) ||
				!equalLaurl(c.Laurl, wantURL) || !equalLaurl(c.LaurlShaka, wantURL) || len(c.Any) != 0 {
				t.Errorf("AdaptationSet %d: %s ContentProtection %+v", ai, s.Kind, c)
			}
		}
	}
}

func equalStrings(a, b []string) bool { return slices.Equal(a, b) }

func equalLaurl(a, b []xmlLaurl) bool { return slices.Equal(a, b) }

// --- HLS ---

// wantKeyLines builds, independently of the builder, the key tags urls.md
// prescribes for one track ("HLS key tags per scheme").
func wantKeyLines(m manifest.Method, tp *manifest.TrackProtection, tag string, iv *[16]byte) []string {
	ivAttr := ""
	if iv != nil {
		ivAttr = ",IV=0x" + strings.ToUpper(hex.EncodeToString(iv[:]))
	}
	if m == manifest.MethodAES128 {
		return []string{tag + `METHOD=AES-128,URI="` + tp.KeyURI + `"` + ivAttr}
	}
	method := "SAMPLE-AES"
	if m == manifest.MethodCENC {
		method = "SAMPLE-AES-CTR"
	}
	var out []string
	for _, s := range tp.Systems {
		var uri, format string
		switch {
		case s.Kind == manifest.FairPlay:
			uri, format = s.LicenseURL, "com.apple.streamingkeydelivery"
		case s.Kind == manifest.Widevine && m != manifest.MethodSampleAES:
			uri, format = "data:text/plain;base64,"+b64(s.PSSH), "urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
		case s.Kind == manifest.PlayReady && m != manifest.MethodSampleAES:
			uri, format = "data:text/plain;charset=UTF-16;base64,"+b64(s.PRO), "com.microsoft.playready"
		default:
			continue
		}
		out = append(out, tag+"METHOD="+method+`,URI="`+uri+`"`+ivAttr+`,KEYFORMAT="`+format+`",KEYFORMATVERSIONS="1"`)
	}
	return out
}

func hlsVersion(t *testing.T, out []byte) int {
	t.Helper()
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "#EXT-X-VERSION:"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatal("no EXT-X-VERSION")
	return 0
}

func checkProtectedMedia(t *testing.T, p *manifest.Presentation, ti int, o manifest.Options, out []byte) {
	t.Helper()
	tr, tp, m := &p.Tracks[ti], &o.Protection.Tracks[ti], o.Protection.Method
	checkMedia(t, tr, o, out)
	if v := hlsVersion(t, out); v < 5 {
		t.Errorf("EXT-X-VERSION %d: KEYFORMAT needs 5, IV 2", v)
	}
	// The text: key tags right after EXT-X-MAP (no IV) or before every
	// segment (IV); the MAP always before the first key tag.
	lines := strings.Split(string(out), "\n")
	var blocks [][]string // key lines before segment i
	var cur []string
	mapAt, firstKey := -1, -1
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "#EXT-X-MAP:"):
			mapAt = i
		case strings.HasPrefix(l, "#EXT-X-KEY:"):
			if firstKey < 0 {
				firstKey = i
			}
			cur = append(cur, l)
		case strings.HasPrefix(l, "#EXTINF:"):
			blocks = append(blocks, cur)
			cur = nil
		}
	}
	if mapAt < 0 || firstKey < mapAt {
		t.Errorf("EXT-X-MAP at line %d, first EXT-X-KEY at %d: the MAP must come first", mapAt, firstKey)
	}
	for i, got := range blocks {
		var want []string
		switch {
		case tp.IV != nil:
			iv := tp.IV(i)
			want = wantKeyLines(m, tp, "#EXT-X-KEY:", &iv)
		case i == 0:
			want = wantKeyLines(m, tp, "#EXT-X-KEY:", nil)
		}
		if !equalStrings(got, want) {
			t.Errorf("segment %d: key tags\n%s\nwant\n%s", i, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// grafov's view: the last key tag before each segment.
	pl, _, err := m3u8.DecodeFrom(bytes.NewReader(out), true)
	if err != nil {
		t.Fatal(err)
	}
	media := pl.(*m3u8.MediaPlaylist)
	if media.Key == nil {
		t.Fatal("grafov: no key")
	}
	for i, s := range media.Segments[:media.Count()] {
		if tp.IV == nil && i > 0 {
			break
		}
		k := s.Key
		if k == nil {
			t.Fatalf("grafov: segment %d has no key", i)
		}
		wantIV := ""
		if tp.IV != nil {
			iv := tp.IV(i)
			wantIV = "0x" + strings.ToUpper(hex.EncodeToString(iv[:]))
		}
		last := blocks[i][len(blocks[i])-1]
		if !strings.Contains(last, "METHOD="+k.Method+",") || !strings.Contains(last, `URI="`+k.URI+`"`) || k.IV != wantIV {
			t.Errorf("grafov: segment %d key %+v", i, k)
		}
	}
}

func checkProtectedMultivariant(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte) {
	t.Helper()
	checkMultivariant(t, p, o, out)
	if v := hlsVersion(t, out); v < 5 {
		t.Errorf("EXT-X-VERSION %d", v)
	}
	var want []string
	seen := map[string]bool{}
	for i := range p.Tracks {
		for _, l := range wantKeyLines(o.Protection.Method, &o.Protection.Tracks[i], "#EXT-X-SESSION-KEY:", nil) {
			if !seen[l] {
				seen[l] = true
				want = append(want, l)
			}
		}
	}
	head := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n" + strings.Join(want, "\n") + "\n\n"
	if !bytes.HasPrefix(out, []byte(head)) {
		t.Errorf("multivariant does not begin with\n%s", head)
	}
	if n := bytes.Count(out, []byte("#EXT-X-SESSION-KEY:")); n != len(want) {
		t.Errorf("%d EXT-X-SESSION-KEY, want %d", n, len(want))
	}
}

// --- Smooth ---

func checkProtectedSmooth(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte) {
	t.Helper()
	checkSmooth(t, p, o, out)
	var m struct {
		Protection []struct {
			Headers []struct {
				SystemID string `xml:"SystemID,attr"`
				Data     string `xml:",chardata"`
			} `xml:"ProtectionHeader"`
		} `xml:"Protection"`
	}
	if err := xml.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	var pro []byte
	for _, s := range o.Protection.Tracks[0].Systems {
		if s.Kind == manifest.PlayReady {
			pro = s.PRO
		}
	}
	if len(m.Protection) != 1 || len(m.Protection[0].Headers) != 1 ||
		m.Protection[0].Headers[0].SystemID != "9A04F079-9840-4286-AB92-E65BE0885F95" ||
		m.Protection[0].Headers[0].Data != b64(pro) {
		t.Errorf("Protection %+v", m.Protection)
	}
	// Protection is the first child of SmoothStreamingMedia.
	d := xml.NewDecoder(bytes.NewReader(out))
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if depth == 1 {
				if se.Name.Local != "Protection" {
					t.Errorf("first child is %s, want Protection", se.Name.Local)
				}
				break
			}
			depth++
		}
	}
}

// --- errors ---

func TestProtectionErrors(t *testing.T) {
	type build func(p *manifest.Presentation, o manifest.Options) ([]byte, error)
	dash := func(p *manifest.Presentation, o manifest.Options) ([]byte, error) { return manifest.DASH(p, o) }
	smooth := func(p *manifest.Presentation, o manifest.Options) ([]byte, error) { return manifest.Smooth(p, o) }
	mv := func(p *manifest.Presentation, o manifest.Options) ([]byte, error) {
		return manifest.HLSMultivariant(p, o)
	}
	media := func(p *manifest.Presentation, o manifest.Options) ([]byte, error) {
		return manifest.HLSMedia(p, &p.Tracks[0], o)
	}
	cases := []struct {
		name   string
		method manifest.Method
		oneKey bool
		edit   func(pr *manifest.Protection)
		build  build
		want   error
		msg    string
	}{
		{"cbc on dash", manifest.MethodAES128, false, nil, dash, manifest.ErrUnsupportedProtection, "encryption cbc cannot be signalled in DASH"},
		{"cbcs-aapl on dash", manifest.MethodSampleAES, false, nil, dash, manifest.ErrUnsupportedProtection, "cbcs-aapl"},
		{"cbcs on smooth", manifest.MethodCBCS, true, nil, smooth, manifest.ErrUnsupportedProtection, "encryption cbcs cannot be signalled in Smooth"},
		{"cbc on smooth", manifest.MethodAES128, true, nil, smooth, manifest.ErrUnsupportedProtection, "smooth"},
		{"smooth with two keys", manifest.MethodCENC, false, nil, smooth, manifest.ErrUnsupportedProtection, "differs"},
		{"smooth without playready", manifest.MethodCENC, true, func(pr *manifest.Protection) {
			pr.Tracks[1].Systems = pr.Tracks[1].Systems[:1]
		}, smooth, manifest.ErrUnsupportedProtection, "track video/320000: playready"},
		{"no method", manifest.MethodCENC, false, func(pr *manifest.Protection) { pr.Method = 0 }, dash, manifest.ErrInvalidProtection, "unknown method"},
		{"tracks not parallel", manifest.MethodCENC, false, func(pr *manifest.Protection) { pr.Tracks = pr.Tracks[:3] }, mv, manifest.ErrInvalidProtection, "3 track entries for 4 tracks"},
		{"unknown system", manifest.MethodCENC, false, func(pr *manifest.Protection) { pr.Tracks[2].Systems[0].Kind = 9 }, dash, manifest.ErrInvalidProtection, "unknown kind 9"},
		{"quote in URL", manifest.MethodCENC, false, func(pr *manifest.Protection) { pr.Tracks[0].Systems[1].LicenseURL = `https://x/"` }, media, manifest.ErrInvalidProtection, "license URL"},
		{"pssh not a box", manifest.MethodCENC, false, func(pr *manifest.Protection) { pr.Tracks[0].Systems[0].PSSH = []byte("pssh") }, dash, manifest.ErrInvalidProtection, "not a pssh box"},
		{"widevine without pssh", manifest.MethodCENC, false, func(pr *manifest.Protection) { pr.Tracks[0].Systems[0].PSSH = nil }, media, manifest.ErrUnsupportedProtection, "widevine needs a PSSH"},
		{"dash widevine without pssh", manifest.MethodCENC, false, func(pr *manifest.Protection) {
			pr.Tracks[0].Systems[0].PSSH, pr.Tracks[1].Systems[0].PSSH = nil, nil
		}, dash, manifest.ErrUnsupportedProtection, "widevine needs a PSSH"},
		{"playready without pro", manifest.MethodCBCS, false, func(pr *manifest.Protection) { pr.Tracks[0].Systems[2].PRO = nil }, media, manifest.ErrUnsupportedProtection, "playready needs"},
		{"fairplay with cenc", manifest.MethodCENC, false, func(pr *manifest.Protection) {
			pr.Tracks[0].Systems = append(pr.Tracks[0].Systems, manifest.System{Kind: manifest.FairPlay, LicenseURL: "skd://x"})
		}, media, manifest.ErrUnsupportedProtection, "fairplay cannot signal cenc"},
		{"fairplay without skd", manifest.MethodSampleAES, false, func(pr *manifest.Protection) { pr.Tracks[0].Systems[0].LicenseURL = "https://fp" }, media, manifest.ErrUnsupportedProtection, "skd://"},
		{"cbc without key URI", manifest.MethodAES128, false, func(pr *manifest.Protection) { pr.Tracks[0].KeyURI = "" }, media, manifest.ErrUnsupportedProtection, "key URI"},
		{"hls clearkey only", manifest.MethodCENC, false, func(pr *manifest.Protection) { pr.Tracks[0].Systems = pr.Tracks[0].Systems[2:] }, media, manifest.ErrUnsupportedProtection, "no DRM that HLS can signal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := demo()
			pr := protect(t, p, c.method, c.oneKey)
			if c.edit != nil {
				c.edit(pr)
			}
			out, err := c.build(p, manifest.Options{Protection: pr})
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want %v containing %q (output %d bytes)", err, c.want, c.msg, len(out))
			}
			if out != nil {
				t.Error("output with an error")
			}
		})
	}
}

// TestProtectionSkips: DASH skips FairPlay, HLS skips ClearKey, and a
// media playlist is found for a copy of a track.
func TestProtectionSkips(t *testing.T) {
	p := demo()
	pr := protect(t, p, manifest.MethodCBCS, false)
	out, err := manifest.DASH(p, manifest.Options{Protection: pr})
	if err != nil || bytes.Contains(out, []byte("94ce86fb")) || bytes.Contains(out, []byte("skd://")) {
		t.Errorf("DASH cbcs signals FairPlay (%v)", err)
	}
	pr = protect(t, p, manifest.MethodCENC, false)
	cp := p.Tracks[2]
	out, err = manifest.HLSMedia(p, &cp, manifest.Options{Protection: pr})
	if err != nil || bytes.Contains(out, []byte("clearkey")) || bytes.Count(out, []byte("#EXT-X-KEY:")) != 2 ||
		!bytes.Contains(out, []byte(b64(pr.Tracks[2].Systems[0].PSSH))) {
		t.Errorf("HLS cenc of a track copy: %v\n%s", err, out)
	}
}
