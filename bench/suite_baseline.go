package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// vsBaselineTarget bounds cpu.vs_baseline: the origin may spend at most 3 %
// more CPU per segment than the baseline.
const vsBaselineTarget = 1.03

// startBaseline starts the --baseline binary exactly like the origin (same
// flags, storage root, store kind and core; its own data directory and
// ports) and creates the same locators through its management API. Each
// origin makes its own keys; CPU per segment does not depend on their
// values. A baseline that does not start is no reason to stop the suite:
// its figures say why they are unavailable.
func (s *suite) startBaseline(root string) error {
	if s.cfg.BaselineURL != "" {
		return s.externalBaseline()
	}
	bin := s.cfg.Baseline
	info := map[string]any{"binary": bin, "version": binaryVersion(bin)}
	if s.cfg.Origin != "" {
		info["origin_version"] = binaryVersion(s.cfg.Origin)
	}
	s.report["baseline"] = info
	if !s.selected("cpu") && !s.selected("cbcload") && !s.selected("manifest") {
		s.baselineWhy = "unavailable (the cpu step did not run)"
		s.say("baseline %s: not started (only the cpu, cbcload and manifest steps measure it)", bin)
		return nil
	}
	o, err := startOrigin(bin, s.cfg.OriginCore, root, filepath.Join(s.tmp, "data-baseline"), s.log)
	if err != nil {
		s.baselineWhy = fmt.Sprintf("unavailable (baseline did not start: %v)", err)
		return fmt.Errorf("baseline: %w", err)
	}
	s.baseline = o
	fmt.Fprintf(s.cfg.Stderr, "   baseline %s (%s) pid %d on %s (core %q), admin %s\n", bin, info["version"], o.pid, o.base, s.cfg.OriginCore, o.admin)
	if err := s.locators(o); err != nil {
		o.stop()
		s.baseline = nil
		s.baselineWhy = fmt.Sprintf("unavailable (baseline locators: %v)", err)
		return fmt.Errorf("baseline: %w", err)
	}
	return nil
}

// externalBaseline takes the running origin at cfg.BaselineURL as the
// baseline: measured like a started one, its CPU time read from
// cfg.BaselinePID, never stopped by the suite.
func (s *suite) externalBaseline() error {
	s.report["baseline"] = map[string]any{"url": s.cfg.BaselineURL, "pid": s.cfg.BaselinePID, "admin": s.cfg.BaselineAdmin}
	if s.cfg.BaselinePID <= 0 {
		s.baselineWhy = "unavailable (no PID for " + s.cfg.BaselineURL + ": its CPU time cannot be read)"
		return fmt.Errorf("baseline %s: no PID given", s.cfg.BaselineURL)
	}
	if _, err := ProcCPU(s.cfg.BaselinePID); err != nil {
		s.baselineWhy = fmt.Sprintf("unavailable (PID %d: %v)", s.cfg.BaselinePID, err)
		return fmt.Errorf("baseline PID %d: %w", s.cfg.BaselinePID, err)
	}
	o := &originProc{proc: &proc{pid: s.cfg.BaselinePID}, base: strings.TrimSuffix(s.cfg.BaselineURL, "/"),
		admin: strings.TrimSuffix(s.cfg.BaselineAdmin, "/"), token: os.Getenv("DRMBENCH_BASELINE_TOKEN")}
	s.baseline = o
	fmt.Fprintf(s.cfg.Stderr, "   second origin %s (pid %d, not started by the suite)\n", o.base, o.pid)
	if o.admin == "" {
		s.say("second origin %s: its locators are taken to exist (%s and the others of the suite): no --baseline-admin", o.base, locatorName(s.segAsset, "none"))
		return nil
	}
	if err := s.locators(o); err != nil {
		s.baseline = nil
		s.baselineWhy = fmt.Sprintf("unavailable (second origin's locators: %v)", err)
		return fmt.Errorf("baseline: %w", err)
	}
	return nil
}

// binaryVersion is what `bin version` prints ("drmorigin v1.2-3-gabc"), or
// "" when it cannot say.
func binaryVersion(bin string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// reason is the inside of an "unavailable (…)" string.
func reason(u string) string {
	if in, ok := strings.CutPrefix(u, "unavailable ("); ok {
		return strings.TrimSuffix(in, ")")
	}
	return u
}

// bestOf returns the lowest CPU per segment of the rounds without errors,
// or why there is none: unavailable is the pair's probe result.
func bestOf(unavailable string, rs []cpuResult) (float64, string) {
	switch {
	case unavailable != "":
		return 0, reason(unavailable)
	case len(rs) == 0:
		return 0, "not measured"
	}
	good := clean(rs)
	if len(good) == 0 {
		_, _, _, errs := totals(rs)
		return 0, "every round had errors: " + FormatErrors(errs)
	}
	_, lo, _ := median(good)
	return lo, ""
}

// baselineComparison is one pair's baseline figures.
type baselineComparison struct {
	VS       *Figure // cpu.vs_baseline: the median of the per-round ratios origin ÷ baseline
	Multiple *Figure // the baseline's floor multiple
	CPU      *Figure // the baseline's CPU per segment (nil when unavailable)
	// OriginMultiple is the origin's floor multiple (NaN without one), for
	// the table beside the baseline's.
	OriginMultiple float64
}

// compareBaseline computes a pair's baseline figures from its rounds. st
// is the pair, clear its format's clear pair (the floor), baseWhy why the
// baseline was not measured at all ("" when it was).
func compareBaseline(st, clear *comboState, baseWhy string) baselineComparison {
	target, _ := Targets(st.Combo)
	baseUnavailable := st.Base.Unavailable
	if baseWhy != "" {
		baseUnavailable = baseWhy
	}
	oBest, oWhy := bestOf(st.Unavailable, st.CPUs)
	bBest, bWhy := bestOf(baseUnavailable, st.Base.CPUs)
	var floor float64
	floorWhy := "no floor: clear " + st.Format + " not measured"
	if clear != nil {
		if good := clean(clear.FloorCPUs); len(good) > 0 {
			_, floor, _ = median(good)
			floorWhy = ""
		}
	}
	c := baselineComparison{OriginMultiple: math.NaN()}
	if oWhy == "" && floorWhy == "" {
		c.OriginMultiple = pair(st.CPUs, clear.FloorCPUs, 0).Median
	}
	switch {
	case bWhy != "":
		c.Multiple = UnavailableFigure(math.NaN(), "x floor", "unavailable ("+bWhy+")")
	default:
		_, bytes := meanBytes(st.Base.CPUs)
		med, _, hi := median(clean(st.Base.CPUs))
		c.CPU = NewFigure(float64(bBest)/1e3, math.NaN(), "µs")
		c.CPU.Detail = map[string]any{"best_of_rounds_us": float64(bBest) / 1e3, "median_us": float64(med) / 1e3, "max_us": float64(hi) / 1e3,
			"rounds": len(st.Base.CPUs), "clean_rounds": len(clean(st.Base.CPUs)), "segment_bytes": bytes}
		if floorWhy != "" {
			c.Multiple = UnavailableFigure(math.NaN(), "x floor", "unavailable ("+floorWhy+")")
			break
		}
		// Measured like the origin's floor_multiple (see paired).
		pr := pair(st.Base.CPUs, clear.FloorCPUs, 0)
		c.Multiple = NewFigure(pr.Median, math.NaN(), "x floor")
		c.Multiple.Detail = pr.detail("round_multiples")
		for k, v := range map[string]any{"cpu_per_segment_us": float64(bBest) / 1e3, "floor_cpu_per_segment_us": float64(floor) / 1e3, "quality_target": target,
			"method": "median of the per-round multiples: baseline CPU per segment ÷ floor CPU per segment, measured seconds apart in the same interleaved round"} {
			c.Multiple.Detail[k] = v
		}
	}
	switch {
	case oWhy != "" && bWhy != "":
		c.VS = UnavailableFigure(vsBaselineTarget, "x baseline", "unavailable (origin: "+oWhy+"; baseline: "+bWhy+")")
	case oWhy != "":
		c.VS = UnavailableFigure(vsBaselineTarget, "x baseline", "unavailable (origin: "+oWhy+")")
	case bWhy != "":
		c.VS = UnavailableFigure(vsBaselineTarget, "x baseline", "unavailable (baseline: "+bWhy+")")
	default:
		ratios := perRound(st.CPUs, st.Base.CPUs, 0)
		rmed, rlo, rhi := medianFloat(ratios)
		_, oBytes := meanBytes(st.CPUs)
		_, bBytes := meanBytes(st.Base.CPUs)
		// The figure is the median of the per-round ratios: origin and
		// baseline run back to back in every round, so a busy neighbour
		// weighs on both sides of a ratio, while best ÷ best pairs two
		// different rounds and swung 0.76–1.30 across runs of identical
		// work (bench/README.md).
		c.VS = NewFigure(rmed, vsBaselineTarget, "x baseline")
		c.VS.Detail = map[string]any{"cpu_per_segment_us": float64(oBest) / 1e3, "baseline_cpu_per_segment_us": float64(bBest) / 1e3,
			"best_over_best":      float64(oBest) / float64(bBest),
			"round_ratios_median": rmed, "round_ratios_min": rlo, "round_ratios_max": rhi, "rounds": min(len(st.CPUs), len(st.Base.CPUs)),
			"clean_rounds": len(ratios), "segment_bytes": oBytes, "baseline_segment_bytes": bBytes,
			"method": "median of the per-round ratios origin CPU per segment ÷ baseline CPU per segment, measured back to back in the same interleaved rounds"}
		if !math.IsNaN(c.OriginMultiple) {
			c.VS.Detail["floor_multiple"] = c.OriginMultiple
		}
		if c.Multiple != nil && c.Multiple.Value != nil {
			c.VS.Detail["baseline_floor_multiple"] = *c.Multiple.Value
		}
	}
	return c
}

// meanBytes returns the requests and mean body bytes of rs's clean rounds.
func meanBytes(rs []cpuResult) (reqs, bytes int64) {
	reqs, total, _, _ := totals(clean(rs))
	return reqs, total / max(reqs, 1)
}

// reportBaseline sets cpu.vs_baseline.<format>.<enc>, and the baseline's
// own figures under baseline., for every pair, and prints them.
func (s *suite) reportBaseline(rounds int) {
	rows := [][]string{{"format", "scheme", "µs/segment", "baseline µs", "vs_baseline", "per round: median (min-max)", "x floor", "baseline x floor", "verdict"}}
	num := func(f float64) string {
		if math.IsNaN(f) {
			return "-"
		}
		return fmt.Sprintf("%.2f", f)
	}
	for _, cb := range Matrix {
		st := s.combos[cb]
		if st == nil {
			st = &comboState{Combo: cb, Unavailable: "unavailable (not probed)"}
		}
		c := compareBaseline(st, s.combos[Combo{cb.Format, "none"}], s.baselineWhy)
		key := cb.Format + "." + cb.Enc
		s.set("cpu.vs_baseline."+key, c.VS)
		s.set("baseline.floor_multiple."+key, c.Multiple)
		if c.CPU != nil {
			s.set("baseline.cpu_per_segment."+key, c.CPU)
		}
		bmult := math.NaN()
		if c.Multiple.Value != nil {
			bmult = *c.Multiple.Value
		}
		if c.VS.Value == nil {
			bus := "-"
			if c.CPU != nil {
				bus = fmt.Sprintf("%.1f", *c.CPU.Value)
			}
			rows = append(rows, []string{cb.Format, cb.Enc, "-", bus, "-", "", num(c.OriginMultiple), num(bmult), c.VS.Unavailable})
			continue
		}
		d := c.VS.Detail
		v := "met"
		if !*c.VS.Met {
			v = "MISSED"
		}
		if ob, bb := d["segment_bytes"].(int64), d["baseline_segment_bytes"].(int64); ob != bb {
			v += fmt.Sprintf(" (segment bytes differ: %d vs %d)", ob, bb)
		}
		rows = append(rows, []string{cb.Format, cb.Enc, fmt.Sprintf("%.1f", d["cpu_per_segment_us"]), fmt.Sprintf("%.1f", d["baseline_cpu_per_segment_us"]),
			Against(*c.VS.Value, vsBaselineTarget, 'f', 3), fmt.Sprintf("%.3f (%.3f-%.3f)", d["round_ratios_median"], d["round_ratios_min"], d["round_ratios_max"]),
			num(c.OriginMultiple), num(bmult), v})
	}
	name := s.cfg.Baseline
	if name == "" {
		name = s.cfg.BaselineURL
	}
	s.say("drmorigin against the baseline %s, measured in the same %d interleaved rounds: vs_baseline = median of the per-round ratios drmorigin CPU per segment ÷ baseline CPU per segment (target <= %.2f); both floor multiples beside:",
		name, rounds, vsBaselineTarget)
	s.table(rows)
}
