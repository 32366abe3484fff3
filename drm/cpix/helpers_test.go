package cpix

import (
	"crypto/rsa"
	"crypto/x509"
	"sync"
	"testing"
	"time"
)

// Test recipients, made once with 2048-bit keys: RSA key generation is
// slow, and every fuzz worker makes its own.
var (
	idOnce sync.Once
	idKey  *rsa.PrivateKey
	idCert *x509.Certificate
	id2Key *rsa.PrivateKey
	id2Crt *x509.Certificate
)

func identities(t testing.TB) {
	t.Helper()
	idOnce.Do(func() {
		var err error
		if idKey, idCert, err = newIdentity("cpix test recipient", time.Hour, 2048); err != nil {
			panic(err)
		}
		if id2Key, id2Crt, err = newIdentity("cpix other recipient", time.Hour, 2048); err != nil {
			panic(err)
		}
	})
}
