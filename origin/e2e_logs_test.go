package origin_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/origin"
	"github.com/drmorigin/drmorigin/origin/token"
)

// logBuffer collects what a logger writes while the test reads it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond for up to a second (the access log is written in
// batches, at least every 200 ms).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rawRequest sends req on a new connection to the listener at base and
// returns the answer's status line.
func rawRequest(t *testing.T, base string, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	c.Write([]byte(req))
	b, _ := io.ReadAll(c)
	line, _, _ := strings.Cut(string(b), "\r\n")
	return line
}

// accessLine is a line of the JSON access log.
type accessLine struct {
	Time, Level, Msg, Remote, Method, Path, Proto, Referer, UA string
	Status, Bytes                                              int
	Duration                                                   float64
}

// TestLogs: what the origin logs for the requests operators ask about, in
// JSON: an access line per streaming request (path without its query, the
// bytes sent), a line per refused key with the token's reason, an audit
// line per management change, a line for a wrong admin token and one for
// a request fasthttp could not read, with its method and path. No token,
// key value or query reaches any of them.
func TestLogs(t *testing.T) {
	var app, access logBuffer
	logger := slog.New(slog.NewJSONHandler(&app, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o := startOriginWith(t, mediaRoot(t), "", func(c *originConfig) {
		c.Logger, c.AuditLogger = logger, logger.With("component", "audit")
		c.AccessLog, c.AccessLogFormat = &access, origin.AccessLogJSON
	})
	const secret = "SECRETd6f1a2"
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/premium", tokenPolicy("premium", nil)); r.status != 201 {
		t.Fatalf("PUT policy: %s", r)
	}
	o.locator("tok", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "premium"})
	o.locator("tmp", "demo", "Predefined_ClearStreamingOnly", nil)
	if r := o.api("DELETE", "/api/v1/streamingLocators/tmp", nil); r.status != 204 {
		t.Fatalf("DELETE: %s", r)
	}
	keys := o.contentKeys("tok")
	o.api("GET", "/api/v1/streamingLocators/tok", nil) // a read: not audited
	if r := do(t, "GET", o.admin+"/api/v1/streamingLocators?token="+secret, nil, "Authorization", "Bearer "+secret); r.status != 401 {
		t.Fatalf("wrong admin token: %s", r)
	}

	aes := keyOfType(t, keys, "envelopeEncryption")
	good := mint(t, testSecret, "HS256", nil)
	expired := mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.Lifetime = -time.Hour })
	wrongAud := mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.Audience = "urn:other" })
	noClaim := mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.Claims = nil })
	keyURL := "/keys/aes/" + aes.ID
	for _, c := range []struct {
		hdr, query string
		want       int
	}{{good, "", 200}, {"", good, 200}, {expired, "", 401}, {"", wrongAud, 401}, {noClaim, "", 403}, {secret, "", 401}, {"", "", 401}} {
		path := keyURL
		if c.query != "" {
			path += "?token=" + c.query
		}
		var hdr []string
		if c.hdr != "" {
			hdr = []string{"Authorization", "Bearer " + c.hdr}
		}
		if r := o.get(path, hdr...); r.status != c.want {
			t.Fatalf("key %+v: %s", c, r)
		}
	}
	seg := o.get("/tok"+videoSeg+",format=m3u8-cmaf,encryption=cbc).m4s?token="+secret, "User-Agent", "Player/1.0 \"quoted\" é",
		"Referer", "https://player.example/watch?token="+secret)
	if seg.status != 200 {
		t.Fatalf("segment: %s", seg)
	}
	if r := do(t, "HEAD", o.base+"/tok/demo.ism/manifest(format=m3u8-cmaf)?token="+secret, nil); r.status != 200 {
		t.Fatalf("HEAD manifest: %s", r)
	}
	if line := rawRequest(t, o.base, "GET /keys/aes/x\x01?token="+secret+" HTTP/1.1\r\nHost: o\r\nAuthorization: Bearer "+secret+"\r\n\r\n"); !strings.Contains(line, " 400 ") {
		t.Fatalf("malformed request: %q", line)
	}
	if line := rawRequest(t, o.admin, "GET /api/v1/x\x01 HTTP/1.1\r\nHost: o\r\nAuthorization: Bearer "+testToken+"\r\n\r\n"); !strings.Contains(line, " 400 ") {
		t.Fatalf("malformed admin request: %q", line)
	}

	// The access log: a line per streaming request, in order.
	const streamRequests = 7 + 1 + 1 + 1
	var lines []accessLine
	waitFor(t, "the access log", func() bool {
		lines = lines[:0]
		for _, l := range strings.Split(strings.TrimSpace(access.String()), "\n") {
			var a accessLine
			if l == "" {
				continue
			}
			if err := json.Unmarshal([]byte(l), &a); err != nil {
				t.Fatalf("access line %q: %v", l, err)
			}
			lines = append(lines, a)
		}
		return len(lines) >= streamRequests
	})
	if len(lines) != streamRequests {
		t.Fatalf("%d access lines, want %d:\n%s", len(lines), streamRequests, access.String())
	}
	for i, want := range []struct {
		method, path string
		status       int
	}{
		{"GET", keyURL, 200}, {"GET", keyURL, 200}, {"GET", keyURL, 401}, {"GET", keyURL, 401}, {"GET", keyURL, 403},
		{"GET", keyURL, 401}, {"GET", keyURL, 401},
		{"GET", "/tok" + videoSeg + ",format=m3u8-cmaf,encryption=cbc).m4s", 200},
		{"HEAD", "/tok/demo.ism/manifest(format=m3u8-cmaf)", 200},
		{"GET", "/keys/aes/x\x01", 400},
	} {
		a := lines[i]
		if a.Method != want.method || a.Path != want.path || a.Status != want.status || a.Msg != "access" || a.Level != "INFO" ||
			a.Remote != "127.0.0.1" || a.Duration <= 0 || a.Proto != "HTTP/1.1" {
			t.Errorf("access line %d: %+v, want %+v", i, a, want)
		}
		if _, err := time.Parse(time.RFC3339Nano, a.Time); err != nil {
			t.Errorf("access line %d: time %q: %v", i, a.Time, err)
		}
	}
	if a := lines[0]; a.Bytes != 16 {
		t.Errorf("a key: %d bytes logged, want 16", a.Bytes)
	}
	if a := lines[7]; a.Bytes != len(seg.body) || a.UA != "Player/1.0 \"quoted\" é" || a.Referer != "https://player.example/watch" {
		t.Errorf("the segment's line: %+v (body %d bytes)", a, len(seg.body))
	}
	if a := lines[8]; a.Bytes != 0 {
		t.Errorf("HEAD: %d bytes logged, want 0", a.Bytes)
	}

	// The application log.
	out := app.String()
	for _, want := range []string{
		`"msg":"key refused","type":"aes","kid":"` + aes.ID + `","status":401,"reason":"expired"`,
		`"reason":"wrong_audience"`, `"reason":"missing_claim"`, `"reason":"malformed"`, `"reason":"missing"`,
		`"msg":"audit","component":"audit","who":"admin:`,
		`"method":"PUT","resource":"contentKeyPolicies","name":"premium","action":"","status":201`,
		`"method":"PUT","resource":"streamingLocators","name":"tok","action":"","status":201`,
		`"method":"DELETE","resource":"streamingLocators","name":"tmp","action":"","status":204`,
		`"method":"POST","resource":"streamingLocators","name":"tok","action":"listContentKeys","status":200`,
		`"msg":"management request refused","component":"audit","reason":"invalid token","remote":"127.0.0.1","method":"GET","path":"/api/v1/streamingLocators"`,
		`"msg":"request not read","listener":"stream","status":400,"reason":"malformed request","remote":"127.0.0.1","method":"GET","path":"/keys/aes/x\\x01"`,
		`"msg":"request not read","listener":"admin","status":400,"reason":"malformed request","remote":"127.0.0.1","method":"GET","path":"/api/v1/x\\x01"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in the log:\n%s", want, out)
		}
	}
	if n := strings.Count(out, `"msg":"audit"`); n != 5 {
		t.Errorf("%d audit lines, want 5 (3 PUT, 1 DELETE, 1 listContentKeys)", n)
	}
	all := out + access.String()
	secrets := []string{secret, good, expired, wrongAud, noClaim, testToken, base64.StdEncoding.EncodeToString(testSecret)}
	for _, k := range keys {
		secrets = append(secrets, k.Value)
		if v, err := base64.StdEncoding.DecodeString(k.Value); err == nil {
			secrets = append(secrets, base64.RawURLEncoding.EncodeToString(v))
		}
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("a secret (%.12s…) is in the logs", s)
		}
	}
	if strings.Contains(access.String(), "?") {
		t.Errorf("a query in the access log:\n%s", access.String())
	}
}

// TestAccessLogCombined: the combined format, its fields escaped so that a
// line stays one line of printable ASCII.
func TestAccessLogCombined(t *testing.T) {
	var access logBuffer
	o := startOriginWith(t, mediaRoot(t), "", func(c *originConfig) { c.AccessLog = &access })
	o.locator("clear", "demo", "Predefined_ClearStreamingOnly", nil)
	r := o.get("/clear/demo.ism/manifest(format=mpd-time-csf)?token=SECRET", "User-Agent", "Player \"1\"\\é", "Referer", "https://p.example/a?token=SECRET")
	if r.status != 200 {
		t.Fatalf("manifest: %s", r)
	}
	o.get("/clear/nope%20x", "User-Agent", strings.Repeat("u", origin.MaxLoggedHeader+10))
	waitFor(t, "the access log", func() bool { return strings.Count(access.String(), "\n") >= 2 })
	lines := strings.Split(strings.TrimSuffix(access.String(), "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /clear/demo\.ism/manifest\(format=mpd-time-csf\) HTTP/1\.1" 200 ` +
			itoa(len(r.body)) + ` "https://p\.example/a" "Player \\x221\\x22\\x5C\\xC3\\xA9" \d+\.\d{6}$`),
		regexp.MustCompile(`^127\.0\.0\.1 - - \[[^]]+\] "GET /clear/nope%20x HTTP/1\.1" 404 \d+ "-" "u{` + itoa(origin.MaxLoggedHeader) + `}\.\.\." \d+\.\d{6}$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), access.String())
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d:\n%s\ndoes not match\n%s", i, lines[i], re)
		}
	}
}
