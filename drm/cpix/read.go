package cpix

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every error Read returns for a document that is
// malformed, does not verify, is not for this recipient or is incomplete.
// The message names the element and what is wrong, never a key value.
var ErrInvalid = errors.New("cpix document")

// MaxDocumentSize bounds what Read accepts.
const MaxDocumentSize = 4 << 20

// ReadOptions says who reads a document.
type ReadOptions struct {
	// Key and Certificate are the reader's recipient identity: the
	// DeliveryData whose certificate equals Certificate is the one opened
	// with Key. Both are needed for a document with a DeliveryDataList.
	Key         *rsa.PrivateKey
	Certificate *x509.Certificate
	// AllowClear accepts key values in clear (pskc:PlainValue) in a
	// document without a DeliveryDataList (SPEKE answers over TLS may
	// carry them). Without it such a document is refused.
	AllowClear bool
}

func invalidf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// XML shapes, by namespace. Elements not listed are ignored.
type (
	xDoc struct {
		XMLName   xml.Name  `xml:"urn:dashif:org:cpix CPIX"`
		ContentID string    `xml:"contentId,attr"`
		Delivery  *xList    `xml:"urn:dashif:org:cpix DeliveryDataList"`
		Keys      *xKeys    `xml:"urn:dashif:org:cpix ContentKeyList"`
		DRM       *xDRMList `xml:"urn:dashif:org:cpix DRMSystemList"`
		Periods   *xPeriods `xml:"urn:dashif:org:cpix ContentKeyPeriodList"`
		Rules     *xRules   `xml:"urn:dashif:org:cpix ContentKeyUsageRuleList"`
	}
	xList struct {
		Data []xDelivery `xml:"urn:dashif:org:cpix DeliveryData"`
	}
	xDelivery struct {
		Name string `xml:"name,attr"`
		Key  *struct {
			Data []struct {
				Certs []string `xml:"http://www.w3.org/2000/09/xmldsig# X509Certificate"`
			} `xml:"http://www.w3.org/2000/09/xmldsig# X509Data"`
		} `xml:"urn:dashif:org:cpix DeliveryKey"`
		Doc *struct {
			Algorithm string `xml:"Algorithm,attr"`
			Data      *xData `xml:"urn:dashif:org:cpix Data"`
		} `xml:"urn:dashif:org:cpix DocumentKey"`
		MAC *struct {
			Algorithm string      `xml:"Algorithm,attr"`
			Key       *xEncrypted `xml:"urn:ietf:params:xml:ns:keyprov:pskc MACKey"`
		} `xml:"urn:dashif:org:cpix MACMethod"`
	}
	xData struct {
		Secret *struct {
			Plain     *string     `xml:"urn:ietf:params:xml:ns:keyprov:pskc PlainValue"`
			Encrypted *xEncrypted `xml:"urn:ietf:params:xml:ns:keyprov:pskc EncryptedValue"`
			MAC       *string     `xml:"urn:ietf:params:xml:ns:keyprov:pskc ValueMAC"`
		} `xml:"urn:ietf:params:xml:ns:keyprov:pskc Secret"`
	}
	xEncrypted struct {
		Method *struct {
			Algorithm string `xml:"Algorithm,attr"`
		} `xml:"http://www.w3.org/2001/04/xmlenc# EncryptionMethod"`
		Data *struct {
			Value *string `xml:"http://www.w3.org/2001/04/xmlenc# CipherValue"`
		} `xml:"http://www.w3.org/2001/04/xmlenc# CipherData"`
	}
	xKeys struct {
		Keys []struct {
			KID       string `xml:"kid,attr"`
			Scheme    string `xml:"commonEncryptionScheme,attr"`
			DependsOn string `xml:"dependsOnKey,attr"`
			Data      *xData `xml:"urn:dashif:org:cpix Data"`
		} `xml:"urn:dashif:org:cpix ContentKey"`
	}
	xDRMList struct {
		Systems []struct {
			KID      string  `xml:"kid,attr"`
			SystemID string  `xml:"systemId,attr"`
			PSSH     *string `xml:"urn:dashif:org:cpix PSSH"`
			CPD      *string `xml:"urn:dashif:org:cpix ContentProtectionData"`
			HLS      []struct {
				Playlist string `xml:"playlist,attr"`
				Text     string `xml:",chardata"`
			} `xml:"urn:dashif:org:cpix HLSSignalingData"`
			Smooth *string `xml:"urn:dashif:org:cpix SmoothStreamingProtectionHeaderData"`
		} `xml:"urn:dashif:org:cpix DRMSystem"`
	}
	xPeriods struct {
		Periods []struct {
			ID    string `xml:"id,attr"`
			Index string `xml:"index,attr"`
			Start string `xml:"start,attr"`
			End   string `xml:"end,attr"`
		} `xml:"urn:dashif:org:cpix ContentKeyPeriod"`
	}
	xRules struct {
		Rules []struct {
			KID     string `xml:"kid,attr"`
			Type    string `xml:"intendedTrackType,attr"`
			Periods []struct {
				ID string `xml:"periodId,attr"`
			} `xml:"urn:dashif:org:cpix KeyPeriodFilter"`
			Labels []struct{} `xml:"urn:dashif:org:cpix LabelFilter"`
			Video  []struct {
				Min string `xml:"minPixels,attr"`
				Max string `xml:"maxPixels,attr"`
			} `xml:"urn:dashif:org:cpix VideoFilter"`
			Audio []struct {
				Min string `xml:"minChannels,attr"`
				Max string `xml:"maxChannels,attr"`
			} `xml:"urn:dashif:org:cpix AudioFilter"`
			Bitrate []struct{} `xml:"urn:dashif:org:cpix BitrateFilter"`
		} `xml:"urn:dashif:org:cpix ContentKeyUsageRule"`
	}
)

// Read parses, verifies and decrypts a CPIX document: every key must have
// a value that authenticates (ValueMAC) and decrypts for the reader, and
// every DRM system and usage rule must name one of its keys.
func Read(data []byte, o ReadOptions) (*Document, error) {
	if len(data) > MaxDocumentSize {
		return nil, invalidf("larger than %d bytes", MaxDocumentSize)
	}
	var x xDoc
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&x); err != nil {
		return nil, invalidf("malformed XML (want a CPIX element in namespace %s): %v", NS, err)
	}
	d := &Document{ContentID: x.ContentID}
	docKey, macKey, err := openDelivery(x.Delivery, o)
	if err != nil {
		return nil, err
	}
	defer clear(docKey)
	defer clear(macKey)
	if x.Keys == nil || len(x.Keys.Keys) == 0 {
		return nil, invalidf("no ContentKeyList with a ContentKey")
	}
	for i, xk := range x.Keys.Keys {
		at := fmt.Sprintf("ContentKey[%d]", i)
		kid, err := parseUUID(xk.KID)
		if err != nil {
			return nil, invalidf("%s@kid: %v", at, err)
		}
		at = "ContentKey " + guid(kid)
		for _, k := range d.Keys {
			if k.KID == kid {
				return nil, invalidf("%s appears twice", at)
			}
		}
		if xk.DependsOn != "" {
			return nil, invalidf("%s: @dependsOnKey (key hierarchies) is not supported", at)
		}
		v, err := keyValue(xk.Data, docKey, macKey, o.AllowClear)
		if err != nil {
			return nil, invalidf("%s: %v", at, err)
		}
		d.Keys = append(d.Keys, ContentKey{KID: kid, Value: v, Scheme: xk.Scheme})
	}
	if err := readDRM(d, x.DRM); err != nil {
		return nil, err
	}
	if err := readPeriods(d, x.Periods); err != nil {
		return nil, err
	}
	if err := readRules(d, x.Rules); err != nil {
		return nil, err
	}
	return d, nil
}

// openDelivery finds the reader's DeliveryData and unwraps the document
// and MAC keys from it (nil, nil without a DeliveryDataList).
func openDelivery(l *xList, o ReadOptions) (docKey, macKey []byte, err error) {
	if l == nil || len(l.Data) == 0 {
		return nil, nil, nil
	}
	if o.Key == nil || o.Certificate == nil {
		return nil, nil, invalidf("its keys are encrypted, and this reader has no recipient key")
	}
	var names []string
	for i, dd := range l.Data {
		at := fmt.Sprintf("DeliveryData[%d]", i)
		if dd.Key == nil || len(dd.Key.Data) == 0 || len(dd.Key.Data[0].Certs) == 0 {
			return nil, nil, invalidf("%s: no DeliveryKey X509Data/X509Certificate", at)
		}
		der, err := base64.StdEncoding.DecodeString(squash(dd.Key.Data[0].Certs[0]))
		if err != nil {
			return nil, nil, invalidf("%s: DeliveryKey X509Certificate is not base64", at)
		}
		if !bytes.Equal(der, o.Certificate.Raw) {
			if c, err := x509.ParseCertificate(der); err == nil {
				names = append(names, strconv.Quote(c.Subject.String()))
			} else {
				names = append(names, at+" (not a certificate)")
			}
			continue
		}
		if dd.Doc == nil || dd.Doc.Data == nil || dd.Doc.Data.Secret == nil || dd.Doc.Data.Secret.Encrypted == nil {
			return nil, nil, invalidf("%s: no encrypted DocumentKey", at)
		}
		if dd.Doc.Algorithm != "" && dd.Doc.Algorithm != algAES256CBC {
			return nil, nil, invalidf("%s: DocumentKey@Algorithm %q is not %s", at, dd.Doc.Algorithm, algAES256CBC)
		}
		wrapped, err := encryptedValue(dd.Doc.Data.Secret.Encrypted, algRSAOAEP)
		if err != nil {
			return nil, nil, invalidf("%s DocumentKey: %v", at, err)
		}
		docKey, err = unwrapWith(o.Key, wrapped)
		if err != nil || len(docKey) != documentKeySize {
			return nil, nil, invalidf("%s: the DocumentKey does not decrypt with this recipient's private key to a %d-byte key", at, documentKeySize)
		}
		if dd.MAC == nil || dd.MAC.Key == nil {
			return nil, nil, invalidf("%s: no MACMethod with a MACKey: encrypted content keys must be authenticated", at)
		}
		if dd.MAC.Algorithm != algHMACSHA512 {
			return nil, nil, invalidf("%s: MACMethod@Algorithm %q is not %s", at, dd.MAC.Algorithm, algHMACSHA512)
		}
		wrapped, err = encryptedValue(dd.MAC.Key, algRSAOAEP)
		if err != nil {
			return nil, nil, invalidf("%s MACKey: %v", at, err)
		}
		macKey, err = unwrapWith(o.Key, wrapped)
		if err != nil || len(macKey) == 0 {
			return nil, nil, invalidf("%s: the MACKey does not decrypt with this recipient's private key", at)
		}
		return docKey, macKey, nil
	}
	return nil, nil, invalidf("wrong recipient: its keys are encrypted for %s, not for this recipient's certificate %q",
		strings.Join(names, ", "), o.Certificate.Subject.String())
}

// encryptedValue checks an xenc EncryptedDataType's algorithm and returns
// its CipherValue bytes.
func encryptedValue(e *xEncrypted, alg string) ([]byte, error) {
	if e.Method == nil || e.Method.Algorithm != alg {
		got := ""
		if e.Method != nil {
			got = e.Method.Algorithm
		}
		return nil, fmt.Errorf("EncryptionMethod@Algorithm is %q, want %s", got, alg)
	}
	if e.Data == nil || e.Data.Value == nil {
		return nil, errors.New("no CipherData/CipherValue")
	}
	b, err := base64.StdEncoding.DecodeString(squash(*e.Data.Value))
	if err != nil {
		return nil, errors.New("CipherValue is not base64")
	}
	return b, nil
}

// keyValue returns a ContentKey's value.
func keyValue(d *xData, docKey, macKey []byte, allowClear bool) ([16]byte, error) {
	var v [16]byte
	if d == nil || d.Secret == nil || (d.Secret.Encrypted == nil && d.Secret.Plain == nil) {
		return v, errors.New("no value (Data/Secret with an EncryptedValue)")
	}
	s := d.Secret
	if s.Plain != nil {
		if docKey != nil || !allowClear {
			return v, errors.New("its value is in clear (PlainValue); keys must be encrypted for the recipient")
		}
		b, err := base64.StdEncoding.DecodeString(squash(*s.Plain))
		if err != nil || len(b) != 16 {
			return v, errors.New("PlainValue is not base64 of 16 bytes")
		}
		return [16]byte(b), nil
	}
	if docKey == nil {
		return v, errors.New("its value is encrypted, but the document has no DeliveryDataList")
	}
	cv, err := encryptedValue(s.Encrypted, algAES256CBC)
	if err != nil {
		return v, err
	}
	if s.MAC == nil {
		return v, errors.New("no ValueMAC")
	}
	mac, err := base64.StdEncoding.DecodeString(squash(*s.MAC))
	if err != nil {
		return v, errors.New("ValueMAC is not base64")
	}
	return openValue(docKey, macKey, cv, mac)
}

func (d *Document) hasKey(kid [16]byte) bool {
	for _, k := range d.Keys {
		if k.KID == kid {
			return true
		}
	}
	return false
}

func readDRM(d *Document, l *xDRMList) error {
	if l == nil {
		return nil
	}
	for i, xs := range l.Systems {
		at := fmt.Sprintf("DRMSystem[%d]", i)
		kid, err := parseUUID(xs.KID)
		if err != nil {
			return invalidf("%s@kid: %v", at, err)
		}
		sys, err := parseUUID(xs.SystemID)
		if err != nil {
			return invalidf("%s@systemId: %v", at, err)
		}
		at = fmt.Sprintf("DRMSystem systemId %s kid %s", guid(sys), guid(kid))
		if !d.hasKey(kid) {
			return invalidf("%s: no ContentKey has that kid", at)
		}
		for _, o := range d.DRMSystems {
			if o.KID == kid && o.SystemID == sys {
				return invalidf("%s appears twice", at)
			}
		}
		s := DRMSystem{SystemID: sys, KID: kid}
		if xs.PSSH != nil {
			if s.PSSH, err = base64.StdEncoding.DecodeString(squash(*xs.PSSH)); err != nil {
				return invalidf("%s: PSSH is not base64", at)
			}
			if err := checkPSSH(s.PSSH, sys); err != nil {
				return invalidf("%s: PSSH: %v", at, err)
			}
		}
		if xs.CPD != nil {
			if s.ContentProtectionData, err = base64.StdEncoding.DecodeString(squash(*xs.CPD)); err != nil {
				return invalidf("%s: ContentProtectionData is not base64", at)
			}
		}
		for _, h := range xs.HLS {
			b, err := base64.StdEncoding.DecodeString(squash(h.Text))
			if err != nil {
				return invalidf("%s: HLSSignalingData is not base64", at)
			}
			switch h.Playlist {
			case "", playlistMedia:
				if s.HLSMedia != nil {
					return invalidf("%s: two HLSSignalingData for the media playlist", at)
				}
				s.HLSMedia = b
			case playlistMaster, "multiVariant":
				if s.HLSMaster != nil {
					return invalidf("%s: two HLSSignalingData for the multivariant playlist", at)
				}
				s.HLSMaster = b
			default:
				return invalidf("%s: HLSSignalingData@playlist %q is neither media nor master", at, h.Playlist)
			}
		}
		if xs.Smooth != nil {
			s.SmoothHeader = strings.TrimSpace(*xs.Smooth)
		}
		d.DRMSystems = append(d.DRMSystems, s)
	}
	return nil
}

// checkPSSH checks that b is one whole 'pssh' box of system sys.
func checkPSSH(b []byte, sys [16]byte) error {
	if len(b) < 32 || int(binary.BigEndian.Uint32(b)) != len(b) || string(b[4:8]) != "pssh" {
		return errors.New("not one whole pssh box")
	}
	if [16]byte(b[12:28]) != sys {
		return fmt.Errorf("its SystemID is %s, not the DRMSystem's", guid([16]byte(b[12:28])))
	}
	return nil
}

func readPeriods(d *Document, l *xPeriods) error {
	if l == nil {
		return nil
	}
	for i, xp := range l.Periods {
		at := fmt.Sprintf("ContentKeyPeriod[%d]", i)
		p := Period{ID: xp.ID}
		var err error
		if xp.Index != "" {
			if p.Index, err = strconv.ParseInt(xp.Index, 10, 64); err != nil {
				return invalidf("%s@index is not an integer", at)
			}
		}
		if xp.Start != "" {
			if p.Start, err = time.Parse(time.RFC3339Nano, xp.Start); err != nil {
				return invalidf("%s@start is not a dateTime", at)
			}
		}
		if xp.End != "" {
			if p.End, err = time.Parse(time.RFC3339Nano, xp.End); err != nil {
				return invalidf("%s@end is not a dateTime", at)
			}
		}
		d.Periods = append(d.Periods, p)
	}
	return nil
}

func readRules(d *Document, l *xRules) error {
	if l == nil {
		return nil
	}
	for i, xr := range l.Rules {
		at := fmt.Sprintf("ContentKeyUsageRule[%d]", i)
		kid, err := parseUUID(xr.KID)
		if err != nil {
			return invalidf("%s@kid: %v", at, err)
		}
		if !d.hasKey(kid) {
			return invalidf("%s: no ContentKey has kid %s", at, guid(kid))
		}
		u := UsageRule{KID: kid, IntendedTrackType: xr.Type}
		if len(xr.Labels) > 0 || len(xr.Bitrate) > 0 {
			return invalidf("%s (kid %s): LabelFilter and BitrateFilter are not supported", at, guid(kid))
		}
		for _, p := range xr.Periods {
			found := false
			for _, dp := range d.Periods {
				found = found || dp.ID == p.ID
			}
			if !found {
				return invalidf("%s: KeyPeriodFilter@periodId %q names no ContentKeyPeriod", at, p.ID)
			}
			u.PeriodIDs = append(u.PeriodIDs, p.ID)
		}
		for _, v := range xr.Video {
			f := VideoFilter{}
			if f.MinPixels, err = optInt(v.Min); err != nil {
				return invalidf("%s: VideoFilter@minPixels: %v", at, err)
			}
			if f.MaxPixels, err = optInt(v.Max); err != nil {
				return invalidf("%s: VideoFilter@maxPixels: %v", at, err)
			}
			u.Video = append(u.Video, f)
		}
		for _, a := range xr.Audio {
			f := AudioFilter{}
			if f.MinChannels, err = optInt(a.Min); err != nil {
				return invalidf("%s: AudioFilter@minChannels: %v", at, err)
			}
			if f.MaxChannels, err = optInt(a.Max); err != nil {
				return invalidf("%s: AudioFilter@maxChannels: %v", at, err)
			}
			u.Audio = append(u.Audio, f)
		}
		d.UsageRules = append(d.UsageRules, u)
	}
	return nil
}

func optInt(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a non-negative integer", s)
	}
	return n, nil
}

// squash removes the white space that base64 text in XML may carry.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
}

// parseUUID parses a GUID, 8-4-4-4-12 hex digits, either case.
func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("%q is not a GUID", truncate(s, 40))
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, fmt.Errorf("%q is not a GUID", s)
	}
	return u, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// guid formats a GUID in lowercase.
func guid(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
