package cpix

import (
	"crypto/rsa"
	"crypto/x509"
	"sync"
	"testing"
	"time"
)

// A test recipient, made once: RSA key generation is slow.
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
		if idKey, idCert, err = NewIdentity("cpix test recipient", time.Hour); err != nil {
			panic(err)
		}
		if id2Key, id2Crt, err = NewIdentity("cpix other recipient", time.Hour); err != nil {
			panic(err)
		}
	})
}
