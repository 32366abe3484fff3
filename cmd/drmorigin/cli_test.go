package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// fakeAPI is a management API that answers each "METHOD path" (path with
// its query) from a table, and records the requests.
type fakeAPI struct {
	t       *testing.T
	answers map[string]fakeAnswer
	got     []string
}

type fakeAnswer struct {
	status int
	body   string
	header map[string]string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k := r.Method + " " + r.URL.RequestURI()
	f.got = append(f.got, k)
	a, ok := f.answers[k]
	if !ok {
		a = fakeAnswer{status: 404, body: `{"error":{"code":"NotFound","message":"not found"}}`}
	}
	for h, v := range a.header {
		w.Header().Set(h, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	w.Write([]byte(a.body))
}

// runFakeCLI runs the command line against the fake API and returns its
// stdout, stderr and error.
func runFakeCLI(t *testing.T, api *fakeAPI, args ...string) (string, string, error) {
	t.Helper()
	srv := httptest.NewServer(api)
	defer srv.Close()
	var out, errb bytes.Buffer
	args = append([]string{"--admin-url", srv.URL, "--admin-token", "t", "--storage-root", t.TempDir()}, args...)
	err := run(args, &out, &errb)
	return out.String(), errb.String(), err
}

const (
	jwtPolicy = `{"name":"premium","options":[{"name":"aes","configuration":{"type":"aesEnvelope"},"restriction":{"type":"token","tokenType":"jwt",` +
		`"issuer":"https://sts.test/","audience":"urn:test","primaryVerificationKey":{"type":"symmetric","value":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I="}}}]}`
	oneLocator = `{"name":"l1","assetName":"demo","streamingPolicyName":"Predefined_ClearKey","defaultContentKeyPolicyName":"premium",` +
		`"startTime":null,"endTime":null,"contentKeys":[{"id":"11111111-2222-3333-4444-555555555555","type":"envelopeEncryption"}]}`
)

// TestTokenSWTForJWTPolicy (issue 19, defect 5): token --swt minted an SWT
// for a policy that takes JWTs, which key delivery then refused. It is
// refused, naming the flag; without --swt, an SWT policy gets an SWT.
func TestTokenSWTForJWTPolicy(t *testing.T) {
	api := &fakeAPI{t: t, answers: map[string]fakeAnswer{
		"GET /api/v1/contentKeyPolicies/premium": {200, jwtPolicy, nil},
		"GET /api/v1/contentKeyPolicies/swtp":    {200, strings.Replace(jwtPolicy, `"jwt"`, `"swt"`, 1), nil},
	}}
	out, _, err := runFakeCLI(t, api, "token", "--policy", "premium", "--swt")
	if err == nil || !strings.Contains(err.Error(), "--swt") || !strings.Contains(err.Error(), "JWT") {
		t.Errorf("token --swt for a JWT policy: %v (printed %q), want an error naming --swt", err, out)
	}
	out, _, err = runFakeCLI(t, api, "token", "--policy", "swtp")
	if err != nil || !strings.Contains(out, "HMACSHA256=") {
		t.Errorf("token for an SWT policy: %v, %q, want an SWT", err, out)
	}
	if _, _, err := runFakeCLI(t, api, "token", "--policy", "swtp", "--alg", "HS512"); err == nil || !strings.Contains(err.Error(), "--alg") {
		t.Errorf("token --alg for an SWT policy: %v, want an error naming --alg", err)
	}
	if _, _, err := runFakeCLI(t, api, "token", "--policy", "nosuch"); err == nil || !strings.Contains(err.Error(), `--policy "nosuch"`) {
		t.Errorf("token --policy nosuch: %v, want an error naming --policy", err)
	}
	if _, _, err := runFakeCLI(t, api, "token", "--policy", "premium", "--option", "nope"); err == nil || !strings.Contains(err.Error(), `--option "nope"`) {
		t.Errorf("token --option nope: %v, want an error naming --option", err)
	}
}

// TestCLIErrorsNameFlags: an API error about a field names the flag the
// user typed for it (issue 19, defect 5).
func TestCLIErrorsNameFlags(t *testing.T) {
	bad := func(target, msg string) fakeAnswer {
		return fakeAnswer{400, `{"error":{"code":"BadRequest","message":"` + msg + `","target":"` + target + `"}}`, nil}
	}
	api := &fakeAPI{t: t, answers: map[string]fakeAnswer{
		"PUT /api/v1/streamingLocators/l1":       bad("assetName", `no asset named \"nosuch\" in the asset store`),
		"PUT /api/v1/streamingLocators/l2":       bad("defaultContentKeyPolicyName", "name one in defaultContentKeyPolicyName"),
		"PUT /api/v1/streamingLocators/l3":       bad("contentKeys[0].value", "must be 16 bytes"),
		"GET /api/v1/streamingLocators?$top=100": {200, `{"value":[]}`, nil},
	}}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"locator", "create", "l1", "--asset", "nosuch", "--policy", "P"}, `--asset "nosuch": no asset named "nosuch"`},
		{[]string{"locator", "create", "l2", "--asset", "demo", "--policy", "Predefined_ClearKey"}, "--content-key-policy: "},
		{[]string{"locator", "get", "nope"}, `no streaming locator named "nope" (404`},
		{[]string{"locator", "list", "--top", "0"}, "--top 0"},
		{[]string{"locator", "get", "x", "-o", "yaml"}, `-o "yaml"`},
	} {
		_, _, err := runFakeCLI(t, api, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error holding %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	dir := t.TempDir()
	f := dir + "/l3.json"
	if err := writeFile(f, `{"assetName":"demo","streamingPolicyName":"P","contentKeys":[{"value":"AAEC","type":"envelopeEncryption"}]}`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runFakeCLI(t, api, "locator", "create", "l3", "-f", f); err == nil || !strings.Contains(err.Error(), "-f "+f+": contentKeys[0].value") {
		t.Errorf("create -f with a bad field: %v, want the file and the field named", err)
	}
}

// TestCLIOutput: tables for people by default, the API's JSON with -o
// json, lists [] when empty (issue 19: CLI output; defect 5: [] not null).
func TestCLIOutput(t *testing.T) {
	api := &fakeAPI{t: t, answers: map[string]fakeAnswer{
		"GET /api/v1/contentKeyPolicies?$top=100":             {200, `{"value":[]}`, nil},
		"GET /api/v1/streamingLocators?$top=1":                {200, `{"value":[` + oneLocator + `],"nextLink":"/api/v1/streamingLocators?$top=1&$skiptoken=bDE"}`, nil},
		"GET /api/v1/streamingLocators?$top=1&$skiptoken=bDE": {200, `{"value":[` + strings.Replace(oneLocator, `"l1"`, `"l2"`, 1) + `]}`, nil},
		"GET /api/v1/streamingLocators/l1":                    {200, oneLocator, nil},
		"PUT /api/v1/streamingLocators/l9": {201, strings.Replace(oneLocator, `"l1"`, `"l9"`, 1),
			map[string]string{"Warning": `199 drmorigin "asset demo is partial: served without a.mp4"`}},
		"GET /api/v1/assets?$top=100": {200, `{"value":[{"name":"demo","state":"ready","tracks":[{"name":"video","type":"video","file":"v.mp4","bitrate":1,"codecs":"avc1"}],"skippedTracks":[],"durationSeconds":8},` +
			`{"name":"mp3","state":"unservable","reason":"mp4a with object type indication 0x6B","tracks":[],"skippedTracks":[{"file":"a.mp4","problem":"unsupported","reason":"0x6B"}]}]}`, nil},
		"GET /api/v1/contentKeyPolicies/premium": {200, jwtPolicy, nil},
	}}
	out, _, err := runFakeCLI(t, api, "content-key-policy", "list", "-o", "json")
	var v map[string]any
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || strings.Contains(out, "null") {
		t.Errorf("an empty list as JSON: %v %q, want {\"value\": []}", err, out)
	}
	out, _, err = runFakeCLI(t, api, "locator", "list", "--top", "1")
	if err != nil || !strings.Contains(out, "NAME") || !strings.Contains(out, "l1") || !strings.Contains(out, "l2") ||
		!strings.Contains(out, "Predefined_ClearKey") {
		t.Errorf("locator list (table, two pages): %v\n%s", err, out)
	}
	out, _, err = runFakeCLI(t, api, "locator", "get", "l1")
	if err != nil || !strings.Contains(out, "Streaming policy:") || !strings.Contains(out, "11111111-2222-3333-4444-555555555555") ||
		!strings.Contains(out, "premium (default)") {
		t.Errorf("locator get (table): %v\n%s", err, out)
	}
	out, _, err = runFakeCLI(t, api, "locator", "get", "l1", "-o", "json")
	var loc map[string]any
	if err != nil || json.Unmarshal([]byte(out), &loc) != nil || loc["assetName"] != "demo" {
		t.Errorf("locator get -o json: %v\n%s", err, out)
	}
	out, errOut, err := runFakeCLI(t, api, "locator", "create", "l9", "--asset", "demo", "--policy", "Predefined_ClearKey", "--content-key-policy", "premium")
	if err != nil || !strings.Contains(out, "l9") || !strings.Contains(errOut, "warning: asset demo is partial") {
		t.Errorf("locator create with a Warning: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	out, _, err = runFakeCLI(t, api, "asset", "list")
	if err != nil || !strings.Contains(out, "STATE") || !strings.Contains(out, "unservable") || !strings.Contains(out, "0x6B") {
		t.Errorf("asset list (table): %v\n%s", err, out)
	}
	out, _, err = runFakeCLI(t, api, "content-key-policy", "get", "premium")
	if err != nil || !strings.Contains(out, "https://sts.test/") || strings.Contains(out, "c2VjcmV0") {
		t.Errorf("content-key-policy get (table; no key value): %v\n%s", err, out)
	}
}

func writeFile(name, s string) error { return os.WriteFile(name, []byte(s), 0o600) }
