package testservers

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// The account Azurite serves: Microsoft's published development-storage
// account and key, the same in every Azurite and in the Azure docs
// ("Use the Azurite emulator for local Azure Storage development").
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// AzuritePath is where the Azurite blob server is looked for:
// $DRMORIGIN_AZURITE, or web/node_modules/.bin/azurite-blob under the
// module root, which `make web` installs (azurite is a devDependency of
// web/package.json).
func AzuritePath(t testing.TB) string {
	if p := os.Getenv("DRMORIGIN_AZURITE"); p != "" {
		return p
	}
	return filepath.Join(moduleRoot(t), "web", "node_modules", ".bin", "azurite-blob")
}

// AzuriteServer is an Azurite blob server behind a counting,
// fault-injecting Proxy (its methods are promoted: Count, Requests,
// SetDelay, SetFail, …).
type AzuriteServer struct {
	proxied
	// Endpoint is the account's blob URL through the proxy,
	// http://127.0.0.1:port/devstoreaccount1: the code under test's.
	Endpoint string
	// DirectEndpoint is the same on Azurite itself, for set-up and checks
	// that must not count.
	DirectEndpoint string
	Account        string // devstoreaccount1
	Key            string // its shared key

	client *azblob.Client // on DirectEndpoint
}

// Azurite starts Azurite's blob service with an empty data directory of
// its own and a proxy in front of it, and stops both when the test ends.
// The binary must be there (AzuritePath): the test fails, saying how to
// install it, when it is not.
func Azurite(t testing.TB) *AzuriteServer {
	t.Helper()
	bin := AzuritePath(t)
	if err := executable(bin); err != nil {
		t.Fatalf("testservers: Azurite %s: %v\n"+
			"Install it with `make web` (npm ci in web/, which make test runs first),\n"+
			"or point DRMORIGIN_AZURITE at an azurite-blob executable.", bin, err)
	}
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatalf("testservers: %v", err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	s := &AzuriteServer{
		DirectEndpoint: base + "/" + AzuriteAccount,
		Account:        AzuriteAccount,
		Key:            AzuriteKey,
	}
	proc := &process{
		name: "azurite-blob",
		argv: []string{bin,
			"--blobHost", "127.0.0.1",
			"--blobPort", strconv.Itoa(port),
			"--location", dir,
			"--silent",
			"--skipApiVersionCheck", // the SDK may be newer than the emulator
			"--loose",
			"--disableTelemetry"},
		// AZURITE_ACCOUNTS would replace the well-known account.
		env: environ([]string{"AZURITE_"}),
	}
	s.proxied = launch(t, proc, s.ready, base, azureErrorBody)
	s.Endpoint = s.Proxy.URL() + "/" + AzuriteAccount
	cred, err := azblob.NewSharedKeyCredential(AzuriteAccount, AzuriteKey)
	if err != nil {
		t.Fatalf("testservers: azurite key: %v", err)
	}
	s.client, err = azblob.NewClientWithSharedKeyCredential(s.DirectEndpoint+"/", cred, &azblob.ClientOptions{
		ClientOptions: azcore.ClientOptions{
			Retry:     policy.RetryOptions{MaxRetries: -1},
			Transport: &http.Client{Transport: &http.Transport{Proxy: nil}},
		},
	})
	if err != nil {
		t.Fatalf("testservers: azblob client: %v", err)
	}
	return s
}

// ready: Azurite answers anything (403 to an unsigned listing) once it
// listens.
func (s *AzuriteServer) ready() bool {
	return answers(s.DirectEndpoint+"?comp=list", func(int) bool { return true })()
}

// ConnectionString is the account's connection string on the proxy's
// endpoint.
func (s *AzuriteServer) ConnectionString() string {
	return "DefaultEndpointsProtocol=http;AccountName=" + s.Account + ";AccountKey=" + s.Key +
		";BlobEndpoint=" + s.Endpoint + ";"
}

// CreateContainer creates a container.
func (s *AzuriteServer) CreateContainer(name string) {
	s.t.Helper()
	ctx, cancel := ctx10s()
	defer cancel()
	if _, err := s.client.CreateContainer(ctx, name, nil); err != nil {
		s.t.Fatalf("testservers: create container %s: %v", name, err)
	}
}

// Put writes data as the block blob container/blob, replacing any blob
// there.
func (s *AzuriteServer) Put(container, blob string, data []byte) {
	s.t.Helper()
	ctx, cancel := ctx10s()
	defer cancel()
	if _, err := s.client.UploadBuffer(ctx, container, blob, data, nil); err != nil {
		s.t.Fatalf("testservers: put %s/%s: %v", container, blob, err)
	}
}

// Delete removes container/blob.
func (s *AzuriteServer) Delete(container, blob string) {
	s.t.Helper()
	ctx, cancel := ctx10s()
	defer cancel()
	if _, err := s.client.DeleteBlob(ctx, container, blob, nil); err != nil {
		s.t.Fatalf("testservers: delete %s/%s: %v", container, blob, err)
	}
}

// Gets returns how many GETs of container/blob the store received
// through the proxy: the blob's media reads.
func (s *AzuriteServer) Gets(container, blob string) int {
	return s.Count(http.MethodGet, "/"+s.Account+"/"+container+"/"+blob)
}

// azureErrorBody is an injected failure as Azure Storage words it.
func azureErrorBody(status int, h http.Header) []byte {
	code := map[int]string{
		http.StatusServiceUnavailable:  "ServerBusy",
		http.StatusInternalServerError: "InternalError",
		http.StatusForbidden:           "AuthorizationFailure",
		http.StatusNotFound:            "BlobNotFound",
	}[status]
	if code == "" {
		code = "InjectedFault"
	}
	h.Set("Content-Type", "application/xml")
	h.Set("X-Ms-Error-Code", code)
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="utf-8"?>`+
		`<Error><Code>%s</Code><Message>injected by testservers.Proxy</Message></Error>`, code)
}
