package cpix

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Recipient is who a document's keys are encrypted for: a name (written as
// DeliveryData@name) and an RSA certificate.
type Recipient struct {
	Name        string
	Certificate *x509.Certificate
}

// ErrNoRecipient: Write never writes keys in clear.
var ErrNoRecipient = errors.New("cpix: no recipient: content keys are only written encrypted for at least one recipient")

// Write returns d as a CPIX 2.3 document whose key values are encrypted
// for every recipient (see the package comment). Elements come in the
// schema's order; DRM systems, usage rules and periods in d's order.
func Write(d *Document, recipients []Recipient) ([]byte, error) {
	if len(recipients) == 0 {
		return nil, ErrNoRecipient
	}
	return write(d, recipients, true)
}

// WriteRequest returns d as a CPIX request, as a key server API (SPEKE
// v2.0) takes it: ContentKeys with @kid and @commonEncryptionScheme and no
// values, DRMSystems without signalling (the server fills both in), usage
// rules and periods as in Write. d's key values are ignored.
func WriteRequest(d *Document) ([]byte, error) {
	return write(d, nil, false)
}

func write(d *Document, recipients []Recipient, values bool) ([]byte, error) {
	docKey := make([]byte, documentKeySize)
	macKey := make([]byte, macKeySize)
	if _, err := rand.Read(docKey); err != nil {
		return nil, err
	}
	if _, err := rand.Read(macKey); err != nil {
		return nil, err
	}
	defer clear(docKey)
	defer clear(macKey)

	w := &writer{}
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	root := []string{"xmlns:cpix", NS, "xmlns:ds", nsDSig, "xmlns:xenc", nsXEnc, "xmlns:pskc", nsPSKC}
	if d.ContentID != "" {
		root = append(root, "contentId", d.ContentID)
	}
	w.open("cpix:CPIX", append(root, "version", version)...)

	if len(recipients) > 0 {
		w.open("cpix:DeliveryDataList")
	}
	for _, r := range recipients {
		pub, ok := r.Certificate.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("cpix: recipient %s: the certificate's key is not RSA", r.Name)
		}
		wrappedDoc, err := wrapFor(pub, docKey)
		if err != nil {
			return nil, fmt.Errorf("cpix: recipient %s: wrapping the document key: %w", r.Name, err)
		}
		wrappedMAC, err := wrapFor(pub, macKey)
		if err != nil {
			return nil, fmt.Errorf("cpix: recipient %s: wrapping the MAC key: %w", r.Name, err)
		}
		var attrs []string
		if r.Name != "" {
			attrs = []string{"name", r.Name}
		}
		w.open("cpix:DeliveryData", attrs...)
		w.open("cpix:DeliveryKey")
		w.open("ds:X509Data")
		w.text("ds:X509Certificate", b64(r.Certificate.Raw))
		w.close("ds:X509Data")
		w.close("cpix:DeliveryKey")
		w.open("cpix:DocumentKey", "Algorithm", algAES256CBC)
		w.open("cpix:Data")
		w.open("pskc:Secret")
		w.encrypted("pskc:EncryptedValue", algRSAOAEP, wrappedDoc)
		w.close("pskc:Secret")
		w.close("cpix:Data")
		w.close("cpix:DocumentKey")
		w.open("cpix:MACMethod", "Algorithm", algHMACSHA512)
		w.encrypted("pskc:MACKey", algRSAOAEP, wrappedMAC)
		w.close("cpix:MACMethod")
		if r.Name != "" {
			w.text("cpix:ReceivingEntity", r.Name)
		}
		w.close("cpix:DeliveryData")
	}
	if len(recipients) > 0 {
		w.close("cpix:DeliveryDataList")
	}

	if len(d.Keys) > 0 {
		w.open("cpix:ContentKeyList")
		for _, k := range d.Keys {
			attrs := []string{"kid", guid(k.KID)}
			if k.Scheme != "" {
				attrs = append(attrs, "commonEncryptionScheme", k.Scheme)
			}
			if !values {
				w.empty("cpix:ContentKey", attrs...)
				continue
			}
			cv, mac, err := sealValue(docKey, macKey, k.Value)
			if err != nil {
				return nil, fmt.Errorf("cpix: key %s: %w", guid(k.KID), err)
			}
			w.open("cpix:ContentKey", attrs...)
			w.open("cpix:Data")
			w.open("pskc:Secret")
			w.encrypted("pskc:EncryptedValue", algAES256CBC, cv)
			w.text("pskc:ValueMAC", b64(mac))
			w.close("pskc:Secret")
			w.close("cpix:Data")
			w.close("cpix:ContentKey")
		}
		w.close("cpix:ContentKeyList")
	}

	if len(d.DRMSystems) > 0 {
		w.open("cpix:DRMSystemList")
		for _, s := range d.DRMSystems {
			if len(s.PSSH)+len(s.ContentProtectionData)+len(s.HLSMedia)+len(s.HLSMaster)+len(s.SmoothHeader) == 0 {
				w.empty("cpix:DRMSystem", "kid", guid(s.KID), "systemId", guid(s.SystemID))
				continue
			}
			w.open("cpix:DRMSystem", "kid", guid(s.KID), "systemId", guid(s.SystemID))
			if len(s.PSSH) > 0 {
				w.text("cpix:PSSH", b64(s.PSSH))
			}
			if len(s.ContentProtectionData) > 0 {
				w.text("cpix:ContentProtectionData", b64(s.ContentProtectionData))
			}
			if len(s.HLSMedia) > 0 {
				w.text("cpix:HLSSignalingData", b64(s.HLSMedia), "playlist", playlistMedia)
			}
			if len(s.HLSMaster) > 0 {
				w.text("cpix:HLSSignalingData", b64(s.HLSMaster), "playlist", playlistMaster)
			}
			if s.SmoothHeader != "" {
				w.text("cpix:SmoothStreamingProtectionHeaderData", s.SmoothHeader)
			}
			w.close("cpix:DRMSystem")
		}
		w.close("cpix:DRMSystemList")
	}

	if len(d.Periods) > 0 {
		w.open("cpix:ContentKeyPeriodList")
		for _, p := range d.Periods {
			attrs := []string{"id", p.ID, "index", strconv.FormatInt(p.Index, 10)}
			if !p.Start.IsZero() {
				attrs = append(attrs, "start", p.Start.UTC().Format(time.RFC3339Nano))
			}
			if !p.End.IsZero() {
				attrs = append(attrs, "end", p.End.UTC().Format(time.RFC3339Nano))
			}
			w.empty("cpix:ContentKeyPeriod", attrs...)
		}
		w.close("cpix:ContentKeyPeriodList")
	}

	if len(d.UsageRules) > 0 {
		w.open("cpix:ContentKeyUsageRuleList")
		for _, u := range d.UsageRules {
			attrs := []string{"kid", guid(u.KID)}
			if u.IntendedTrackType != "" {
				attrs = append(attrs, "intendedTrackType", u.IntendedTrackType)
			}
			if len(u.PeriodIDs)+len(u.Video)+len(u.Audio) == 0 {
				w.empty("cpix:ContentKeyUsageRule", attrs...)
				continue
			}
			w.open("cpix:ContentKeyUsageRule", attrs...)
			for _, id := range u.PeriodIDs {
				w.empty("cpix:KeyPeriodFilter", "periodId", id)
			}
			for _, v := range u.Video {
				w.empty("cpix:VideoFilter", bounds("minPixels", v.MinPixels, "maxPixels", v.MaxPixels)...)
			}
			for _, a := range u.Audio {
				w.empty("cpix:AudioFilter", bounds("minChannels", a.MinChannels, "maxChannels", a.MaxChannels)...)
			}
			w.close("cpix:ContentKeyUsageRule")
		}
		w.close("cpix:ContentKeyUsageRuleList")
	}
	w.close("cpix:CPIX")
	return w.b.Bytes(), nil
}

// bounds returns the attributes of the non-zero bounds.
func bounds(minName string, min int64, maxName string, max int64) []string {
	var a []string
	if min != 0 {
		a = append(a, minName, strconv.FormatInt(min, 10))
	}
	if max != 0 {
		a = append(a, maxName, strconv.FormatInt(max, 10))
	}
	return a
}

// writer writes indented XML with prefixed names; attribute values and
// text are escaped.
type writer struct {
	b     bytes.Buffer
	depth int
}

func (w *writer) raw(s string) { w.b.WriteString(s) }

func (w *writer) indent() {
	for range w.depth {
		w.b.WriteString("  ")
	}
}

func (w *writer) start(name string, attrs []string) {
	w.indent()
	w.b.WriteString("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteString(" " + attrs[i] + `="`)
		xml.EscapeText(&w.b, []byte(attrs[i+1]))
		w.b.WriteString(`"`)
	}
}

func (w *writer) open(name string, attrs ...string) {
	w.start(name, attrs)
	w.b.WriteString(">\n")
	w.depth++
}

func (w *writer) close(name string) {
	w.depth--
	w.indent()
	w.b.WriteString("</" + name + ">\n")
}

func (w *writer) empty(name string, attrs ...string) {
	w.start(name, attrs)
	w.b.WriteString("/>\n")
}

func (w *writer) text(name, text string, attrs ...string) {
	w.start(name, attrs)
	w.b.WriteString(">")
	xml.EscapeText(&w.b, []byte(text))
	w.b.WriteString("</" + name + ">\n")
}

// encrypted writes an xenc:EncryptedDataType element.
func (w *writer) encrypted(name, alg string, cipherValue []byte) {
	w.open(name)
	w.empty("xenc:EncryptionMethod", "Algorithm", alg)
	w.open("xenc:CipherData")
	w.text("xenc:CipherValue", b64(cipherValue))
	w.close("xenc:CipherData")
	w.close(name)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
