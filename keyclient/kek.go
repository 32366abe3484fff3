package keyclient

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// KEKSize is the size of a key-encryption key: AES-256.
const KEKSize = 32

// wrappedSize is nonce (12) + ciphertext (16) + GCM tag (16).
const wrappedSize = 12 + 16 + 16

// KEK is the key-encryption key that wraps content key values at rest with
// AES-256-GCM, the KID as associated data. It carries an id (the first 8
// bytes, hex, of SHA-256("drmorigin-kek-id" || kek)) stored next to each
// wrapped value, and optionally older KEKs that can still unwrap values
// wrapped before a rotation. New values are always wrapped with the current
// KEK.
type KEK struct {
	id   string
	aead cipher.AEAD
	old  map[string]cipher.AEAD
}

// NewKEK returns a KEK for the 32-byte raw key; old lists retired KEKs that
// are still accepted for unwrapping.
func NewKEK(raw []byte, old ...[]byte) (*KEK, error) {
	id, aead, err := newAEAD(raw)
	if err != nil {
		return nil, err
	}
	k := &KEK{id: id, aead: aead, old: map[string]cipher.AEAD{}}
	for i, o := range old {
		oid, oaead, err := newAEAD(o)
		if err != nil {
			return nil, fmt.Errorf("old kek %d: %w", i, err)
		}
		k.old[oid] = oaead
	}
	return k, nil
}

func newAEAD(raw []byte) (string, cipher.AEAD, error) {
	if len(raw) != KEKSize {
		return "", nil, fmt.Errorf("kek: want %d bytes, got %d", KEKSize, len(raw))
	}
	b, err := aes.NewCipher(raw)
	if err != nil {
		return "", nil, fmt.Errorf("kek: %w", err)
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return "", nil, fmt.Errorf("kek: %w", err)
	}
	return KEKID(raw), aead, nil
}

// KEKID returns the id of a raw KEK: hex of the first 8 bytes of
// SHA-256("drmorigin-kek-id" || raw).
func KEKID(raw []byte) string {
	h := sha256.New()
	h.Write([]byte("drmorigin-kek-id"))
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// ID returns the id of the current KEK.
func (k *KEK) ID() string { return k.id }

// IDs returns the id of the current KEK, then those of the retired ones,
// sorted.
func (k *KEK) IDs() []string {
	old := make([]string, 0, len(k.old))
	for id := range k.old {
		if id != k.id {
			old = append(old, id)
		}
	}
	slices.Sort(old)
	return append([]string{k.id}, old...)
}

// Wrap encrypts a content key value under the current KEK with the KID as
// associated data: random nonce || ciphertext || tag.
func (k *KEK) Wrap(kid KID, value [16]byte) (wrapped []byte, kekID string, err error) {
	wrapped, err = k.wrapUnder(k.id, kid, value)
	return wrapped, k.id, err
}

// wrapUnder is Wrap under the KEK named kekID, the current one or a
// retired one (for the canaries of the KEK registry).
func (k *KEK) wrapUnder(kekID string, kid KID, value [16]byte) ([]byte, error) {
	aead := k.aead
	if kekID != k.id {
		var ok bool
		if aead, ok = k.old[kekID]; !ok {
			return nil, fmt.Errorf("kek wrap: no kek id %s: %w", kekID, ErrKEK)
		}
	}
	out := make([]byte, 12, wrappedSize)
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("kek wrap: %w", err)
	}
	return aead.Seal(out, out[:12], value[:], kid[:]), nil
}

// errUnwrap is deliberately vague: it must help no one guess a key.
var errUnwrap = fmt.Errorf("kek unwrap: authentication failed: %w", ErrKEK)

// Unwrap decrypts a value wrapped by Wrap under the KEK named kekID (the
// current one or a retired one).
func (k *KEK) Unwrap(kid KID, wrapped []byte, kekID string) ([16]byte, error) {
	var v [16]byte
	aead := k.aead
	if kekID != k.id {
		var ok bool
		if aead, ok = k.old[kekID]; !ok {
			return v, fmt.Errorf("kek unwrap: wrapped under kek id %s, which this process does not hold (it has %s): %w",
				kekID, strings.Join(k.IDs(), ", "), ErrKEK)
		}
	}
	if len(wrapped) != wrappedSize {
		return v, errUnwrap
	}
	var buf [16 + 16]byte
	out, err := aead.Open(buf[:0], wrapped[:12], wrapped[12:], kid[:])
	if err != nil || len(out) != 16 {
		return v, errUnwrap
	}
	copy(v[:], out)
	return v, nil
}
