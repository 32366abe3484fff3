package origin_test

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestManagementAPI(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")

	t.Run("auth", func(t *testing.T) {
		if r := do(t, "GET", o.admin+"/api/v1/streamingLocators", nil); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("no token: %s", r)
		}
		if r := do(t, "GET", o.admin+"/api/v1/streamingLocators", nil, "Authorization", "Bearer wrong"); r.status != 401 {
			t.Errorf("wrong token: %s", r)
		}
		if r := do(t, "GET", o.admin+"/metrics", nil); r.status != 200 || !strings.Contains(string(r.body), "go_goroutines") {
			t.Errorf("/metrics: %s", r)
		}
	})

	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}}}}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status != 201 {
		t.Fatalf("PUT content key policy: %s", r)
	}
	body := map[string]any{"name": "loc-a", "assetName": "demo", "streamingPolicyName": "Predefined_ClearKey",
		"defaultContentKeyPolicyName": "open"}
	t.Run("locator lifecycle", func(t *testing.T) {
		if r := o.api("PUT", "/api/v1/streamingLocators/loc-a", body); r.status != 201 {
			t.Fatalf("create: %s", r)
		}
		r := o.api("GET", "/api/v1/streamingLocators/loc-a", nil)
		if r.status != 200 || strings.Contains(string(r.body), `"value"`) {
			t.Fatalf("GET must return the locator without key values: %s", r)
		}
		var got struct {
			ContentKeys []struct{ ID, Type string } `json:"contentKeys"`
		}
		json.Unmarshal(r.body, &got)
		if len(got.ContentKeys) != 2 {
			t.Errorf("Predefined_ClearKey enables envelope and cenc: want 2 generated keys, got %+v", got.ContentKeys)
		}
		if r := o.api("PUT", "/api/v1/streamingLocators/loc-a", body); r.status != 200 {
			t.Errorf("same body again: %s, want 200", r)
		}
		changed := map[string]any{"name": "loc-a", "assetName": "demo", "streamingPolicyName": "Predefined_ClearStreamingOnly"}
		if r := o.api("PUT", "/api/v1/streamingLocators/loc-a", changed); r.status != 409 {
			t.Errorf("change: %s, want 409", r)
		}
		keys := o.api("POST", "/api/v1/streamingLocators/loc-a/listContentKeys", nil)
		var kl struct {
			ContentKeys []struct{ ID, Value, Type string } `json:"contentKeys"`
		}
		if keys.status != 200 || json.Unmarshal(keys.body, &kl) != nil || len(kl.ContentKeys) != 2 || kl.ContentKeys[0].Value == "" {
			t.Errorf("listContentKeys: %s", keys)
		}
	})

	t.Run("listPaths", func(t *testing.T) {
		o.locator("loc-clear", "demo", "Predefined_ClearStreamingOnly", nil)
		r := o.api("POST", "/api/v1/streamingLocators/loc-clear/listPaths", nil)
		var lp struct {
			StreamingPaths []struct {
				StreamingProtocol, EncryptionScheme string
				Paths                               []string
			} `json:"streamingPaths"`
		}
		if r.status != 200 || json.Unmarshal(r.body, &lp) != nil || len(lp.StreamingPaths) != 3 {
			t.Fatalf("listPaths: %s", r)
		}
		for _, sp := range lp.StreamingPaths {
			for _, p := range sp.Paths {
				if g := o.get(p); g.status != 200 {
					t.Errorf("listPaths gave %s (%s %s), which answers %s", p, sp.StreamingProtocol, sp.EncryptionScheme, g)
				}
			}
		}
	})

	t.Run("paging", func(t *testing.T) {
		for _, n := range []string{"p1", "p2", "p3"} {
			o.locator(n, "demo", "Predefined_ClearStreamingOnly", nil)
		}
		seen := map[string]bool{}
		next := "/api/v1/streamingLocators?$top=2"
		for i := 0; next != "" && i < 10; i++ {
			r := o.api("GET", next, nil)
			var page struct {
				Value    []struct{ Name string } `json:"value"`
				NextLink string                  `json:"nextLink"`
			}
			if r.status != 200 || json.Unmarshal(r.body, &page) != nil || len(page.Value) > 2 {
				t.Fatalf("page %s: %s", next, r)
			}
			for _, v := range page.Value {
				if seen[v.Name] {
					t.Errorf("%s listed twice", v.Name)
				}
				seen[v.Name] = true
			}
			next = page.NextLink
		}
		for _, n := range []string{"p1", "p2", "p3", "loc-a", "loc-clear"} {
			if !seen[n] {
				t.Errorf("paging never listed %s (saw %v)", n, seen)
			}
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, c := range []struct {
			body   string
			target string
		}{
			{`{"name":"bad1","assetName":"demo","streamingPolicyName":"Predefined_ClearKey","bogus":1}`, "bogus"},
			{`{"name":"bad1","assetName":"demo","streamingPolicyName":42}`, "streamingPolicyName"},
			{`{"name":"bad1","assetName":"demo","streamingPolicyName":"NoSuchPolicy"}`, "streamingPolicyName"},
			{`{"name":"bad1","assetName":"demo","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"id":"11111111-2222-3333-4444-555555555555","value":"AAECAwQFBgcICQoLDA0O","type":"commonEncryptionCenc"}]}`, "contentKeys[0].value"},
			{`{"name":"bad1","assetName":"demo","streamingPolicyName":"Predefined_ClearKey","contentKeys":[{"id":"11111111-2222-3333-4444-555555555555","value":"not base64!","type":"commonEncryptionCenc"}]}`, "contentKeys[0].value"},
		} {
			r := o.api("PUT", "/api/v1/streamingLocators/bad1", c.body)
			var e struct {
				Error struct{ Code, Message, Target string } `json:"error"`
			}
			if r.status != 400 || json.Unmarshal(r.body, &e) != nil || !strings.Contains(e.Error.Target+e.Error.Message, c.target) {
				t.Errorf("%s: %s, want 400 naming %s", c.body, r, c.target)
			}
		}
		if r := o.api("GET", "/api/v1/streamingLocators/bad1", nil); r.status != 404 {
			t.Errorf("a refused locator was written: %s", r)
		}
		// The server answers 413 from the headers alone and closes: send only
		// the headers, so the client cannot hit a broken pipe writing a body
		// the server will never read.
		if status := rawStatus(t, o.admin, "PUT /api/v1/streamingLocators/big HTTP/1.1\r\nHost: x\r\n"+
			"Authorization: Bearer "+testToken+"\r\nContent-Type: application/json\r\nContent-Length: 1048600\r\n\r\n"); status != 413 {
			t.Errorf("a body over 1 MiB: %d, want 413", status)
		}
	})

	t.Run("delete", func(t *testing.T) {
		o.locator("gone", "demo", "Predefined_ClearStreamingOnly", nil)
		if r := o.get("/gone/demo.ism/manifest(format=mpd-time-csf)"); r.status != 200 {
			t.Fatalf("before delete: %s", r)
		}
		if r := o.api("DELETE", "/api/v1/streamingLocators/gone", nil); r.status != 204 && r.status != 200 {
			t.Fatalf("delete: %s", r)
		}
		// Invalidation is asynchronous (a change message), and bounded by a second.
		deadline := time.Now().Add(time.Second)
		for {
			r := o.get("/gone/demo.ism/manifest(format=mpd-time-csf)")
			if r.status == 404 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a second after delete: %s, want 404", r)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("assets", func(t *testing.T) {
		r := o.api("GET", "/api/v1/assets", nil)
		if r.status != 200 || !strings.Contains(string(r.body), `"demo"`) || !strings.Contains(string(r.body), "avc1.") {
			t.Errorf("assets: %s", r)
		}
	})
}

// rawStatus writes req on a new connection to base and returns the status
// code of the answer.
func rawStatus(t *testing.T, base, req string) int {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
