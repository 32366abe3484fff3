package keyclient

import (
	"crypto/cipher"
	"crypto/rand"
	"fmt"
)

// WrapBlob encrypts a secret that is not a content key (the origin's CPIX
// private key) under the current KEK, like Wrap: AES-256-GCM, random
// nonce first, ad as associated data so that a blob cannot stand in for
// another kind of secret.
func (k *KEK) WrapBlob(ad string, plain []byte) (wrapped []byte, kekID string, err error) {
	out := make([]byte, 12, 12+len(plain)+16)
	if _, err := rand.Read(out); err != nil {
		return nil, "", fmt.Errorf("kek wrap: %w", err)
	}
	return k.aead.Seal(out, out[:12], plain, []byte(ad)), k.id, nil
}

// UnwrapBlob reverses WrapBlob under the KEK named kekID.
func (k *KEK) UnwrapBlob(ad string, wrapped []byte, kekID string) ([]byte, error) {
	var aead cipher.AEAD = k.aead
	if kekID != k.id {
		var ok bool
		if aead, ok = k.old[kekID]; !ok {
			return nil, fmt.Errorf("kek unwrap: wrapped under kek id %s, which this process does not hold: %w", kekID, ErrKEK)
		}
	}
	if len(wrapped) < 12+16 {
		return nil, errUnwrap
	}
	out, err := aead.Open(nil, wrapped[:12], wrapped[12:], []byte(ad))
	if err != nil {
		return nil, errUnwrap
	}
	return out, nil
}
