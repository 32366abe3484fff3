package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Names of the assets the suite puts under its storage root.
const (
	longAsset  = "long2h" // synthesized two-hour asset (soak, manifests)
	coldAssetA = "cold-a" // never requested before the cold-start figure
	coldAssetB = "cold-b"
)

// manifestName is the {name} of an asset's URLs: its server manifest's
// base name, else the directory name.
func manifestName(dir string) string {
	if m, _ := filepath.Glob(filepath.Join(dir, "*.ism")); len(m) == 1 {
		return strings.TrimSuffix(filepath.Base(m[0]), filepath.Ext(m[0]))
	}
	return filepath.Base(dir)
}

func locatorName(asset, enc string) string { return "bench-" + asset + "-" + enc }

func (s *suite) prepare(ctx context.Context) error {
	root := filepath.Join(s.tmp, "media")
	src := filepath.Join(s.cfg.Media, s.cfg.Asset)
	if err := LinkAsset(src, filepath.Join(root, s.cfg.Asset)); err != nil {
		return fmt.Errorf("%w: asset %s: %v", errFatal, src, err)
	}
	began := time.Now()
	if err := Synthesize(src, filepath.Join(root, longAsset), 2*time.Hour); err != nil {
		return fmt.Errorf("%w: synthesize: %v", errFatal, err)
	}
	var size int64
	entries, _ := os.ReadDir(filepath.Join(root, longAsset))
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			size += fi.Size()
		}
	}
	fmt.Fprintf(s.cfg.Stderr, "   synthesized a two-hour asset from %s: %s in %.1fs\n", s.cfg.Asset, HumanBytes(float64(size)), time.Since(began).Seconds())
	s.segAsset = s.cfg.Asset
	began = time.Now()
	cache := filepath.Join(s.cfg.Out, "cache", SegAssetName)
	audio, _ := filepath.Glob(filepath.Join(src, "audio*.mp4"))
	switch {
	case len(audio) == 0:
		fmt.Fprintf(s.cfg.Stderr, "   no audio track file in %s for the %s asset: CPU per segment is measured on %s\n", src, SegAssetName, s.cfg.Asset)
	default:
		if err := MakeSegAsset(cache, audio[0]); err != nil {
			fmt.Fprintf(s.cfg.Stderr, "   no %s asset (%v): CPU per segment is measured on %s\n", SegAssetName, err, s.cfg.Asset)
			break
		}
		if err := LinkAsset(cache, filepath.Join(root, SegAssetName)); err != nil {
			return fmt.Errorf("%w: %v", errFatal, err)
		}
		s.segAsset = SegAssetName
		fmt.Fprintf(s.cfg.Stderr, "   %s asset (1080p H.264, 2 s segments) ready in %.1fs\n", SegAssetName, time.Since(began).Seconds())
	}
	s.report["cpu_asset"] = s.segAsset
	if err := s.prepareProgressive(root); err != nil {
		return err
	}
	for _, a := range []string{coldAssetA, coldAssetB} {
		if err := LinkAsset(filepath.Join(root, longAsset), filepath.Join(root, a)); err != nil {
			return fmt.Errorf("%w: %v", errFatal, err)
		}
	}
	bin := s.cfg.Origin
	if bin == "" {
		bin = filepath.Join(s.tmp, "drmorigin")
		cmd := exec.CommandContext(ctx, goTool(), "build", "-o", bin, "./cmd/drmorigin")
		cmd.Dir = s.cfg.Repo
		cmd.Stdout, cmd.Stderr = s.cfg.Stderr, s.cfg.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%w: build drmorigin: %v", errFatal, err)
		}
	}
	s.originBin = bin
	o, err := startOrigin(bin, s.cfg.OriginCore, root, filepath.Join(s.tmp, "data"), s.log)
	if err != nil {
		return fmt.Errorf("%w: %v", errFatal, err)
	}
	s.origin = o
	fmt.Fprintf(s.cfg.Stderr, "   drmorigin pid %d on %s (core %q), admin %s\n", o.pid, o.base, s.cfg.OriginCore, o.admin)
	if err := s.locators(o); err != nil {
		return fmt.Errorf("%w: %v", errFatal, err)
	}
	if s.cfg.Baseline != "" || s.cfg.BaselineURL != "" {
		return s.startBaseline(root)
	}
	return nil
}

// locators creates the suite's streaming locators on o.
func (s *suite) locators(o *originProc) error {
	for _, a := range slices.Compact([]string{s.cfg.Asset, s.segAsset}) {
		for _, enc := range []string{"none", "cenc", "cbcs", "cbc"} {
			if err := o.locator(locatorName(a, enc), a, PolicyFor(enc)); err != nil {
				return err
			}
		}
	}
	long := []string{longAsset, coldAssetA, coldAssetB}
	if s.progSegWhy == "" {
		for _, enc := range []string{"none", "cenc", "cbcs", "cbc"} {
			if err := o.locator(locatorName(ProgSegAssetName, enc), ProgSegAssetName, PolicyFor(enc)); err != nil {
				return err
			}
		}
	}
	if s.progLongWhy == "" {
		long = append(long, longProgAsset)
		long = append(long, coldProgNames(coldProgA)...)
		long = append(long, coldProgNames(coldProgB)...)
	}
	for _, a := range long {
		if err := o.locator(locatorName(a, "none"), a, PolicyFor("none")); err != nil {
			return err
		}
	}
	return nil
}

func (s *suite) manifestURL(asset string, c Combo) string {
	return s.origin.base + s.manifestPath(asset, c)
}

// manifestPath is the path of manifestURL, the same on every origin the
// suite starts (they get the same locator names).
func (s *suite) manifestPath(asset string, c Combo) string {
	enc := c.Enc
	if enc == "cbcs-aapl" {
		enc = "cbcs"
	}
	name := manifestName(filepath.Join(s.tmp, "media", asset))
	return ManifestPath(locatorName(asset, enc), name, c)
}

// probeMatrix loads every (format, encryption) manifest and its first video
// segment, and marks those the origin refuses; with a baseline, it probes
// the baseline too.
func (s *suite) probeMatrix(ctx context.Context) error {
	c := NewClient(NewRecorder(), 4)
	defer c.Close()
	head := []string{"format", "encryption", "status", "video segments", "manifest URL"}
	if s.baseline != nil {
		head = []string{"format", "encryption", "status", "video segments", "baseline", "manifest URL"}
	}
	rows := [][]string{head}
	for _, cb := range Matrix {
		st := &comboState{Combo: cb, URL: s.manifestURL(s.segAsset, cb)}
		s.combos[cb] = st
		st.Pres, st.Segments, st.Valid, st.Unavailable = probe(c, st.URL)
		status := "ok"
		if st.Unavailable != "" {
			status = st.Unavailable
		}
		row := []string{cb.Format, cb.Enc, status, fmt.Sprint(len(st.Segments)), strings.TrimPrefix(st.URL, s.origin.base)}
		if s.baseline != nil {
			b := &st.Base
			b.URL = s.baseline.base + s.manifestPath(s.segAsset, cb)
			_, b.Segments, b.Valid, b.Unavailable = probe(c, b.URL)
			bs := "ok"
			if b.Unavailable != "" {
				bs = b.Unavailable
			}
			row = slices.Insert(row, 4, bs)
		}
		rows = append(rows, row)
	}
	s.say("(format, encryption) pairs on asset %s:", s.segAsset)
	s.table(rows)
	return nil
}

// probe loads a manifest and its first video segment. It returns the
// presentation, the top video rendition's segment URLs and their validator,
// and why the pair is unavailable ("" when it is not).
func probe(c *Client, url string) (p *Presentation, segments []string, valid Validator, unavailable string) {
	p, err := Load(c, url, false)
	var se *StatusError
	switch {
	case errors.As(err, &se):
		return nil, nil, nil, fmt.Sprintf("unavailable (status %d)", se.Status)
	case err != nil:
		return nil, nil, nil, fmt.Sprintf("unavailable (%v)", err)
	}
	tracks := p.Video()
	if len(tracks) == 0 {
		tracks = p.Tracks
	}
	if len(tracks) == 0 || len(tracks[0].Segments) == 0 {
		return p, nil, nil, "unavailable (no segments in the manifest)"
	}
	t := tracks[0]
	valid = ValidMedia
	if t.Encrypted {
		valid = ValidAny
	}
	for i := range t.Segments {
		segments = append(segments, t.SegmentURL(i))
	}
	r := c.Get(KindSegment, segments[0], false, valid)
	if r.Err != "" {
		if r.Status != 0 && r.Err != ErrInvalid {
			return p, segments, valid, fmt.Sprintf("unavailable (status %d)", r.Status)
		}
		return p, segments, valid, "unavailable (segment: " + r.Err + ")"
	}
	return p, segments, valid, ""
}

// cpuBudget is the server CPU time of one measurement and the number of
// interleaved rounds whose best is reported (the machine is shared and
// noisy: one round can be twice another, and a neighbour only ever adds
// time). ProcCPU's nanosecond clock makes short rounds exact, so the
// suite takes many.
func (s *suite) cpuBudget() (minCPU, maxWall time.Duration, rounds int) {
	if s.cfg.Short {
		return 80 * time.Millisecond, 5 * time.Second, 25
	}
	return 150 * time.Millisecond, 10 * time.Second, 41
}

const cpuConns = 4

// median returns the median per-request CPU time of rs, and the minimum
// and maximum, in nanoseconds.
func median(rs []cpuResult) (med, lo, hi float64) {
	if len(rs) == 0 {
		return 0, 0, 0
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = r.perRequest()
	}
	slices.Sort(v)
	return v[len(v)/2], v[0], v[len(v)-1]
}

// clean drops the rounds that saw an error response: a 4xx is cheap and
// would make the origin look faster than the floor.
func clean(rs []cpuResult) []cpuResult {
	var out []cpuResult
	for _, r := range rs {
		if len(r.Errors) == 0 {
			out = append(out, r)
		}
	}
	return out
}

// medianFloat returns the median, minimum and maximum of xs.
func medianFloat(xs []float64) (med, lo, hi float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	v := slices.Clone(xs)
	slices.Sort(v)
	return v[len(v)/2], v[0], v[len(v)-1]
}

// perRound divides each round's CPU per request of num by den's of the
// same round (measured seconds apart, so they share the machine's mood),
// with extra added to the denominator, in µs.
func perRound(num, den []cpuResult, extraUS float64) []float64 {
	var out []float64
	for i := range min(len(num), len(den)) {
		if len(num[i].Errors) > 0 || len(den[i].Errors) > 0 {
			continue
		}
		out = append(out, (num[i].perRequest()/1e3)/(den[i].perRequest()/1e3+extraUS))
	}
	return out
}

// paired is a ratio of two figures measured in the same interleaved
// rounds, as the suite judges it: the median of the per-round ratios.
//
// Why the median of pairs and not the best round of each side: both sides
// of a round are measured seconds apart, so whatever the shared machine
// does to a round (a neighbour's load, the clock, the caches) it does to
// both, and the ratio cancels it. The best round of each side comes from
// different rounds, and one unusually cheap round on either side moves the
// ratio of the two minima: session 7's two quiet runs 30 minutes apart
// gave best ÷ best floor multiples that differed by up to 0.23 (clear
// 1.03–1.06 against 0.95–1.18, after one floor round of 198 µs against
// about 250 µs), while the medians of the pairs differed by at most 0.04.
// The vs_baseline, live, progressive and object-store ratios have been
// judged this way since they were written, for the same reason (README,
// "vs_baseline"). Best ÷ best stays in the detail.
type paired struct {
	Median, Min, Max float64 // of the per-round ratios
	BestOverBest     float64 // lowest num ÷ (lowest den + extra)
	Pairs            int     // rounds where neither side had an error
}

// pair compares num with den (+ extraUS, in µs) round by round.
func pair(num, den []cpuResult, extraUS float64) paired {
	ratios := perRound(num, den, extraUS)
	p := paired{Pairs: len(ratios), BestOverBest: math.NaN()}
	p.Median, p.Min, p.Max = medianFloat(ratios)
	if n, d := clean(num), clean(den); len(n) > 0 && len(d) > 0 {
		_, nlo, _ := median(n)
		_, dlo, _ := median(d)
		p.BestOverBest = (nlo / 1e3) / (dlo/1e3 + extraUS)
	}
	return p
}

// detail is the pair's figures under the keys the report has used.
func (p paired) detail(prefix string) map[string]any {
	return map[string]any{prefix + "_median": p.Median, prefix + "_min": p.Min, prefix + "_max": p.Max,
		"best_over_best": p.BestOverBest, "paired_rounds": p.Pairs}
}

// totals sums requests, bytes, CPU and errors over rounds.
func totals(rs []cpuResult) (reqs, bytes int64, cpu time.Duration, errs map[string]int64) {
	errs = map[string]int64{}
	for _, r := range rs {
		reqs += r.Requests
		bytes += r.Bytes
		cpu += r.CPU
		for k, n := range r.Errors {
			errs[k] += n
		}
	}
	return
}

// floorBodies fetches the clear video segments of formats (nil: every
// format) from the origin (from the baseline for a format only it serves):
// the floor's bodies by path ("/<format>/<i>") and each format's paths.
func (s *suite) floorBodies(formats []string) (map[string][]byte, map[string][]string, error) {
	c := NewClient(NewRecorder(), 4)
	defer c.Close()
	bodies := map[string][]byte{}
	paths := map[string][]string{}
	for _, cb := range Matrix {
		st := s.combos[cb]
		if cb.Enc != "none" || st == nil || (formats != nil && !slices.Contains(formats, cb.Format)) {
			continue
		}
		segs, valid := st.Segments, st.Valid
		if st.Unavailable != "" {
			// The floor of a format only the baseline serves.
			if s.baseline == nil || st.Base.Unavailable != "" {
				continue
			}
			segs, valid = st.Base.Segments, st.Base.Valid
		}
		for i, u := range segs {
			r := c.Get(KindSegment, u, true, valid)
			if r.Err != "" {
				return nil, nil, fmt.Errorf("%s segment %s: %s", cb, u, r.Err)
			}
			p := fmt.Sprintf("/%s/%d", cb.Format, i)
			bodies[p] = r.Body
			paths[cb.Format] = append(paths[cb.Format], p)
		}
	}
	return bodies, paths, nil
}

// startFloor writes bodies under dir and starts the copy-only floor over
// them, pinned to the origin's core.
func (s *suite) startFloor(dir string, bodies map[string][]byte) (*floorProc, error) {
	self := s.cfg.Self
	if self == "" {
		var err error
		if self, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	return startFloor(self, s.cfg.OriginCore, dir, bodies, s.log)
}

// measureCPUPerSegment measures, in interleaved rounds, the copy-only
// floor (the clear video segments of each format served from memory by a
// process of its own on the origin's core) and drmorigin's CPU time per
// video segment for every available (format, encryption); it reports the
// medians and drmorigin's as multiples of the floor. With a baseline, each
// round measures the baseline's too, right before or after drmorigin's.
func (s *suite) measureCPUPerSegment(ctx context.Context) error {
	if s.baseline != nil && !s.selected("cbcload") && !s.selected("manifest") {
		// Only this step, cbcload and the manifest step measure the
		// baseline; the later steps run as they do without one.
		defer func() { s.baseline.stop(); s.baseline = nil }()
	}
	bodies, paths, err := s.floorBodies(nil)
	if err != nil {
		return err
	}
	if len(bodies) > 0 {
		f, err := s.startFloor(filepath.Join(s.tmp, "floor"), bodies)
		if err != nil {
			return err
		}
		s.floor = f
		defer func() { f.stop(); s.floor = nil }()
		if n, err := startStaticNginx(s.cfg.OriginCore, filepath.Join(s.tmp, "floor"), filepath.Join(s.tmp, "nginx"), s.log); err != nil {
			s.staticWhy = err.Error()
		} else {
			s.static = n
			defer func() { n.stop(); s.static = nil }()
		}
	}
	minCPU, maxWall, rounds := s.cpuBudget()
	for r := range rounds {
		fmt.Fprintf(s.cfg.Stderr, "   round %d of %d\n", r+1, rounds)
		for _, cb := range Matrix {
			st := s.combos[cb]
			base := s.baseline != nil && st != nil && st.Base.Unavailable == ""
			if st == nil || (st.Unavailable != "" && !base) || ctx.Err() != nil {
				continue
			}
			if cb.Enc == "none" && s.floor != nil && len(paths[cb.Format]) > 0 {
				var urls []string
				for _, p := range paths[cb.Format] {
					urls = append(urls, s.floor.base+p)
				}
				res, err := measureCPU(ctx, s.floor.pid, urls, cpuConns, minCPU, maxWall, ValidAny)
				if err != nil {
					return fmt.Errorf("floor %s: %w", cb.Format, err)
				}
				st.FloorCPUs = append(st.FloorCPUs, res)
				if s.static != nil {
					for i, p := range paths[cb.Format] {
						urls[i] = s.static.base + p
					}
					res, err := measureCPU(ctx, s.static.pid, urls, cpuConns, minCPU, maxWall, ValidAny)
					if err != nil {
						return fmt.Errorf("nginx %s: %w", cb.Format, err)
					}
					st.StaticCPUs = append(st.StaticCPUs, res)
				}
			}
			// The origin and the baseline take turns going first, so that
			// neither is always the one measured right after the floor.
			origin := cpuSide{Name: cb.String(), PID: s.origin.pid, URLs: st.Segments, Valid: st.Valid, Into: &st.CPUs, Skip: st.Unavailable != ""}
			baseline := cpuSide{Name: "baseline " + cb.String(), PID: -1, Skip: !base}
			if base {
				baseline.PID, baseline.URLs, baseline.Valid, baseline.Into = s.baseline.pid, st.Base.Segments, st.Base.Valid, &st.Base.CPUs
			}
			if err := measureBoth(ctx, r, minCPU, maxWall, origin, baseline); err != nil {
				return err
			}
		}
	}
	s.reportFloor(rounds)
	s.reportMultiples(rounds)
	if s.cfg.Baseline != "" || s.cfg.BaselineURL != "" {
		s.reportBaseline(rounds)
	}
	return nil
}

func (s *suite) reportFloor(rounds int) {
	rows := [][]string{{"format", "µs/segment", "(median / max)", "segment bytes", "segments", "server CPU s", "nginx µs", "nginx ÷ floor", "errors"}}
	for _, cb := range Matrix {
		st := s.combos[cb]
		if cb.Enc != "none" || st == nil || len(st.FloorCPUs) == 0 {
			continue
		}
		med, lo, hi := median(clean(st.FloorCPUs))
		reqs, bytes, cpu, errs := totals(st.FloorCPUs)
		fig := NewFigure(float64(lo)/1e3, math.NaN(), "µs")
		fig.Detail = map[string]any{"best_of_rounds_us": float64(lo) / 1e3, "median_us": float64(med) / 1e3, "max_us": float64(hi) / 1e3, "rounds": len(st.FloorCPUs),
			"segment_bytes": bytes / max(reqs, 1), "segments": reqs}
		s.set("floor_cpu_per_segment."+cb.Format, fig)
		nus, nratio := "-", "-"
		if sfig := staticFigure(st, lo); sfig != nil {
			s.set("static_cpu_per_segment."+cb.Format, sfig)
			if sfig.Value != nil {
				nus, nratio = fmt.Sprintf("%.1f", *sfig.Value), fmt.Sprintf("%.2f", sfig.Detail["x_floor"])
			}
		}
		rows = append(rows, []string{cb.Format, fmt.Sprintf("%.1f", float64(lo)/1e3), fmt.Sprintf("%.1f / %.1f", float64(med)/1e3, float64(hi)/1e3),
			fmt.Sprint(bytes / max(reqs, 1)), fmt.Sprint(reqs), fmt.Sprintf("%.2f", cpu.Seconds()), nus, nratio, FormatErrors(errs)})
	}
	s.say("copy-only floor: the same video segment bytes served from memory (fasthttp, own process, pinned like the origin); beside it plain nginx (sendfile, one process, same core) serving them as files; best of %d rounds:", rounds)
	s.table(rows)
	if s.staticWhy != "" {
		s.say("static file server: unavailable (%s)", s.staticWhy)
		s.report["static_file_server"] = map[string]any{"unavailable": s.staticWhy}
	} else {
		s.report["static_file_server"] = map[string]any{"server": "nginx", "config": "daemon off, master_process off, sendfile on, access_log off"}
	}
}

func (s *suite) reportMultiples(rounds int) {
	rows := [][]string{{"format", "scheme", "µs/segment", "x floor", "per round: min-max", "best/best", "target", "nginx-vod", "verdict", "errors"}}
	var bars []Bar
	for _, cb := range Matrix {
		st := s.combos[cb]
		target, peer := Targets(cb)
		key := "floor_multiple." + cb.Format + "." + cb.Enc
		clear := s.combos[Combo{cb.Format, "none"}]
		tgt, peerS := fmt.Sprintf("<= %.1f", target), fmt.Sprintf("%.1f", peer)
		judged := target
		if cb.Enc == "cbc" {
			// cbc's target holds under concurrent load: the cbcload step
			// judges floor_multiple.<format>.cbc at cbcLoadConns; this
			// step's figure at cpuConns stands beside it, unjudged.
			key = cbcLightKey(cb.Format)
			judged = math.NaN()
			tgt = fmt.Sprintf("(<= %.1f at %d conns)", target, cbcLoadConns)
		}
		if st.Unavailable != "" || len(st.CPUs) == 0 {
			why := st.Unavailable
			if why == "" {
				why = "unavailable (not measured)"
			}
			s.set(key, UnavailableFigure(judged, "x floor", why))
			rows = append(rows, []string{cb.Format, cb.Enc, "-", "-", "", "-", tgt, peerS, why, ""})
			bars = append(bars, Bar{Label: cb.String(), Value: math.NaN(), Target: target, Peer: peer, Note: "n/a"})
			continue
		}
		_, _, _, errs := totals(st.CPUs)
		good := clean(st.CPUs)
		reqs, bytes, _, _ := totals(good)
		if len(good) == 0 {
			why := "invalid (every round had errors: " + FormatErrors(errs) + ")"
			s.set(key, UnavailableFigure(judged, "x floor", why))
			rows = append(rows, []string{cb.Format, cb.Enc, "-", "-", "", "-", tgt, peerS, why, FormatErrors(errs)})
			bars = append(bars, Bar{Label: cb.String(), Value: math.NaN(), Target: target, Peer: peer, Note: "errors"})
			continue
		}
		med, lo, hi := median(good)
		us := float64(lo) / 1e3
		span := ""
		cpuFig := NewFigure(us, math.NaN(), "µs")
		cpuFig.Detail = map[string]any{"best_of_rounds_us": us, "median_us": float64(med) / 1e3, "max_us": float64(hi) / 1e3, "rounds": len(st.CPUs),
			"segment_bytes": bytes / max(reqs, 1), "segments": reqs, "errors": errs}
		s.set("cpu_per_segment."+cb.Format+"."+cb.Enc, cpuFig)
		if clear == nil || len(clean(clear.FloorCPUs)) == 0 {
			why := "unavailable (no floor: clear " + cb.Format + " unavailable)"
			s.set(key, UnavailableFigure(judged, "x floor", why))
			rows = append(rows, []string{cb.Format, cb.Enc, fmt.Sprintf("%.1f", us), "-", span, "-", tgt, peerS, why, FormatErrors(errs)})
			bars = append(bars, Bar{Label: cb.String(), Value: math.NaN(), Target: target, Peer: peer, Note: "no floor"})
			continue
		}
		_, floor, _ := median(clean(clear.FloorCPUs))
		pr := pair(st.CPUs, clear.FloorCPUs, 0)
		if pr.Pairs == 0 {
			why := "invalid (no round where both the origin and the floor answered without errors)"
			s.set(key, UnavailableFigure(judged, "x floor", why))
			rows = append(rows, []string{cb.Format, cb.Enc, fmt.Sprintf("%.1f", us), "-", span, "-", tgt, peerS, why, FormatErrors(errs)})
			bars = append(bars, Bar{Label: cb.String(), Value: math.NaN(), Target: target, Peer: peer, Note: "errors"})
			continue
		}
		mult := pr.Median
		span = fmt.Sprintf("%.2f-%.2f", pr.Min, pr.Max)
		fig := NewFigure(mult, judged, "x floor")
		fig.Detail = pr.detail("round_multiples")
		for k, v := range map[string]any{"cpu_per_segment_us": us, "floor_cpu_per_segment_us": float64(floor) / 1e3, "connections": cpuConns,
			"method":   "median of the per-round multiples: origin CPU per segment ÷ floor CPU per segment, measured seconds apart in the same interleaved round",
			"segments": reqs, "segment_bytes": bytes / max(reqs, 1), "nginx_vod_module": peer, "errors": errs, "rounds": len(st.CPUs), "clean_rounds": len(good)} {
			fig.Detail[k] = v
		}
		s.set(key, fig)
		v := "met"
		switch {
		case fig.Met == nil:
			v = "see cbcload"
		case !*fig.Met:
			v = "MISSED"
		}
		if len(errs) > 0 {
			v += fmt.Sprintf(" (%d of %d rounds had errors, left out)", len(st.CPUs)-len(good), len(st.CPUs))
		}
		rows = append(rows, []string{cb.Format, cb.Enc, fmt.Sprintf("%.1f", us), Against(mult, judged, 'f', 2), span, fmt.Sprintf("%.2f", pr.BestOverBest), tgt, peerS, v, FormatErrors(errs)})
		bars = append(bars, Bar{Label: cb.String(), Value: mult, Target: target, Peer: peer})
	}
	s.say("drmorigin CPU time per video segment (best of %d rounds) and its multiple of the floor: the median of the per-round multiples, judged; their spread and best ÷ best beside; nginx-vod-module's multiples from quality.md:", rounds)
	s.table(rows)
	s.charts = append(s.charts, Chart{Title: "CPU time per video segment, multiple of the copy-only floor", YLabel: "x floor", Bars: bars})
}

// staticFigure is the static file server's CPU per segment of a clear
// pair (best of its clean rounds), with its multiple of the floor's best
// (floor, ns) in its detail; nil when it was not measured.
func staticFigure(st *comboState, floor float64) *Figure {
	if len(st.StaticCPUs) == 0 {
		return nil
	}
	good := clean(st.StaticCPUs)
	if len(good) == 0 {
		_, _, _, errs := totals(st.StaticCPUs)
		return UnavailableFigure(math.NaN(), "µs", "invalid (every round had errors: "+FormatErrors(errs)+")")
	}
	med, lo, hi := median(good)
	fig := NewFigure(lo/1e3, math.NaN(), "µs")
	fig.Detail = map[string]any{"best_of_rounds_us": lo / 1e3, "median_us": med / 1e3, "max_us": hi / 1e3, "rounds": len(st.StaticCPUs),
		"x_floor": lo / floor, "server": "nginx (sendfile)"}
	return fig
}
