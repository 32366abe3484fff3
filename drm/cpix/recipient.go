package cpix

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// MinRSABits is the smallest recipient key accepted. CPIX 2.3 recommends
// 3072 bits; 2048 is what most license services still issue.
const MinRSABits = 2048

// ParseCertificatePEM parses one PEM CERTIFICATE holding an RSA public key
// of at least MinRSABits: a recipient's certificate. The error says what is
// wrong with it.
func ParseCertificatePEM(b []byte) (*x509.Certificate, error) {
	blk, rest := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("not PEM: want one -----BEGIN CERTIFICATE----- block")
	}
	if blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("a PEM %q block, not CERTIFICATE", blk.Type)
	}
	if blk, _ := pem.Decode(rest); blk != nil {
		return nil, errors.New("more than one PEM block: want the recipient's certificate only")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not an X.509 certificate: %v", err)
	}
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("its public key is %s, not RSA (CPIX wraps keys with RSA-OAEP)", c.PublicKeyAlgorithm)
	}
	if pub.N.BitLen() < MinRSABits {
		return nil, fmt.Errorf("its RSA key has %d bits, fewer than %d", pub.N.BitLen(), MinRSABits)
	}
	return c, nil
}

// CertificatePEM returns c as PEM.
func CertificatePEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// IdentityBits is the size of the RSA key NewIdentity makes.
const IdentityBits = 3072

// NewIdentity makes a recipient identity: a new RSA key of IdentityBits
// and a self-signed certificate for it under the common name cn, valid
// for validity from now (less a minute of clock skew).
func NewIdentity(cn string, validity time.Duration) (*rsa.PrivateKey, *x509.Certificate, error) {
	return newIdentity(cn, validity, IdentityBits)
}

func newIdentity(cn string, validity time.Duration, bits int) (*rsa.PrivateKey, *x509.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return key, c, err
}
