package origin_test

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drmorigin/drmorigin/keyclient/redistest"
	"github.com/drmorigin/drmorigin/origin/token"
)

// scrape is a /metrics page, read as sample lines.
type scrape []string

// value returns the sum of the samples of name whose labels include every
// pair of labels ("k=v"), and how many there were.
func (s scrape) value(name string, labels ...string) (float64, int) {
	sum, n := 0.0, 0
	for _, line := range s {
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		series, val := line[:sp], line[sp+1:]
		if series != name && !strings.HasPrefix(series, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			if !strings.Contains(series, k+"="+strconv.Quote(v)) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		sum += f
		n++
	}
	return sum, n
}

func (o *testOrigin) scrape() scrape {
	o.t.Helper()
	r := do(o.t, "GET", o.admin+"/metrics", nil)
	if r.status != 200 {
		o.t.Fatalf("/metrics: %s", r)
	}
	var s scrape
	for _, l := range strings.Split(string(r.body), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			s = append(s, l)
		}
	}
	return s
}

// TestMetricsAfterMixedLoad: after a known mix of requests (manifests,
// init and media segments clear and encrypted, keys delivered and refused
// for several reasons, a license, management calls, a store outage),
// /metrics shows each family of the origin with the counts the load
// implies: requests by listener, kind, format, scheme and code, latency
// histograms, bytes, key deliveries and refusals by reason, the locator
// and asset caches, key store errors.
func TestMetricsAfterMixedLoad(t *testing.T) {
	rs := redistest.StartServer(t)
	o := startOriginWith(t, mediaRoot(t), rs.URL(), func(c *originConfig) { c.Metrics = prometheus.NewRegistry() })

	// Management: a policy and two locators created (201), keys listed,
	// an unknown locator (404).
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/premium", tokenPolicy("premium", nil)); r.status != 201 {
		t.Fatalf("PUT policy: %s", r)
	}
	o.locator("clear", "demo", "Predefined_ClearStreamingOnly", nil)
	o.locator("tok", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "premium"})
	keys := o.contentKeys("tok") // POST 200
	if r := o.api("GET", "/api/v1/streamingLocators/nope", nil); r.status != 404 {
		t.Fatalf("GET unknown locator: %s", r)
	}

	// Streaming: 3 DASH manifests, 1 HLS playlist, an init and 2 media
	// segments in the clear, an envelope-encrypted HLS segment, a 404.
	get := func(path string, want int, hdr ...string) int {
		t.Helper()
		r := o.get(path, hdr...)
		if r.status != want {
			t.Fatalf("%s: %s, want %d", path, r, want)
		}
		return len(r.body)
	}
	for range 3 {
		get("/clear/demo.ism/manifest(format=mpd-time-csf)", 200)
	}
	get("/tok/demo.ism/manifest(format=m3u8-cmaf)", 200)
	segBytes := get("/clear"+videoSeg+",format=mpd-time-csf)", 200)
	segBytes += get("/clear"+videoSeg+",format=mpd-time-csf)", 200)
	get("/clear/demo.ism/QualityLevels(600000)/Fragments(video=i,format=mpd-time-csf)", 200)
	get("/tok"+videoSeg+",format=m3u8-cmaf,encryption=cbc).m4s", 200)
	get("/nope/demo.ism/manifest(format=mpd-time-csf)", 404)

	// Keys: 2 delivered, 4 refused (expired, bad signature, missing, a
	// missing claim), a license of one key.
	aes := keyOfType(t, keys, "envelopeEncryption")
	good := mint(t, testSecret, "HS256", nil)
	keyURL := "/keys/aes/" + aes.ID
	get(keyURL, 200, "Authorization", "Bearer "+good)
	get(keyURL+"?token="+good, 200)
	get(keyURL, 401, "Authorization", "Bearer "+mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.Lifetime = -time.Hour }))
	get(keyURL, 401, "Authorization", "Bearer "+mint(t, make([]byte, 32), "HS256", nil))
	get(keyURL, 401)
	get(keyURL, 403, "Authorization", "Bearer "+mint(t, testSecret, "HS256", func(m *token.MintOptions) { m.Claims = nil }))
	ck := keyOfType(t, keys, "commonEncryptionCenc")
	kid, _ := hexKID(ck.ID)
	if r := do(t, "POST", o.base+"/keys/clearkey", []byte(`{"kids":["`+base64.RawURLEncoding.EncodeToString(kid)+`"]}`),
		"Authorization", "Bearer "+good); r.status != 200 {
		t.Fatalf("license: %s", r)
	}

	// The store goes away: a key not cached is a 503 (a store error),
	// and so is readiness.
	rs.Stop()
	get("/keys/aes/12345678-1234-1234-1234-123456789abc", 503, "Authorization", "Bearer "+good)
	get("/readyz", 503)

	s := o.scrape()
	for _, c := range []struct {
		name   string
		labels []string
		want   float64 // -1: at least one
	}{
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=manifest", "format=mpd-time-csf", "scheme=none", "code=200"}, 3},
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=manifest", "format=m3u8-cmaf", "scheme=cbc", "code=200"}, 1},
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=manifest", "format=mpd-time-csf", "code=404"}, 1},
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=segment", "format=mpd-time-csf", "scheme=none", "code=200"}, 2},
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=segment", "format=m3u8-cmaf", "scheme=cbc", "code=200"}, 1},
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=init", "code=200"}, 1},
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=key", "code=200"}, 2},
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=key", "code=401"}, 3},
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=key", "code=403"}, 1},
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=key", "code=503"}, 1},
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=license", "code=200"}, 1},
		{"drmorigin_http_requests_total", []string{"listener=stream", "kind=other", "code=503"}, 1},
		{"drmorigin_http_requests_total", []string{"listener=admin", "kind=api", "code=201"}, 3},
		{"drmorigin_http_requests_total", []string{"listener=admin", "kind=api", "code=200"}, 1},
		{"drmorigin_http_requests_total", []string{"listener=admin", "kind=api", "code=404"}, 1},
		{"drmorigin_http_request_duration_seconds_count", []string{"listener=stream", "kind=segment"}, 3},
		{"drmorigin_http_request_duration_seconds_count", []string{"listener=stream", "kind=manifest"}, 5},
		{"drmorigin_http_request_duration_seconds_count", []string{"listener=stream", "kind=key"}, 7},
		{"drmorigin_http_request_duration_seconds_count", []string{"listener=admin", "kind=api"}, 5},
		{"drmorigin_http_request_duration_seconds_bucket", []string{"listener=stream", "kind=segment", "le=+Inf"}, 3},
		{"drmorigin_http_response_bytes_total", []string{"listener=stream", "kind=key"},
			float64(2*16 + 2*len("invalid token\n") + len("a bearer token is required\n") + len("forbidden\n") + len("service unavailable: the store cannot be reached\n"))},
		{"drmorigin_key_deliveries_total", []string{"type=aes"}, 2},
		{"drmorigin_key_deliveries_total", []string{"type=clearkey"}, 1},
		{"drmorigin_key_refusals_total", []string{"type=aes", "reason=expired"}, 1},
		{"drmorigin_key_refusals_total", []string{"type=aes", "reason=bad_signature"}, 1},
		{"drmorigin_key_refusals_total", []string{"type=aes", "reason=missing"}, 1},
		{"drmorigin_key_refusals_total", []string{"type=aes", "reason=missing_claim"}, 1},
		{"drmorigin_key_refusals_total", []string{"type=aes", "reason=store_unavailable"}, 1},
		{"drmorigin_keystore_errors_total", []string{"op=key"}, 1},
		{"drmorigin_keystore_errors_total", []string{"op=ready"}, 1},
		{"drmorigin_locator_cache_misses_total", nil, 3}, // clear, tok, nope
		{"drmorigin_locator_cache_hits_total", nil, -1},
		{"drmorigin_asset_cache_misses_total", nil, 1}, // demo, once
		{"drmorigin_asset_cache_hits_total", nil, -1},
	} {
		got, n := s.value(c.name, c.labels...)
		if n == 0 || c.want >= 0 && got != c.want || c.want < 0 && got < 1 {
			t.Errorf("%s%v = %v (%d series), want %v", c.name, c.labels, got, n, c.want)
		}
	}
	// Segment bytes: the two clear segments and the encrypted one.
	if got, _ := s.value("drmorigin_http_response_bytes_total", "listener=stream", "kind=segment"); got < float64(segBytes) {
		t.Errorf("segment bytes %v, want at least %d", got, segBytes)
	}
	// Bounded label sets: no label value comes from a path or a name.
	re := regexp.MustCompile(`^drmorigin_http_requests_total\{code="\d{3}",format="(|smooth|mpd-time-csf|mpd-time-cmaf|m3u8-cmaf|m3u8-aapl|m3u8-aapl-v3|m3u8-aapl-v4)",` +
		`kind="(manifest|init|segment|key|license|api|other)",listener="(stream|admin)",scheme="(|none|cenc|cbcs|cbcs-aapl|cbc|piff)"\} \d+$`)
	for _, l := range s {
		if strings.HasPrefix(l, "drmorigin_http_requests_total") && !re.MatchString(l) {
			t.Errorf("unexpected series: %s", l)
		}
	}
	t.Logf("%d samples", len(s))
}
