package keyclient

import (
	"encoding/hex"
	"fmt"
)

// KID is a 16-byte content key identifier. Its text form is a lowercase GUID
// (8-4-4-4-12) with the bytes in order, as in cenc:default_KID.
type KID [16]byte

// String returns the KID as a lowercase GUID, bytes in order.
func (k KID) String() string {
	var b [36]byte
	k.appendGUID(b[:0])
	return string(b[:])
}

// AppendText appends the GUID form of k to b.
func (k KID) AppendText(b []byte) ([]byte, error) { return k.appendGUID(b), nil }

func (k KID) appendGUID(b []byte) []byte {
	const digits = "0123456789abcdef"
	for i, c := range k {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return b
}

// IsZero reports whether k is all zero bytes.
func (k KID) IsZero() bool { return k == KID{} }

// MarshalText implements encoding.TextMarshaler (GUID form).
func (k KID) MarshalText() ([]byte, error) { return k.appendGUID(make([]byte, 0, 36)), nil }

// UnmarshalText implements encoding.TextUnmarshaler (see ParseKID).
func (k *KID) UnmarshalText(b []byte) error {
	v, err := ParseKID(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// ParseKID parses a KID written as a GUID (8-4-4-4-12, optionally in braces)
// or as 32 hex digits, case-insensitively.
func ParseKID(s string) (KID, error) {
	var k KID
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	var h [32]byte
	switch len(s) {
	case 32:
		copy(h[:], s)
	case 36:
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return k, fmt.Errorf("kid %q: not a GUID", s)
		}
		n := copy(h[:], s[:8])
		n += copy(h[n:], s[9:13])
		n += copy(h[n:], s[14:18])
		n += copy(h[n:], s[19:23])
		copy(h[n:], s[24:])
	default:
		return k, fmt.Errorf("kid %q: want a GUID or 32 hex digits", s)
	}
	if _, err := hex.Decode(k[:], h[:]); err != nil {
		return KID{}, fmt.Errorf("kid %q: not hexadecimal", s)
	}
	return k, nil
}
