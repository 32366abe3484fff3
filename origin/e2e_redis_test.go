package origin_test

import (
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient/redistest"
)

// waitStatus polls path until it answers want or the deadline passes.
func (o *testOrigin) waitStatus(path string, want int, within time.Duration) *response {
	o.t.Helper()
	deadline := time.Now().Add(within)
	for {
		r := o.get(path)
		if r.status == want || time.Now().After(deadline) {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRedisChangeSeenByOtherOrigin: two origins share one Redis; a locator
// created, then deleted, through one origin's management API is seen by the
// other within a second (pub/sub invalidation, negative cache included).
func TestRedisChangeSeenByOtherOrigin(t *testing.T) {
	redis := redistest.Start(t)
	a := startOrigin(t, mediaRoot(t), redis)
	b := startOrigin(t, mediaRoot(t), redis)
	path := "/shared-loc/demo.ism/manifest(format=mpd-time-csf)"
	// b caches "no such locator" first.
	if r := b.get(path); r.status != 404 {
		t.Fatalf("before create: %s", r)
	}
	a.locator("shared-loc", "demo", "Predefined_ClearStreamingOnly", nil)
	start := time.Now()
	if r := b.waitStatus(path, 200, time.Second); r.status != 200 {
		t.Fatalf("the other origin did not see the new locator within 1 s: %s", r)
	}
	t.Logf("create seen by the other origin after %v", time.Since(start))
	if r := a.api("DELETE", "/api/v1/streamingLocators/shared-loc", nil); r.status/100 != 2 {
		t.Fatalf("delete: %s", r)
	}
	start = time.Now()
	if r := b.waitStatus(path, 404, time.Second); r.status != 404 {
		t.Fatalf("the other origin still serves a deleted locator after 1 s: %s", r)
	}
	t.Logf("delete seen by the other origin after %v", time.Since(start))
}

// TestRedisOutage: with Redis stopped, cached locators keep streaming,
// uncached ones get 503 (never media), and service resumes by itself when
// Redis is back.
func TestRedisOutage(t *testing.T) {
	// Persist every write, so the restarted server still has the locators.
	srv := redistest.StartServer(t, "--appendonly", "yes", "--appendfsync", "always")
	o := startOrigin(t, mediaRoot(t), srv.URL())
	o.locator("cached", "demo", "Predefined_ClearStreamingOnly", nil)
	o.locator("uncached", "demo", "Predefined_ClearStreamingOnly", nil)
	cached := "/cached/demo.ism/manifest(format=mpd-time-csf)"
	uncached := "/uncached/demo.ism/manifest(format=m3u8-cmaf)"
	if r := o.get(cached); r.status != 200 {
		t.Fatalf("cached before outage: %s", r)
	}
	_, seg := firstSegmentURLs(t, o, "cached")

	srv.Stop()
	if r := o.get(cached); r.status != 200 {
		t.Errorf("a cached locator stopped streaming during the outage: %s", r)
	}
	if r := do(t, "GET", seg, nil); r.status != 200 {
		t.Errorf("a cached locator's segment during the outage: %s", r)
	}
	r := o.get(uncached)
	if r.status != 503 {
		t.Errorf("an uncached locator during the outage: %s, want 503", r)
	}
	if r := o.get("/readyz"); r.status != 503 {
		t.Errorf("/readyz during the outage: %s, want 503", r)
	}

	srv.Restart()
	if r := o.waitStatus(uncached, 200, 10*time.Second); r.status != 200 {
		t.Errorf("service did not resume within 10 s of Redis coming back: %s", r)
	}
	if r := o.get("/readyz"); r.status != 200 {
		t.Errorf("/readyz after the outage: %s", r)
	}
}
