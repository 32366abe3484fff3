package origin

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/drmorigin/drmorigin/live"
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
	// stages: a live fragment's way from its last byte read to the
	// manifests (live.Announcement), by stage.
	stages [numLiveStages]prometheus.Observer
}

// Stages of a live fragment, the stage label of
// drmorigin_live_fragment_seconds.
const (
	liveQueue   = iota // last byte read → its track's archiver takes it
	liveStore          // → validated, written, synced, renamed, directory synced, indexed
	livePublish        // → the asset snapshot that lists it published
	liveTotal          // last byte read → published: what a player waits for
	numLiveStages
)

var liveStageNames = [numLiveStages]string{"queue", "store", "publish", "total"}

// liveStageBuckets: a fragment is published within milliseconds when the
// disk keeps up; a stalled sync takes hundreds.
var liveStageBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

func newIngestMetrics(reg prometheus.Registerer) *ingestMetrics {
	m := &ingestMetrics{
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
	stages := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "drmorigin_live_fragment_seconds",
		Help: "A live fragment's way from its last byte read to the manifests, by stage: queue (waiting for its track's archiver), " +
			"store (validated, written, synced, renamed, directory synced, indexed), publish (the asset snapshot listing it), total (last byte to published).",
		Buckets: liveStageBuckets,
	}, []string{"stage"}))
	for i, n := range liveStageNames {
		m.stages[i] = stages.WithLabelValues(n)
	}
	return m
}

// fragment records the stages of an archived live fragment.
func (m *ingestMetrics) fragment(a live.Announcement) {
	if a.Arrived.IsZero() || a.Published.IsZero() {
		return
	}
	if !a.Dequeued.IsZero() && !a.Stored.IsZero() {
		m.stages[liveQueue].Observe(a.Dequeued.Sub(a.Arrived).Seconds())
		m.stages[liveStore].Observe(a.Stored.Sub(a.Dequeued).Seconds())
		m.stages[livePublish].Observe(a.Published.Sub(a.Stored).Seconds())
	}
	m.stages[liveTotal].Observe(a.Published.Sub(a.Arrived).Seconds())
}

func (m *ingestMetrics) refused(reason string) { m.refusals.WithLabelValues(reason).Inc() }
