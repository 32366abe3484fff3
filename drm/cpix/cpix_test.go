package cpix

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/drm"
	"github.com/drmorigin/drmorigin/internal/cpixtest"
)

func sampleDoc(t testing.TB) *Document {
	kid1 := [16]byte{0x10, 0x20, 0x30, 0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	kid2 := [16]byte{0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	wv, err := drm.WidevinePSSH([][16]byte{kid1}, drm.SchemeCENC)
	if err != nil {
		t.Fatal(err)
	}
	return &Document{
		ContentID: "loc1",
		Keys: []ContentKey{
			{KID: kid1, Value: [16]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0, 1, 2, 3, 4, 5, 6}, Scheme: "cenc"},
			{KID: kid2, Value: [16]byte{0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10, 1, 2, 3, 4, 5, 6, 7, 8}, Scheme: "cbcs"},
		},
		DRMSystems: []DRMSystem{{
			SystemID: drm.WidevineSystemID, KID: kid1, PSSH: wv,
			ContentProtectionData: []byte(`<ContentProtection xmlns="urn:mpeg:dash:schema:mpd:2011" schemeIdUri="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"/>`),
			HLSMedia:              []byte("#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI=\"data:text/plain;base64,AA==\"\n"),
			HLSMaster:             []byte("#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES-CTR,URI=\"data:text/plain;base64,AA==\"\n"),
		}, {
			SystemID: drm.FairPlaySystemID, KID: kid2,
			HLSMedia: []byte("#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://x\"\n"),
		}},
		UsageRules: []UsageRule{
			{KID: kid1, IntendedTrackType: TrackTypeVideo, Video: []VideoFilter{{MaxPixels: 1024 * 576}}},
			{KID: kid1, IntendedTrackType: TrackTypeAudio, Audio: []AudioFilter{{}}},
			{KID: kid2},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	identities(t)
	d := sampleDoc(t)
	b, err := Write(d, []Recipient{{Name: "other", Certificate: id2Crt}, {Name: "me", Certificate: idCert}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range d.Keys {
		if bytes.Contains(b, k.Value[:]) || bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString(k.Value[:]))) ||
			bytes.Contains(b, []byte(hex.EncodeToString(k.Value[:]))) {
			t.Fatalf("a key value is in the document in clear")
		}
	}
	got, err := Read(b, ReadOptions{Key: idKey, Certificate: idCert})
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentID != d.ContentID || len(got.Keys) != 2 || got.Keys[0] != d.Keys[0] || got.Keys[1] != d.Keys[1] {
		t.Fatalf("keys: got %+v", got.Keys)
	}
	if len(got.DRMSystems) != 2 || !bytes.Equal(got.DRMSystems[0].PSSH, d.DRMSystems[0].PSSH) ||
		!bytes.Equal(got.DRMSystems[0].ContentProtectionData, d.DRMSystems[0].ContentProtectionData) ||
		!bytes.Equal(got.DRMSystems[0].HLSMedia, d.DRMSystems[0].HLSMedia) ||
		!bytes.Equal(got.DRMSystems[0].HLSMaster, d.DRMSystems[0].HLSMaster) ||
		!bytes.Equal(got.DRMSystems[1].HLSMedia, d.DRMSystems[1].HLSMedia) {
		t.Fatalf("drm systems differ: %+v", got.DRMSystems)
	}
	if len(got.UsageRules) != 3 || got.UsageRules[0].Video[0].MaxPixels != 1024*576 || got.UsageRules[1].IntendedTrackType != TrackTypeAudio {
		t.Fatalf("usage rules: %+v", got.UsageRules)
	}
	// The other recipient opens it too.
	if _, err := Read(b, ReadOptions{Key: id2Key, Certificate: id2Crt}); err != nil {
		t.Fatal(err)
	}
}

func TestWriteRefusesNoRecipient(t *testing.T) {
	if _, err := Write(sampleDoc(t), nil); !errors.Is(err, ErrNoRecipient) {
		t.Fatalf("got %v, want ErrNoRecipient", err)
	}
}

// TestSchema validates a written document against the published CPIX 2.3
// XSD (DASH-IF, tag CPIX2.3.1) with xmllint.
func TestSchema(t *testing.T) {
	identities(t)
	d := sampleDoc(t)
	d.Periods = []Period{{ID: "p0", Index: 0}, {ID: "p1", Index: 1}}
	d.UsageRules = append(d.UsageRules, UsageRule{KID: d.Keys[1].KID, PeriodIDs: []string{"p1"}})
	b, err := Write(d, []Recipient{{Name: "me", Certificate: idCert}})
	if err != nil {
		t.Fatal(err)
	}
	cpixtest.Validate(t, b)
}

// TestOpenSSLDecrypts decrypts a written document with openssl and
// xmllint only: the document key with RSA-OAEP (pkeyutl), each value with
// AES-256-CBC (enc), each ValueMAC recomputed with HMAC-SHA512 (dgst).
func TestOpenSSLDecrypts(t *testing.T) {
	identities(t)
	d := sampleDoc(t)
	b, err := Write(d, []Recipient{{Name: "other", Certificate: id2Crt}, {Name: "me", Certificate: idCert}})
	if err != nil {
		t.Fatal(err)
	}
	got := cpixtest.Decrypt(t, b, cpixtest.WriteKeyPEM(t, t.TempDir(), idKey), idCert.Raw)
	if len(got) != len(d.Keys) {
		t.Fatalf("openssl found %d keys, want %d", len(got), len(d.Keys))
	}
	for _, k := range d.Keys {
		if v, ok := got[k.KID]; !ok || v != k.Value {
			t.Fatalf("key %x: openssl decrypted another value", k.KID)
		}
	}
}

func TestReadErrors(t *testing.T) {
	identities(t)
	d := sampleDoc(t)
	b, err := Write(d, []Recipient{{Name: "me", Certificate: idCert}})
	if err != nil {
		t.Fatal(err)
	}
	me := ReadOptions{Key: idKey, Certificate: idCert}
	macAt := bytes.Index(b, []byte("<pskc:ValueMAC>")) + len("<pskc:ValueMAC>")
	tampered := bytes.Clone(b)
	if tampered[macAt] == 'A' {
		tampered[macAt] = 'B'
	} else {
		tampered[macAt] = 'A'
	}
	cvAt := bytes.LastIndex(b, []byte("<xenc:CipherValue>")) + len("<xenc:CipherValue>") + 30
	tamperedValue := bytes.Clone(b)
	if tamperedValue[cvAt] == 'A' {
		tamperedValue[cvAt] = 'B'
	} else {
		tamperedValue[cvAt] = 'A'
	}
	kid1 := guid(d.Keys[0].KID)
	noValue := []byte(strings.Replace(string(b), `<cpix:ContentKey kid="`+kid1+`" commonEncryptionScheme="cenc">`,
		`<cpix:ContentKey kid="`+kid1+`" commonEncryptionScheme="cenc"/><cpix:Unused>`, 1))
	noValue = []byte(strings.Replace(string(noValue), "</cpix:ContentKey>", "</cpix:Unused>", 1))
	badRule := []byte(strings.Replace(string(b), `<cpix:ContentKeyUsageRule kid="`+guid(d.Keys[1].KID)+`"/>`,
		`<cpix:ContentKeyUsageRule kid="00000000-0000-0000-0000-000000000001"/>`, 1))
	for _, c := range []struct {
		name string
		doc  []byte
		opt  ReadOptions
		want string
	}{
		{"malformed", b[:len(b)/2], me, "malformed XML"},
		{"not cpix", []byte(`<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"/>`), me, "malformed XML"},
		{"bad MAC", tampered, me, "ValueMAC does not verify"},
		{"altered value", tamperedValue, me, "ValueMAC does not verify"},
		{"wrong recipient", b, ReadOptions{Key: id2Key, Certificate: id2Crt}, "wrong recipient"},
		{"no value", noValue, me, "ContentKey " + kid1 + ": no value"},
		{"rule without key", badRule, me, "no ContentKey has kid 00000000-0000-0000-0000-000000000001"},
		{"no reader key", b, ReadOptions{}, "no recipient key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(c.doc, c.opt)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an ErrInvalid containing %q", err, c.want)
			}
			for _, k := range d.Keys {
				for _, enc := range []string{hex.EncodeToString(k.Value[:]), base64.StdEncoding.EncodeToString(k.Value[:]), string(k.Value[:])} {
					if strings.Contains(err.Error(), enc) {
						t.Fatalf("the error carries a key value: %v", err)
					}
				}
			}
		})
	}
}

func TestReadClear(t *testing.T) {
	doc := `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">
<cpix:ContentKeyList><cpix:ContentKey kid="10203040-0102-0304-0506-0708090a0b0c"><cpix:Data><pskc:Secret>
<pskc:PlainValue>ESIzRFVmd4iZAAECAwQFBg==</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey></cpix:ContentKeyList></cpix:CPIX>`
	if _, err := Read([]byte(doc), ReadOptions{}); err == nil || !strings.Contains(err.Error(), "in clear") {
		t.Fatalf("clear keys without AllowClear: got %v", err)
	}
	d, err := Read([]byte(doc), ReadOptions{AllowClear: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Keys[0].Value != sampleDoc(t).Keys[0].Value {
		t.Fatal("clear value misread")
	}
}

// TestRequestSchema: a key server request (no values, empty DRM systems)
// validates against the XSD too.
func TestRequestSchema(t *testing.T) {
	d := sampleDoc(t)
	for i := range d.DRMSystems {
		d.DRMSystems[i] = DRMSystem{SystemID: d.DRMSystems[i].SystemID, KID: d.DRMSystems[i].KID}
	}
	b, err := WriteRequest(d)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("Secret")) || bytes.Contains(b, []byte("DeliveryData")) {
		t.Fatalf("a request carries values or delivery data:\n%s", b)
	}
	cpixtest.Validate(t, b)
}
