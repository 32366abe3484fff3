package origin_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// methods are the HTTP methods the router checks are probed with.
var methods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}

// methodAgnostic are the admin paths served by handlers that answer any
// method (Prometheus' promhttp and the standard library's net/http/pprof):
// the document gives the method to use, GET, and the router check does not
// probe the others. Under /debug/pprof/ it probes nothing but the
// document's example, since a CPU profile or trace takes seconds.
var methodAgnostic = []string{"/metrics", "/debug/pprof/"}

// A docOp is one documented operation.
type docOp struct {
	path, method string         // "/api/v1/assets/{name}", "GET"
	streaming    bool           // on the streaming listener (the path has servers of its own)
	op           map[string]any // the operation object
	params       []any          // path-level and operation parameters
}

// operations lists the document's operations, in path order.
func (d *apiDoc) operations(t testing.TB) []docOp {
	t.Helper()
	paths, ok := d.root["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		t.Fatalf("%s has no paths", openAPIPath)
	}
	keys := make([]string, 0, len(paths))
	for p := range paths {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	var ops []docOp
	for _, p := range keys {
		item := paths[p].(map[string]any)
		_, streaming := item["servers"]
		for _, m := range methods {
			op, ok := item[strings.ToLower(m)].(map[string]any)
			if !ok {
				continue
			}
			params := append(slices.Clone(asList(item["parameters"])), asList(op["parameters"])...)
			ops = append(ops, docOp{path: p, method: m, streaming: streaming, op: op, params: params})
		}
	}
	return ops
}

var templateParam = regexp.MustCompile(`\{([^}]+)\}`)

// pattern is the regular expression of a path template.
func (o docOp) pattern() *regexp.Regexp {
	q := regexp.QuoteMeta(o.path)
	q = regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(q, `[^/]+`)
	return regexp.MustCompile("^" + q + "$")
}

// TestOpenAPIDocumentWellFormed: docs/openapi.yaml is an OpenAPI 3.0
// document whose references resolve, whose operations have ids and
// responses, whose path parameters are declared with an example, and whose
// request examples validate against their own schemas.
func TestOpenAPIDocumentWellFormed(t *testing.T) {
	d := loadAPIDoc(t)
	if v, _ := d.root["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Errorf("openapi: %q, want 3.0.x", v)
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, err := d.resolve(ref); err != nil {
					t.Errorf("%s: %v", at, err)
				}
			}
			for k, e := range v {
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s[%d]", at, i))
			}
		}
	}
	walk(d.root, "#")
	ids := map[string]string{}
	for _, o := range d.operations(t) {
		name := o.method + " " + o.path
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", name)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("%s: operationId %q is also %s's", name, id, prev)
		}
		ids[id] = name
		if r, _ := o.op["responses"].(map[string]any); len(r) == 0 {
			t.Errorf("%s: no responses", name)
		}
		declared := map[string]bool{}
		for _, p := range o.params {
			pm, err := d.deref(p.(map[string]any))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if pm["in"] == "path" {
				declared[pm["name"].(string)] = true
				if pm["example"] == nil {
					t.Errorf("%s: path parameter %s has no example (the router check requests it)", name, pm["name"])
				}
			}
		}
		for _, m := range templateParam.FindAllStringSubmatch(o.path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter {%s} is not declared", name, m[1])
			}
		}
		if rb, ok := o.op["requestBody"].(map[string]any); ok {
			for ct, media := range rb["content"].(map[string]any) {
				mm := media.(map[string]any)
				if ex, ok := mm["example"]; ok {
					for _, e := range d.validate(mm["schema"].(map[string]any), ex, name+" example") {
						t.Errorf("%s (%s): %s", name, ct, e)
					}
				}
			}
		}
	}
}

// apiFixture is an origin over the demo media with one resource of each
// kind under the names the document's path examples use.
type apiFixture struct {
	*testOrigin
	doc *apiDoc
	kid string // the envelope key of the fixture locator, as a GUID
}

// Fixture resources. The locator's keys are given, not generated, so that
// it can be deleted and made again with the same KIDs.
const (
	fixturePolicy   = `{"name":"open","options":[{"name":"aes","configuration":{"type":"aesEnvelope"},"restriction":{"type":"open"}},{"name":"clearkey","configuration":{"type":"clearKey"},"restriction":{"type":"open"}}]}`
	fixtureStreamng = `{"name":"fixture-sp","noEncryption":{"protocols":["dash"]}}`
	fixtureLocator  = `{"name":"demo-clearkey","assetName":"demo","streamingPolicyName":"Predefined_ClearKey","defaultContentKeyPolicyName":"open",` +
		`"contentKeys":[{"id":"4fbd2fbc-ed5b-4f9c-8db2-2f5b32fe6e55","value":"05wnE7FkoxOL6KZVh1aKtQ==","type":"envelopeEncryption"},` +
		`{"id":"cb77b0ea-947c-4340-b6a1-78bca46b5525","value":"ohsUAJ5snCpP4SBgNLV6Qg==","type":"commonEncryptionCenc"}]}`
	fixtureKID    = "4fbd2fbc-ed5b-4f9c-8db2-2f5b32fe6e55"
	fixtureFilter = `{"firstQuality":{"bitrate":1000000},"tracks":[{"trackSelections":[{"property":"Type","operation":"Equal","value":"Video"}]},{"trackSelections":[{"property":"Type","value":"Audio"}]}]}`
	// fixtureRecipient is a CPIX recipient: an RSA certificate made once
	// with openssl (its private key thrown away).
	fixtureRecipient = `{"name": "license-service", "certificate": "-----BEGIN CERTIFICATE-----\nMIIDJzCCAg+gAwIBAgIUWGqdhWGCaXl4zpBy0HX/zGXhRcwwDQYJKoZIhvcNAQEL\nBQAwIjEgMB4GA1UEAwwXZml4dHVyZS1saWNlbnNlLXNlcnZpY2UwIBcNMjYxMjA3\nMTAxMzE0WhgPMjEyNjExMTMxMDEzMTRaMCIxIDAeBgNVBAMMF2ZpeHR1cmUtbGlj\nZW5zZS1zZXJ2aWNlMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwHdW\n9XsnndOjrIuzG0aoxrN9vCalvr8gchtrbm3qsCz4GCRYqdjSxOZaaxWXsuzQdJL4\nAg2ZGC9mCiUKyIu1oIrFfKLAQNyXq72O4gY3vU0Kg7SmgD4AD+M/EQghd4DOmwT6\n/Qhxf+xYinFDeIoK0imdt6DaJG1bmIp4MFQPMl+3DcRn8QyfTcbWHXuK6XxmWUwv\nD1IjXDHAGHnSyn+l2aweGc2zUf7wVxAk99PeQMH9orqd2qs+0WsXFnWdoQcOEa6/\n5l4O+DrMFmxW0eJhSsc/DuRqgU7JJ6cifn8BAT3uCH5/9sQUimjb80/mHzeFbSiR\n/rKKpfySUZmwasFawwIDAQABo1MwUTAdBgNVHQ4EFgQUwlTdpROOBpS17QeYtY1U\nI4EHwZkwHwYDVR0jBBgwFoAUwlTdpROOBpS17QeYtY1UI4EHwZkwDwYDVR0TAQH/\nBAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAZ2ASpZ0yFJXmLi9d9KcG+bG7AMXa\nWYadjSPOLXl0rzgpNugjED+Zjg+fjrvZwsG/Y2yKAxXM+7vf33zxZkts1iMf+zAN\nSPg5WtH3SmgDyuuEogutusb1zkiQlr0AzRrr9uaLKvNNEI7A06VvsCDSswrYP+LE\nbpffL9NKwyBB+e4WgMUsW4+wAb/+4Br+NNGatWAVlFthLq+yJziZDGRjwp2viVmj\nxX7FYH/XeZVYLmXNoUZQsPA6dpy1CwraReXhxDVfJtARntlHGVwA3xhr6DA5Ci+v\n/q+dMsUXZWnX7czWz+wV1EKcRmVuMSVH1CTgV0wp13THC6nPUgTnVgloig==\n-----END CERTIFICATE-----\n"}`
)

func newAPIFixture(t *testing.T) *apiFixture {
	t.Helper()
	doc := loadAPIDoc(t) // first: an origin stopped as soon as it started can hang its shutdown
	f := &apiFixture{testOrigin: startOrigin(t, mediaRoot(t), ""), doc: doc, kid: fixtureKID}
	f.ensure()
	return f
}

// ensure (re)creates the fixture resources that a probe may have deleted.
func (f *apiFixture) ensure() {
	f.t.Helper()
	for _, r := range []struct{ path, body string }{
		{"/api/v1/contentKeyPolicies/open", fixturePolicy},
		{"/api/v1/streamingPolicies/fixture-sp", fixtureStreamng},
		{"/api/v1/streamingLocators/demo-clearkey", fixtureLocator},
		{"/api/v1/accountFilters/low", fixtureFilter},
		{"/api/v1/assets/demo/assetFilters/low", fixtureFilter},
		{"/api/v1/cpixRecipients/license-service", fixtureRecipient},
		{"/api/v1/liveEvents/fixture-live", `{"input":{"streamingProtocol":"FragmentedMP4","accessToken":"fixture-token"}}`},
		{"/api/v1/liveEvents/fixture-live/liveOutputs/fixture-out", `{"assetName":"fixture-archive","manifestName":"live","archiveWindowLength":"PT2M"}`},
	} {
		if g := f.api("GET", r.path, nil); g.status == http.StatusOK {
			continue
		}
		if p := f.api("PUT", r.path, r.body); p.status != http.StatusCreated {
			f.t.Fatalf("fixture PUT %s: %s", r.path, p)
		}
	}
}

// concrete fills a documented path's parameters with their examples (the
// fixture's KID for key delivery).
func (f *apiFixture) concrete(o docOp) string {
	p := o.path
	for _, raw := range o.params {
		pm, _ := f.doc.deref(raw.(map[string]any))
		if pm["in"] != "path" {
			continue
		}
		name := pm["name"].(string)
		v := fmt.Sprint(pm["example"])
		if name == "kid" {
			v = f.kid
		}
		p = strings.ReplaceAll(p, "{"+name+"}", v)
	}
	return p
}

// request makes one request to the admin (or streaming) listener, with the
// admin token unless noAuth.
func (f *apiFixture) request(method, path string, streaming, noAuth bool, body string) *response {
	f.t.Helper()
	base := f.admin
	if streaming {
		base = f.base
	}
	var hdr []string
	if !noAuth && !streaming {
		hdr = append(hdr, "Authorization", "Bearer "+testToken)
	}
	if body != "" {
		hdr = append(hdr, "Content-Type", "application/json")
	}
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	return do(f.t, method, base+path, b, hdr...)
}

// oversized announces a 2 MiB PUT body to the admin listener and reads the
// answer without sending the body: the origin refuses it from the header,
// and a client still writing a body the server has closed on would see a
// reset instead of the answer.
func (f *apiFixture) oversized(path string) *response {
	f.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.admin, "http://"))
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		path, testToken, 2<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		f.t.Fatalf("PUT %s with a 2 MiB body: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

// TestOpenAPIRoutesAnswer: every documented path and method answers
// something other than 404 or 405 on a real origin, and every documented
// admin operation that needs the token answers 401 without it.
func TestOpenAPIRoutesAnswer(t *testing.T) {
	f := newAPIFixture(t)
	ops := f.doc.operations(t)
	// Deletions last, so that the other probes find the fixtures.
	slices.SortStableFunc(ops, func(a, b docOp) int {
		return boolInt(a.method == "DELETE") - boolInt(b.method == "DELETE")
	})
	for _, o := range ops {
		p := f.concrete(o)
		if strings.HasSuffix(p, "/profile") || strings.HasSuffix(p, "/trace") {
			p += "?seconds=1"
		}
		r := f.request(o.method, p, o.streaming, false, "")
		if r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
			t.Errorf("%s %s (documented as %s): %s", o.method, p, o.path, r)
		}
		if _, ok := o.op["responses"].(map[string]any)[strconv.Itoa(r.status)]; !ok && r.status != http.StatusBadRequest {
			// A probe without a body may be a 400 the document need not
			// list for every operation; any other status must be there.
			t.Errorf("%s %s: status %d is not among the documented responses", o.method, p, r.status)
		}
		if sec, ok := o.op["security"].([]any); !o.streaming && (!ok || len(sec) > 0) {
			if r := f.request(o.method, p, false, true, ""); r.status != http.StatusUnauthorized {
				t.Errorf("%s %s without the admin token: %s, want 401", o.method, p, r)
			}
		}
		if o.method == "DELETE" {
			f.ensure()
		}
	}
}

// TestOpenAPIRoutesDocumented: every route the admin router serves is in
// the document with its methods. The candidates are the documented paths
// and paths made of every string literal of the admin handler's source
// (adminHandlerFiles) and every collection keyclient defines, each
// requested with every method; whatever answers other than 404 or 405 must
// match a documented path template and method.
func TestOpenAPIRoutesDocumented(t *testing.T) {
	f := newAPIFixture(t)
	ops := f.doc.operations(t)
	documented := func(path, method string) bool {
		path, _, _ = strings.Cut(path, "?")
		if strings.Count(path, "/") == 4 {
			// The document says collections answer with a trailing slash too.
			path = strings.TrimSuffix(path, "/")
		}
		for _, o := range ops {
			if !o.streaming && o.method == method && o.pattern().MatchString(path) {
				return true
			}
		}
		return false
	}
	segments, prefixes := adminLiterals(t)
	collections := keyclientKinds(t)
	names := map[string]string{"contentKeyPolicies": "open", "streamingPolicies": "fixture-sp", "streamingLocators": "demo-clearkey", "assets": "demo",
		"accountFilters": "low"}
	cand := map[string]bool{}
	for _, o := range ops {
		if !o.streaming {
			cand[f.concrete(o)] = true
		}
	}
	for _, pre := range prefixes {
		cand[pre] = true
		for _, s := range segments {
			cand[strings.TrimSuffix(pre, "/")+"/"+s] = true
		}
	}
	for _, c := range append(slices.Clone(collections), segments...) {
		cand["/api/v1/"+c] = true
		cand["/api/v1/"+c+"/"] = true
		name := names[c]
		if name == "" {
			name = "x"
		}
		cand["/api/v1/"+c+"/"+name] = true
		for _, s := range segments {
			cand["/api/v1/"+c+"/"+name+"/"+s] = true
		}
	}
	paths := make([]string, 0, len(cand))
	for p := range cand {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	probed := 0
	for _, p := range paths {
		if slices.ContainsFunc(methodAgnostic, func(a string) bool { return strings.HasPrefix(p, a) }) {
			continue
		}
		for _, m := range methods {
			r := f.request(m, p, false, false, "")
			probed++
			if m == "DELETE" && r.status == http.StatusNoContent {
				f.ensure()
			}
			if r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
				continue
			}
			if r.status == http.StatusBadRequest && isNameError(r) {
				continue // a route, but not this name: the name check spoke
			}
			if !documented(p, m) {
				t.Errorf("the admin router serves %s %s (%s), which %s does not document", m, p, r, openAPIPath)
			}
		}
	}
	t.Logf("%d candidate requests from %d handler literals and %d collections", probed, len(segments)+len(prefixes), len(collections))
	if probed < 100 {
		t.Errorf("only %d candidate requests: the literal scan found too little to prove anything", probed)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isNameError reports a 400 that blames the resource name in the URL (a
// segment literal probed as a name, such as "GET, PUT, DELETE").
func isNameError(r *response) bool {
	var e struct {
		Error struct{ Target string } `json:"error"`
	}
	return json.Unmarshal(r.body, &e) == nil && e.Error.Target == "name"
}

var segmentLiteral = regexp.MustCompile(`^[$A-Za-z][A-Za-z0-9_$-]*$`)

// adminHandlerFiles are the sources of the admin router and the handlers
// it calls.
var adminHandlerFiles = []string{"handler_admin*.go", "handler_asset*.go", "handler_filter*.go"}

// adminLiterals returns the string literals of adminHandlerFiles that
// could be a path segment ("assets", "listPaths") and those that are
// absolute paths ("/metrics", "/api/v1/").
func adminLiterals(t *testing.T) (segments, prefixes []string) {
	var files []string
	for _, g := range adminHandlerFiles {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("none of %v in origin/", adminHandlerFiles)
	}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, fn := range files {
		if strings.HasSuffix(fn, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, fn, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || seen[s] {
				return true
			}
			seen[s] = true
			switch {
			case strings.HasPrefix(s, "/") && !strings.ContainsAny(s, " \t\n?"):
				prefixes = append(prefixes, s)
			case segmentLiteral.MatchString(s) && len(s) < 64:
				segments = append(segments, s)
			}
			return true
		})
	}
	sort.Strings(segments)
	sort.Strings(prefixes)
	return segments, prefixes
}

// keyclientKinds returns the values of keyclient's Kind constants: the
// collections the management API may route.
func keyclientKinds(t *testing.T) []string {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, "../keyclient", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, p := range pkgs {
		for _, file := range p.Files {
			ast.Inspect(file, func(n ast.Node) bool {
				vs, ok := n.(*ast.ValueSpec)
				if !ok {
					return true
				}
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Kind" {
					return true
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						kinds = append(kinds, s)
					}
				}
				return true
			})
		}
	}
	if len(kinds) == 0 {
		t.Fatal("found no keyclient.Kind constants: has the type been renamed?")
	}
	sort.Strings(kinds)
	return kinds
}

// check validates a response against the documented response of op for
// its status and content type.
func (f *apiFixture) check(t *testing.T, o docOp, what string, r *response) {
	t.Helper()
	resp, ok := o.op["responses"].(map[string]any)[strconv.Itoa(r.status)].(map[string]any)
	if !ok {
		t.Errorf("%s: status %d is not documented for %s %s (%s)", what, r.status, o.method, o.path, r)
		return
	}
	resp, err := f.doc.deref(resp)
	if err != nil {
		t.Fatal(err)
	}
	content, _ := resp["content"].(map[string]any)
	ct, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	if len(content) == 0 {
		if len(r.body) > 0 {
			t.Errorf("%s: %d has a body (%s) the document does not describe", what, r.status, r)
		}
		return
	}
	media, ok := content[ct].(map[string]any)
	if !ok {
		t.Errorf("%s: %d answered %q, the document says %v", what, r.status, ct, keysOf(content))
		return
	}
	schema, _ := media["schema"].(map[string]any)
	var v any = string(r.body)
	if ct == "application/json" {
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Errorf("%s: not JSON: %v: %s", what, err, r)
			return
		}
	}
	for _, e := range f.doc.validate(schema, v, "$") {
		t.Errorf("%s: %d body: %s", what, r.status, e)
	}
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIResponsesMatchSchemas: representative calls of every kind of
// operation, successes and errors, answer with documented statuses and
// bodies that validate against the documented schemas.
func TestOpenAPIResponsesMatchSchemas(t *testing.T) {
	f := newAPIFixture(t)
	byID := map[string]docOp{}
	for _, o := range f.doc.operations(t) {
		byID[o.op["operationId"].(string)] = o
	}
	call := func(id, path, body string, noAuth bool, wantStatus int) *response {
		t.Helper()
		o, ok := byID[id]
		if !ok {
			t.Fatalf("no operation %s in the document", id)
		}
		r := f.request(o.method, path, o.streaming, noAuth, body)
		if r.status != wantStatus {
			t.Errorf("%s %s: %s, want %d", o.method, path, r, wantStatus)
		}
		f.check(t, o, o.method+" "+path, r)
		return r
	}
	// Two of each so that a one-item page has a nextLink.
	call("putContentKeyPolicy", "/api/v1/contentKeyPolicies/second", strings.Replace(fixturePolicy, `"open"`, `"second"`, 1), false, 201)
	call("putContentKeyPolicy", "/api/v1/contentKeyPolicies/second", strings.Replace(fixturePolicy, `"open"`, `"second"`, 1), false, 200)
	call("putStreamingPolicy", "/api/v1/streamingPolicies/hlsAes", `{"envelopeEncryption":{"protocols":["hls"],"keyUrlTemplate":"/keys/aes/{ContentKeyId}"}}`, false, 201)
	call("putStreamingLocator", "/api/v1/streamingLocators/demo-trailer", `{"assetName":"demo","streamingPolicyName":"Predefined_ClearStreamingOnly"}`, false, 201)
	call("putStreamingLocator", "/api/v1/streamingLocators/demo-trailer", `{"assetName":"demo","streamingPolicyName":"Predefined_ClearStreamingOnly"}`, false, 200)
	call("putStreamingLocator", "/api/v1/streamingLocators/demo-trailer", `{"assetName":"demo","streamingPolicyName":"Predefined_ClearKey"}`, false, 409)
	for _, c := range []struct{ id, coll string }{
		{"listContentKeyPolicies", "contentKeyPolicies"}, {"listStreamingPolicies", "streamingPolicies"},
		{"listStreamingLocators", "streamingLocators"}, {"listAssets", "assets"},
	} {
		r := call(c.id, "/api/v1/"+c.coll+"?$top=1", "", false, 200)
		var page struct {
			NextLink string `json:"nextLink"`
		}
		if json.Unmarshal(r.body, &page) != nil || page.NextLink == "" {
			t.Errorf("%s?$top=1: no nextLink: %s", c.coll, r)
			continue
		}
		call(c.id, page.NextLink, "", false, 200)
		call(c.id, "/api/v1/"+c.coll+"?$top=1000", "", false, 200)
		call(c.id, "/api/v1/"+c.coll+"?$top=0", "", false, 400)
	}
	call("getContentKeyPolicy", "/api/v1/contentKeyPolicies/open", "", false, 200)
	call("getStreamingPolicy", "/api/v1/streamingPolicies/Predefined_MultiDrmStreaming", "", false, 200)
	call("getStreamingPolicy", "/api/v1/streamingPolicies/fixture-sp", "", false, 200)
	call("getStreamingLocator", "/api/v1/streamingLocators/demo-clearkey", "", false, 200)
	call("getStreamingLocator", "/api/v1/streamingLocators/nope", "", false, 404)
	call("getStreamingLocator", "/api/v1/streamingLocators/demo-clearkey", "", true, 401)
	call("putStreamingLocator", "/api/v1/streamingLocators/bad", `{"assetName":"demo","streamingPolicyName":"Predefined_ClearKey","colour":"red"}`, false, 400)
	if o, r := byID["putContentKeyPolicy"], f.oversized("/api/v1/contentKeyPolicies/big"); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("PUT with a 2 MiB body: %s, want 413", r)
	} else {
		f.check(t, o, "PUT with a 2 MiB body", r)
	}
	call("putStreamingPolicy", "/api/v1/streamingPolicies/Predefined_ClearKey", `{"noEncryption":{"protocols":["dash"]}}`, false, 409)
	call("deleteContentKeyPolicy", "/api/v1/contentKeyPolicies/open", "", false, 409)
	call("listPaths", "/api/v1/streamingLocators/demo-clearkey/listPaths", "", false, 200)
	call("listPaths", "/api/v1/streamingLocators/nope/listPaths", "", false, 404)
	call("listContentKeys", "/api/v1/streamingLocators/demo-clearkey/listContentKeys", "", false, 200)
	call("getAsset", "/api/v1/assets/demo", "", false, 200)
	call("getAsset", "/api/v1/assets/progressive", "", false, 200)
	call("getAsset", "/api/v1/assets/nope", "", false, 404)
	call("deleteStreamingLocator", "/api/v1/streamingLocators/demo-trailer", "", false, 204)
	call("deleteStreamingPolicy", "/api/v1/streamingPolicies/hlsAes", "", false, 204)
	// Live events and outputs (the fixture's fixture-live has fixture-out).
	ev := `{"input":{"streamingProtocol":"FragmentedMP4"}}`
	call("putLiveEvent", "/api/v1/liveEvents/second-live", ev, false, 201)
	call("putLiveEvent", "/api/v1/liveEvents/second-live", ev, false, 200)
	call("putLiveEvent", "/api/v1/liveEvents/bad-live", `{"input":{"streamingProtocol":"RTMP"}}`, false, 400)
	call("getLiveEvent", "/api/v1/liveEvents/fixture-live", "", false, 200)
	call("getLiveEvent", "/api/v1/liveEvents/nope", "", false, 404)
	call("startLiveEvent", "/api/v1/liveEvents/second-live/start", "", false, 200)
	call("putLiveEvent", "/api/v1/liveEvents/second-live", `{"input":{"accessToken":"other"}}`, false, 409)
	call("deleteLiveEvent", "/api/v1/liveEvents/second-live", "", false, 409)
	call("stopLiveEvent", "/api/v1/liveEvents/second-live/stop", "", false, 200)
	out := `{"assetName":"second-archive","archiveWindowLength":"PT1H"}`
	call("putLiveOutput", "/api/v1/liveEvents/second-live/liveOutputs/o2", out, false, 201)
	call("putLiveOutput", "/api/v1/liveEvents/second-live/liveOutputs/o2", out, false, 200)
	call("putLiveOutput", "/api/v1/liveEvents/second-live/liveOutputs/o3", `{"assetName":"x","archiveWindowLength":"PT59S"}`, false, 400)
	call("putLiveOutput", "/api/v1/liveEvents/second-live/liveOutputs/o3", `{"assetName":"demo","archiveWindowLength":"PT1H"}`, false, 409)
	call("putLiveOutput", "/api/v1/liveEvents/nope/liveOutputs/o3", out, false, 404)
	call("getLiveOutput", "/api/v1/liveEvents/second-live/liveOutputs/o2", "", false, 200)
	call("putLiveOutput", "/api/v1/liveEvents/second-live/liveOutputs/o4", `{"assetName":"fourth-archive","archiveWindowLength":"PT1H"}`, false, 201)
	for _, c := range []struct{ id, path string }{{"listLiveEvents", "/api/v1/liveEvents"}, {"listLiveOutputs", "/api/v1/liveEvents/second-live/liveOutputs"}} {
		r := call(c.id, c.path+"?$top=1", "", false, 200)
		var page struct {
			NextLink string `json:"nextLink"`
		}
		if json.Unmarshal(r.body, &page) != nil || page.NextLink == "" {
			t.Errorf("%s?$top=1: no nextLink: %s", c.path, r)
		} else {
			call(c.id, page.NextLink, "", false, 200)
		}
		call(c.id, c.path+"?$top=0", "", false, 400)
	}
	call("deleteLiveEvent", "/api/v1/liveEvents/second-live", "", false, 409) // it has outputs
	call("deleteLiveOutput", "/api/v1/liveEvents/second-live/liveOutputs/o2", "", false, 204)
	call("deleteLiveOutput", "/api/v1/liveEvents/second-live/liveOutputs/o4", "", false, 204)
	call("deleteLiveEvent", "/api/v1/liveEvents/second-live", "", false, 204)
	call("metrics", "/metrics", "", true, 200)
	call("healthz", "/healthz", "", true, 200)
	call("readyz", "/readyz", "", true, 200)
	kid, _ := hexKID(fixtureKID)
	call("clearKeyLicense", "/keys/clearkey", `{"kids":["`+base64.RawURLEncoding.EncodeToString(kid)+`"],"type":"temporary"}`, true, 200)
	call("clearKeyLicense", "/keys/clearkey", `{"kids":"nope"}`, true, 400)
	if r := call("getAESKey", "/keys/aes/"+fixtureKID, "", true, 200); len(r.body) != 16 {
		t.Errorf("AES key: %d bytes", len(r.body))
	}
	call("getAESKey", "/keys/aes/00000000-0000-0000-0000-000000000000", "", true, 404)
}

// resourceExample matches an example of docs/resources.md: an HTML comment
// naming where it is PUT, then a JSON fence.
var resourceExample = regexp.MustCompile("(?s)<!-- resource-example: ([A-Za-z]+)/([A-Za-z0-9_-]+) -->\n```json\n(.*?)```")

// TestResourceDocExamples: every marked example of docs/resources.md is
// valid against the document's schema for its PUT, and a real origin
// accepts it, in the order written (later ones name earlier ones).
func TestResourceDocExamples(t *testing.T) {
	b, err := os.ReadFile("../docs/resources.md")
	if err != nil {
		t.Fatal(err)
	}
	d := loadAPIDoc(t)
	put := map[string]docOp{}
	for _, op := range d.operations(t) {
		if op.method == "PUT" {
			put[strings.Split(op.path, "/")[3]] = op
		}
	}
	ms := resourceExample.FindAllSubmatch(b, -1)
	if len(ms) < 5 {
		t.Fatalf("docs/resources.md has %d marked examples, want the policies and locators it shows", len(ms))
	}
	o := startOrigin(t, mediaRoot(t), "")
	for _, m := range ms {
		coll, name, body := string(m[1]), string(m[2]), m[3]
		op, ok := put[coll]
		if !ok {
			t.Errorf("example %s/%s: no PUT for %s in the document", coll, name, coll)
			continue
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Errorf("example %s/%s: %v", coll, name, err)
			continue
		}
		schema := op.op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
		for _, e := range d.validate(schema, v, "$") {
			t.Errorf("example %s/%s against the document: %s", coll, name, e)
		}
		if r := o.api("PUT", "/api/v1/"+coll+"/"+name, body); r.status != http.StatusCreated {
			t.Errorf("example %s/%s: PUT gives %s", coll, name, r)
		}
	}
}
