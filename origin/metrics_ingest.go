package origin

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Reasons an ingest POST is refused or ends badly, the reason label of
// drmorigin_ingest_refusals_total.
const (
	ingestForbidden   = "forbidden"   // wrong event or access token (403)
	ingestNotRunning  = "not_running" // the event is not Running (404)
	ingestNotFMP4     = "not_fmp4"    // the body is not fragmented MP4 (400)
	ingestRefused     = "refused"     // the live room refused a fragment (400)
	ingestStalled     = "stalled"     // no bytes within ingest.stallTimeout (408)
	ingestBadRequest  = "bad_request" // a path or method that is not ingest
	ingestUnavailable = "unavailable" // the store could not be read, or the live room is not built (503)
	ingestAborted     = "aborted"     // the encoder went away mid-feed, or the origin drained
	ingestInternal    = "internal"    // anything else (500)
)

// ingestMetrics are the ingest listener's own: what it read, how many
// fragments (top-level moof boxes) went by, and why feeds were refused.
// Events are operator-made resources, few and named on purpose: they are
// a bounded label.
type ingestMetrics struct {
	bytes     *prometheus.CounterVec
	fragments *prometheus.CounterVec
	refusals  *prometheus.CounterVec
	feeds     prometheus.Gauge
}

func newIngestMetrics(reg prometheus.Registerer) *ingestMetrics {
	return &ingestMetrics{
		bytes: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drmorigin_ingest_bytes_total",
			Help: "Body bytes read from encoders' ingest POSTs, by live event.",
		}, []string{"event"})),
		fragments: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drmorigin_ingest_fragments_total",
			Help: "Fragments (top-level moof boxes) read from encoders' ingest POSTs, by live event; whether the live room kept them is its own to say.",
		}, []string{"event"})),
		refusals: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drmorigin_ingest_refusals_total",
			Help: "Ingest POSTs refused or ended on an error, by reason (forbidden, not_running, not_fmp4, refused, stalled, bad_request, unavailable, aborted, internal).",
		}, []string{"reason"})),
		feeds: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "drmorigin_ingest_feeds",
			Help: "Ingest POSTs being read now.",
		})),
	}
}

func (m *ingestMetrics) refused(reason string) { m.refusals.WithLabelValues(reason).Inc() }
