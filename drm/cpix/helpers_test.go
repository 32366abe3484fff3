package cpix

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// needTool fails (never skips) when a tool the test relies on is missing.
func needTool(t testing.TB, name, install string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed by this test and is not installed: %s", name, install)
	}
}

func run(t testing.TB, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = strings.NewReader(string(stdin))
	}
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, msg)
	}
	return out
}

func writeKeyPEM(t testing.TB, dir string, k *rsa.PrivateKey) string {
	t.Helper()
	p := filepath.Join(dir, "recipient.key")
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
