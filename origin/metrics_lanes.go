package origin

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drmorigin/drmorigin/crypto"
)

// laneCollector reports the cross-request CBC lanes' counters
// (crypto.LaneStats) at each scrape: how full the lanes run under load is
// what decides a cbc segment's cost, and the counters cost one atomic add
// per round of 4,096 blocks.
type laneCollector struct {
	rounds, blocks, straight, straightBlocks *prometheus.Desc
}

func newLaneCollector() laneCollector {
	lanes := []string{"lanes"}
	return laneCollector{
		rounds: prometheus.NewDesc("drmorigin_cbc_lane_rounds_total",
			"Rounds of the cross-request CBC lanes (whole-segment HLS AES-128), by how many chains ran in them (1 to "+strconv.Itoa(crypto.MaxCBCLanes)+").", lanes, nil),
		blocks: prometheus.NewDesc("drmorigin_cbc_lane_blocks_total",
			"16-byte blocks the cross-request CBC lanes encrypted, every lane's, by how many chains ran in their round: "+
				"sum(lanes*blocks)/sum(blocks) is the lanes' mean occupancy.", lanes, nil),
		straight: prometheus.NewDesc("drmorigin_cbc_straight_chains_total",
			"Whole-segment CBC chains that ran alone outside the lanes (every slot taken, or full lanes while another processor was free).", nil, nil),
		straightBlocks: prometheus.NewDesc("drmorigin_cbc_straight_blocks_total",
			"16-byte blocks of the chains counted by drmorigin_cbc_straight_chains_total.", nil, nil),
	}
}

func (c laneCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.rounds
	ch <- c.blocks
	ch <- c.straight
	ch <- c.straightBlocks
}

func (c laneCollector) Collect(ch chan<- prometheus.Metric) {
	st := crypto.LaneStats()
	for n := 1; n <= crypto.MaxCBCLanes; n++ {
		l := strconv.Itoa(n)
		ch <- prometheus.MustNewConstMetric(c.rounds, prometheus.CounterValue, float64(st.Rounds[n]), l)
		ch <- prometheus.MustNewConstMetric(c.blocks, prometheus.CounterValue, float64(st.Blocks[n]), l)
	}
	ch <- prometheus.MustNewConstMetric(c.straight, prometheus.CounterValue, float64(st.Straight))
	ch <- prometheus.MustNewConstMetric(c.straightBlocks, prometheus.CounterValue, float64(st.StraightBlocks))
}
