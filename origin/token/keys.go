package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"math/big"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/drmorigin/drmorigin/keyclient"
)

// keyFamily is the kind of key a JWS algorithm needs.
type keyFamily int

const (
	familyHMAC keyFamily = iota + 1
	familyRSA
	familyEC
)

// algorithm is one accepted JWS alg and the key it needs.
type algorithm struct {
	family keyFamily
	curve  elliptic.Curve // familyEC only
	jwa    jwa.SignatureAlgorithm
}

// algorithms is the allow-list: HS for symmetric keys, RS and PS for RSA,
// ES for EC keys on the matching curve. Anything else (none, EdDSA, ES256K,
// a lower-case spelling) is refused.
var algorithms = map[string]algorithm{
	"HS256": {family: familyHMAC, jwa: jwa.HS256()},
	"HS384": {family: familyHMAC, jwa: jwa.HS384()},
	"HS512": {family: familyHMAC, jwa: jwa.HS512()},
	"RS256": {family: familyRSA, jwa: jwa.RS256()},
	"RS384": {family: familyRSA, jwa: jwa.RS384()},
	"RS512": {family: familyRSA, jwa: jwa.RS512()},
	"PS256": {family: familyRSA, jwa: jwa.PS256()},
	"PS384": {family: familyRSA, jwa: jwa.PS384()},
	"PS512": {family: familyRSA, jwa: jwa.PS512()},
	"ES256": {family: familyEC, curve: elliptic.P256(), jwa: jwa.ES256()},
	"ES384": {family: familyEC, curve: elliptic.P384(), jwa: jwa.ES384()},
	"ES512": {family: familyEC, curve: elliptic.P521(), jwa: jwa.ES512()},
}

// fits reports whether key may verify a signature of a. This is where the
// alg confusion attack stops: an RSA or EC key is never offered as an HMAC
// secret, and a symmetric key never verifies RS, PS or ES.
func (a algorithm) fits(key any) bool {
	switch k := key.(type) {
	case []byte:
		return a.family == familyHMAC && len(k) > 0
	case *rsa.PublicKey:
		return a.family == familyRSA
	case *ecdsa.PublicKey:
		return a.family == familyEC && k.Curve == a.curve
	}
	return false
}

// staticKeys returns the restriction's primary and alternate keys that fit
// a, in that order. A key that does not parse is skipped: the policy decoder
// refuses such keys when the policy is written.
func staticKeys(r *keyclient.Restriction, a algorithm) []any {
	var keys []any
	add := func(k *keyclient.VerificationKey) {
		var key any
		switch k.Type {
		case keyclient.VerificationSymmetric:
			key = k.Value
		case keyclient.VerificationRSA, keyclient.VerificationX509, keyclient.VerificationECDSA:
			pub, err := k.PublicKey()
			if err != nil {
				return
			}
			key = pub
		default:
			return
		}
		if a.fits(key) {
			keys = append(keys, key)
		}
	}
	if r.PrimaryVerificationKey != nil {
		add(r.PrimaryVerificationKey)
	}
	for i := range r.AlternateVerificationKeys {
		add(&r.AlternateVerificationKeys[i])
	}
	return keys
}

// signatureID is the replay identity of a verified signature: unpadded
// base64url of its bytes, with an ECDSA s replaced by min(s, n-s), because
// (r, n-s) verifies as well as (r, s) and would otherwise count as a new
// token.
func signatureID(a algorithm, sig []byte) string {
	if a.family == familyEC && len(sig)%2 == 0 {
		n := a.curve.Params().N
		half := len(sig) / 2
		s := new(big.Int).SetBytes(sig[half:])
		if s.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
			canon := make([]byte, len(sig))
			copy(canon, sig[:half])
			s.Sub(n, s).FillBytes(canon[half:])
			sig = canon
		}
	}
	return base64.RawURLEncoding.EncodeToString(sig)
}
