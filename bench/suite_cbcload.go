package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// cbc under concurrent load (quality.md "Close to the limit": `cbc` ≤ 2.5×
// the floor under concurrent load; issue 20: at 32 connections).
//
// A whole-segment CBC chain is serial, so one request alone stays at the
// single-chain limit (about 3.3× the floor by the cipher alone). The
// origin interleaves the chains of concurrent requests in its CBC lanes;
// how full the lanes run depends on how many requests encrypt at once,
// which the CPU step's cpuConns connections bound at 4. This step drives
// cbcLoadConns, and measures the floor at the same count, so the multiple
// compares like with like.

// cbcLoadConns is the connection count the cbc target is judged at.
const cbcLoadConns = 32

// cbcFormats are the formats that offer whole-segment AES-128.
var cbcFormats = []string{"m3u8-cmaf", "m3u8-aapl", "m3u8-aapl-v3"}

// cbcLightKey is where the CPU step puts its cbc multiple at cpuConns
// connections, apart from the judged floor_multiple.<format>.cbc.
func cbcLightKey(format string) string { return "floor_multiple_4conn." + format + ".cbc" }

// cbcLoadRounds is the number of interleaved rounds and the server CPU
// time of one measurement: more than the CPU step's, because a steady
// measurement's edges cut requests in flight (see measureCPUSteady).
func (s *suite) cbcLoadBudget() (minCPU, maxWall time.Duration, rounds int) {
	if s.cfg.Short {
		return 200 * time.Millisecond, 5 * time.Second, 11
	}
	return 400 * time.Millisecond, 10 * time.Second, 21
}

// laneCounts are the origin's CBC lane counters at one moment
// (drmorigin_cbc_lane_* of /metrics): blocks and rounds by busy lanes,
// index 0 the chains and blocks that ran outside the lanes.
type laneCounts struct {
	blocks, rounds [maxLaneMetric + 1]float64
	straight       float64
}

// maxLaneMetric is the most lanes the origin reports a count for (16 with
// AVX-512 VAES, else 8).
const maxLaneMetric = 16

func (o *originProc) laneCounts() (laneCounts, error) {
	b, err := o.metrics()
	if err != nil {
		return laneCounts{}, err
	}
	return parseLaneCounts(b)
}

// parseLaneCounts reads the lane counters from a /metrics body.
func parseLaneCounts(b []byte) (laneCounts, error) {
	var names []string
	for n := 1; n <= maxLaneMetric; n++ {
		names = append(names, laneMetric("blocks", n), laneMetric("rounds", n))
	}
	names = append(names, "drmorigin_cbc_straight_blocks_total", "drmorigin_cbc_straight_chains_total")
	m := ParseMetrics(b, names...)
	if len(m) == 0 {
		return laneCounts{}, fmt.Errorf("no drmorigin_cbc_lane_* metrics")
	}
	var c laneCounts
	for n := 1; n <= maxLaneMetric; n++ {
		c.blocks[n], c.rounds[n] = m[laneMetric("blocks", n)], m[laneMetric("rounds", n)]
	}
	c.blocks[0], c.straight = m["drmorigin_cbc_straight_blocks_total"], m["drmorigin_cbc_straight_chains_total"]
	return c, nil
}

func laneMetric(what string, n int) string {
	return "drmorigin_cbc_lane_" + what + "_total{lanes=\"" + strconv.Itoa(n) + "\"}"
}

// sub is the counts between an earlier reading and c.
func (c laneCounts) sub(o laneCounts) laneCounts {
	for i := range c.blocks {
		c.blocks[i] -= o.blocks[i]
		c.rounds[i] -= o.rounds[i]
	}
	c.straight -= o.straight
	return c
}

// occupancy is the mean number of chains a block ran beside (itself
// included; a straight chain's blocks count as one), the share of blocks
// that ran beside more than 8 (in the 16-lane loop), and the mean busy
// lanes per round.
func (c laneCounts) occupancy() (perBlock, wideShare, perRound float64) {
	var blocks, weighted, rounds, lanes float64
	for n := range c.blocks {
		blocks += c.blocks[n]
		weighted += float64(max(n, 1)) * c.blocks[n]
		if n > 0 {
			rounds += c.rounds[n]
			lanes += float64(n) * c.rounds[n]
		}
	}
	if blocks == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	var wide float64
	for n := 9; n < len(c.blocks); n++ {
		wide += c.blocks[n]
	}
	return weighted / blocks, wide / blocks, lanes / math.Max(rounds, 1)
}

// cbcUnderLoad measures, in interleaved rounds at cbcLoadConns
// connections, the floor of each cbc format and drmorigin's cbc segments,
// and reports floor_multiple.<format>.cbc (target 2.5) with the lanes'
// occupancy over the origin's measurements.
func (s *suite) cbcUnderLoad(ctx context.Context) error {
	if s.baseline != nil && !s.selected("manifest") {
		// The manifest step, after this one, measures the baseline too.
		defer func() { s.baseline.stop(); s.baseline = nil }()
	}
	var formats []string
	for _, f := range cbcFormats {
		st, clear := s.combos[Combo{f, "cbc"}], s.combos[Combo{f, "none"}]
		if st == nil || clear == nil {
			continue
		}
		target, _ := Targets(Combo{f, "cbc"})
		key := "floor_multiple." + f + ".cbc"
		switch {
		case st.Unavailable != "":
			s.set(key, UnavailableFigure(target, "x floor", st.Unavailable))
		case clear.Unavailable != "":
			s.set(key, UnavailableFigure(target, "x floor", "unavailable (no floor: clear "+f+" "+clear.Unavailable+")"))
		default:
			formats = append(formats, f)
		}
	}
	if len(formats) == 0 {
		return fmt.Errorf("no cbc format available")
	}
	bodies, paths, err := s.floorBodies(formats)
	if err != nil {
		return err
	}
	fl, err := s.startFloor(filepath.Join(s.tmp, "floor-cbcload"), bodies)
	if err != nil {
		return err
	}
	defer fl.stop()
	minCPU, maxWall, rounds := s.cbcLoadBudget()
	floors := map[string][]cpuResult{}
	origins := map[string][]cpuResult{}
	clears := map[string][]cpuResult{} // the origin's clear segments at the same count: what is not the cipher
	bases := map[string][]cpuResult{}  // the baseline's cbc segments (make bench BASELINE=…), when it runs
	lanes := map[string]laneCounts{}
	laneWhy := ""
	for r := range rounds {
		fmt.Fprintf(s.cfg.Stderr, "   round %d of %d\n", r+1, rounds)
		for _, f := range formats {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var urls []string
			for _, p := range paths[f] {
				urls = append(urls, fl.base+p)
			}
			floor := func() error {
				res, err := measureCPUSteady(ctx, fl.pid, urls, cbcLoadConns, minCPU, maxWall, ValidAny)
				if err != nil {
					return fmt.Errorf("floor %s at %d connections: %w", f, cbcLoadConns, err)
				}
				floors[f] = append(floors[f], res)
				return nil
			}
			origin := func() error {
				st := s.combos[Combo{f, "cbc"}]
				l0, lerr := s.origin.laneCounts()
				res, err := measureCPUSteady(ctx, s.origin.pid, st.Segments, cbcLoadConns, minCPU, maxWall, st.Valid)
				if err != nil {
					return fmt.Errorf("%s/cbc at %d connections: %w", f, cbcLoadConns, err)
				}
				origins[f] = append(origins[f], res)
				if l1, err := s.origin.laneCounts(); lerr == nil && err == nil {
					d := l1.sub(l0)
					acc := lanes[f]
					for i := range acc.blocks {
						acc.blocks[i] += d.blocks[i]
						acc.rounds[i] += d.rounds[i]
					}
					acc.straight += d.straight
					lanes[f] = acc
				} else if laneWhy == "" {
					laneWhy = fmt.Sprint(lerr, err)
				}
				return nil
			}
			clear := func() error {
				st := s.combos[Combo{f, "none"}]
				res, err := measureCPUSteady(ctx, s.origin.pid, st.Segments, cbcLoadConns, minCPU, maxWall, st.Valid)
				if err != nil {
					return fmt.Errorf("%s/none at %d connections: %w", f, cbcLoadConns, err)
				}
				clears[f] = append(clears[f], res)
				return nil
			}
			baseline := func() error {
				b := s.combos[Combo{f, "cbc"}].Base
				if s.baseline == nil || b.Unavailable != "" || len(b.Segments) == 0 {
					return nil
				}
				res, err := measureCPUSteady(ctx, s.baseline.pid, b.Segments, cbcLoadConns, minCPU, maxWall, b.Valid)
				if err != nil {
					return fmt.Errorf("baseline %s/cbc at %d connections: %w", f, cbcLoadConns, err)
				}
				bases[f] = append(bases[f], res)
				return nil
			}
			// Take turns going first, so that no side is always the one
			// measured right after another.
			order := []func() error{floor, origin, baseline, clear}
			if r%2 == 1 {
				order = []func() error{clear, baseline, origin, floor}
			}
			for _, m := range order {
				if err := m(); err != nil {
					return err
				}
			}
		}
	}
	if dir := os.Getenv("DRMBENCH_PPROF"); dir != "" {
		s.profileCBC(ctx, dir, formats, minCPU, maxWall)
	}
	rows := [][]string{{"format", "floor µs", "cbc µs", "x floor", "clear x floor", "per round: min-max", "best/best", "target", "lanes/block", "> 8 lanes", "lanes/round", "verdict", "errors"}}
	for _, f := range formats {
		target, peer := Targets(Combo{f, "cbc"})
		key := "floor_multiple." + f + ".cbc"
		_, _, _, ferrs := totals(floors[f])
		reqs, bytes, _, oerrs := totals(origins[f])
		goodF, goodO := clean(floors[f]), clean(origins[f])
		if len(goodF) == 0 || len(goodO) == 0 {
			why := fmt.Sprintf("invalid (every round had errors: floor %s, origin %s)", FormatErrors(ferrs), FormatErrors(oerrs))
			s.set(key, UnavailableFigure(target, "x floor", why))
			rows = append(rows, []string{f, "-", "-", "-", "-", "", "", fmt.Sprintf("<= %.1f", target), "", "", "", why, ""})
			continue
		}
		fmed, flo, _ := median(goodF)
		omed, olo, ohi := median(goodO)
		// Judged like the CPU step: the median of the per-round multiples
		// (see paired).
		pr := pair(origins[f], floors[f], 0)
		if pr.Pairs == 0 {
			why := "invalid (no round where both the origin and the floor answered without errors)"
			s.set(key, UnavailableFigure(target, "x floor", why))
			rows = append(rows, []string{f, "-", "-", "-", "-", "", "", fmt.Sprintf("<= %.1f", target), "", "", "", why, ""})
			continue
		}
		mult := pr.Median
		perBlock, wide, perRoundLanes := lanes[f].occupancy()
		fig := NewFigure(mult, target, "x floor")
		fig.Detail = pr.detail("round_multiples")
		for k, v := range map[string]any{"connections": cbcLoadConns, "cpu_per_segment_us": olo / 1e3, "cpu_per_segment_median_us": omed / 1e3, "cpu_per_segment_max_us": ohi / 1e3,
			"floor_cpu_per_segment_us": flo / 1e3, "floor_cpu_per_segment_median_us": fmed / 1e3,
			"method":   fmt.Sprintf("median of the per-round multiples: origin CPU per segment ÷ floor CPU per segment, both at %d connections, each measured over a steady load, seconds apart in the same round", cbcLoadConns),
			"segments": reqs, "segment_bytes": bytes / max(reqs, 1), "nginx_vod_module": peer, "errors": oerrs, "floor_errors": ferrs,
			"rounds": len(origins[f]), "clean_rounds": len(goodO),
			"lanes_per_block": perBlock, "wide_block_share": wide, "lanes_per_round": perRoundLanes, "straight_chains": lanes[f].straight} {
			fig.Detail[k] = v
		}
		if laneWhy != "" {
			fig.Detail["lanes_unavailable"] = laneWhy
		}
		clearX := math.NaN()
		if cp := pair(clears[f], floors[f], 0); cp.Pairs > 0 {
			_, clo, _ := median(clean(clears[f]))
			clearX = cp.Median
			fig.Detail["clear_cpu_per_segment_us"], fig.Detail["clear_x_floor"] = clo/1e3, clearX
		}
		if bp := pair(bases[f], floors[f], 0); bp.Pairs > 0 {
			// The same run's baseline (make bench BASELINE=REV): its
			// multiple of the same floor, and the origin's CPU ÷ its.
			vs := pair(origins[f], bases[f], 0)
			fig.Detail["baseline_x_floor"], fig.Detail["vs_baseline"] = bp.Median, vs.Median
			s.say("cbc under load, %s: baseline %.2f x floor, drmorigin ÷ baseline %.3f (median of rounds; %.3f-%.3f; best ÷ best %.3f)", f, bp.Median, vs.Median, vs.Min, vs.Max, vs.BestOverBest)
		}
		if light := s.lookup(cbcLightKey(f)); light != nil && light.Value != nil {
			fig.Detail["x_floor_at_4_connections"] = *light.Value
		}
		s.set(key, fig)
		v := "met"
		if !*fig.Met {
			v = "MISSED"
		}
		rows = append(rows, []string{f, fmt.Sprintf("%.1f", flo/1e3), fmt.Sprintf("%.1f", olo/1e3), Against(mult, target, 'f', 2), fmt.Sprintf("%.2f", clearX),
			fmt.Sprintf("%.2f-%.2f", pr.Min, pr.Max), fmt.Sprintf("%.2f", pr.BestOverBest), fmt.Sprintf("<= %.1f", target),
			fmt.Sprintf("%.2f", perBlock), fmt.Sprintf("%.0f %%", 100*wide), fmt.Sprintf("%.2f", perRoundLanes), v, FormatErrors(oerrs)})
	}
	s.say("cbc under load: CPU per video segment at %d connections (best of rounds), the floor (and the origin's clear segments) at %d connections; x floor is the median of the %d rounds' multiples; the origin's CBC lanes over its measurements (lanes/block: chains a block ran beside, itself included):",
		cbcLoadConns, cbcLoadConns, rounds)
	s.table(rows)
	return nil
}

// lookup returns the figure at a dotted key path of the report, or nil.
func (s *suite) lookup(path string) *Figure {
	var cur any = s.report
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	f, _ := cur.(*Figure)
	return f
}

// measureCPUSteady drives urls round robin over conns connections that
// never pause, and reads pid's CPU time and the answers completed at two
// moments of the steady load: once every connection has answered twice,
// and when at least minCPU was spent since (or maxWall passed). Unlike
// measureCPU's batches, the load never drains, so the server sees conns
// requests at once throughout; the requests in flight at either edge are
// cut, which a steady load makes the same on both sides on average (a
// handful of requests' work against hundreds measured).
func measureCPUSteady(ctx context.Context, pid int, urls []string, conns int, minCPU, maxWall time.Duration, valid Validator) (cpuResult, error) {
	rec := NewRecorder()
	c := NewClient(rec, conns)
	defer c.Close()
	var (
		next, answered, bytes atomic.Int64
		stop                  atomic.Bool
		wg                    sync.WaitGroup
	)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() && ctx.Err() == nil {
				i := next.Add(1) - 1
				r := c.Get(KindSegment, urls[int(i)%len(urls)], false, valid)
				bytes.Add(int64(r.Size))
				answered.Add(1)
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	warmUntil := time.Now().Add(maxWall)
	for answered.Load() < int64(2*conns) {
		if time.Now().After(warmUntil) || ctx.Err() != nil {
			return cpuResult{}, fmt.Errorf("warm-up: %d answers in %s", answered.Load(), maxWall)
		}
		time.Sleep(5 * time.Millisecond)
	}
	n0, b0 := answered.Load(), bytes.Load()
	cpu0, err := ProcCPU(pid)
	if err != nil {
		return cpuResult{}, err
	}
	w0, werr := ProcWriteSyscalls(pid)
	start := time.Now()
	var res cpuResult
	for {
		time.Sleep(10 * time.Millisecond)
		cpu, err := ProcCPU(pid)
		if err != nil {
			return cpuResult{}, err
		}
		if cpu-cpu0 >= minCPU || time.Since(start) >= maxWall || ctx.Err() != nil {
			res.Requests, res.Bytes = answered.Load()-n0, bytes.Load()-b0
			res.CPU, res.Wall = cpu-cpu0, time.Since(start)
			break
		}
	}
	res.Writes = -1
	if w1, err := ProcWriteSyscalls(pid); err == nil && werr == nil {
		res.Writes = w1 - w0
	}
	stop.Store(true)
	wg.Wait()
	// Errors over the whole run, warm-up included: a round with any is
	// left out.
	res.Errors = rec.Errors(KindSegment)
	res.Rec = rec
	if res.Requests == 0 {
		return res, fmt.Errorf("no requests")
	}
	return res, nil
}

// profileCBC takes a CPU profile of the origin under the cbc load of each
// format (DRMBENCH_PPROF=dir: dir/cbc-<format>.pprof), for `go tool pprof`.
func (s *suite) profileCBC(ctx context.Context, dir string, formats []string, minCPU, maxWall time.Duration) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.say("cbc profiles: %v", err)
		return
	}
	for _, f := range formats {
		st := s.combos[Combo{f, "cbc"}]
		lctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for lctx.Err() == nil {
				measureCPUSteady(lctx, s.origin.pid, st.Segments, cbcLoadConns, minCPU, maxWall, st.Valid)
			}
		}()
		time.Sleep(time.Second) // the load steady first
		code, b, err := s.origin.api("GET", "/debug/pprof/profile?seconds=8", nil)
		cancel()
		<-done
		p := filepath.Join(dir, "cbc-"+f+".pprof")
		switch {
		case err != nil || code != 200:
			s.say("cbc profile %s: status %d %v", f, code, err)
		default:
			if err := os.WriteFile(p, b, 0o644); err != nil {
				s.say("cbc profile %s: %v", f, err)
			} else {
				s.say("cbc profile of %s at %d connections: %s", f, cbcLoadConns, p)
			}
		}
	}
}
