package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/keyclient/redistest"
	"github.com/drmorigin/drmorigin/origin/token"
)

// secretSet is every secret a test hands the origin, each under the
// forms it could be written in.
type secretSet struct {
	forms map[string]string // form → what it is
}

func (s *secretSet) text(what, v string) { s.forms[v] = what }

// bytes adds a binary secret as standard and URL base64 (padded or not) and
// hex, the forms it travels in.
func (s *secretSet) bytes(what string, b []byte) {
	s.forms[base64.StdEncoding.EncodeToString(b)] = what + " (base64)"
	s.forms[base64.RawURLEncoding.EncodeToString(b)] = what + " (base64url)"
	s.forms[hex.EncodeToString(b)] = what + " (hex)"
	s.forms[strings.ToUpper(hex.EncodeToString(b))] = what + " (HEX)"
}

// find returns a description of each secret in out, with the line it is on.
func (s *secretSet) find(out string) []string {
	var found []string
	for form, what := range s.forms {
		i := strings.Index(out, form)
		if i < 0 {
			continue
		}
		start := strings.LastIndexByte(out[:i], '\n') + 1
		end := strings.IndexByte(out[i:], '\n')
		if end < 0 {
			end = len(out) - i
		}
		line := out[start : i+end]
		if len(line) > 400 {
			line = line[:400] + "…"
		}
		found = append(found, fmt.Sprintf("%s in: %s", what, line))
	}
	return found
}

func randBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// marker is a printable secret that no log line has any other reason to
// contain.
func marker(t *testing.T, what string) string {
	return "SECRET" + what + hex.EncodeToString(randBytes(t, 8))
}

// rawExchange sends req on a new connection to addr and returns the status
// line of the answer ("" when the server closed without one).
func rawExchange(t *testing.T, addr string, req []byte, halfClose bool) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write(req); err != nil {
		return ""
	}
	if halfClose {
		c.(*net.TCPConn).CloseWrite()
	}
	b, _ := io.ReadAll(c)
	line, _, _ := strings.Cut(string(b), "\r\n")
	return line
}

// malformedRequests are requests fasthttp cannot read or the origin refuses
// before routing, each carrying the bearer marker in Authorization and the
// query marker in ?token=. halfClose closes the client's side after
// writing (a request cut short).
func malformedRequests(bearer, query string) []struct {
	name      string
	req       string
	halfClose bool
} {
	auth := "Authorization: Bearer " + bearer + "\r\n"
	q := "?token=" + query
	return []struct {
		name      string
		req       string
		halfClose bool
	}{
		{"control byte in the path (the issue's repro)", "GET /keys/aes/x\x01 HTTP/1.1\r\nHost: o\r\n" + auth + "Connection: close\r\n\r\n", false},
		{"control byte with query", "GET /keys/aes/x\x01" + q + " HTTP/1.1\r\nHost: o\r\n" + auth + "Connection: close\r\n\r\n", false},
		{"header line without colon", "GET /keys/aes/x" + q + " HTTP/1.1\r\nHost: o\r\n" + auth + "Bad header line\r\nConnection: close\r\n\r\n", false},
		{"NUL in a header value", "GET /api/v1/streamingLocators" + q + " HTTP/1.1\r\nHost: o\r\n" + auth + "X-A: a\x00b\r\nConnection: close\r\n\r\n", false},
		{"bad Content-Length", "POST /keys/clearkey" + q + " HTTP/1.1\r\nHost: o\r\n" + auth + "Content-Length: x1\r\nConnection: close\r\n\r\n{}", false},
		{"body too large", "POST /keys/clearkey" + q + " HTTP/1.1\r\nHost: o\r\n" + auth + "Content-Length: 99999999\r\nConnection: close\r\n\r\n{\"kids\":[\"" + bearer + "\"]}", false},
		{"bad chunk", "POST /keys/clearkey" + q + " HTTP/1.1\r\nHost: o\r\n" + auth + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n" + bearer + "\r\n0\r\n\r\n", false},
		{"headers too large", "GET /keys/aes/x" + q + " HTTP/1.1\r\nHost: o\r\n" + auth + "X-Pad: " + strings.Repeat("p", 30<<10) + "\r\nConnection: close\r\n\r\n", false},
		{"request line too long", "GET /keys/aes/" + strings.Repeat("a", 10<<10) + q + " HTTP/1.1\r\nHost: o\r\n" + auth + "Connection: close\r\n\r\n", false},
		{"bad method", "G\x01T /keys/aes/x" + q + " HTTP/1.1\r\nHost: o\r\n" + auth + "Connection: close\r\n\r\n", false},
		{"bad protocol", "GET /keys/aes/x" + q + " HTTQ/9.9\r\nHost: o\r\n" + auth + "Connection: close\r\n\r\n", false},
		{"cut short in the headers", "GET /keys/aes/x" + q + " HTTP/1.1\r\nHost: o\r\n" + auth + "X-Half: ", true},
		{"cut short in the body", "POST /keys/clearkey" + q + " HTTP/1.1\r\nHost: o\r\n" + auth + "Content-Length: 100\r\n\r\n{\"kids\":", true},
		{"no Host", "GET /keys/aes/x" + q + " HTTP/1.1\r\n" + auth + "Connection: close\r\n\r\n", false},
	}
}

// TestNoSecretInLogs is issue 19's first defect: no secret reaches any log,
// at any level, through any logger. Two `drmorigin serve` processes (text
// and JSON logs, each access log format) at log level debug share a Redis
// with a password and an S3 store (MinIO), so that the go-redis and SDK
// loggers are live. They get malformed requests on both listeners and
// valid ones: key requests with tokens good and bad in Authorization and
// ?token=, license requests, manifests and segments with ?token=,
// management calls carrying content key values and verification keys, a
// wrong admin token, an object store that fails and a Redis that goes
// away. Every byte each process wrote, stdout and stderr, is searched for
// every secret: bearer and query tokens, the admin token, the KEK, the
// Redis password, the S3 secret key, content key values, the policy's
// signing key and the tokens it signs.
func TestNoSecretInLogs(t *testing.T) {
	secrets := &secretSet{forms: map[string]string{}}
	bearer, query := marker(t, "BEARER"), marker(t, "QUERY")
	adminToken, wrongAdmin := marker(t, "ADMIN"), marker(t, "WRONGADMIN")
	redisPass := marker(t, "REDIS")
	secrets.text("bearer token", bearer)
	secrets.text("?token= value", query)
	secrets.text("admin token", adminToken)
	secrets.text("wrong admin token", wrongAdmin)
	secrets.text("Redis password", redisPass)
	secrets.text("S3 secret key", testservers.MinIOSecretKey)
	kek := randBytes(t, 32)
	secrets.bytes("KEK", kek)
	signKey := randBytes(t, 32)
	secrets.bytes("token signing key", signKey)

	rs := redistest.StartServer(t, "--requirepass", redisPass)
	store := "redis://:" + redisPass + "@" + rs.Addr() + "/0"
	srv := testservers.MinIO(t)
	srv.MakeBucket("secret")
	media, _ := filepath.Abs("../../testdata/media/progressive")
	b, err := os.ReadFile(filepath.Join(media, "progressive.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Put("secret", "assets/progressive/progressive.mp4", b)

	var procs []*serveProcess
	for _, f := range []struct{ format, access string }{{"text", "combined"}, {"json", "json"}} {
		procs = append(procs, startServeEnv(t, store, base64.StdEncoding.EncodeToString(kek),
			"DRMORIGIN_STORAGE_ROOT=s3://secret/assets?pathStyle=true&endpoint="+srv.Endpoint,
			"AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey,
			"DRMORIGIN_ADMIN_TOKEN="+adminToken,
			"DRMORIGIN_LOG_LEVEL=debug", "DRMORIGIN_LOG_FORMAT="+f.format, "DRMORIGIN_LOG_ACCESS="+f.access))
	}
	var later [][]string
	for i, p := range procs {
		later = append(later, exerciseSecrets(t, p, i, secrets, bearer, query, adminToken, wrongAdmin, signKey))
	}

	// Faults: the object store fails (reads of segments not cached yet
	// answer 503 and are logged), then Redis goes away (go-redis's pool
	// and subscription log on their own).
	srv.SetFail(503)
	failed := 0
	for i, p := range procs {
		for _, seg := range later[i][:min(len(later[i]), 4)] {
			if p.status(t, seg+"?token="+query, "Authorization", "Bearer "+bearer) == 503 {
				failed++
			}
		}
	}
	srv.SetFail(0)
	if failed == 0 {
		t.Errorf("no segment read failed while the object store did")
	}
	rs.Stop()
	for _, p := range procs {
		p.status(t, "/no-such-locator/progressive.ism/manifest?token="+query, "Authorization", "Bearer "+bearer)
		p.status(t, "/keys/aes/00000000-0000-0000-0000-000000000001?token="+query, "Authorization", "Bearer "+bearer)
	}
	time.Sleep(1500 * time.Millisecond) // let the pool and the subscription notice
	rs.Restart()
	time.Sleep(1500 * time.Millisecond)
	checkMetricsWired(t, procs[0])
	for _, p := range procs {
		p.stop(t, os.Interrupt)
	}

	for i, p := range procs {
		out := p.outb.String() + p.errb.String()
		if d := os.Getenv("DRMORIGIN_TEST_DUMP"); d != "" {
			os.WriteFile(fmt.Sprintf("%s/proc%d.out", d, i), []byte(p.outb.String()), 0o644)
			os.WriteFile(fmt.Sprintf("%s/proc%d.err", d, i), []byte(p.errb.String()), 0o644)
		}
		if len(out) == 0 {
			t.Fatalf("process %d wrote nothing", i)
		}
		for _, f := range secrets.find(out) {
			t.Errorf("process %d: %s", i, f)
		}
	}
	if t.Failed() {
		return
	}
	checkLogsLive(t, procs)
}

// exerciseSecrets sends p the requests of TestNoSecretInLogs; i tells the
// processes' resources apart.
func exerciseSecrets(t *testing.T, p *serveProcess, i int, secrets *secretSet, bearer, query, adminToken, wrongAdmin string, signKey []byte) (later []string) {
	t.Helper()
	api := func(method, path, body, tok string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+p.admin+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		return r.StatusCode, string(b)
	}
	get := func(path string, hdr ...string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+p.listen+path, nil)
		for j := 0; j+1 < len(hdr); j += 2 {
			req.Header.Set(hdr[j], hdr[j+1])
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		return r.StatusCode, b
	}

	// Management: a token policy with a symmetric key, a locator with a
	// content key value given, its keys listed (values in the answer).
	policy := fmt.Sprintf(`{"name":"secret-policy-%d","options":[`+
		`{"name":"aes","configuration":{"type":"aesEnvelope"},"restriction":{"type":"token","tokenType":"jwt","issuer":"iss","audience":"aud","primaryVerificationKey":{"type":"symmetric","value":%q}}},`+
		`{"name":"ck","configuration":{"type":"clearKey"},"restriction":{"type":"token","tokenType":"jwt","issuer":"iss","audience":"aud","primaryVerificationKey":{"type":"symmetric","value":%q}}}]}`,
		i, base64.StdEncoding.EncodeToString(signKey), base64.StdEncoding.EncodeToString(signKey))
	if s, body := api("PUT", fmt.Sprintf("/api/v1/contentKeyPolicies/secret-policy-%d", i), policy, adminToken); s/100 != 2 {
		t.Fatalf("policy: %d %s", s, body)
	}
	ck := randBytes(t, 16)
	secrets.bytes("content key value", ck)
	kid := fmt.Sprintf("5ec4e700-0000-4000-8000-00000000000%d", i)
	loc := fmt.Sprintf("secret-%d", i)
	body := fmt.Sprintf(`{"name":%q,"assetName":"progressive","streamingPolicyName":"Predefined_ClearKey","defaultContentKeyPolicyName":"secret-policy-%d",`+
		`"contentKeys":[{"id":%q,"type":"envelopeEncryption","value":%q}]}`, loc, i, kid, base64.StdEncoding.EncodeToString(ck))
	if s, body := api("PUT", "/api/v1/streamingLocators/"+loc, body, adminToken); s != 201 {
		t.Fatalf("locator: %d %s", s, body)
	}
	s, keysBody := api("POST", "/api/v1/streamingLocators/"+loc+"/listContentKeys", "{}", adminToken)
	var keys struct {
		ContentKeys []struct {
			ID    string
			Type  string
			Value []byte
		}
	}
	if s != 200 || json.Unmarshal([]byte(keysBody), &keys) != nil || len(keys.ContentKeys) != 2 {
		t.Fatalf("listContentKeys: %d %s", s, keysBody)
	}
	var cencKID string
	for _, k := range keys.ContentKeys {
		secrets.bytes("content key value", k.Value)
		if k.Type == "commonEncryptionCenc" {
			cencKID = k.ID
		}
	}
	// A locator created and deleted, a bad body holding a key value, a
	// wrong admin token, the query marker on the admin listener.
	tmp := fmt.Sprintf(`{"name":"tmp-%d","assetName":"progressive","streamingPolicyName":"Predefined_ClearStreamingOnly"}`, i)
	api("PUT", fmt.Sprintf("/api/v1/streamingLocators/tmp-%d", i), tmp, adminToken)
	api("DELETE", fmt.Sprintf("/api/v1/streamingLocators/tmp-%d", i), "", adminToken)
	api("PUT", fmt.Sprintf("/api/v1/contentKeyPolicies/bad-%d", i), `{"options":[{"configuration":{"type":"clearKey"},"restriction":{"type":"token","primaryVerificationKey":{"type":"symmetric","value":"`+
		base64.StdEncoding.EncodeToString(signKey)+`"}},"bogus":"`+bearer+`"}]}`, adminToken)
	api("GET", "/api/v1/streamingLocators?token="+query, "", adminToken)
	if s, _ := api("GET", "/api/v1/streamingLocators", "", wrongAdmin); s != 401 {
		t.Errorf("wrong admin token: %d", s)
	}
	api("GET", "/api/v1/assets/progressive?token="+query, "", adminToken)
	if r, err := http.Get("http://" + p.admin + "/metrics?token=" + query); err == nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}

	// Tokens: good ones (secrets too), and bad ones for each reason.
	mint := func(key []byte, o token.MintOptions) string {
		tok, err := token.MintJWT(key, "HS256", o)
		if err != nil {
			t.Fatal(err)
		}
		secrets.text("minted token", tok)
		return tok
	}
	good := mint(signKey, token.MintOptions{Issuer: "iss", Audience: "aud", Lifetime: time.Hour})
	expired := mint(signKey, token.MintOptions{Issuer: "iss", Audience: "aud", Lifetime: -time.Hour})
	wrongAud := mint(signKey, token.MintOptions{Issuer: "iss", Audience: "other", Lifetime: time.Hour})
	wrongIss := mint(signKey, token.MintOptions{Issuer: "other", Audience: "aud", Lifetime: time.Hour})
	badSig := mint(randBytes(t, 32), token.MintOptions{Issuer: "iss", Audience: "aud", Lifetime: time.Hour})

	aes := "/keys/aes/" + kid
	if s, b := get(aes, "Authorization", "Bearer "+good); s != 200 || !bytes.Equal(b, ck) {
		t.Errorf("key with a good token: %d", s)
	}
	if s, b := get(aes + "?token=" + good); s != 200 || !bytes.Equal(b, ck) {
		t.Errorf("key with a good ?token=: %d", s)
	}
	for _, c := range []struct {
		hdr, q string
		want   int
	}{
		{bearer, "", 401}, {"", query, 401}, {expired, "", 401}, {wrongAud, "", 401},
		{wrongIss, "", 401}, {badSig, "", 401}, {"", expired, 401}, {"", "", 401},
	} {
		path := aes
		if c.q != "" {
			path += "?token=" + c.q
		}
		var hdr []string
		if c.hdr != "" {
			hdr = []string{"Authorization", "Bearer " + c.hdr}
		}
		if s, _ := get(path, hdr...); s != c.want {
			t.Errorf("key request: %d, want %d", s, c.want)
		}
	}
	license := func(tok string) int {
		t.Helper()
		kidBytes, _ := hex.DecodeString(strings.ReplaceAll(cencKID, "-", ""))
		req, _ := http.NewRequest("POST", "http://"+p.listen+"/keys/clearkey?token="+query,
			strings.NewReader(`{"kids":["`+base64.RawURLEncoding.EncodeToString(kidBytes)+`"],"type":"temporary"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		return r.StatusCode
	}
	if s := license(good); s != 200 {
		t.Errorf("license with a good token: %d", s)
	}
	if s := license(bearer); s != 401 {
		t.Errorf("license with a bad token: %d", s)
	}

	// Manifests and segments, with the markers riding along.
	_, pathsBody := api("POST", "/api/v1/streamingLocators/"+loc+"/listPaths", "{}", adminToken)
	var paths struct {
		StreamingPaths []struct{ Paths []string } `json:"streamingPaths"`
	}
	if err := json.Unmarshal([]byte(pathsBody), &paths); err != nil || len(paths.StreamingPaths) == 0 {
		t.Fatalf("listPaths: %s", pathsBody)
	}
	segRef := regexp.MustCompile(`(?m)^[^#\s][^\s]*$|URI="([^"]+)"`)
	segments := 0
	for _, sp := range paths.StreamingPaths {
		for _, m := range sp.Paths {
			s, mb := get(m+"?token="+query, "Authorization", "Bearer "+bearer)
			if s != 200 {
				t.Fatalf("%s: %d", m, s)
			}
			if !strings.Contains(m, "m3u8") {
				continue
			}
			base := m[:strings.LastIndex(m, "/")+1]
			for _, v := range segRef.FindAllStringSubmatch(string(mb), 2) {
				ref := v[0]
				if v[1] != "" {
					ref = v[1]
				}
				if strings.Contains(ref, "://") || strings.Contains(ref, "/keys/") {
					continue
				}
				vp := base + ref
				_, pb := get(vp+"?token="+query, "Authorization", "Bearer "+bearer)
				vbase := vp[:strings.LastIndex(vp, "/")+1]
				for j, sg := range segRef.FindAllStringSubmatch(string(pb), -1) {
					ref := sg[0]
					if sg[1] != "" {
						ref = sg[1]
					}
					if strings.Contains(ref, "://") || strings.Contains(ref, "/keys/") {
						continue
					}
					if j >= 3 {
						later = append(later, vbase+ref)
						continue
					}
					if s, _ := get(vbase+ref+"?token="+query, "Authorization", "Bearer "+bearer); s == 200 {
						segments++
					}
				}
			}
		}
	}
	if segments == 0 {
		t.Errorf("no segment served")
	}
	get("/no/such/thing?token="+query, "Authorization", "Bearer "+bearer)
	get("/healthz?token="+query, "Authorization", "Bearer "+bearer)

	// Malformed requests on both listeners.
	for _, addr := range []string{p.listen, p.admin} {
		for _, m := range malformedRequests(bearer, query) {
			if line := rawExchange(t, addr, []byte(m.req), m.halfClose); !strings.HasPrefix(line, "HTTP/1.1 4") {
				t.Errorf("%s, %s: %q, want a 4xx answer", addr, m.name, line)
			}
		}
		for _, tok := range []string{adminToken, wrongAdmin} {
			rawExchange(t, addr, []byte("GET /api/v1/streamingLocators\x01 HTTP/1.1\r\nHost: o\r\nAuthorization: Bearer "+tok+"\r\nConnection: close\r\n\r\n"), false)
		}
	}
	return later
}

// checkLogsLive checks that the logs the secrets test searched were
// written: without them, finding no secret would prove nothing.
func checkLogsLive(t *testing.T, procs []*serveProcess) {
	t.Helper()
	for i, p := range procs {
		out, errs := p.outb.String(), p.errb.String()
		json := strings.HasPrefix(errs, "{")
		kv := func(k, v string) string {
			if json {
				return fmt.Sprintf("%q:%q", k, v)
			}
			return k + "=" + v
		}
		for _, want := range []struct{ what, re string }{
			{"access log: a segment", `(?m)^127\.0\.0\.1 .*"GET /secret-0/progressive\.ism/QualityLevels\(\d+\)/Fragments\([^ ?]*\)[^ ?]* HTTP/1\.1" 200 \d+ |"msg":"access".*"path":"/secret-1/progressive\.ism/QualityLevels\(\d+\)/Fragments\([^"?]*\)[^"?]*".*"status":200`},
			{"access log: a refused key", `" 401 \d+ |"status":401,`},
			{"access log: a request fasthttp could not read", `"GET /keys/aes/x\\x01 HTTP/1\.1" 400 |"path":"/keys/aes/x\\u0001".*"status":400`},
		} {
			if !regexp.MustCompile(want.re).MatchString(out) {
				t.Errorf("process %d: no %s in stdout", i, want.what)
			}
		}
		if strings.Contains(out, "?") {
			t.Errorf("process %d: a query in the access log", i)
		}
		for _, want := range []struct{ what, s string }{
			{"key refused, expired", kv("reason", "expired")},
			{"key refused, wrong audience", kv("reason", "wrong_audience")},
			{"key refused, bad signature", kv("reason", "bad_signature")},
			{"key refused, no token", kv("reason", "missing")},
			{"audit of a locator created", kv("name", fmt.Sprintf("secret-%d", i))},
			{"audit of a delete", kv("method", "DELETE")},
			{"a wrong admin token", "management request refused"},
			{"a request not read, with its path", "/keys/aes/x"},
			{"a storage failure", "unavailable after 3 attempts"},
			{"go-redis's own log", kv("component", "redis")},
		} {
			if !strings.Contains(errs, want.s) {
				t.Errorf("process %d: no %s (%s) in stderr", i, want.what, want.s)
			}
		}
	}
}

// checkMetricsWired: the process's /metrics holds the origin's families
// beside the object store's, all on the one registry serve wires
// (origin's TestMetricsAfterMixedLoad checks the counts).
func checkMetricsWired(t *testing.T, p *serveProcess) {
	t.Helper()
	r, err := http.Get("http://" + p.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, family := range []string{
		`drmorigin_http_requests_total{code="200",format="mpd-time-csf",kind="manifest",listener="stream",scheme="cenc"}`,
		`drmorigin_http_requests_total{code="201",format="",kind="api",listener="admin",scheme=""}`,
		`drmorigin_http_request_duration_seconds_bucket{kind="segment",listener="stream",le="0.001"}`,
		`drmorigin_http_response_bytes_total{kind="segment",listener="stream"}`,
		`drmorigin_key_deliveries_total{type="aes"}`,
		`drmorigin_key_refusals_total{reason="expired",type="aes"}`,
		`drmorigin_keystore_errors_total{op="resolve"}`,
		`drmorigin_locator_cache_hits_total`, `drmorigin_locator_cache_misses_total`,
		`drmorigin_asset_cache_hits_total`, `drmorigin_asset_cache_misses_total`,
		`drmorigin_storage_calls_total{op="read",result="error"}`, `drmorigin_storage_cache_hits_total`,
	} {
		if !bytes.Contains(b, []byte("\n"+family+" ")) {
			t.Errorf("/metrics has no %s", family)
		}
	}
}
