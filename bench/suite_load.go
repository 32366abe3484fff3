package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// manifestURLs are the manifest and playlist URLs of the available pairs.
func (s *suite) manifestURLs() []string {
	var urls []string
	for _, cb := range Matrix {
		if st := s.combos[cb]; st != nil && st.Unavailable == "" {
			urls = append(urls, st.URL)
			urls = append(urls, st.Pres.Playlists...)
		}
	}
	return urls
}

// manifestTarget is quality.md's bound on the manifest p99 at 64
// connections; the paced and one-connection figures are held to it too.
const manifestTarget = 2.0 // ms

// manifestRound is one closed-loop measurement of manifest latency, with
// what both sides spent on it: the origin's CPU time and system calls, and
// the load generator's own CPU time (this process, on its own core: when
// it is as busy as the origin, the latency it records holds its own
// queueing as much as the origin's).
type manifestRound struct {
	sum                  KindSummary
	wall                 time.Duration
	originCPU, loadCPU   time.Duration
	originReads, originW int64 // read and write system calls of the origin
	load1                float64
	rec                  *Recorder
}

func (r manifestRound) perRequest(d time.Duration) float64 {
	return d.Seconds() / float64(max(r.sum.Requests, 1)) * 1e6
}

func (r manifestRound) busy(d time.Duration) float64 { return 100 * d.Seconds() / r.wall.Seconds() }

// detail is the round's figures for the report.
func (r manifestRound) detail() map[string]any {
	n := float64(max(r.sum.Requests, 1))
	return map[string]any{"requests": r.sum.Requests, "requests_per_second": r.sum.ReqPerSec,
		"p50_ms": r.sum.P50ms, "p90_ms": r.sum.P90ms, "p99_ms": r.sum.P99ms, "max_ms": r.sum.Maxms, "errors": r.sum.Errors,
		"origin_cpu_per_request_us": r.perRequest(r.originCPU), "origin_cpu_busy_percent": r.busy(r.originCPU),
		"load_generator_cpu_per_request_us": r.perRequest(r.loadCPU), "load_generator_cpu_busy_percent": r.busy(r.loadCPU),
		"origin_read_syscalls_per_request": float64(r.originReads) / n, "origin_write_syscalls_per_request": float64(r.originW) / n,
		"load_average_1m": r.load1}
}

// closedLoop sends urls round robin over conns connections, each sending
// its next request when the previous answer arrives, for at most wall
// (and total requests), to the origin whose process is pid.
func closedLoop(ctx context.Context, urls []string, conns int, wall time.Duration, total int64, pid int) manifestRound {
	warm := NewClient(NewRecorder(), conns)
	for _, u := range urls {
		warm.Get(KindManifest, u, false, nil)
	}
	warm.Close()
	rec := NewRecorder()
	c := NewClient(rec, conns)
	defer c.Close()
	var next atomic.Int64
	cpu0, _ := ProcCPU(pid)
	self0, _ := ProcCPU(os.Getpid())
	r0, w0 := procIO(pid)
	began := time.Now()
	deadline := began.Add(wall)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				c.Get(KindManifest, urls[int(i)%len(urls)], false, nil)
			}
		}()
	}
	wg.Wait()
	r := manifestRound{wall: time.Since(began), rec: rec}
	cpu1, _ := ProcCPU(pid)
	self1, _ := ProcCPU(os.Getpid())
	r1, w1 := procIO(pid)
	r.originCPU, r.loadCPU = cpu1-cpu0, self1-self0
	r.originReads, r.originW = r1-r0, w1-w0
	r.load1 = loadAverage()
	if sum := rec.Summary(r.wall); len(sum) > 0 {
		r.sum = sum[0]
	}
	return r
}

// procIO returns the read and write system calls process pid has made
// (syscr and syscw of /proc/PID/io), zeros when they cannot be read.
func procIO(pid int) (reads, writes int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "syscr:"); ok {
			reads, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
		if v, ok := strings.CutPrefix(l, "syscw:"); ok {
			writes, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return reads, writes
}

// loadAverage is the machine's one-minute load average (0 when unknown):
// printed beside latency figures, which a busy machine inflates.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// pacedLoop sends urls round robin over conns connections at rate
// requests per second in all, each connection at its own even pace, for
// wall.
func pacedLoop(ctx context.Context, urls []string, conns int, rate float64, wall time.Duration) KindSummary {
	paced := NewRecorder()
	pc := NewClient(paced, conns)
	defer pc.Close()
	interval := time.Duration(float64(conns) / rate * float64(time.Second))
	pacedEnd := time.Now().Add(wall)
	var wg sync.WaitGroup
	for g := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := time.Now().Add(interval * time.Duration(g) / time.Duration(conns))
			for i := g; ctx.Err() == nil && at.Before(pacedEnd); i += conns {
				time.Sleep(time.Until(at))
				pc.Get(KindManifest, urls[i%len(urls)], false, nil)
				at = at.Add(interval)
			}
		}()
	}
	wg.Wait()
	if sum := paced.Summary(0); len(sum) > 0 {
		return sum[0]
	}
	return KindSummary{}
}

// oneConnection sends n requests to urls round robin, one at a time.
func oneConnection(urls []string, n int) KindSummary {
	one := NewRecorder()
	c1 := NewClient(one, 1)
	defer c1.Close()
	for i := range n {
		c1.Get(KindManifest, urls[i%len(urls)], false, nil)
	}
	if sum := one.Summary(0); len(sum) > 0 {
		return sum[0]
	}
	return KindSummary{}
}

// manifestLatency drives every manifest and playlist URL of the available
// pairs with 64 concurrent connections and reports the p99: closed loop,
// paced at half the closed-loop rate, and over one connection. With a
// second origin (--baseline), both are then measured in interleaved
// closed-loop rounds and the medians compared.
func (s *suite) manifestLatency(ctx context.Context) error {
	if s.baseline != nil {
		// The last step to measure the baseline: the later steps run as
		// they do without one.
		defer func() { s.baseline.stop(); s.baseline = nil }()
	}
	urls := s.manifestURLs()
	if len(urls) == 0 {
		s.set("manifest_p99", UnavailableFigure(manifestTarget, "ms", "unavailable (no manifest answers)"))
		return fmt.Errorf("no manifest available")
	}
	const conns = 64
	total, maxWall := int64(2_000_000), 20*time.Second
	if s.cfg.Short {
		maxWall = 5 * time.Second
	}
	load0 := loadAverage()
	round := closedLoop(ctx, urls, conns, maxWall, total, s.origin.pid)
	m := round.sum
	if m.Requests == 0 {
		return fmt.Errorf("no manifest requests")
	}
	// Paced: the same 64 connections at half the closed-loop rate, so the
	// figure shows latency under concurrency without a saturated core.
	rate := m.ReqPerSec / 2
	pm := pacedLoop(ctx, urls, conns, rate, min(maxWall, 10*time.Second))
	pfig := NewFigure(pm.P99ms, manifestTarget, "ms")
	pfig.Detail = map[string]any{"connections": conns, "requests_per_second": pm.ReqPerSec, "p50_ms": pm.P50ms, "p90_ms": pm.P90ms,
		"max_ms": pm.Maxms, "errors": pm.Errors, "paced_at": "half the closed-loop rate"}
	s.set("manifest_p99_paced", pfig)
	// The same URLs one at a time: the service time without queueing.
	single := oneConnection(urls, 2000)
	ofig := NewFigure(single.P99ms, manifestTarget, "ms")
	ofig.Detail = map[string]any{"connections": 1, "requests": single.Requests, "p50_ms": single.P50ms, "p90_ms": single.P90ms,
		"max_ms": single.Maxms, "errors": single.Errors}
	s.set("manifest_p99_one_connection", ofig)
	fig := NewFigure(m.P99ms, manifestTarget, "ms")
	fig.Detail = round.detail()
	fig.Detail["connections"] = conns
	fig.Detail["closed_loop"] = "each connection sends its next request when the previous answer arrives"
	fig.Detail["urls"] = len(urls)
	fig.Detail["one_connection_p50_ms"], fig.Detail["one_connection_p99_ms"] = single.P50ms, single.P99ms
	fig.Detail["load_average_1m_before"] = load0
	if len(m.Errors) > 0 {
		// Error answers are cheap: a figure measured with them does not
		// count as met.
		f := false
		fig.Met = &f
		fig.Detail["note"] = "error responses during the measurement: not counted as met"
	}
	s.set("manifest_p99", fig)
	s.say("manifest p99 at %d connections (closed loop): %s  [%d requests over %d manifests/playlists, %.0f req/s; p50 %.2f ms, p90 %.2f ms, max %.2f ms, errors %s]",
		conns, fig, m.Requests, len(urls), m.ReqPerSec, m.P50ms, m.P90ms, m.Maxms, FormatErrors(m.Errors))
	s.say("  origin: %.1f µs CPU/request, core %.0f %% busy, %.2f read + %.2f write system calls/request; load generator: %.1f µs CPU/request, core %.0f %% busy; load average %.1f → %.1f",
		round.perRequest(round.originCPU), round.busy(round.originCPU), fig.Detail["origin_read_syscalls_per_request"], fig.Detail["origin_write_syscalls_per_request"],
		round.perRequest(round.loadCPU), round.busy(round.loadCPU), load0, round.load1)
	s.say("manifest p99 at %d connections paced at %.0f req/s: %s  [p50 %.2f ms, max %.2f ms]",
		conns, pm.ReqPerSec, pfig, pm.P50ms, pm.Maxms)
	s.say("manifest p99 over one connection: %s  [p50 %.3f ms, max %.2f ms]", ofig, single.P50ms, single.Maxms)
	s.charts = append(s.charts, TimelineCharts(fmt.Sprintf("manifests at %d connections", conns), round.rec.Timeline(time.Second))[0])
	if s.baseline != nil {
		s.manifestVsBaseline(ctx, urls, conns, rate)
	}
	return nil
}

// manifestVsBaseline measures the origin and the second origin in
// interleaved rounds on the same URLs (a noisy neighbour weighs on both):
// closed loop, paced at rate (the same for both), and one connection; it
// reports the medians of each.
func (s *suite) manifestVsBaseline(ctx context.Context, urls []string, conns int, rate float64) {
	rounds, wall := 7, 3*time.Second
	if s.cfg.Short {
		rounds, wall = 5, 2*time.Second
	}
	burls := make([]string, len(urls))
	for i, u := range urls {
		burls[i] = s.baseline.base + strings.TrimPrefix(u, s.origin.base)
	}
	var ours, base []manifestRound
	var oursPaced, basePaced, oursOne, baseOne []float64 // p99s, ms
	for i := range rounds {
		if ctx.Err() != nil {
			return
		}
		// The two take turns going first: whichever runs right after the
		// other's load would otherwise always meet what it left behind.
		for _, ob := range [][2]bool{{true, false}, {false, true}}[i%2] {
			if ob {
				ours = append(ours, closedLoop(ctx, urls, conns, wall, math.MaxInt64, s.origin.pid))
				oursPaced = append(oursPaced, pacedLoop(ctx, urls, conns, rate, wall).P99ms)
				oursOne = append(oursOne, oneConnection(urls, 500).P99ms)
			} else {
				base = append(base, closedLoop(ctx, burls, conns, wall, math.MaxInt64, s.baseline.pid))
				basePaced = append(basePaced, pacedLoop(ctx, burls, conns, rate, wall).P99ms)
				baseOne = append(baseOne, oneConnection(burls, 500).P99ms)
			}
		}
	}
	medOf := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	med := func(rs []manifestRound, f func(manifestRound) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	p99 := func(r manifestRound) float64 { return r.sum.P99ms }
	p50 := func(r manifestRound) float64 { return r.sum.P50ms }
	cpu := func(r manifestRound) float64 { return r.perRequest(r.originCPU) }
	lcpu := func(r manifestRound) float64 { return r.perRequest(r.loadCPU) }
	reads := func(r manifestRound) float64 { return float64(r.originReads) / float64(max(r.sum.Requests, 1)) }
	load := func(r manifestRound) float64 { return r.load1 }
	errs := 0
	for _, r := range append(slices.Clone(ours), base...) {
		errs += len(r.sum.Errors)
	}
	side := func(rs []manifestRound) map[string]any {
		return map[string]any{"p99_ms_median": med(rs, p99), "p50_ms_median": med(rs, p50), "origin_cpu_per_request_us_median": med(rs, cpu),
			"load_generator_cpu_per_request_us_median": med(rs, lcpu), "origin_read_syscalls_per_request_median": med(rs, reads)}
	}
	ratio := med(ours, p99) / med(base, p99)
	fig := NewFigure(ratio, math.NaN(), "x")
	fig.Detail = map[string]any{"rounds": rounds, "round_seconds": wall.Seconds(), "connections": conns, "origin": side(ours), "baseline": side(base),
		"cpu_per_request_ratio": med(ours, cpu) / med(base, cpu), "load_average_1m_median": med(append(slices.Clone(ours), base...), load),
		"rounds_with_errors": errs}
	fig.Detail["paced_p99_ms_median"] = map[string]any{"origin": medOf(oursPaced), "baseline": medOf(basePaced), "requests_per_second": rate}
	fig.Detail["one_connection_p99_ms_median"] = map[string]any{"origin": medOf(oursOne), "baseline": medOf(baseOne), "requests": 500}
	s.set("manifest_vs_baseline.p99", fig)
	s.say("manifests against the baseline, %d interleaved rounds (closed loop and paced, %.0f s each, at %d connections; one connection) (medians; load average %.1f):",
		rounds, wall.Seconds(), conns, fig.Detail["load_average_1m_median"])
	s.say("  p99 %.2f ms against %.2f ms (%.2fx), p50 %.2f against %.2f ms; origin CPU %.1f against %.1f µs/request (%.3fx), %.2f against %.2f read system calls/request; load generator %.1f against %.1f µs/request%s",
		med(ours, p99), med(base, p99), ratio, med(ours, p50), med(base, p50), med(ours, cpu), med(base, cpu), fig.Detail["cpu_per_request_ratio"],
		med(ours, reads), med(base, reads), med(ours, lcpu), med(base, lcpu), map[bool]string{true: fmt.Sprintf("; %d rounds with errors", errs), false: ""}[errs > 0])
	s.say("  paced at %.0f req/s: p99 %.2f against %.2f ms; one connection: p99 %.3f against %.3f ms",
		rate, medOf(oursPaced), medOf(basePaced), medOf(oursOne), medOf(baseOne))
}

// coldStart times the first segment of never-seen two-hour assets: alone
// (cold-a), and as a player would reach it, manifest, init, segment
// (cold-b).
func (s *suite) coldStart(ctx context.Context) error {
	rec := NewRecorder()
	c := NewClient(rec, 2)
	defer c.Close()
	lc := Combo{"mpd-time-csf", "none"}
	longURL := s.manifestURL(longAsset, lc)
	p, err := Load(c, longURL, false) // opens the connection and indexes long2h only
	if err != nil {
		s.set("cold_start.first_segment", UnavailableFigure(50, "ms", "unavailable ("+err.Error()+")"))
		return err
	}
	v := p.Video()
	if len(v) == 0 || len(v[0].Segments) == 0 {
		return fmt.Errorf("%s: no video segments", longURL)
	}
	from := "/" + locatorName(longAsset, "none") + "/"
	seg := strings.Replace(v[0].SegmentURL(0), from, "/"+locatorName(coldAssetA, "none")+"/", 1)
	began := time.Now()
	r := c.Get(KindSegment, seg, false, ValidMedia)
	first := time.Since(began)
	began = time.Now()
	r2 := c.Get(KindSegment, seg, false, ValidMedia)
	warm := time.Since(began)
	fa := NewFigure(float64(first)/1e6, 50, "ms")
	fa.Detail = map[string]any{"url": strings.TrimPrefix(seg, s.origin.base), "status": r.Status, "bytes": r.Size,
		"same_segment_warm_ms": float64(warm) / 1e6, "warm_status": r2.Status, "asset_seconds": v[0].Duration().Seconds(),
		"asset_segments_per_track": len(v[0].Segments)}
	if r.Err != "" {
		fa = UnavailableFigure(50, "ms", "unavailable (status "+r.Err+")")
	}
	s.set("cold_start.first_segment", fa)
	s.say("cold start, first segment of a never-seen %.0f-minute asset (%d segments/track): %s  [the same segment warm: %.2f ms]",
		v[0].Duration().Minutes(), len(v[0].Segments), fa, float64(warm)/1e6)

	bURL := strings.Replace(longURL, from, "/"+locatorName(coldAssetB, "none")+"/", 1)
	began = time.Now()
	pb, err := Load(c, bURL, false)
	var fb *Figure
	if err == nil && len(pb.Video()) > 0 {
		t := pb.Video()[0]
		if t.InitURL != "" {
			c.Get(KindInit, t.InitURL, false, ValidMedia)
		}
		r := c.Get(KindSegment, t.SegmentURL(0), false, ValidMedia)
		d := time.Since(began)
		fb = NewFigure(float64(d)/1e6, 50, "ms")
		if r.Err != "" {
			fb = UnavailableFigure(50, "ms", "unavailable (segment status "+r.Err+")")
		}
	} else {
		fb = UnavailableFigure(50, "ms", fmt.Sprintf("unavailable (%v)", err))
	}
	s.set("cold_start.manifest_init_first_segment", fb)
	s.say("cold start, manifest + init + first segment of another never-seen two-hour asset: %s", fb)
	return nil
}

// memPoint is one /metrics sample of the soak.
type memPoint struct {
	T          float64 `json:"t"`
	Anon       float64 `json:"rss_anon_bytes"` // what the flatness figure judges
	RSS        float64 `json:"rss_bytes"`      // all of RSS, mapped media pages included
	Goroutines float64 `json:"goroutines"`
}

// soak runs the simulated players at real-time pace over the two-hour
// asset and samples the origin's memory and goroutines.
func (s *suite) soak(ctx context.Context) error {
	var urls []string
	for _, f := range []string{"mpd-time-csf", "m3u8-cmaf", "mpd-time-cmaf", "smooth", "m3u8-aapl", "m3u8-aapl-v3"} {
		if st := s.combos[Combo{f, "none"}]; st != nil && st.Unavailable == "" {
			urls = append(urls, s.manifestURL(longAsset, Combo{f, "none"}))
		}
	}
	if len(urls) == 0 {
		return fmt.Errorf("no clear format available")
	}
	n := s.cfg.Players
	dur := s.cfg.Soak
	ramp := min(dur/4, 20*time.Second)
	interval := 2 * time.Second
	if dur > 5*time.Minute {
		interval = 5 * time.Second
	}
	rec := NewRecorder()
	c := NewClient(rec, n+16)
	defer c.Close()
	sctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	var mem []memPoint
	var memMu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	sample := func() {
		anon, rss, g, err := s.origin.memSample()
		if err == nil {
			memMu.Lock()
			mem = append(mem, memPoint{T: time.Since(start).Seconds(), Anon: anon, RSS: rss, Goroutines: g})
			memMu.Unlock()
		}
	}
	sample()
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-t.C:
				sample()
			}
		}
	}()
	done := make(chan struct{})
	go Progress(s.cfg.Stderr, rec, fmt.Sprintf("   soak %d players", n), time.Second, done)
	var failed atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-sctx.Done():
				return
			case <-time.After(ramp * time.Duration(i) / time.Duration(n)):
			}
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			cfg := PlayerConfig{ManifestURL: urls[i%len(urls)], RealTime: true, Buffer: 3, Pick: "random", Loop: true}
			if err := Play(sctx, c, cfg, rng); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	close(done)
	wall := time.Since(start)
	sample()
	sum := rec.Summary(wall)
	var b strings.Builder
	PrintTable(&b, sum)
	s.say("soak: %d players at real-time pace for %s over %s (%d players failed to load a manifest):", n, dur, strings.Join(trimBase(urls, s.origin.base), ", "), failed.Load())
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		s.say("  %s", l)
	}
	s.report["soak_requests"] = sum
	s.report["soak_memory_samples"] = mem
	s.memoryFigures(mem, ramp.Seconds()+interval.Seconds())
	s.charts = append(s.charts, TimelineCharts(fmt.Sprintf("soak, %d players", n), rec.Timeline(time.Second))...)
	var anon, rss, gor [][2]float64
	for _, m := range mem {
		anon = append(anon, [2]float64{m.T, m.Anon / 1e6})
		rss = append(rss, [2]float64{m.T, m.RSS / 1e6})
		gor = append(gor, [2]float64{m.T, m.Goroutines})
	}
	s.charts = append(s.charts, Chart{Title: "soak: origin resident memory (MB)", XLabel: "seconds", YLabel: "MB",
		Series: []Series{{Name: "anonymous RSS MB", Points: anon}, {Name: "RSS MB, mapped media included", Points: rss}}},
		Chart{Title: "soak: origin goroutines", XLabel: "seconds", YLabel: "goroutines", Series: []Series{{Name: "go_goroutines", Points: gor}}})
	return nil
}

func trimBase(urls []string, base string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = strings.TrimPrefix(u, base)
	}
	return out
}

// signed puts a + before a formatted number that has no sign.
func signed(s string) string {
	if strings.HasPrefix(s, "-") {
		return s
	}
	return "+" + s
}

// flatGrowth is the growth, after ramp-up, that still counts as flat.
const flatGrowth = 10.0 // percent

// memoryFigures judges flatness after the ramp-up: growth between the mean
// of the first and the last third of the samples, and the least-squares
// slope.
func (s *suite) memoryFigures(mem []memPoint, settle float64) {
	var xs, rss, gor []float64
	for _, m := range mem {
		if m.T >= settle {
			xs = append(xs, m.T)
			rss = append(rss, m.Anon)
			gor = append(gor, m.Goroutines)
		}
	}
	if len(xs) < 6 {
		s.set("memory.rss_growth", UnavailableFigure(flatGrowth, "%", "unavailable (too few samples after ramp-up)"))
		s.say("memory: too few samples after ramp-up (%d)", len(xs))
		return
	}
	fig := func(vals []float64, unit string, scale float64) (*Figure, float64, float64) {
		k := len(vals) / 3
		a, b := mean(vals[:k]), mean(vals[len(vals)-k:])
		growth := 100 * (b - a) / math.Max(a, 1)
		f := NewFigure(growth, flatGrowth, "%")
		f.Target = fmt.Sprintf("flat (growth <= %.0f %% after ramp-up)", flatGrowth)
		slope := slopePerMinute(xs, vals) / scale
		f.Detail = map[string]any{"first_third_mean": a / scale, "last_third_mean": b / scale, "slope_per_minute": slope,
			"unit_of_means": unit, "peak": maxOf(vals) / scale, "samples": len(vals)}
		return f, growth, slope
	}
	fr, gr, sr := fig(rss, "MB", 1e6)
	fg, gg, sg := fig(gor, "goroutines", 1)
	s.set("memory.rss_growth", fr)
	s.set("memory.goroutine_growth", fg)
	fr.Detail["measure"] = "RssAnon of /proc/PID/status: the process's own memory; mapped media pages are the page cache's"
	var total []float64
	for _, m := range mem {
		if m.T >= settle {
			total = append(total, m.RSS)
		}
	}
	fr.Detail["rss_with_mapped_media_last_third_mean_mb"] = mean(total[len(total)-len(total)/3:]) / 1e6
	s.say("memory: anonymous RSS %.1f → %.1f MB after ramp-up, growth %s %%, slope %+.2f MB/min (target flat, <= %.0f %%)%s; all of RSS, mapped media included, %.0f MB",
		fr.Detail["first_third_mean"], fr.Detail["last_third_mean"], signed(Against(gr, flatGrowth, 'f', 1)), sr, flatGrowth, verdict(fr), fr.Detail["rss_with_mapped_media_last_third_mean_mb"])
	s.say("memory: goroutines %.0f → %.0f after ramp-up, growth %s %%, slope %+.1f /min (target no growth, <= %.0f %%)%s",
		fg.Detail["first_third_mean"], fg.Detail["last_third_mean"], signed(Against(gg, flatGrowth, 'f', 1)), sg, flatGrowth, verdict(fg))
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// slopePerMinute is the least-squares slope of ys over xs (seconds), per
// minute.
func slopePerMinute(xs, ys []float64) float64 {
	mx, my := mean(xs), mean(ys)
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	if den == 0 {
		return 0
	}
	return num / den * 60
}
