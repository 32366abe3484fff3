package origin_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/internal/cpixtest"
)

// opensslRecipient makes a recipient key pair with openssl and returns
// the paths of its private key and certificate and the certificate's DER.
func opensslRecipient(t *testing.T, dir, cn string) (keyPath, certPath string, der []byte) {
	t.Helper()
	needTool(t, "openssl", "openssl")
	keyPath, certPath = filepath.Join(dir, cn+".key"), filepath.Join(dir, cn+".pem")
	cpixtest.Run(t, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath,
		"-days", "2", "-subj", "/CN="+cn)
	b, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	return keyPath, certPath, blk.Bytes
}

// psshBoxes returns the pssh boxes in the moov of an init segment.
func cpixPSSHBoxes(t *testing.T, init []byte) [][]byte {
	t.Helper()
	var out [][]byte
	var walk func(b []byte)
	walk = func(b []byte) {
		for len(b) >= 8 {
			n := int(binary.BigEndian.Uint32(b))
			if n < 8 || n > len(b) {
				t.Fatalf("init segment: bad box size %d", n)
			}
			switch string(b[4:8]) {
			case "moov":
				walk(b[8:n])
			case "pssh":
				out = append(out, bytes.Clone(b[:n]))
			}
			b = b[n:]
		}
	}
	walk(init)
	return out
}

// TestCPIXExport: a locator's export validates against the CPIX 2.3 XSD
// (xmllint), decrypts with openssl and the recipient's private key to the
// locator's keys, and carries for each key exactly the pssh boxes of the
// init segments that the key encrypts; no or unknown recipients are 400.
func TestCPIXExport(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	dir := t.TempDir()
	keyPath, certPath, der := opensslRecipient(t, dir, "service")
	pemText, _ := os.ReadFile(certPath)
	if r := o.api("PUT", "/api/v1/cpixRecipients/service", map[string]string{"name": "service", "certificate": string(pemText)}); r.status != http.StatusCreated {
		t.Fatalf("PUT recipient: %s", r)
	}
	if r := o.api("GET", "/api/v1/cpixRecipients", nil); r.status != 200 || !bytes.Contains(r.body, []byte(`"name":"service"`)) {
		t.Fatalf("list recipients: %s", r)
	}
	// Not an RSA certificate, not a certificate: 400 naming the field.
	ecKey, ecCert := filepath.Join(dir, "ec.key"), filepath.Join(dir, "ec.pem")
	cpixtest.Run(t, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", ecKey, "-out", ecCert, "-days", "2", "-subj", "/CN=ec")
	ecPEM, _ := os.ReadFile(ecCert)
	for name, cert := range map[string]string{"ec": string(ecPEM), "junk": "hello", "key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		r := o.api("PUT", "/api/v1/cpixRecipients/"+name, map[string]string{"certificate": cert})
		if r.status != 400 || !strings.Contains(string(r.body), `"target":"certificate"`) {
			t.Errorf("recipient %s: %s, want 400 on certificate", name, r)
		}
	}

	o.locator("x", "demo", "Predefined_MultiDrmStreaming", nil)
	keys := o.contentKeys("x")
	for _, q := range []string{"", "?recipient=nobody", "?recipient=service&recipient=nobody"} {
		r := o.api("GET", "/api/v1/streamingLocators/x/cpix"+q, nil)
		if r.status != 400 {
			t.Errorf("export%s: %s, want 400", q, r)
		}
		for _, k := range keys {
			if bytes.Contains(r.body, []byte(k.Value)) {
				t.Fatalf("export%s answers a key value", q)
			}
		}
	}
	r := o.api("GET", "/api/v1/streamingLocators/x/cpix?recipient=service", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
		t.Fatalf("export: %s (%s)", r, r.header.Get("Content-Type"))
	}
	doc := r.body
	cpixtest.Validate(t, doc)
	got := cpixtest.Decrypt(t, doc, keyPath, der)
	want := map[[16]byte][16]byte{}
	for _, k := range keys {
		kid, _ := hex.DecodeString(strings.ReplaceAll(k.ID, "-", ""))
		v, _ := base64.StdEncoding.DecodeString(k.Value)
		want[[16]byte(kid)] = [16]byte(v)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("openssl decrypted %d keys that are not the locator's %d", len(got), len(want))
	}

	// The pssh boxes of each key in the document are the init segment's.
	for _, c := range []struct{ enc, typ string }{{"cenc", "commonEncryptionCenc"}, {"cbcs", "commonEncryptionCbcs"}} {
		kid := keyOfType(t, keys, c.typ).ID
		mu := o.base + "/x/demo.ism/manifest(format=mpd-time-csf,encryption=" + c.enc + ")"
		m := do(t, "GET", mu, nil)
		if m.status != 200 {
			t.Fatalf("manifest: %s", m)
		}
		plans := planDASH(t, mu, m.body)
		init := do(t, "GET", plans[0].init, nil)
		if init.status != 200 {
			t.Fatalf("init: %s", init)
		}
		boxes := cpixPSSHBoxes(t, init.body)
		var docBoxes [][]byte
		n := cpixtest.XPath(t, writeTemp(t, doc), "count(//*[local-name()='DRMSystem'][@kid='"+kid+"']/*[local-name()='PSSH'])")
		for i := 1; i <= atoi(t, n); i++ {
			docBoxes = append(docBoxes, cpixtest.XPathBytes(t, doc, "(//*[local-name()='DRMSystem'][@kid='"+kid+"']/*[local-name()='PSSH'])["+itoa(i)+"]"))
		}
		if len(boxes) == 0 || !sameSet(boxes, docBoxes) {
			t.Errorf("%s: the document's %d PSSH of kid %s are not the init segment's %d pssh boxes", c.enc, len(docBoxes), kid, len(boxes))
		}
		// The ContentProtection of each system is in the MPD (less the
		// namespace declarations its root holds).
		flat := strings.Join(strings.Fields(string(m.body)), " ")
		flat = strings.ReplaceAll(flat, "> <", "><")
		cps := atoi(t, cpixtest.XPath(t, writeTemp(t, doc), "count(//*[local-name()='DRMSystem'][@kid='"+kid+"']/*[local-name()='ContentProtectionData'])"))
		for i := 1; i <= cps; i++ {
			cp := string(cpixtest.XPathBytes(t, doc, "(//*[local-name()='DRMSystem'][@kid='"+kid+"']/*[local-name()='ContentProtectionData'])["+itoa(i)+"]"))
			for _, d := range []string{` xmlns="urn:mpeg:dash:schema:mpd:2011"`, ` xmlns:cenc="urn:mpeg:cenc:2013"`, ` xmlns:mspr="urn:microsoft:playready"`, ` xmlns:dashif="https://dashif.org/CPS"`} {
				cp = strings.Replace(cp, d, "", 1)
			}
			if !strings.Contains(flat, cp) {
				t.Errorf("%s: ContentProtectionData %d is not in the MPD: %s", c.enc, i, cp)
			}
		}
	}
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a count: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func sameSet(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y []byte) bool { return bytes.Equal(x, y) }) {
			return false
		}
	}
	return true
}

// independentDoc runs the independent CPIX writer (testdata/cpix, python3
// and the openssl CLI) for the certificate at certPath.
func independentDoc(t *testing.T, certPath, kid, key string, opts ...string) string {
	t.Helper()
	needTool(t, "python3", "python3")
	needTool(t, "openssl", "openssl")
	args := append([]string{filepath.Join(cpixtest.Dir(), "independent_writer.py"), certPath, kid, key}, opts...)
	out, err := exec.Command("python3", args...).Output()
	if err != nil {
		t.Fatalf("independent writer: %v", err)
	}
	return string(out)
}

// TestCPIXImport: a document from an independent writer (python3 and the
// openssl CLI), encrypted for the origin's recipient certificate, makes a
// locator whose segments decrypt with its key and whose init segments and
// MPD carry its PSSH; documents that do not verify are 400 naming why,
// and leave nothing stored.
func TestCPIXImport(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	r := o.api("GET", "/api/v1/cpixRecipient", nil)
	if r.status != 200 || !bytes.HasPrefix(r.body, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Fatalf("GET cpixRecipient: %s", r)
	}
	blk, _ := pem.Decode(r.body)
	if c, err := x509.ParseCertificate(blk.Bytes); err != nil || c.PublicKeyAlgorithm != x509.RSA {
		t.Fatalf("the recipient certificate is not an RSA certificate: %v", err)
	}
	if again := o.api("GET", "/api/v1/cpixRecipient", nil); !bytes.Equal(again.body, r.body) {
		t.Fatal("the recipient certificate changed between two GETs")
	}
	dir := t.TempDir()
	certPath := filepath.Join(dir, "origin.pem")
	if err := os.WriteFile(certPath, r.body, 0o644); err != nil {
		t.Fatal(err)
	}
	const kid, key, psshData = "0123456789abcdef0123456789abcdef", "00112233445566778899aabbccddeeff", "12106d792d6c6963656e73652d73657276696365"
	put := func(name, doc string) *response {
		return o.api("PUT", "/api/v1/streamingLocators/"+name, map[string]any{
			"name": name, "assetName": "demo", "streamingPolicyName": "Predefined_MultiDrmCencStreaming", "cpix": doc})
	}

	// Bad documents: 400 naming the problem, nothing stored.
	_, otherCert, _ := opensslRecipient(t, dir, "other")
	for _, c := range []struct {
		name, doc, want string
	}{
		{"tampered", independentDoc(t, certPath, kid, key, "--tamper-mac"), "ValueMAC does not verify"},
		{"other-recipient", independentDoc(t, otherCert, kid, key), "wrong recipient"},
		{"malformed", independentDoc(t, certPath, kid, key)[:300], "malformed XML"},
		{"no-value", independentDoc(t, certPath, kid, key, "--no-value"), "no value"},
		{"audio-keyless", independentDoc(t, certPath, kid, key, "--video-only"), "leave audio tracks without a commonEncryptionCenc key"},
		{"cbcs-key", independentDoc(t, certPath, kid, key, "--scheme", "cbcs"), "does not enable"},
	} {
		r := put("bad-"+c.name, c.doc)
		if r.status != 400 || !strings.Contains(string(r.body), c.want) || !strings.Contains(string(r.body), `"target":"cpix"`) {
			t.Errorf("%s: %s, want 400 on cpix saying %q", c.name, r, c.want)
		}
		if strings.Contains(string(r.body), key) || strings.Contains(string(r.body), b64(cpixHex(key))) {
			t.Errorf("%s: the error carries the key value", c.name)
		}
		if g := o.api("GET", "/api/v1/streamingLocators/bad-"+c.name, nil); g.status != 404 {
			t.Errorf("%s: the locator exists after a refused import: %s", c.name, g)
		}
	}
	if r := o.api("PUT", "/api/v1/streamingLocators/both", map[string]any{"assetName": "demo", "streamingPolicyName": "Predefined_MultiDrmCencStreaming",
		"cpix": "<x/>", "contentKeys": []any{map[string]any{"type": "commonEncryptionCenc"}}}); r.status != 400 {
		t.Errorf("cpix with contentKeys: %s, want 400", r)
	}

	const hlsURI = "data:text/plain;base64,c2VydmljZS1naXZlbi11cmk="
	doc := independentDoc(t, certPath, kid, key, "--pssh-data", psshData, "--hls-uri", hlsURI)
	cpixtest.Validate(t, []byte(doc))
	if r := put("imp", doc); r.status != http.StatusCreated {
		t.Fatalf("import: %s", r)
	}
	if r := put("imp", doc); r.status != http.StatusOK {
		t.Errorf("the same import again: %s, want 200", r)
	}
	keys := o.contentKeys("imp")
	if len(keys) != 1 || strings.ReplaceAll(keys[0].ID, "-", "") != kid || keys[0].Value != b64(cpixHex(key)) {
		t.Fatalf("imported keys: %+v", keys)
	}
	wantBox := cpixtest.XPathBytes(t, []byte(doc), "//*[local-name()='PSSH']")
	sources := o.sourceTracks("demo")
	mu := o.base + "/imp/demo.ism/manifest(format=mpd-time-csf,encryption=cenc)"
	m := do(t, "GET", mu, nil)
	if m.status != 200 {
		t.Fatalf("manifest: %s", m)
	}
	if !strings.Contains(string(m.body), "<cenc:pssh>"+b64(wantBox)+"</cenc:pssh>") {
		t.Errorf("the MPD does not carry the document's Widevine PSSH")
	}
	// The document's HLS key tag URI is the media playlists'.
	mv := do(t, "GET", o.base+"/imp/demo.ism/manifest(format=m3u8-cmaf,encryption=cenc)", nil)
	if mv.status != 200 || !strings.Contains(string(mv.body), `URI="`+hlsURI+`"`) {
		t.Errorf("the HLS playlist does not carry the document's key URI: %s", mv)
	}
	plans := planDASH(t, mu, m.body)
	if len(plans) != len(sources) {
		t.Fatalf("manifest addresses %d tracks, want %d", len(plans), len(sources))
	}
	for _, p := range plans {
		data := fetchTrack(t, p)
		init := do(t, "GET", p.init, nil)
		if !slices.ContainsFunc(cpixPSSHBoxes(t, init.body), func(b []byte) bool { return bytes.Equal(b, wantBox) }) {
			t.Errorf("%s: the init segment does not carry the document's PSSH", p.key())
		}
		got := md5s(framemd5Key(t, data, key))
		want := md5s(framemd5(t, sources[p.key()], nil))
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: with the document's key %d frames decode, source %d", p.key(), len(got), len(want))
		}
	}
}

func cpixHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
