package cpix

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// FuzzRead feeds the reader arbitrary documents, seeded with a real one
// (for the fuzzer's recipient) and its pieces: it must never panic, every
// error must be ErrInvalid, and no error may carry a key value.
func FuzzRead(f *testing.F) {
	identities(f)
	d := sampleDoc(f)
	b, err := Write(d, []Recipient{{Name: "me", Certificate: idCert}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc"><cpix:ContentKeyList><cpix:ContentKey kid="10203040-0102-0304-0506-0708090a0b0c"><cpix:Data><pskc:Secret><pskc:PlainValue>ESIzRFVmd4iZAAECAwQFBg==</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey></cpix:ContentKeyList></cpix:CPIX>`))
	f.Add([]byte(`<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"/>`))
	f.Add(b[:len(b)/3])
	opt := ReadOptions{Key: idKey, Certificate: idCert, AllowClear: true}
	values := []string{}
	for _, k := range d.Keys {
		values = append(values, base64.StdEncoding.EncodeToString(k.Value[:]), string(k.Value[:]))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := Read(doc, opt)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("not ErrInvalid: %v", err)
			}
			for _, v := range values {
				if strings.Contains(err.Error(), v) {
					t.Fatalf("error carries a key value: %v", err)
				}
			}
			return
		}
		if len(got.Keys) == 0 {
			t.Fatal("a document without keys was accepted")
		}
		// What was read writes again and reads back the same keys.
		again, err := Write(got, []Recipient{{Certificate: idCert}})
		if err != nil {
			if bytes.ContainsAny(doc, "\x00") {
				return
			}
			t.Fatalf("rewrite: %v", err)
		}
		back, err := Read(again, opt)
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		for i := range got.Keys {
			if back.Keys[i] != got.Keys[i] {
				t.Fatalf("key %d changed on rewrite", i)
			}
		}
	})
}
