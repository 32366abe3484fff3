package origin_test

import (
	"testing"
	"time"
)

// TestLocatorWindow: a locator streams only inside its time window
// (startTime, endTime): before or after it, its manifests and segments are
// 404, judged at the request's arrival time; inside, they are served.
func TestLocatorWindow(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	now := time.Now().UTC()
	o.locator("win-open", "demo", "Predefined_ClearStreamingOnly", map[string]any{
		"startTime": now.Add(-time.Hour).Format(time.RFC3339), "endTime": now.Add(time.Hour).Format(time.RFC3339)})
	o.locator("win-later", "demo", "Predefined_ClearStreamingOnly", map[string]any{
		"startTime": now.Add(time.Hour).Format(time.RFC3339)})
	o.locator("win-ending", "demo", "Predefined_ClearStreamingOnly", map[string]any{
		"endTime": now.Add(3 * time.Second).Format(time.RFC3339)})
	manifest := "/demo.ism/manifest(format=mpd-time-csf)"
	segment := "/demo.ism/QualityLevels(600000)/Fragments(video=0,format=mpd-time-csf)"
	for _, c := range []struct {
		loc  string
		want int
	}{{"win-open", 200}, {"win-later", 404}, {"win-ending", 200}} {
		for _, p := range []string{manifest, segment} {
			if r := o.get("/" + c.loc + p); r.status != c.want {
				t.Errorf("%s%s: %d, want %d", c.loc, p, r.status, c.want)
			}
		}
	}
	// Past its end (the resolver's cached answer included).
	time.Sleep(time.Until(now.Add(3 * time.Second).Truncate(time.Second).Add(1100 * time.Millisecond)))
	for _, p := range []string{manifest, segment} {
		if r := o.get("/win-ending" + p); r.status != 404 {
			t.Errorf("win-ending%s after its end: %d, want 404", p, r.status)
		}
	}
}
