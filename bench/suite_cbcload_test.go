package bench

import (
	"math"
	"testing"
)

// TestLaneCounts reads the origin's lane counters from a /metrics body and
// computes the occupancy the cbcload step prints.
func TestLaneCounts(t *testing.T) {
	body := []byte(`# HELP drmorigin_cbc_lane_blocks_total x
# TYPE drmorigin_cbc_lane_blocks_total counter
drmorigin_cbc_lane_blocks_total{lanes="1"} 100
drmorigin_cbc_lane_blocks_total{lanes="4"} 400
drmorigin_cbc_lane_blocks_total{lanes="16"} 1600
drmorigin_cbc_lane_rounds_total{lanes="1"} 1
drmorigin_cbc_lane_rounds_total{lanes="4"} 1
drmorigin_cbc_lane_rounds_total{lanes="16"} 1
drmorigin_cbc_straight_blocks_total 100
drmorigin_cbc_straight_chains_total 1
`)
	c, err := parseLaneCounts(body)
	if err != nil {
		t.Fatal(err)
	}
	perBlock, wide, perRound := c.sub(laneCounts{}).occupancy()
	// blocks: 100 straight (1), 100 (1), 400 (4), 1600 (16) of 2200.
	want := (100 + 100 + 4*400 + 16*1600) / 2200.0
	if math.Abs(perBlock-want) > 1e-9 || math.Abs(wide-1600/2200.0) > 1e-9 || math.Abs(perRound-7) > 1e-9 || c.straight != 1 {
		t.Errorf("occupancy %v, %v, %v, straight %v; want %v, %v, 7, 1", perBlock, wide, perRound, c.straight, want, 1600/2200.0)
	}
	if _, err := parseLaneCounts([]byte("go_goroutines 3\n")); err == nil {
		t.Error("a body without lane counters: no error")
	}
}
