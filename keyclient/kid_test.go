package keyclient_test

import (
	"bytes"
	"testing"

	"github.com/drmorigin/drmorigin/keyclient"
)

var kidCases = []struct {
	in   string
	want string // "" = error
}{
	{"0b7e1c58-2f3a-4d5e-8a9b-0c1d2e3f4a5b", "0b7e1c58-2f3a-4d5e-8a9b-0c1d2e3f4a5b"},
	{"0B7E1C58-2F3A-4D5E-8A9B-0C1D2E3F4A5B", "0b7e1c58-2f3a-4d5e-8a9b-0c1d2e3f4a5b"},
	{"0b7e1c582f3a4d5e8a9b0c1d2e3f4a5b", "0b7e1c58-2f3a-4d5e-8a9b-0c1d2e3f4a5b"},
	{"{0b7e1c58-2f3a-4d5e-8a9b-0c1d2e3f4a5b}", "0b7e1c58-2f3a-4d5e-8a9b-0c1d2e3f4a5b"},
	{"0b7e1c58-2f3a-4d5e-8a9b-0c1d2e3f4a5", ""},
	{"0b7e1c582-f3a-4d5e-8a9b-0c1d2e3f4a5b", ""},
	{"zb7e1c58-2f3a-4d5e-8a9b-0c1d2e3f4a5b", ""},
	{"", ""},
}

func TestParseKID(t *testing.T) {
	for _, c := range kidCases {
		k, err := keyclient.ParseKID(c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("ParseKID(%q) accepted", c.in)
			}
			continue
		}
		if err != nil || k.String() != c.want {
			t.Errorf("ParseKID(%q) = %s, %v; want %s", c.in, k, err, c.want)
		}
	}
	k, _ := keyclient.ParseKID("00112233-4455-6677-8899-aabbccddeeff")
	if !bytes.Equal(k[:], []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}) {
		t.Fatalf("bytes not in order: %x", k)
	}
}

func TestKEK(t *testing.T) {
	raw := bytes.Repeat([]byte{1}, 32)
	kek, err := keyclient.NewKEK(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyclient.NewKEK(raw[:31]); err == nil {
		t.Fatal("31-byte KEK accepted")
	}
	kid, _ := keyclient.ParseKID("0b7e1c58-2f3a-4d5e-8a9b-0c1d2e3f4a5b")
	val := [16]byte{1, 2, 3}
	w, id, err := kek.Wrap(kid, val)
	if err != nil || id != kek.ID() || len(id) != 16 {
		t.Fatal(w, id, err)
	}
	w2, _, _ := kek.Wrap(kid, val)
	if bytes.Equal(w, w2) {
		t.Fatal("nonce reused")
	}
	if got, err := kek.Unwrap(kid, w, id); err != nil || got != val {
		t.Fatal(got, err)
	}
	other := kid
	other[0] ^= 1
	if _, err := kek.Unwrap(other, w, id); err == nil {
		t.Fatal("unwrapped under another KID (associated data ignored)")
	}
	// Rotation: a new KEK with the old one retired still unwraps.
	raw2 := bytes.Repeat([]byte{2}, 32)
	kek2, err := keyclient.NewKEK(raw2, raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kek2.Unwrap(kid, w, id); err != nil || got != val {
		t.Fatal("rotated KEK cannot unwrap old value", err)
	}
	kek3, _ := keyclient.NewKEK(raw2)
	if _, err := kek3.Unwrap(kid, w, id); err == nil {
		t.Fatal("unknown KEK id unwrapped")
	}
	w[20] ^= 1
	if _, err := kek.Unwrap(kid, w, id); err == nil {
		t.Fatal("tampered blob unwrapped")
	}
}
