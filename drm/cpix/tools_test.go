package cpix

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// xsdPath is the published CPIX 2.3 schema kept in the repository.
func xsdPath(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "cpix", "cpix.xsd")
}

// ValidateWithXSD runs xmllint --schema on the document at path.
func ValidateWithXSD(t testing.TB, path string) {
	t.Helper()
	run(t, nil, "xmllint", "--nonet", "--noout", "--schema", xsdPath(t), path)
}

// xpath evaluates expr over the document at path with xmllint.
func xpath(t testing.TB, path, expr string) string {
	t.Helper()
	return strings.TrimSpace(string(run(t, nil, "xmllint", "--nonet", "--xpath", expr, path)))
}

// DecryptWithOpenSSL reads the key values of doc for the recipient (key,
// cert) with xmllint and openssl alone, and checks every ValueMAC.
func DecryptWithOpenSSL(t testing.TB, doc []byte, key *rsa.PrivateKey, cert *x509.Certificate) map[[16]byte][16]byte {
	t.Helper()
	dir := t.TempDir()
	docPath := filepath.Join(dir, "doc.xml")
	if err := os.WriteFile(docPath, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	keyPath := writeKeyPEM(t, dir, key)
	certB64 := base64.StdEncoding.EncodeToString(cert.Raw)
	n, _ := strconv.Atoi(xpath(t, docPath, "count(//*[local-name()='DeliveryData'])"))
	dd := -1
	for i := 1; i <= n; i++ {
		c := xpath(t, docPath, "string((//*[local-name()='DeliveryData'])["+strconv.Itoa(i)+"]//*[local-name()='X509Certificate'])")
		if strings.Join(strings.Fields(c), "") == certB64 {
			dd = i
		}
	}
	if dd < 0 {
		t.Fatalf("no DeliveryData for the recipient's certificate")
	}
	unwrap := func(elem string) []byte {
		v := xpath(t, docPath, "string((//*[local-name()='DeliveryData'])["+strconv.Itoa(dd)+"]//*[local-name()='"+elem+"']//*[local-name()='CipherValue'])")
		wrapped, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("%s CipherValue: %v", elem, err)
		}
		p := filepath.Join(dir, elem+".bin")
		if err := os.WriteFile(p, wrapped, 0o600); err != nil {
			t.Fatal(err)
		}
		return run(t, nil, "openssl", "pkeyutl", "-decrypt", "-inkey", keyPath, "-pkeyopt", "rsa_padding_mode:oaep",
			"-pkeyopt", "rsa_oaep_md:sha1", "-pkeyopt", "rsa_mgf1_md:sha1", "-in", p)
	}
	docKey := unwrap("DocumentKey")
	macKey := unwrap("MACKey")
	if len(docKey) != 32 {
		t.Fatalf("document key: %d bytes", len(docKey))
	}
	out := map[[16]byte][16]byte{}
	k, _ := strconv.Atoi(xpath(t, docPath, "count(//*[local-name()='ContentKey'])"))
	for i := 1; i <= k; i++ {
		at := "(//*[local-name()='ContentKey'])[" + strconv.Itoa(i) + "]"
		kidText := xpath(t, docPath, "string("+at+"/@kid)")
		kid, err := hex.DecodeString(strings.ReplaceAll(kidText, "-", ""))
		if err != nil || len(kid) != 16 {
			t.Fatalf("kid %q", kidText)
		}
		cv, _ := base64.StdEncoding.DecodeString(xpath(t, docPath, "string("+at+"//*[local-name()='CipherValue'])"))
		mac := xpath(t, docPath, "string("+at+"//*[local-name()='ValueMAC'])")
		cvPath := filepath.Join(dir, "cv.bin")
		if err := os.WriteFile(cvPath, cv, 0o600); err != nil {
			t.Fatal(err)
		}
		// HMAC-SHA512 over the whole CipherValue (IV and ciphertext).
		dgst := run(t, nil, "openssl", "dgst", "-sha512", "-mac", "HMAC", "-macopt", "hexkey:"+hex.EncodeToString(macKey), "-binary", cvPath)
		if base64.StdEncoding.EncodeToString(dgst) != mac {
			t.Fatalf("key %s: the ValueMAC is not openssl's HMAC-SHA512 of the CipherValue", kidText)
		}
		ctPath := filepath.Join(dir, "ct.bin")
		if err := os.WriteFile(ctPath, cv[16:], 0o600); err != nil {
			t.Fatal(err)
		}
		v := run(t, nil, "openssl", "enc", "-d", "-aes-256-cbc", "-K", hex.EncodeToString(docKey), "-iv", hex.EncodeToString(cv[:16]), "-in", ctPath)
		if len(v) != 16 {
			t.Fatalf("key %s: openssl decrypted %d bytes", kidText, len(v))
		}
		out[[16]byte(kid)] = [16]byte(v)
	}
	return out
}
