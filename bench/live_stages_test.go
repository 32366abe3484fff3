package bench

import (
	"strconv"
	"strings"
	"testing"
)

// TestParseLiveStages: the origin's stage histograms are read from its
// /metrics text, the difference of two readings is the fragments between
// them, and the bucket bounds give the quantiles.
func TestParseLiveStages(t *testing.T) {
	text := func(fast, slow float64) []byte {
		n := fast + slow
		return []byte(strings.NewReplacer("FAST", ftoa(fast), "N", ftoa(n), "SUM", ftoa(fast*0.004+slow*0.4)).Replace(`# HELP drmorigin_live_fragment_seconds A live fragment's way.
# TYPE drmorigin_live_fragment_seconds histogram
drmorigin_live_fragment_seconds_bucket{stage="total",le="0.005"} FAST
drmorigin_live_fragment_seconds_bucket{stage="total",le="0.5"} N
drmorigin_live_fragment_seconds_bucket{stage="total",le="+Inf"} N
drmorigin_live_fragment_seconds_sum{stage="total"} SUM
drmorigin_live_fragment_seconds_count{stage="total"} N
drmorigin_ingest_feeds 0
`))
	}
	before := ParseLiveStages(text(10, 0))
	after := ParseLiveStages(text(109, 1))
	d := after.since(before)["total"]
	if d.n != 100 || d.quantile(.5) != 0.005 || d.quantile(.99) != 0.005 || d.quantile(1) != 0.5 {
		t.Fatalf("difference: n %v, p50 %v, p99 %v, max %v", d.n, d.quantile(.5), d.quantile(.99), d.quantile(1))
	}
	if s := after.since(before).String(); !strings.Contains(s, "total mean 8.0 ms") || !strings.Contains(s, "p99 ≤ 5 ms") {
		t.Errorf("String() = %q", s)
	}
	if s := ParseLiveStages([]byte("other_metric 1\n")).String(); s != "no fragment" {
		t.Errorf("no histogram: %q", s)
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
