// Package cpixtest checks CPIX documents with tools drmorigin did not
// write: xmllint validates them against the published CPIX 2.3 schema
// (testdata/cpix), and xmllint's XPath with openssl decrypts their keys
// (RSA-OAEP for the document and MAC keys, AES-256-CBC for the values,
// HMAC-SHA512 for each ValueMAC). A missing tool fails the test, saying
// how to install it.
package cpixtest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// NeedTool fails (never skips) when a tool is missing.
func NeedTool(t testing.TB, name, install string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed by this test and is not installed: %s", name, install)
	}
}

// Run runs a command and returns its standard output; a failure fails t
// with its standard error.
func Run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, msg)
	}
	return out
}

// Dir is the repository's testdata/cpix: the published XSDs and the
// independent writer.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "cpix")
}

// Validate runs xmllint --schema (the CPIX 2.3 XSD) on doc.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	NeedTool(t, "xmllint", "apt-get install libxml2-utils")
	p := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(p, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	Run(t, "xmllint", "--nonet", "--noout", "--schema", filepath.Join(Dir(), "cpix.xsd"), p)
}

// XPath evaluates expr over the document at path with xmllint.
func XPath(t testing.TB, path, expr string) string {
	t.Helper()
	return strings.TrimSpace(string(Run(t, "xmllint", "--nonet", "--xpath", expr, path)))
}

// WriteKeyPEM writes k as a PKCS #8 PEM file in dir.
func WriteKeyPEM(t testing.TB, dir string, k *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "recipient.key")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Decrypt reads the key values of doc for the recipient whose PEM private
// key is at keyPath and whose certificate (DER) is cert, with xmllint and
// openssl alone, and checks every ValueMAC. It returns KID → value.
func Decrypt(t testing.TB, doc []byte, keyPath string, cert []byte) map[[16]byte][16]byte {
	t.Helper()
	NeedTool(t, "xmllint", "apt-get install libxml2-utils")
	NeedTool(t, "openssl", "apt-get install openssl")
	dir := t.TempDir()
	docPath := filepath.Join(dir, "doc.xml")
	if err := os.WriteFile(docPath, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	certB64 := base64.StdEncoding.EncodeToString(cert)
	n, _ := strconv.Atoi(XPath(t, docPath, "count(//*[local-name()='DeliveryData'])"))
	dd := -1
	for i := 1; i <= n; i++ {
		c := XPath(t, docPath, "string((//*[local-name()='DeliveryData'])["+strconv.Itoa(i)+"]//*[local-name()='X509Certificate'])")
		if strings.Join(strings.Fields(c), "") == certB64 {
			dd = i
		}
	}
	if dd < 0 {
		t.Fatalf("no DeliveryData for the recipient's certificate")
	}
	unwrap := func(elem string) []byte {
		v := XPath(t, docPath, "string((//*[local-name()='DeliveryData'])["+strconv.Itoa(dd)+"]//*[local-name()='"+elem+"']//*[local-name()='CipherValue'])")
		wrapped, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("%s CipherValue: %v", elem, err)
		}
		p := filepath.Join(dir, elem+".bin")
		if err := os.WriteFile(p, wrapped, 0o600); err != nil {
			t.Fatal(err)
		}
		return Run(t, "openssl", "pkeyutl", "-decrypt", "-inkey", keyPath, "-pkeyopt", "rsa_padding_mode:oaep",
			"-pkeyopt", "rsa_oaep_md:sha1", "-pkeyopt", "rsa_mgf1_md:sha1", "-in", p)
	}
	docKey := unwrap("DocumentKey")
	macKey := unwrap("MACKey")
	if len(docKey) != 32 {
		t.Fatalf("document key: %d bytes", len(docKey))
	}
	out := map[[16]byte][16]byte{}
	k, _ := strconv.Atoi(XPath(t, docPath, "count(//*[local-name()='ContentKey'])"))
	for i := 1; i <= k; i++ {
		at := "(//*[local-name()='ContentKey'])[" + strconv.Itoa(i) + "]"
		kidText := XPath(t, docPath, "string("+at+"/@kid)")
		kid, err := hex.DecodeString(strings.ReplaceAll(kidText, "-", ""))
		if err != nil || len(kid) != 16 {
			t.Fatalf("kid %q", kidText)
		}
		cv, _ := base64.StdEncoding.DecodeString(XPath(t, docPath, "string("+at+"//*[local-name()='CipherValue'])"))
		if len(cv) < 32 {
			t.Fatalf("key %s: CipherValue of %d bytes", kidText, len(cv))
		}
		mac := XPath(t, docPath, "string("+at+"//*[local-name()='ValueMAC'])")
		cvPath := filepath.Join(dir, "cv.bin")
		if err := os.WriteFile(cvPath, cv, 0o600); err != nil {
			t.Fatal(err)
		}
		// HMAC-SHA512 over the whole CipherValue (IV and ciphertext).
		dgst := Run(t, "openssl", "dgst", "-sha512", "-mac", "HMAC", "-macopt", "hexkey:"+hex.EncodeToString(macKey), "-binary", cvPath)
		if base64.StdEncoding.EncodeToString(dgst) != mac {
			t.Fatalf("key %s: the ValueMAC is not openssl's HMAC-SHA512 of the CipherValue", kidText)
		}
		ctPath := filepath.Join(dir, "ct.bin")
		if err := os.WriteFile(ctPath, cv[16:], 0o600); err != nil {
			t.Fatal(err)
		}
		v := Run(t, "openssl", "enc", "-d", "-aes-256-cbc", "-K", hex.EncodeToString(docKey), "-iv", hex.EncodeToString(cv[:16]), "-in", ctPath)
		if len(v) != 16 {
			t.Fatalf("key %s: openssl decrypted %d bytes", kidText, len(v))
		}
		out[[16]byte(kid)] = [16]byte(v)
	}
	return out
}

// XPathBytes returns the base64 text at expr, decoded.
func XPathBytes(t testing.TB, doc []byte, expr string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(p, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	s := XPath(t, p, "string("+expr+")")
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("%s: not base64: %v", expr, err)
	}
	return b
}
