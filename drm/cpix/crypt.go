package cpix

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha512"
	"errors"
)

// Sizes of the document's own keys.
const (
	documentKeySize = 32 // AES-256
	macKeySize      = 64 // HMAC-SHA512: a key as long as its block is no weaker than a longer one
)

// wrapFor encrypts a document or MAC key for a recipient: RSA-OAEP with
// SHA-1 and MGF1-SHA1 (xmlenc#rsa-oaep-mgf1p, no label), as CPIX 2.3
// mandates.
func wrapFor(pub *rsa.PublicKey, key []byte) ([]byte, error) {
	return rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, key, nil)
}

// unwrapWith reverses wrapFor.
func unwrapWith(priv *rsa.PrivateKey, wrapped []byte) ([]byte, error) {
	return rsa.DecryptOAEP(sha1.New(), nil, priv, wrapped, nil)
}

// sealValue encrypts a content key value with the document key:
// AES-256-CBC, PKCS #7 padding, a random IV prepended (the CipherValue),
// and its HMAC-SHA512 under the MAC key (the ValueMAC).
func sealValue(docKey, macKey []byte, value [16]byte) (cipherValue, mac []byte, err error) {
	b, err := aes.NewCipher(docKey)
	if err != nil {
		return nil, nil, err
	}
	out := make([]byte, aes.BlockSize, aes.BlockSize+32)
	if _, err := rand.Read(out); err != nil {
		return nil, nil, err
	}
	plain := append(value[:], bytes.Repeat([]byte{aes.BlockSize}, aes.BlockSize)...)
	out = out[:aes.BlockSize+len(plain)]
	cipher.NewCBCEncrypter(b, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], plain)
	return out, macOf(macKey, out), nil
}

func macOf(macKey, cipherValue []byte) []byte {
	h := hmac.New(sha512.New, macKey)
	h.Write(cipherValue)
	return h.Sum(nil)
}

// Errors of openValue; deliberately without detail that could help an
// attacker probe padding.
var (
	errBadMAC   = errors.New("its ValueMAC does not verify (the document was altered, or the MAC key is not the one it was made with)")
	errBadValue = errors.New("its encrypted value does not decrypt to a 16-byte key")
)

// openValue verifies mac over cipherValue and then decrypts it.
func openValue(docKey, macKey []byte, cipherValue, mac []byte) ([16]byte, error) {
	var v [16]byte
	if !hmac.Equal(mac, macOf(macKey, cipherValue)) {
		return v, errBadMAC
	}
	if len(cipherValue) < 2*aes.BlockSize || len(cipherValue)%aes.BlockSize != 0 {
		return v, errBadValue
	}
	b, err := aes.NewCipher(docKey)
	if err != nil {
		return v, errBadValue
	}
	plain := make([]byte, len(cipherValue)-aes.BlockSize)
	cipher.NewCBCDecrypter(b, cipherValue[:aes.BlockSize]).CryptBlocks(plain, cipherValue[aes.BlockSize:])
	n := int(plain[len(plain)-1])
	if n == 0 || n > aes.BlockSize || len(plain)-n != 16 {
		return v, errBadValue
	}
	for _, c := range plain[16:] {
		if int(c) != n {
			return v, errBadValue
		}
	}
	copy(v[:], plain)
	clear(plain)
	return v, nil
}
