// Package cpix writes and reads DASH-IF CPIX 2.3 documents (Content
// Protection Information Exchange, https://dashif.org/guidelines/): the
// content keys of a presentation, encrypted for the recipients named by
// their X.509 certificates, with the DRM signalling that goes with them and
// the usage rules that say which key protects which tracks.
//
// Key values are never written in clear. As CPIX 2.3 clause 7 mandates,
// Write makes a random 256-bit document key and a random MAC key, wraps
// both for every recipient with RSA-OAEP-MGF1-SHA1 (xmlenc#rsa-oaep-mgf1p),
// encrypts each content key with AES-256-CBC (PKCS #7 padding, the IV
// prepended to the ciphertext in CipherValue) and authenticates each
// CipherValue with HMAC-SHA512 (pskc:ValueMAC). Read verifies every MAC
// before it decrypts anything.
//
// The package knows nothing of locators, manifests or HTTP: callers hand
// it the signalling bytes they already write into manifests and init
// segments (Document), and get the same back from a document they read.
// It imports only the standard library. No error it returns carries a key
// value.
package cpix
