package origin_test

import (
	"math"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/live"
)

// TestLiveFragmentStages: each fragment the live room announces is
// recorded on /metrics by stage (queue, store, publish, total), so that a
// slow fragment can be told a slow sync from a queue or a publication.
func TestLiveFragmentStages(t *testing.T) {
	o := startOrigin(t, t.TempDir(), "")
	t0 := time.Unix(1_800_000_000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	o.srv.AnnounceLive(live.Announcement{Asset: "a", Track: "s-1.live", Arrived: t0, Dequeued: ms(1), Stored: ms(41), Published: ms(43)})
	o.srv.AnnounceLive(live.Announcement{Asset: "a", Track: "s-2.live", Arrived: t0, Dequeued: ms(3), Stored: ms(5), Published: ms(6)})
	m := o.scrape()
	for stage, want := range map[string]float64{"queue": 0.004, "store": 0.042, "publish": 0.003, "total": 0.049} {
		sum, _ := m.value("drmorigin_live_fragment_seconds_sum", "stage="+stage)
		n, _ := m.value("drmorigin_live_fragment_seconds_count", "stage="+stage)
		if n != 2 || math.Abs(sum-want) > 1e-9 {
			t.Errorf("stage %s: %v fragments, %v s in all; want 2, %v s", stage, n, sum, want)
		}
	}
	if n, _ := m.value("drmorigin_live_fragment_seconds_bucket", "stage=total", "le=0.025"); n != 1 {
		t.Errorf("total under 25 ms: %v fragments, want 1", n)
	}
}
