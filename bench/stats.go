package bench

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Kind is what a request fetched.
type Kind string

// Request kinds, in report order.
const (
	KindManifest Kind = "manifest" // manifests and media playlists
	KindInit     Kind = "init"     // initialization segments
	KindSegment  Kind = "segment"  // media segments
	KindKey      Kind = "key"      // AES-128 keys and ClearKey licenses
)

// Kinds lists the request kinds in report order.
var Kinds = []Kind{KindManifest, KindInit, KindSegment, KindKey}

// Error classes besides HTTP status codes.
const (
	ErrTransport = "transport"    // connection refused, timeout, reset
	ErrInvalid   = "invalid body" // 200 with a body that is not what was asked for
)

// MaxSamples bounds the samples one Recorder keeps (24 bytes each), so a
// long run cannot exhaust memory; counters stay exact past it.
const MaxSamples = 4 << 20

// sample is one finished request.
// Latencies are kept in nanoseconds, as measured: a percentile judged
// against a target (manifest p99 <= 2 ms) must not be one truncated to
// whole microseconds first.
type sample struct {
	at      int32 // milliseconds since the recorder started
	bytes   int32
	latency int64 // nanoseconds
	kind    uint8
	ok      bool
}

// kindStats are the exact counters of one kind.
type kindStats struct {
	count, bytes int64
	errors       map[string]int64
}

// Recorder collects every request of a run. It is safe for concurrent use.
type Recorder struct {
	start time.Time

	mu      sync.Mutex
	samples []sample
	stats   [4]kindStats
	dropped int64
}

// NewRecorder starts a recorder; times are relative to now.
func NewRecorder() *Recorder {
	r := &Recorder{start: time.Now()}
	for i := range r.stats {
		r.stats[i].errors = map[string]int64{}
	}
	return r
}

func kindIndex(k Kind) int {
	for i, kk := range Kinds {
		if kk == k {
			return i
		}
	}
	return 0
}

// Add records one request. errClass is "" for a success, else a status code
// or one of ErrTransport, ErrInvalid.
func (r *Recorder) Add(k Kind, began time.Time, latency time.Duration, n int, errClass string) {
	i := kindIndex(k)
	s := sample{at: int32(began.Sub(r.start) / time.Millisecond), latency: int64(latency),
		bytes: int32(min(n, 1<<31-1)), kind: uint8(i), ok: errClass == ""}
	r.mu.Lock()
	st := &r.stats[i]
	st.count++
	st.bytes += int64(n)
	if errClass != "" {
		st.errors[errClass]++
	}
	if len(r.samples) < MaxSamples {
		r.samples = append(r.samples, s)
	} else {
		r.dropped++
	}
	r.mu.Unlock()
}

// Totals returns requests, bytes and errors so far over all kinds.
func (r *Recorder) Totals() (reqs, bytes, errs int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, st := range r.stats {
		reqs += st.count
		bytes += st.bytes
		for _, n := range st.errors {
			errs += n
		}
	}
	return
}

// Elapsed is the time since the recorder started.
func (r *Recorder) Elapsed() time.Duration { return time.Since(r.start) }

// KindSummary is the table row of one request kind.
type KindSummary struct {
	Kind        Kind             `json:"kind"`
	Requests    int64            `json:"requests"`
	Bytes       int64            `json:"bytes"`
	ReqPerSec   float64          `json:"requests_per_second"`
	BytesPerSec float64          `json:"bytes_per_second"`
	P50ms       float64          `json:"p50_ms"`
	P90ms       float64          `json:"p90_ms"`
	P99ms       float64          `json:"p99_ms"`
	Maxms       float64          `json:"max_ms"`
	Errors      map[string]int64 `json:"errors"`
}

// Summary summarises the requests of each kind over wall time d (0: the time
// since the recorder started). Kinds without requests are left out.
func (r *Recorder) Summary(d time.Duration) []KindSummary {
	if d <= 0 {
		d = r.Elapsed()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var lat [4][]int64
	for _, s := range r.samples {
		lat[s.kind] = append(lat[s.kind], s.latency)
	}
	var out []KindSummary
	for i, k := range Kinds {
		st := r.stats[i]
		if st.count == 0 {
			continue
		}
		slices.Sort(lat[i])
		ks := KindSummary{Kind: k, Requests: st.count, Bytes: st.bytes,
			ReqPerSec: float64(st.count) / d.Seconds(), BytesPerSec: float64(st.bytes) / d.Seconds(),
			P50ms: pct(lat[i], 50), P90ms: pct(lat[i], 90), P99ms: pct(lat[i], 99), Maxms: pct(lat[i], 100),
			Errors: map[string]int64{}}
		for e, n := range st.errors {
			ks.Errors[e] = n
		}
		out = append(out, ks)
	}
	return out
}

// Errors returns the error counts of kind k by class.
func (r *Recorder) Errors(k Kind) map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int64{}
	for e, n := range r.stats[kindIndex(k)].errors {
		out[e] = n
	}
	return out
}

// Count returns the number of requests of kind k.
func (r *Recorder) Count(k Kind) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats[kindIndex(k)].count
}

// pct is the p-th percentile (nearest rank) of sorted nanoseconds, in ms.
func pct(sorted []int64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / 1e6
}

// Point is one second of a run, for plots.
type Point struct {
	T           float64 `json:"t"` // seconds since start
	Requests    int     `json:"requests"`
	Bytes       int64   `json:"bytes"`
	Errors      int     `json:"errors"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	SegmentP99  float64 `json:"segment_p99_ms"`
	ManifestP99 float64 `json:"manifest_p99_ms"`
}

// Timeline buckets the samples per step.
func (r *Recorder) Timeline(step time.Duration) []Point {
	r.mu.Lock()
	defer r.mu.Unlock()
	if step <= 0 {
		step = time.Second
	}
	stepMS := int32(step / time.Millisecond)
	type bucket struct {
		all, seg, man []int64
		bytes         int64
		errs          int
	}
	var bs []bucket
	for _, s := range r.samples {
		b := int(s.at / stepMS)
		for len(bs) <= b {
			bs = append(bs, bucket{})
		}
		bk := &bs[b]
		bk.all = append(bk.all, s.latency)
		switch Kinds[s.kind] {
		case KindSegment:
			bk.seg = append(bk.seg, s.latency)
		case KindManifest:
			bk.man = append(bk.man, s.latency)
		}
		bk.bytes += int64(s.bytes)
		if !s.ok {
			bk.errs++
		}
	}
	out := make([]Point, len(bs))
	for i, b := range bs {
		slices.Sort(b.all)
		slices.Sort(b.seg)
		slices.Sort(b.man)
		out[i] = Point{T: float64(i) * step.Seconds(), Requests: len(b.all), Bytes: b.bytes, Errors: b.errs,
			P50ms: pct(b.all, 50), P99ms: pct(b.all, 99), SegmentP99: pct(b.seg, 99), ManifestP99: pct(b.man, 99)}
	}
	return out
}

// FormatErrors renders error counts as "500×3 404×1", sorted.
func FormatErrors(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += " "
		}
		s += k + "×" + strconv.FormatInt(m[k], 10)
	}
	return s
}

// HumanBytes renders a byte rate or count with a binary-free SI unit.
func HumanBytes(b float64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.2f GB", b/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.1f MB", b/1e6)
	case b >= 1e3:
		return fmt.Sprintf("%.1f kB", b/1e3)
	}
	return fmt.Sprintf("%.0f B", b)
}

// Reserve makes room for n more samples (at most MaxSamples in all), so
// that a generator recording from its own loop does not stop mid-run to
// copy a grown slice.
func (r *Recorder) Reserve(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n = min(n, MaxSamples-len(r.samples))
	if n > 0 {
		r.samples = slices.Grow(r.samples, n)
	}
}
