package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The origin's own account of a live fragment's way from its last byte
// read to the manifests: drmorigin_live_fragment_seconds{stage} on
// /metrics (queue, store, publish, total). The step reads it before and
// after the paced feed; the difference is the live event's fragments.

// stageHist is one stage's histogram: cumulative counts by upper bound.
type stageHist struct {
	le    []float64
	count []float64
	sum   float64
	n     float64
}

// liveStages is every stage's histogram, by stage name.
type liveStages map[string]*stageHist

// liveStages reads the origin's drmorigin_live_fragment_seconds.
func (o *originProc) liveStages() (liveStages, error) {
	resp, err := http.Get(o.admin + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return ParseLiveStages(b), nil
}

// ParseLiveStages reads drmorigin_live_fragment_seconds from a Prometheus
// text exposition.
func ParseLiveStages(b []byte) liveStages {
	const name = "drmorigin_live_fragment_seconds"
	out := liveStages{}
	get := func(stage string) *stageHist {
		h := out[stage]
		if h == nil {
			h = &stageHist{}
			out[stage] = h
		}
		return h
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		metric, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		labels := map[string]string{}
		if i := strings.IndexByte(metric, '{'); i >= 0 {
			for _, kv := range strings.Split(strings.TrimSuffix(metric[i+1:], "}"), ",") {
				if k, v, ok := strings.Cut(kv, "="); ok {
					labels[k] = strings.Trim(v, `"`)
				}
			}
			metric = metric[:i]
		}
		if labels["stage"] == "" {
			continue
		}
		h := get(labels["stage"])
		switch strings.TrimPrefix(metric, name) {
		case "_bucket":
			le := math.Inf(1)
			if labels["le"] != "+Inf" {
				if le, err = strconv.ParseFloat(labels["le"], 64); err != nil {
					continue
				}
			}
			h.le = append(h.le, le)
			h.count = append(h.count, v)
		case "_sum":
			h.sum = v
		case "_count":
			h.n = v
		}
	}
	return out
}

// since is the histograms of the fragments after old.
func (s liveStages) since(old liveStages) liveStages {
	out := liveStages{}
	for k, h := range s {
		d := &stageHist{le: slices.Clone(h.le), count: slices.Clone(h.count), sum: h.sum, n: h.n}
		if o := old[k]; o != nil && len(o.count) == len(h.count) {
			for i := range d.count {
				d.count[i] -= o.count[i]
			}
			d.sum -= o.sum
			d.n -= o.n
		}
		out[k] = d
	}
	return out
}

// quantile is the upper bound of the bucket holding quantile q (+Inf
// when beyond the last bound).
func (h *stageHist) quantile(q float64) float64 {
	want := q * h.n
	for i, c := range h.count {
		if c >= want && c > 0 {
			return h.le[i]
		}
	}
	return math.Inf(1)
}

// String is each stage's mean and p50/p99 bucket bounds, in ms.
func (s liveStages) String() string {
	var parts []string
	for _, k := range []string{"queue", "store", "publish", "total"} {
		h := s[k]
		if h == nil || h.n <= 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s mean %.1f ms, p50 ≤ %s, p99 ≤ %s", k, 1e3*h.sum/h.n, msBound(h.quantile(.5)), msBound(h.quantile(.99))))
	}
	if len(parts) == 0 || s["total"] == nil {
		return "no fragment"
	}
	return strings.Join(parts, "; ") + fmt.Sprintf(" (%.0f fragments, all tracks)", s["total"].n)
}

// MarshalJSON: the report's detail.
func (s liveStages) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }

func msBound(v float64) string {
	if math.IsInf(v, 1) {
		return "∞"
	}
	return strconv.FormatFloat(v*1e3, 'g', -1, 64) + " ms"
}

func asFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}
