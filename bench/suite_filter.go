package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// benchFilter is the account filter of the filtered-manifest step: a track
// selection (every video up to 100 Mb/s, every audio) and an open-ended
// time range from 0. It keeps every track and fragment, so the filtered
// manifests are as large as the unfiltered ones and the figure weighs what
// filtering costs a request (resolving the filter, applying it, the cache
// key of its content), not a smaller answer.
const (
	benchFilterName = "bench-all"
	benchFilter     = `{"presentationTimeRange":{"startTimestamp":0,"timescale":10000000},` +
		`"tracks":[{"trackSelections":[{"property":"Type","operation":"Equal","value":"Video"},` +
		`{"property":"Bitrate","operation":"Equal","value":"0-100000000"}]},` +
		`{"trackSelections":[{"property":"Type","operation":"Equal","value":"Audio"}]}]}`
)

// withFilter puts filter=name among the options of a manifest or media
// playlist URL: manifest → manifest(filter=…), manifest(x) → manifest(x,filter=…),
// Manifest(track,x) → Manifest(track,x,filter=…).
func withFilter(u, name string) string {
	i := strings.LastIndex(u, ")")
	if i < 0 || strings.LastIndex(u, "/") > i {
		// A bare manifest (Smooth): manifest[.ext]
		j := strings.LastIndex(u, "/manifest")
		if j < 0 {
			return u
		}
		j += len("/manifest")
		return u[:j] + "(filter=" + name + ")" + u[j:]
	}
	sep := ","
	if u[i-1] == '(' {
		sep = ""
	}
	return u[:i] + sep + "filter=" + name + u[i:]
}

// filteredManifestLatency is players.md's filter figure: the p99 of
// manifests and media playlists under a filter at 64 connections, against
// the same URLs unfiltered, in the same run, interleaved (unfiltered,
// filtered, twice) so a noisy neighbour weighs on both; the figure is the
// ratio of the filtered p99 to the unfiltered one (target <= 1.1).
func (s *suite) filteredManifestLatency(ctx context.Context) error {
	urls := s.manifestURLs()
	if len(urls) == 0 {
		s.set("filters.manifest_p99_vs_unfiltered", UnavailableFigure(1.1, "x", "unavailable (no manifest answers)"))
		return fmt.Errorf("no manifest available")
	}
	st, b, err := s.origin.api(http.MethodPut, "/api/v1/accountFilters/"+benchFilterName, json.RawMessage(benchFilter))
	if err != nil || st/100 != 2 {
		why := fmt.Sprintf("unavailable (PUT filter: %d %s %v)", st, strings.TrimSpace(string(b)), err)
		s.set("filters.manifest_p99_vs_unfiltered", UnavailableFigure(1.1, "x", why))
		return fmt.Errorf("%s", why)
	}
	filtered := make([]string, len(urls))
	for i, u := range urls {
		filtered[i] = withFilter(u, benchFilterName)
	}
	const conns = 64
	wall := 5 * time.Second
	if s.cfg.Short {
		wall = 2 * time.Second
	}
	run := func(list []string) KindSummary {
		warmUp(list, conns)
		rec, took := clientLoop(ctx, list, conns, wall)
		sum := rec.Summary(took)
		if len(sum) == 0 {
			return KindSummary{}
		}
		return sum[0]
	}
	var plain, filt []KindSummary
	for range 2 {
		plain = append(plain, run(urls))
		filt = append(filt, run(filtered))
	}
	// The better round of each: a neighbour only ever adds latency.
	best := func(ks []KindSummary) KindSummary {
		b := ks[0]
		for _, k := range ks[1:] {
			if k.Requests > 0 && (b.Requests == 0 || k.P99ms < b.P99ms) {
				b = k
			}
		}
		return b
	}
	p, f := best(plain), best(filt)
	if p.Requests == 0 || f.Requests == 0 || p.P99ms <= 0 {
		s.set("filters.manifest_p99_vs_unfiltered", UnavailableFigure(1.1, "x", "unavailable (no answers)"))
		return fmt.Errorf("no manifest answers")
	}
	ratio := f.P99ms / p.P99ms
	fig := NewFigure(ratio, 1.1, "x")
	fig.Detail = map[string]any{"connections": conns, "urls": len(urls), "filter": benchFilterName,
		"filtered_p99_ms": f.P99ms, "unfiltered_p99_ms": p.P99ms, "filtered_p50_ms": f.P50ms, "unfiltered_p50_ms": p.P50ms,
		"filtered_requests_per_second": f.ReqPerSec, "unfiltered_requests_per_second": p.ReqPerSec,
		"filtered_errors": f.Errors, "unfiltered_errors": p.Errors, "rounds": 2, "round_seconds": wall.Seconds()}
	if len(f.Errors) > 0 || len(p.Errors) > 0 {
		no := false
		fig.Met = &no
		fig.Detail["note"] = "error responses during the measurement: not counted as met"
	}
	s.set("filters.manifest_p99_vs_unfiltered", fig)
	s.say("filtered manifest p99 at %d connections: %.2f ms against %.2f ms unfiltered (same run, best of 2 interleaved rounds): %s  [%.0f against %.0f req/s, errors %s / %s]",
		conns, f.P99ms, p.P99ms, fig, f.ReqPerSec, p.ReqPerSec, FormatErrors(f.Errors), FormatErrors(p.Errors))
	return nil
}
