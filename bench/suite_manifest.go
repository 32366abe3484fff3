package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
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

// manifestConns is quality.md's 64 concurrent connections; the step also
// drives manifestConnSteps below it, to show where queueing starts.
const manifestConns = 64

var manifestConnSteps = []int{16, 32}

// manifestRound is one measurement of manifest latency, with what both
// sides spent on it: the origin's CPU time and system calls, and the load
// generator's own CPU time (this process, on its own core: when it is as
// busy as the origin, the latency it records holds its own queueing as
// much as the origin's).
type manifestRound struct {
	sum                  KindSummary
	conns                int
	wall                 time.Duration
	originCPU, loadCPU   time.Duration
	originReads, originW int64 // read and write system calls of the origin
	load1                float64
	rec                  *Recorder
	// Paced raw rounds: latency from the schedule's send time, and how
	// late the generator sent (ns).
	fromDue *KindSummary
	late    []int64
	err     error
	// The origin's garbage collections and bytes allocated over the round
	// (its /metrics, read before and after: -1 when unread), less what
	// one reading of /metrics allocates there.
	gcCycles, allocBytes int64
}

func (r manifestRound) perRequest(d time.Duration) float64 {
	return d.Seconds() / float64(max(r.sum.Requests, 1)) * 1e6
}

func (r manifestRound) busy(d time.Duration) float64 { return 100 * d.Seconds() / r.wall.Seconds() }

// detail is the round's figures for the report.
func (r manifestRound) detail() map[string]any {
	n := float64(max(r.sum.Requests, 1))
	d := map[string]any{"connections": r.conns, "requests": r.sum.Requests, "requests_per_second": r.sum.ReqPerSec,
		"p50_ms": r.sum.P50ms, "p90_ms": r.sum.P90ms, "p99_ms": r.sum.P99ms, "max_ms": r.sum.Maxms, "errors": r.sum.Errors,
		"origin_cpu_per_request_us": r.perRequest(r.originCPU), "origin_cpu_busy_percent": r.busy(r.originCPU),
		"load_generator_cpu_per_request_us": r.perRequest(r.loadCPU), "load_generator_cpu_busy_percent": r.busy(r.loadCPU),
		"origin_read_syscalls_per_request": float64(r.originReads) / n, "origin_write_syscalls_per_request": float64(r.originW) / n,
		"load_average_1m": r.load1}
	if r.err != nil {
		d["generator_error"] = r.err.Error()
	}
	if r.gcCycles >= 0 && r.rec != nil && r.allocBytes != 0 {
		d["origin_gc_cycles"], d["origin_alloc_bytes_per_request"] = r.gcCycles, float64(r.allocBytes)/n
	}
	return d
}

// measured runs load against the origin whose process is pid and reads
// what both sides spent meanwhile.
func measured(pid, conns int, load func() (*Recorder, time.Duration)) manifestRound {
	cpu0, _ := ProcCPU(pid)
	self0, _ := ProcCPU(os.Getpid())
	r0, w0 := procIO(pid)
	rec, wall := load()
	cpu1, _ := ProcCPU(pid)
	self1, _ := ProcCPU(os.Getpid())
	r1, w1 := procIO(pid)
	r := manifestRound{conns: conns, wall: wall, rec: rec}
	r.originCPU, r.loadCPU = cpu1-cpu0, self1-self0
	r.originReads, r.originW = r1-r0, w1-w0
	r.load1 = loadAverage()
	if sum := rec.Summary(wall); len(sum) > 0 {
		r.sum = sum[0]
	}
	return r
}

// rawRound is one rawLoad run (closed loop with rate 0, else paced) with
// what both sides spent. A generator failure (a closed connection, a
// malformed answer) is kept in err and counted as a transport error.
func rawRound(ctx context.Context, o *originProc, targets []rawTarget, conns int, rate float64, wall time.Duration) manifestRound {
	return rawRoundAt(ctx, o.base, o.pid, o, targets, conns, rate, wall)
}

// rawRoundAt is rawRound against any server at base whose process is
// pid; o, when not nil, is read for garbage collections and allocation.
func rawRoundAt(ctx context.Context, base string, pid int, o *originProc, targets []rawTarget, conns int, rate float64, wall time.Duration) manifestRound {
	var res *rawResult
	var err error
	// Two readings before: the second less the first is what one reading
	// allocates in the origin, taken off the round's figure.
	sample := func() (float64, float64, error) {
		if o == nil {
			return 0, 0, fmt.Errorf("no metrics")
		}
		return o.gcSample()
	}
	_, scrape0, _ := sample()
	gc0, alloc0, gcErr := sample()
	r := measured(pid, conns, func() (*Recorder, time.Duration) {
		res, err = rawLoad(ctx, base, targets, conns, rate, wall)
		if res == nil {
			rec := NewRecorder()
			rec.Add(KindManifest, time.Now(), 0, 0, ErrTransport)
			return rec, time.Millisecond
		}
		return res.rec, res.wall
	})
	r.err = err
	if gc1, alloc1, err := sample(); err == nil && gcErr == nil {
		r.gcCycles, r.allocBytes = int64(gc1-gc0), max(int64(alloc1-alloc0)-int64(alloc0-scrape0), 0)
	} else {
		r.gcCycles, r.allocBytes = -1, -1
	}
	if res != nil && res.fromDue != nil {
		if sum := res.fromDue.Summary(res.wall); len(sum) > 0 {
			r.fromDue = &sum[0]
		}
		r.late = res.late
		slices.Sort(r.late)
	}
	if err != nil && r.sum.Errors != nil {
		r.sum.Errors[ErrTransport]++
	}
	return r
}

// closedLoop is the fasthttp client's closed loop (the instrument of
// session 6, kept for comparison): urls round robin over conns
// connections, each sending its next request when the previous answer
// arrives, for wall.
func closedLoop(ctx context.Context, urls []string, conns int, wall time.Duration, pid int) manifestRound {
	warmUp(urls, conns)
	return measured(pid, conns, func() (*Recorder, time.Duration) {
		return clientLoop(ctx, urls, conns, wall)
	})
}

// warmUp fetches each URL once on a client of its own, so that the
// measured loop meets warm caches.
func warmUp(urls []string, conns int) {
	warm := NewClient(NewRecorder(), conns)
	for _, u := range urls {
		warm.Get(KindManifest, u, false, nil)
	}
	warm.Close()
}

// clientLoop drives conns connections of the fasthttp client, each
// sending its next request (urls in turn) when the previous answer
// arrives, for wall; it returns what it recorded and how long it ran.
func clientLoop(ctx context.Context, urls []string, conns int, wall time.Duration) (*Recorder, time.Duration) {
	rec := NewRecorder()
	c := NewClient(rec, conns)
	defer c.Close()
	var next atomic.Int64
	began := time.Now()
	deadline := began.Add(wall)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := next.Add(1) - 1
				c.Get(KindManifest, urls[int(i)%len(urls)], false, nil)
			}
		}()
	}
	wg.Wait()
	return rec, time.Since(began)
}

// pacedLoop is the fasthttp client's paced form (session 6's instrument):
// urls round robin over conns connections at rate requests per second in
// all, each connection at its own even pace (a goroutine sleeping until
// its next send), for wall. Latency is from the actual send; late holds
// how far behind its schedule each send went (ns, sorted).
func pacedLoop(ctx context.Context, urls []string, conns int, rate float64, wall time.Duration) (sum KindSummary, late []int64) {
	paced := NewRecorder()
	pc := NewClient(paced, conns)
	defer pc.Close()
	interval := time.Duration(float64(conns) / rate * float64(time.Second))
	pacedEnd := time.Now().Add(wall)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []int64
			at := time.Now().Add(interval * time.Duration(g) / time.Duration(conns))
			for i := g; ctx.Err() == nil && at.Before(pacedEnd); i += conns {
				time.Sleep(time.Until(at))
				mine = append(mine, int64(time.Since(at)))
				pc.Get(KindManifest, urls[i%len(urls)], false, nil)
				at = at.Add(interval)
			}
			mu.Lock()
			late = append(late, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(late)
	if s := paced.Summary(0); len(s) > 0 {
		sum = s[0]
	}
	return sum, late
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

// manifestFloor measures the copy-only floor for manifests: the answers
// to urls, fetched from the origin, served from memory by the floor
// server (a process of its own on the origin's core) and driven like the
// origin's closed loop. nil when it cannot run (said why).
func (s *suite) manifestFloor(ctx context.Context, urls []string, conns int, wall time.Duration) *manifestRound {
	c := NewClient(NewRecorder(), 1)
	defer c.Close()
	bodies := map[string][]byte{}
	var paths []string
	for _, u := range urls {
		r := c.Get(KindManifest, u, true, nil)
		p := strings.TrimPrefix(u, s.origin.base)
		if r.Err != "" || strings.ContainsAny(p, "?#%") {
			s.say("  manifest floor: not measured (%s: %s)", p, r.Err)
			return nil
		}
		bodies[p] = r.Body
		paths = append(paths, p)
	}
	fl, err := s.startFloor(filepath.Join(s.tmp, "floor-manifest"), bodies)
	if err != nil {
		s.say("  manifest floor: not measured (%v)", err)
		return nil
	}
	defer fl.stop()
	furls := make([]string, len(paths))
	for i, p := range paths {
		furls[i] = fl.base + p
	}
	targets, err := rawTargets(c, furls)
	if err != nil {
		s.say("  manifest floor: not measured (%v)", err)
		return nil
	}
	r := rawRoundAt(ctx, fl.base, fl.pid, nil, targets, conns, 0, wall)
	f := NewFigure(r.sum.P99ms, math.NaN(), "ms")
	f.Detail = r.detail()
	f.Detail["what"] = "the origin's manifest answers served from memory by a bare fasthttp server on the origin's core, raw generator closed loop"
	s.set("manifest_floor_p99", f)
	return &r
}

// gcSample reads the origin's garbage collections and bytes allocated so
// far from its /metrics (the Go collector's go_gc_duration_seconds_count
// and go_memstats_alloc_bytes_total).
func (o *originProc) gcSample() (cycles, alloc float64, err error) {
	b, err := o.metrics()
	if err != nil {
		return 0, 0, err
	}
	m := ParseMetrics(b, "go_gc_duration_seconds_count", "go_memstats_alloc_bytes_total")
	c, ok1 := m["go_gc_duration_seconds_count"]
	a, ok2 := m["go_memstats_alloc_bytes_total"]
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("%s/metrics: no Go collector figures", o.admin)
	}
	return c, a, nil
}

// pctNS is the p-th percentile of sorted nanoseconds, in ms.
func pctNS(sorted []int64, p float64) float64 { return pct(sorted, p) }

// manifestLatency drives every manifest and playlist URL of the available
// pairs with 64 concurrent connections and reports the p99: closed loop,
// paced at half the closed-loop rate, and over one connection, with the
// raw generator (rawload_linux.go); the closed loop also at 16 and 32
// connections, and the fasthttp client's closed loop and paced form at 64
// beside it, for comparison with the figures of earlier sessions. With a
// second origin (--baseline), both are then measured in interleaved rounds
// and the medians compared.
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
	warm := NewClient(NewRecorder(), 1)
	targets, err := rawTargets(warm, urls)
	warm.Close()
	if err != nil {
		s.set("manifest_p99", UnavailableFigure(manifestTarget, "ms", "unavailable ("+err.Error()+")"))
		return err
	}
	conns := manifestConns
	wall := 10 * time.Second
	if s.cfg.Short {
		wall = 3 * time.Second
	}
	load0 := loadAverage()
	pid := s.origin.pid
	byConns := map[string]any{}
	for _, n := range manifestConnSteps {
		r := rawRound(ctx, s.origin, targets, n, 0, wall/2)
		byConns[strconv.Itoa(n)] = r.detail()
		f := NewFigure(r.sum.P99ms, math.NaN(), "ms")
		f.Detail = r.detail()
		s.set(fmt.Sprintf("manifest_p99_%dconn", n), f)
		s.say("manifest p99 at %d connections (closed loop, raw generator): %.2f ms  [p50 %.2f ms, %.0f req/s; origin %.1f µs CPU/request, core %.0f %% busy; generator %.1f µs/request, core %.0f %% busy; errors %s]",
			n, r.sum.P99ms, r.sum.P50ms, r.sum.ReqPerSec, r.perRequest(r.originCPU), r.busy(r.originCPU), r.perRequest(r.loadCPU), r.busy(r.loadCPU), FormatErrors(r.sum.Errors))
	}
	round := rawRound(ctx, s.origin, targets, conns, 0, wall)
	m := round.sum
	if m.Requests == 0 {
		return fmt.Errorf("no manifest requests")
	}
	byConns[strconv.Itoa(conns)] = round.detail()

	// Paced: the same 64 connections at half the closed-loop rate, so the
	// figure shows latency under concurrency without a saturated core.
	// Judged from the schedule's send time (a request that waits for its
	// connection's previous answer counts the wait: no coordinated
	// omission); from the actual send in the detail.
	rate := m.ReqPerSec / 2
	pr := rawRound(ctx, s.origin, targets, conns, rate, wall)
	due := pr.sum
	if pr.fromDue != nil {
		due = *pr.fromDue
	}
	pfig := NewFigure(due.P99ms, manifestTarget, "ms")
	pfig.Detail = pr.detail()
	pfig.Detail["paced_at"] = "half the closed-loop rate, each connection at its own even pace"
	pfig.Detail["measured_from"] = "the schedule's send time (p99_ms etc. in this detail are from the actual send)"
	pfig.Detail["from_schedule_p50_ms"], pfig.Detail["from_schedule_p90_ms"], pfig.Detail["from_schedule_max_ms"] = due.P50ms, due.P90ms, due.Maxms
	pfig.Detail["generator_late_p50_ms"], pfig.Detail["generator_late_p99_ms"], pfig.Detail["generator_late_max_ms"] = pctNS(pr.late, 50), pctNS(pr.late, 99), pctNS(pr.late, 100)
	s.set("manifest_p99_paced", pfig)

	// The same URLs over one connection: the service time without
	// queueing.
	one := rawRound(ctx, s.origin, targets, 1, 0, wall/3)
	ofig := NewFigure(one.sum.P99ms, manifestTarget, "ms")
	ofig.Detail = one.detail()
	s.set("manifest_p99_one_connection", ofig)

	// The floor: the same answers' bytes served from memory by a bare
	// fasthttp server on the origin's core (what any Go origin on
	// fasthttp spends per answer, kernel included).
	floor := s.manifestFloor(ctx, urls, conns, wall/2)

	// Session 6's instrument, the fasthttp client, for comparison.
	old := closedLoop(ctx, urls, conns, wall/2, pid)
	oldPaced, oldLate := pacedLoop(ctx, urls, conns, rate, wall/2)
	ffig := NewFigure(old.sum.P99ms, math.NaN(), "ms")
	ffig.Detail = old.detail()
	ffig.Detail["instrument"] = "fasthttp client, one goroutine per connection (session 6's generator)"
	ffig.Detail["paced"] = map[string]any{"requests_per_second": oldPaced.ReqPerSec, "p50_ms": oldPaced.P50ms, "p90_ms": oldPaced.P90ms,
		"p99_ms": oldPaced.P99ms, "max_ms": oldPaced.Maxms, "errors": oldPaced.Errors, "measured_from": "the actual send",
		"generator_late_p50_ms": pctNS(oldLate, 50), "generator_late_p99_ms": pctNS(oldLate, 99), "generator_late_max_ms": pctNS(oldLate, 100)}
	s.set("manifest_p99_fasthttp_client", ffig)

	fig := NewFigure(m.P99ms, manifestTarget, "ms")
	fig.Detail = round.detail()
	fig.Detail["closed_loop"] = "each connection sends its next request when the previous answer arrives"
	fig.Detail["instrument"] = "raw generator: one goroutine, non-blocking sockets, epoll (bench/README.md)"
	fig.Detail["urls"] = len(urls)
	fig.Detail["by_connections"] = byConns
	fig.Detail["fasthttp_client_p99_ms"], fig.Detail["fasthttp_client_p50_ms"] = old.sum.P99ms, old.sum.P50ms
	fig.Detail["one_connection_p50_ms"], fig.Detail["one_connection_p99_ms"] = one.sum.P50ms, one.sum.P99ms
	fig.Detail["load_average_1m_before"] = load0
	if floor != nil {
		fig.Detail["floor"] = floor.detail()
		fig.Detail["origin_cpu_x_floor"] = round.perRequest(round.originCPU) / max(floor.perRequest(floor.originCPU), 1e-9)
	}
	if len(m.Errors) > 0 || round.err != nil {
		// Error answers are cheap: a figure measured with them does not
		// count as met.
		f := false
		fig.Met = &f
		fig.Detail["note"] = "error responses during the measurement: not counted as met"
	}
	s.set("manifest_p99", fig)
	s.say("manifest p99 at %d connections (closed loop, raw generator): %s  [%d requests over %d manifests/playlists, %.0f req/s; p50 %.2f ms, p90 %.2f ms, max %.2f ms, errors %s]",
		conns, fig, m.Requests, len(urls), m.ReqPerSec, m.P50ms, m.P90ms, m.Maxms, FormatErrors(m.Errors))
	s.say("  origin: %.1f µs CPU/request, core %.0f %% busy, %.2f read + %.2f write system calls/request; load generator: %.1f µs CPU/request, core %.0f %% busy; load average %.1f → %.1f",
		round.perRequest(round.originCPU), round.busy(round.originCPU), fig.Detail["origin_read_syscalls_per_request"], fig.Detail["origin_write_syscalls_per_request"],
		round.perRequest(round.loadCPU), round.busy(round.loadCPU), load0, round.load1)
	s.say("manifest p99 at %d connections paced at %.0f req/s (raw generator, from the schedule): %s  [p50 %.2f ms, p90 %.2f ms, max %.2f ms; from the actual send p50 %.2f, p99 %.2f ms; sends late p99 %.3f ms]",
		conns, pr.sum.ReqPerSec, pfig, due.P50ms, due.P90ms, due.Maxms, pr.sum.P50ms, pr.sum.P99ms, pctNS(pr.late, 99))
	s.say("manifest p99 over one connection: %s  [p50 %.3f ms, max %.2f ms]", ofig, one.sum.P50ms, one.sum.Maxms)
	if floor != nil {
		s.say("  floor (the same bytes from memory, bare fasthttp, on the origin's core) at %d connections: p99 %.2f ms, p50 %.2f ms, %.0f req/s, %.1f µs CPU/request (origin %.2fx), %.2f read + %.2f write system calls/request",
			conns, floor.sum.P99ms, floor.sum.P50ms, floor.sum.ReqPerSec, floor.perRequest(floor.originCPU), fig.Detail["origin_cpu_x_floor"],
			float64(floor.originReads)/float64(max(floor.sum.Requests, 1)), float64(floor.originW)/float64(max(floor.sum.Requests, 1)))
	}
	s.say("  the fasthttp client (session 6's generator) at %d connections: closed loop p99 %.2f ms (p50 %.2f ms, %.0f req/s, %.1f µs CPU/request of its own); paced at %.0f req/s p99 %.2f ms (p50 %.2f ms, from the actual send; sends late p50 %.3f, p99 %.3f ms)",
		conns, old.sum.P99ms, old.sum.P50ms, old.sum.ReqPerSec, old.perRequest(old.loadCPU), oldPaced.ReqPerSec, oldPaced.P99ms, oldPaced.P50ms, pctNS(oldLate, 50), pctNS(oldLate, 99))
	s.charts = append(s.charts, TimelineCharts(fmt.Sprintf("manifests at %d connections", conns), round.rec.Timeline(time.Second))[0])
	if dir := os.Getenv("DRMBENCH_PPROF"); dir != "" {
		s.profileManifests(ctx, dir, targets, conns)
	}
	if s.baseline != nil {
		s.manifestVsBaseline(ctx, urls, targets, conns, rate)
	}
	return nil
}

// profileManifests takes a 4 s CPU profile of the origin under the raw
// closed loop at conns connections (DRMBENCH_PPROF=dir:
// dir/manifest.pprof, for `go tool pprof`); time in system calls shows
// under the syscall frames.
func (s *suite) profileManifests(ctx context.Context, dir string, targets []rawTarget, conns int) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.say("manifest profile: %v", err)
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rawLoad(ctx, s.origin.base, targets, conns, 0, 5500*time.Millisecond)
	}()
	time.Sleep(time.Second) // the load steady first
	code, b, err := s.origin.api("GET", "/debug/pprof/profile?seconds=4", nil)
	<-done
	p := filepath.Join(dir, "manifest.pprof")
	switch {
	case err != nil || code != 200:
		s.say("manifest profile: status %d %v", code, err)
	case os.WriteFile(p, b, 0o644) != nil:
		s.say("manifest profile: cannot write %s", p)
	default:
		s.say("manifest profile at %d connections: %s", conns, p)
	}
}

// manifestVsBaseline measures the origin and the second origin in
// interleaved rounds on the same URLs (a noisy neighbour weighs on both),
// with the raw generator: closed loop, paced at rate (the same for both),
// and one connection; it reports the medians of each.
func (s *suite) manifestVsBaseline(ctx context.Context, urls []string, targets []rawTarget, conns int, rate float64) {
	rounds, wall := 7, 3*time.Second
	if s.cfg.Short {
		rounds, wall = 5, 2*time.Second
	}
	burls := make([]string, len(urls))
	for i, u := range urls {
		burls[i] = s.baseline.base + strings.TrimPrefix(u, s.origin.base)
	}
	warm := NewClient(NewRecorder(), 1)
	btargets, err := rawTargets(warm, burls)
	warm.Close()
	if err != nil {
		s.set("manifest_vs_baseline.p99", UnavailableFigure(math.NaN(), "x", "unavailable (baseline: "+err.Error()+")"))
		return
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
				ours = append(ours, rawRound(ctx, s.origin, targets, conns, 0, wall))
				oursPaced = append(oursPaced, dueP99(rawRound(ctx, s.origin, targets, conns, rate, wall)))
				oursOne = append(oursOne, rawRound(ctx, s.origin, targets, 1, 0, wall/4).sum.P99ms)
			} else {
				base = append(base, rawRound(ctx, s.baseline, btargets, conns, 0, wall))
				basePaced = append(basePaced, dueP99(rawRound(ctx, s.baseline, btargets, conns, rate, wall)))
				baseOne = append(baseOne, rawRound(ctx, s.baseline, btargets, 1, 0, wall/4).sum.P99ms)
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
		return medOf(v)
	}
	spread := func(v []float64) [2]float64 { return [2]float64{slices.Min(v), slices.Max(v)} }
	p99s := func(rs []manifestRound) []float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = r.sum.P99ms
		}
		return v
	}
	p99 := func(r manifestRound) float64 { return r.sum.P99ms }
	p50 := func(r manifestRound) float64 { return r.sum.P50ms }
	cpu := func(r manifestRound) float64 { return r.perRequest(r.originCPU) }
	lcpu := func(r manifestRound) float64 { return r.perRequest(r.loadCPU) }
	reads := func(r manifestRound) float64 { return float64(r.originReads) / float64(max(r.sum.Requests, 1)) }
	load := func(r manifestRound) float64 { return r.load1 }
	errs := 0
	for _, r := range append(slices.Clone(ours), base...) {
		if len(r.sum.Errors) > 0 || r.err != nil {
			errs++
		}
	}
	side := func(rs []manifestRound) map[string]any {
		return map[string]any{"p99_ms_median": med(rs, p99), "p99_ms_min_max": spread(p99s(rs)), "p50_ms_median": med(rs, p50), "origin_cpu_per_request_us_median": med(rs, cpu),
			"load_generator_cpu_per_request_us_median": med(rs, lcpu), "origin_read_syscalls_per_request_median": med(rs, reads)}
	}
	ratio := med(ours, p99) / med(base, p99)
	fig := NewFigure(ratio, math.NaN(), "x")
	fig.Detail = map[string]any{"rounds": rounds, "round_seconds": wall.Seconds(), "connections": conns, "origin": side(ours), "baseline": side(base),
		"instrument": "raw generator", "cpu_per_request_ratio": med(ours, cpu) / med(base, cpu), "load_average_1m_median": med(append(slices.Clone(ours), base...), load),
		"rounds_with_errors": errs}
	fig.Detail["paced_p99_ms_median"] = map[string]any{"origin": medOf(oursPaced), "baseline": medOf(basePaced), "requests_per_second": rate,
		"origin_min_max": spread(oursPaced), "baseline_min_max": spread(basePaced), "measured_from": "the schedule's send time"}
	fig.Detail["one_connection_p99_ms_median"] = map[string]any{"origin": medOf(oursOne), "baseline": medOf(baseOne)}
	s.set("manifest_vs_baseline.p99", fig)
	s.say("manifests against the baseline, %d interleaved rounds (closed loop and paced, %.0f s each, at %d connections; one connection; raw generator) (medians; load average %.1f):",
		rounds, wall.Seconds(), conns, fig.Detail["load_average_1m_median"])
	s.say("  p99 %.2f ms [%.2f–%.2f] against %.2f ms [%.2f–%.2f] (%.2fx), p50 %.2f against %.2f ms; origin CPU %.1f against %.1f µs/request (%.3fx), %.2f against %.2f read system calls/request; load generator %.1f against %.1f µs/request%s",
		med(ours, p99), slices.Min(p99s(ours)), slices.Max(p99s(ours)), med(base, p99), slices.Min(p99s(base)), slices.Max(p99s(base)), ratio,
		med(ours, p50), med(base, p50), med(ours, cpu), med(base, cpu), fig.Detail["cpu_per_request_ratio"],
		med(ours, reads), med(base, reads), med(ours, lcpu), med(base, lcpu), map[bool]string{true: fmt.Sprintf("; %d rounds with errors", errs), false: ""}[errs > 0])
	s.say("  paced at %.0f req/s (from the schedule): p99 %.2f [%.2f–%.2f] against %.2f ms [%.2f–%.2f]; one connection: p99 %.3f against %.3f ms",
		rate, medOf(oursPaced), slices.Min(oursPaced), slices.Max(oursPaced), medOf(basePaced), slices.Min(basePaced), slices.Max(basePaced), medOf(oursOne), medOf(baseOne))
}

// dueP99 is a paced round's p99 from the schedule's send time.
func dueP99(r manifestRound) float64 {
	if r.fromDue != nil {
		return r.fromDue.P99ms
	}
	return r.sum.P99ms
}
