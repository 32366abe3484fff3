package origin_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/drm"
)

// spekeServer is a SPEKE v2.0 key server on loopback for the tests: it
// answers a CPIX request with a clear key per ContentKey (the same value
// for every request) and a PSSH per requested DRMSystem, and counts calls.
// mode makes it fail: "500", "garbage", "slow", "nopssh", "nokey".
type spekeServer struct {
	url    string
	calls  atomic.Int32
	mu     sync.Mutex
	mode   string
	last   *http.Request
	body   []byte
	value  [16]byte
	wvPSSH map[string][]byte // kid → the Widevine PSSH answered
}

func startSPEKE(t *testing.T) *spekeServer {
	t.Helper()
	s := &spekeServer{value: [16]byte{0x5e, 0x4e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, wvPSSH: map[string][]byte{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.url = "http://" + ln.Addr().String() + "/speke/v2.0/copyProtection"
	return s
}

func (s *spekeServer) setMode(m string) { s.mu.Lock(); s.mode = m; s.mu.Unlock() }

func (s *spekeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	mode := s.mode
	s.last, s.body = r, body
	s.mu.Unlock()
	switch mode {
	case "500":
		http.Error(w, "boom", 500)
		return
	case "garbage":
		w.Write([]byte("<html>not cpix"))
		return
	case "slow":
		time.Sleep(3 * time.Second)
	}
	var req struct {
		ContentID string `xml:"contentId,attr"`
		Keys      []struct {
			KID    string `xml:"kid,attr"`
			Scheme string `xml:"commonEncryptionScheme,attr"`
		} `xml:"ContentKeyList>ContentKey"`
		Systems []struct {
			KID      string `xml:"kid,attr"`
			SystemID string `xml:"systemId,attr"`
		} `xml:"DRMSystemList>DRMSystem"`
	}
	if err := xml.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	var b strings.Builder
	b.WriteString(`<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" contentId="` + req.ContentID + `"><cpix:ContentKeyList>`)
	for i, k := range req.Keys {
		if mode == "nokey" && i == 0 {
			b.WriteString(`<cpix:ContentKey kid="` + k.KID + `"/>`)
			continue
		}
		b.WriteString(`<cpix:ContentKey kid="` + k.KID + `" commonEncryptionScheme="` + k.Scheme + `"><cpix:Data><pskc:Secret><pskc:PlainValue>` +
			base64.StdEncoding.EncodeToString(s.value[:]) + `</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>`)
	}
	b.WriteString(`</cpix:ContentKeyList><cpix:DRMSystemList>`)
	for _, d := range req.Systems {
		kid, _ := hex.DecodeString(strings.ReplaceAll(d.KID, "-", ""))
		var pssh []byte
		switch d.SystemID {
		case drm.GUID(drm.WidevineSystemID):
			// Data the origin would never write: a provider the test names.
			pssh = drm.AppendPSSH(nil, drm.WidevineSystemID, 0, nil, []byte("\x12\x10speke-test-server"))
			s.mu.Lock()
			s.wvPSSH[d.KID] = pssh
			s.mu.Unlock()
		case drm.GUID(drm.PlayReadySystemID):
			pro, err := drm.PlayReadyHeader([16]byte(kid), s.value, drm.SchemeCENC, "https://pr.speke.test/")
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			pssh = drm.PlayReadyPSSH([][16]byte{[16]byte(kid)}, pro)
		}
		b.WriteString(`<cpix:DRMSystem kid="` + d.KID + `" systemId="` + d.SystemID + `">`)
		if mode != "nopssh" {
			b.WriteString(`<cpix:PSSH>` + base64.StdEncoding.EncodeToString(pssh) + `</cpix:PSSH>`)
		}
		b.WriteString(`</cpix:DRMSystem>`)
	}
	b.WriteString(`</cpix:DRMSystemList></cpix:CPIX>`)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Speke-Version", "2.0")
	w.Write([]byte(b.String()))
}

// TestSPEKEKeyServer: a locator created under a policy with a key server
// and no keys asks it once (SPEKE v2.0 headers, the authentication header,
// the content id), stores its keys and signalling: segments decrypt with
// its key and init segments carry its PSSH; the same PUT again does not
// ask again, and segment requests never do; a key server that fails,
// times out, answers garbage or leaves a key or a PSSH out gives 502 and
// no locator.
func TestSPEKEKeyServer(t *testing.T) {
	ks := startSPEKE(t)
	o := startOrigin(t, mediaRoot(t), "")
	policy := func(name, timeout string) {
		body := fmt.Sprintf(`{"name":%q,"commonEncryptionCenc":{"protocols":["dash","hls","smooth"],"drm":{"widevine":{},"playReady":{}}},`+
			`"keyServer":{"url":%q,"authentication":{"type":"header","name":"x-api-key","value":"sekret"},"contentId":"asset-{AlternativeMediaId}"%s}}`,
			name, ks.url, timeout)
		if r := o.api("PUT", "/api/v1/streamingPolicies/"+name, body); r.status != http.StatusCreated {
			t.Fatalf("PUT policy: %s", r)
		}
	}
	policy("speke", "")
	policy("speke-fast", `,"timeout":"1s"`)
	if r := o.api("PUT", "/api/v1/streamingPolicies/bad", `{"commonEncryptionCenc":{"protocols":["dash"]},"keyServer":{"url":"ftp://x"}}`); r.status != 400 {
		t.Errorf("a key server URL that is not http(s): %s", r)
	}

	o.locator("sp", "demo", "speke", nil)
	if n := ks.calls.Load(); n != 1 {
		t.Fatalf("the key server was called %d times, want 1", n)
	}
	if h := ks.last.Header; h.Get("X-Speke-Version") != "2.0" || h.Get("x-api-key") != "sekret" || !strings.Contains(h.Get("Content-Type"), "xml") {
		t.Errorf("request headers: %v", h)
	}
	if !bytes.Contains(ks.body, []byte(`contentId="asset-sp"`)) || !bytes.Contains(ks.body, []byte(`commonEncryptionScheme="cenc"`)) ||
		!bytes.Contains(ks.body, []byte(drm.GUID(drm.PlayReadySystemID))) || !bytes.Contains(ks.body, []byte("ContentKeyUsageRule")) {
		t.Errorf("the SPEKE request lacks contentId, scheme, DRM systems or usage rules:\n%s", ks.body)
	}
	o.locator("sp", "demo", "speke", nil) // the same PUT again
	keys := o.contentKeys("sp")
	if len(keys) != 1 || keys[0].Value != base64.StdEncoding.EncodeToString(ks.value[:]) {
		t.Fatalf("stored keys: %+v", keys)
	}
	wantBox := ks.wvPSSH[keys[0].ID]
	sources := o.sourceTracks("demo")
	mu := o.base + "/sp/demo.ism/manifest(format=mpd-time-csf,encryption=cenc)"
	m := do(t, "GET", mu, nil)
	if m.status != 200 {
		t.Fatalf("manifest: %s", m)
	}
	for _, p := range planDASH(t, mu, m.body) {
		data := fetchTrack(t, p)
		init := do(t, "GET", p.init, nil)
		if len(wantBox) == 0 || !slices.ContainsFunc(cpixPSSHBoxes(t, init.body), func(b []byte) bool { return bytes.Equal(b, wantBox) }) {
			t.Errorf("%s: the init segment does not carry the key server's Widevine PSSH", p.key())
		}
		got := md5s(framemd5Key(t, data, hex.EncodeToString(ks.value[:])))
		want := md5s(framemd5(t, sources[p.key()], nil))
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: with the key server's key %d frames decode, source %d", p.key(), len(got), len(want))
		}
	}
	if n := ks.calls.Load(); n != 1 {
		t.Fatalf("after a second PUT and the segments the key server was called %d times, want 1", n)
	}

	for _, c := range []struct{ mode, policy, want string }{
		{"500", "speke", "answered 500"},
		{"garbage", "speke", "malformed XML"},
		{"slow", "speke-fast", "no answer within 1s"},
		{"nopssh", "speke", "has no signalling"},
		{"nokey", "speke", "no value"},
	} {
		ks.setMode(c.mode)
		name := "sp-" + c.mode
		r := o.api("PUT", "/api/v1/streamingLocators/"+name, map[string]any{"assetName": "demo", "streamingPolicyName": c.policy})
		if r.status != http.StatusBadGateway || !strings.Contains(string(r.body), c.want) {
			t.Errorf("%s: %s, want 502 saying %q", c.mode, r, c.want)
		}
		if strings.Contains(string(r.body), "sekret") {
			t.Errorf("%s: the answer carries the key server's credential", c.mode)
		}
		if g := o.api("GET", "/api/v1/streamingLocators/"+name, nil); g.status != 404 {
			t.Errorf("%s: a locator exists after the key server failed: %s", c.mode, g)
		}
	}
}
