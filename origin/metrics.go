package origin

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/packager"
)

// listener is which of the two listeners a request came in on.
type listener uint8

const (
	listenerStream listener = iota
	listenerAdmin
	listenerIngest
	numListeners
)

var listenerNames = [numListeners]string{"stream", "admin", "ingest"}

// reqKind is what a request asked for, as metrics and logs tell requests
// apart: a small fixed set, so that label sets stay bounded.
type reqKind uint8

const (
	reqOther    reqKind = iota // health, readiness, player, /metrics, errors before routing, unknown paths
	reqManifest                // manifests and HLS media playlists
	reqInit                    // initialization segments
	reqSegment                 // media segments
	reqKey                     // HLS AES-128 keys
	reqLicense                 // ClearKey licenses
	reqAPI                     // the management API
	reqIngest                  // live ingest POSTs
	numReqKinds
)

var reqKindNames = [numReqKinds]string{"other", "manifest", "init", "segment", "key", "license", "api", "ingest"}

// reqInfo is what a request was, for metrics and the access log: small
// integers, so that recording it allocates nothing. format and enc are -1
// where they do not apply (anything but manifests and segments, or a URL
// that did not parse).
type reqInfo struct {
	kind   reqKind
	format int8 // a Format
	enc    int8 // an Encryption: the one that applied once decided
}

var infoOther = reqInfo{kind: reqOther, format: -1, enc: -1}

// streamInfo is the reqInfo of a parsed streaming URL.
func streamInfo(r *StreamRequest) reqInfo {
	k := reqSegment
	switch r.Kind {
	case KindManifest, KindMediaPlaylist, KindIFramePlaylist:
		k = reqManifest
	case KindInit:
		k = reqInit
	}
	return reqInfo{kind: k, format: int8(r.Format), enc: int8(r.Encryption)}
}

// Key delivery types, the type label of the key metrics.
type keyType uint8

const (
	keyAES keyType = iota
	keyClearKey
	numKeyTypes
)

var keyTypeNames = [numKeyTypes]string{"aes", "clearkey"}

// Latency buckets of requests: a cached manifest or a segment from the
// page cache takes tens of microseconds, a cold object store read tens of
// milliseconds, a store timeout seconds.
var requestBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// metrics are the origin's own Prometheus metrics. Everything a request
// records is resolved beforehand (latency and bytes per listener and
// kind) or once per label set (requests, in a copy-on-write map), so that
// a request allocates nothing for them.
type metrics struct {
	requests    *prometheus.CounterVec
	latency     [numListeners][numReqKinds]prometheus.Observer
	bytes       [numListeners][numReqKinds]prometheus.Counter
	deliveries  [numKeyTypes]prometheus.Counter
	refusals    *prometheus.CounterVec
	storeErrors *prometheus.CounterVec

	series atomic.Pointer[map[uint32]prometheus.Counter] // seriesKey → requests child
	mu     sync.Mutex                                    // serializes additions to series
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drmorigin_http_requests_total",
			Help: "Requests answered, by listener (stream, admin, ingest), kind (manifest, init, segment, key, license, api, ingest, other), " +
				"format (the format= of manifests and segments), scheme (the encryption that applied: none, cenc, cbcs, cbcs-aapl, cbc, piff) and status code.",
		}, []string{"listener", "kind", "format", "scheme", "code"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drmorigin_key_refusals_total",
			Help: "Content keys refused by key delivery, by type (aes, clearkey) and reason (a token's: missing, malformed, bad_signature, expired, " +
				"wrong_issuer, wrong_audience, missing_claim…; or unknown_key, no_option, kid_mismatch, maxuses_exceeded, kek_mismatch, store_unavailable, internal).",
		}, []string{"type", "reason"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drmorigin_keystore_errors_total",
			Help: "Requests failed by the key store (Redis or the embedded store: unreachable, or a key that cannot be unwrapped), by what asked: resolve (streaming), key (key delivery), api, ready.",
		}, []string{"op"}),
	}
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drmorigin_http_request_duration_seconds",
		Help:    "Time from a request's headers read to its answer ready (the transfer of the body to the client is not included), by listener and kind.",
		Buckets: requestBuckets,
	}, []string{"listener", "kind"})
	bytes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drmorigin_http_response_bytes_total",
		Help: "Response body bytes sent, by listener and kind.",
	}, []string{"listener", "kind"})
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drmorigin_key_deliveries_total",
		Help: "Content keys delivered by key delivery, by type (aes: one per key request; clearkey: one per key in a license).",
	}, []string{"type"})
	m.requests = register(reg, m.requests)
	m.refusals = register(reg, m.refusals)
	m.storeErrors = register(reg, m.storeErrors)
	latency = register(reg, latency)
	bytes = register(reg, bytes)
	deliveries = register(reg, deliveries)
	for l := range numListeners {
		for k := range numReqKinds {
			m.latency[l][k] = latency.WithLabelValues(listenerNames[l], reqKindNames[k])
			m.bytes[l][k] = bytes.WithLabelValues(listenerNames[l], reqKindNames[k])
		}
	}
	for t := range numKeyTypes {
		m.deliveries[t] = deliveries.WithLabelValues(keyTypeNames[t])
	}
	empty := map[uint32]prometheus.Counter{}
	m.series.Store(&empty)
	return m
}

// request records one answered request.
func (m *metrics) request(l listener, info reqInfo, status, n int, took time.Duration) {
	if status < 100 || status > 999 {
		status = 999
	}
	// listener 2 bits, kind 4, format 8, encryption 8, status 10.
	key := uint32(l)<<30 | uint32(info.kind)<<26 | uint32(uint8(info.format))<<18 | uint32(uint8(info.enc))<<10 | uint32(status)
	c, ok := (*m.series.Load())[key]
	if !ok {
		c = m.addSeries(key, l, info, status)
	}
	c.Inc()
	m.latency[l][info.kind].Observe(took.Seconds())
	if n > 0 {
		m.bytes[l][info.kind].Add(float64(n))
	}
}

// addSeries resolves the requests counter of a label set seen for the
// first time.
func (m *metrics) addSeries(key uint32, l listener, info reqInfo, status int) prometheus.Counter {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.series.Load()
	if c, ok := old[key]; ok {
		return c
	}
	format, scheme := "", ""
	if info.format >= 0 {
		format = Format(info.format).String()
	}
	if info.enc >= 0 {
		scheme = Encryption(info.enc).String()
	}
	c := m.requests.WithLabelValues(listenerNames[l], reqKindNames[info.kind], format, scheme, strconv.Itoa(status))
	next := make(map[uint32]prometheus.Counter, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[key] = c
	m.series.Store(&next)
	return c
}

func (m *metrics) delivered(t keyType, n int) { m.deliveries[t].Add(float64(n)) }

func (m *metrics) refused(t keyType, reason string) {
	m.refusals.WithLabelValues(keyTypeNames[t], reason).Inc()
}

func (m *metrics) storeError(op string) { m.storeErrors.WithLabelValues(op).Inc() }

// resolverStats and libraryStats are what the cache metrics read: the
// counters keyclient.Resolver and packager.Library keep.
type (
	resolverStats interface {
		Stats() keyclient.ResolverStats
	}
	libraryStats interface{ Stats() packager.LibraryStats }
)

var (
	_ resolverStats = (*keyclient.Resolver)(nil)
	_ libraryStats  = (*packager.Library)(nil)
)

// watchCaches registers the locator and asset cache counters of res and
// lib (each when it keeps them) and the CBC lanes' counters on reg.
func watchCaches(reg prometheus.Registerer, res locatorResolver, lib assetLibrary) {
	counter := func(name, help string, v func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v()) })
	}
	var cs []prometheus.Collector
	if r, ok := res.(resolverStats); ok {
		cs = append(cs,
			counter("drmorigin_locator_cache_hits_total", "Locator lookups answered from the resolver's cache (a cached \"no such locator\" and stale entries served while refreshed included).",
				func() uint64 { return r.Stats().Hits }),
			counter("drmorigin_locator_cache_misses_total", "Locator lookups that waited for the key store.",
				func() uint64 { return r.Stats().Misses }),
			counter("drmorigin_locator_cache_stale_total", "Locator lookups answered past their TTL while a refresh ran (the store slow or away).",
				func() uint64 { return r.Stats().Stale }))
	}
	if l, ok := lib.(libraryStats); ok {
		cs = append(cs,
			counter("drmorigin_asset_cache_hits_total", "Asset lookups answered from the asset library's cache of indexes (remembered failures included).",
				func() uint64 { return l.Stats().Hits }),
			counter("drmorigin_asset_cache_misses_total", "Asset lookups that read storage: an index built, or an asset found missing.",
				func() uint64 { return l.Stats().Misses }))
	}
	cs = append(cs, newLaneCollector())
	for _, c := range cs {
		// A resolver or library watched before (a second Server in one
		// process) gives way to this one.
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
