package origin

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/drmorigin/drmorigin/live"
)

// archiveStatser is the part of the live room that reports its archiving
// (live.Hub.ArchiveStats): a slow or stalled store is reported, not only
// felt by the encoder (spec/live.md, "Ingest").
type archiveStatser interface {
	ArchiveStats() live.ArchiveStats
}

var _ archiveStatser = (*live.Hub)(nil)

// registerArchiveMetrics exports the live room's archiving on reg:
// fragments waiting for storage, tracks whose storage write is stalled
// now, stalled writes and waits of encoders for a full queue.
func registerArchiveMetrics(reg prometheus.Registerer, a archiveStatser) {
	gauge := func(name, help string, v func(live.ArchiveStats) int64) {
		register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return float64(v(a.ArchiveStats())) }))
	}
	counter := func(name, help string, v func(live.ArchiveStats) uint64) {
		register(reg, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(a.ArchiveStats())) }))
	}
	gauge("drmorigin_live_archive_queued",
		"Live fragments read from encoders and waiting for the archive's storage writes.",
		func(s live.ArchiveStats) int64 { return s.Queued })
	gauge("drmorigin_live_archive_stalled",
		"Live tracks whose current storage write has taken longer than the slow-write threshold.",
		func(s live.ArchiveStats) int64 { return s.Stalled })
	counter("drmorigin_live_archive_stalls_total",
		"Live archive storage writes that took longer than the slow-write threshold.",
		func(s live.ArchiveStats) uint64 { return s.Stalls })
	counter("drmorigin_live_archive_waits_total",
		"Times a live feed found its archive queue full and the encoder was held back.",
		func(s live.ArchiveStats) uint64 { return s.Waits })
}
