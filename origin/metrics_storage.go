package origin

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drmorigin/drmorigin/storage"
)

// StorageMetrics exports an object store's reads on /metrics: calls by
// operation and result, bytes read, call latency, and the block cache's
// hits, misses, size and evictions (the hit ratio is hits / (hits +
// misses)). Wire it as the store's RemoteOptions.Observe, then Watch the
// store:
//
//	m := origin.NewStorageMetrics(prometheus.DefaultRegisterer)
//	st := storage.NewRemote(r, storage.RemoteOptions{Observe: m.Observe})
//	m.Watch(st)
type StorageMetrics struct {
	calls   *prometheus.CounterVec
	bytes   prometheus.Counter
	latency *prometheus.HistogramVec
}

// NewStorageMetrics registers the call metrics on reg.
func NewStorageMetrics(reg prometheus.Registerer) *StorageMetrics {
	m := &StorageMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drmorigin_storage_calls_total",
			Help: "Calls to the object store, by operation (stat, read, list, put, remove) and result (ok, error); retries count once each.",
		}, []string{"op", "result"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "drmorigin_storage_read_bytes_total",
			Help: "Bytes read from the object store.",
		}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "drmorigin_storage_call_seconds",
			Help:    "Latency of calls to the object store, body included, by operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"op"}),
	}
	m.calls = register(reg, m.calls)
	m.bytes = register(reg, m.bytes)
	m.latency = register(reg, m.latency)
	return m
}

// register registers c on reg, or returns the collector of the same name
// already there (a second serve in one process, as in tests).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old
			}
		}
		panic(err)
	}
	return c
}

// Observe records one call (storage.RemoteOptions.Observe).
func (m *StorageMetrics) Observe(c storage.Call) {
	result := "ok"
	if c.Err != nil {
		result = "error"
	}
	m.calls.WithLabelValues(c.Op, result).Inc()
	m.bytes.Add(float64(c.Bytes))
	m.latency.WithLabelValues(c.Op).Observe(c.Took.Seconds())
}

// Watch registers the block cache's counters of st on reg.
func (m *StorageMetrics) Watch(reg prometheus.Registerer, st *storage.RemoteStore) {
	counter := func(name, help string, v func(storage.RemoteStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(st.Stats())) })
	}
	for _, c := range []prometheus.Collector{
		counter("drmorigin_storage_cache_hits_total", "Reads answered from the block cache alone.",
			func(s storage.RemoteStats) uint64 { return s.Hits }),
		counter("drmorigin_storage_cache_misses_total", "Reads that fetched from the object store or waited for another read's fetch.",
			func(s storage.RemoteStats) uint64 { return s.Misses }),
		counter("drmorigin_storage_cache_evictions_total", "Blocks evicted to keep the cache within storage.cache.size.",
			func(s storage.RemoteStats) uint64 { return s.Evictions }),
		counter("drmorigin_storage_faults_total", "Attempts that failed with a fault of the store (then retried, or answered 503).",
			func(s storage.RemoteStats) uint64 { return s.Faults }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "drmorigin_storage_cache_bytes", Help: "Bytes held in the block cache.",
		}, func() float64 { return float64(st.Stats().Cached) }),
	} {
		// A store watched before (a second serve in one process) gives
		// way to this one.
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				panic(err)
			}
			reg.Unregister(are.ExistingCollector)
			reg.MustRegister(c)
		}
	}
}
