package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// SuiteConfig configures the bench suite (`make bench`).
type SuiteConfig struct {
	// Repo is the module root: Go benchmarks run and drmorigin is built
	// there.
	Repo string
	// Out is the output directory (report.json, report.html, logs).
	Out string
	// Media is the directory holding Asset (testdata/media).
	Media string
	// Asset is the source asset (demo).
	Asset string
	// Origin is a drmorigin binary; empty builds ./cmd/drmorigin.
	Origin string
	// Baseline, when set, is a second drmorigin binary (another revision)
	// started like Origin and measured in the same interleaved rounds of
	// the CPU-per-segment step; the report then holds each pair's
	// cpu.vs_baseline (Origin's CPU per segment ÷ Baseline's).
	Baseline string
	// BaselineURL, instead of Baseline, is the base URL of a second origin
	// already running on this machine with the same content under the same
	// paths (another drmorigin, or any origin that answers the suite's
	// locator and manifest paths): it is measured beside Origin the same
	// way, its CPU time read from BaselinePID (the serving process). With
	// BaselineAdmin (its management API; token from the environment
	// variable DRMBENCH_BASELINE_TOKEN) the suite creates its locators
	// there; without, they must exist.
	BaselineURL, BaselineAdmin string
	BaselinePID                int
	// Self is this program (for the floor-server command).
	Self string
	// Short is the quick form (under 10 minutes on 2 cores).
	Short bool
	// Soak is the memory soak's duration (default 60 s short, 3 min).
	Soak time.Duration
	// Players is the number of simulated players of the soak (1,000).
	Players int
	// OriginCore and LoadCore are taskset CPU lists ("0" and "1"); empty
	// leaves processes unpinned.
	OriginCore, LoadCore string
	// SkipGoBench skips `go test -bench` (for quick runs of the rest).
	SkipGoBench bool
	// Only, when set, names the measuring steps to run ("gobench", "cpu",
	// "cbcload", "manifest", "filtmanifest", "cold", "progcpu", "progcold", "soak", "objcpu",
	// "objcold", "objreads", "live"; "progressive" is both progressive steps,
	// "objstore" the three object-storage ones; the setup steps always run,
	// MinIO and the second origin only for an object-storage step): for
	// iterating on one figure. The report then holds only those figures.
	Only []string
	// Stdout receives the report; Stderr progress and child output.
	Stdout, Stderr io.Writer
}

func (c *SuiteConfig) setDefaults() {
	if c.Asset == "" {
		c.Asset = "demo"
	}
	if c.Soak == 0 {
		c.Soak = 3 * time.Minute
		if c.Short {
			c.Soak = time.Minute
		}
	}
	if c.Players == 0 {
		c.Players = 1000
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
}

// suite is one run's state.
type suite struct {
	cfg    SuiteConfig
	tmp    string
	log    io.Writer
	report map[string]any
	lines  []string // summary lines, printed and put in the HTML page
	charts []Chart

	rawCTR, rawCBC float64 // bytes per second
	segAsset       string  // the asset of the CPU-per-segment figures (SegAssetName, else Asset)
	origin         *originProc
	baseline       *originProc // with cfg.Baseline, during the CPU-per-segment step
	baselineWhy    string      // why the baseline could not be measured
	floor          *floorProc
	static         *floorProc // plain nginx over the floor's files, during the CPU-per-segment step
	staticWhy      string     // why there is no static file server figure
	combos         map[Combo]*comboState

	// The progressive assets: why each cannot be measured ("" when it
	// can), and how many times the two-hour one repeats its source.
	progSegWhy, progLongWhy string
	progLoops               int

	// Object storage (suite_objstore.go): the drmorigin binary both
	// origins run, MinIO, the second origin serving from it, and why the
	// object-storage figures cannot be measured ("" when they can).
	originBin string
	minio     *minioProc
	obj       *originProc
	objWhy    string
}

// comboState is what the suite learned about one (format, encryption).
type comboState struct {
	Combo
	URL         string
	Unavailable string
	Pres        *Presentation
	Segments    []string // video segment URLs of the top rendition
	Valid       Validator
	CPUs        []cpuResult // drmorigin, one per round
	FloorCPUs   []cpuResult // the floor (clear pairs only), one per round
	StaticCPUs  []cpuResult // plain nginx serving the floor's files (clear pairs only), one per round

	// The baseline origin's view of the pair (with --baseline only).
	Base baseState
}

// baseState is what the suite learned about one (format, encryption) from
// the baseline origin.
type baseState struct {
	URL         string
	Unavailable string
	Segments    []string
	Valid       Validator
	CPUs        []cpuResult // one per round, in the origin's rounds
}

// RunSuite runs every figure of quality.md "Fast" and writes
// Out/report.json and Out/report.html. It returns an error only when it
// could not run; missed targets are in the report.
func RunSuite(ctx context.Context, cfg SuiteConfig) error {
	cfg.setDefaults()
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "drmbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	logf, err := os.Create(filepath.Join(cfg.Out, "children.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	s := &suite{cfg: cfg, tmp: tmp, log: logf, combos: map[Combo]*comboState{},
		report: map[string]any{"generated": time.Now().UTC().Format(time.RFC3339), "short": cfg.Short,
			"machine": map[string]any{"cpus": runtime.NumCPU(), "goos": runtime.GOOS, "goarch": runtime.GOARCH,
				"origin_core": cfg.OriginCore, "load_core": cfg.LoadCore}}}
	s.report["peers"] = peers()
	defer func() {
		if s.origin != nil {
			s.origin.stop()
		}
		if s.baseline != nil {
			s.baseline.stop()
		}
		if s.floor != nil {
			s.floor.stop()
		}
		if s.static != nil {
			s.static.stop()
		}
		s.stopObjectStore()
	}()
	steps := []struct {
		name, only string
		fn         func(context.Context) error
	}{
		{"go benchmarks", "gobench", s.goBenchmarks},
		{"raw cipher speed", "", s.cipherSpeeds},
		{"media and origin", "", s.prepare},
		{"matrix", "", s.probeMatrix},
		{"CPU per segment (floor and drmorigin)", "cpu", s.measureCPUPerSegment},
		{"cost factors", "cpu", s.costFactors},
		{"cbc under load: CPU per segment at 32 connections", "cbcload", s.cbcUnderLoad},
		{"manifest latency", "manifest", s.manifestLatency},
		{"filtered manifest latency", "filtmanifest", s.filteredManifestLatency},
		{"cold start", "cold", s.coldStart},
		{"memory soak", "soak", s.soak},
		// After the soak: the progressive cold figures index eleven
		// two-hour progressive assets (about 8 MB of index each), which
		// would otherwise sit in the origin's memory through the soak.
		{"progressive input: CPU per segment against fragmented", "progcpu", s.progressiveCPU},
		{"progressive input: cold start and index memory", "progcold", s.progressiveCold},
		// Last, so that MinIO and the second origin are idle processes
		// through none of the other steps.
		{"object storage: MinIO and a second drmorigin", "objstore", s.prepareObjectStore},
		{"object storage: CPU per segment against local disk", "objcpu", s.objectCPU},
		{"object storage: cold start", "objcold", s.objectCold},
		{"object storage: storage reads per segment under a player load", "objreads", s.objectReads},
		{"live: one ingest and 1,000 live players", "live", s.liveStep},
		{"new input paths against their targets", "", s.newPathsSummary},
	}
	for _, st := range steps {
		if ctx.Err() != nil {
			break
		}
		if st.only != "" && !s.selected(st.only) {
			continue
		}
		fmt.Fprintf(cfg.Stderr, "== %s\n", st.name)
		began := time.Now()
		if err := st.fn(ctx); err != nil {
			s.say("%s: FAILED: %v", st.name, err)
			if errors.Is(err, errFatal) {
				break
			}
		}
		fmt.Fprintf(cfg.Stderr, "   (%s in %.1fs)\n", st.name, time.Since(began).Seconds())
	}
	return s.write()
}

// stepAliases are --only names that select several steps.
var stepAliases = map[string][]string{
	"progressive": {"progcpu", "progcold"},
	"objstore":    {"objcpu", "objcold", "objreads"},
}

// selected reports whether the measuring step named only runs: every step
// without --only, else those it names, directly or by an alias. An alias
// asked about is selected when one of its steps is (the object-storage
// set-up runs for any object-storage step).
func (s *suite) selected(only string) bool {
	if len(s.cfg.Only) == 0 {
		return true
	}
	if steps, ok := stepAliases[only]; ok && !slices.Contains(s.cfg.Only, only) {
		for _, st := range steps {
			if s.selected(st) {
				return true
			}
		}
		return false
	}
	for _, o := range s.cfg.Only {
		if o == only || slices.Contains(stepAliases[o], only) {
			return true
		}
	}
	return false
}

// errFatal marks a step failure after which nothing else can run.
var errFatal = errors.New("cannot continue")

func (s *suite) say(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	s.lines = append(s.lines, line)
	fmt.Fprintln(s.cfg.Stdout, line)
}

// set stores v under a dotted key path of the report, nesting objects.
func (s *suite) set(path string, v any) {
	keys := strings.Split(path, ".")
	m := s.report
	for _, k := range keys[:len(keys)-1] {
		n, ok := m[k].(map[string]any)
		if !ok {
			n = map[string]any{}
			m[k] = n
		}
		m = n
	}
	m[keys[len(keys)-1]] = v
}

func peers() map[string]any {
	nan := math.NaN()
	fig := func(v float64, unit string) *Figure { return NewFigure(v, nan, unit) }
	return map[string]any{"nginx-vod-module": map[string]any{
		"source":                "quality.md: one pinned core, 720p/1080p H.264 segments of 1.13 MB, server CPU per video segment as a multiple of plain nginx serving the same bytes",
		"floor_cpu_per_segment": fig(0.40, "ms"),
		"floor_multiple": map[string]any{
			"fmp4.none": fig(1.7, "x floor"), "fmp4.cenc": fig(2.5, "x floor"), "fmp4.cbcs": fig(2.2, "x floor"),
			"ts.none": fig(1.5, "x floor"), "ts.cbcs-aapl": fig(3.7, "x floor"), "ts.cbc": fig(3.8, "x floor"),
			"fmp4.cbc": fig(4.4, "x floor"),
		},
	}}
}

func (s *suite) goBenchmarks(ctx context.Context) error {
	if s.cfg.SkipGoBench {
		s.say("go benchmarks: skipped")
		return nil
	}
	bt := ""
	if s.cfg.Short {
		bt = "300ms"
	}
	fmt.Fprintf(s.cfg.Stdout, "Go benchmarks (go test -c, then -test.run '^$' -test.bench . -test.benchmem, pinned to core %q):\n", s.cfg.OriginCore)
	res, err := runGoBenchmarks(ctx, s.cfg.Repo, s.tmp, s.cfg.OriginCore, []string{"./crypto", "./packager", "./packager/ts", "./origin"}, bt, s.cfg.Stdout)
	s.report["go_benchmarks"] = res
	checked, allocating := 0, 0
	defer func() {
		s.say("allocations: %d of %d sample/segment Encrypt benchmarks report 0 allocs/op (target: all)", checked-allocating, checked)
		f := NewFigure(float64(allocating), 0, "benchmarks")
		f.Detail = map[string]any{"checked": checked}
		s.set("allocs.encrypt_benchmarks_allocating", f)
	}()
	for _, b := range res {
		if strings.Contains(b.Name, "Encrypt") && (strings.Contains(b.Name, "Sample") || strings.Contains(b.Name, "Segment")) {
			checked++
			if b.AllocsPerOp != 0 {
				s.say("allocations: %s reports %.0f allocs/op (quality.md: 0 in steady state)", b.Name, b.AllocsPerOp)
				allocating++
			}
		}
	}
	return err
}

func (s *suite) cipherSpeeds(ctx context.Context) error {
	d := time.Second
	if s.cfg.Short {
		d = 400 * time.Millisecond
	}
	// Measured in a process of its own on the origin's core, where the
	// figures it is weighed against are taken.
	var ctrs, cbcs []float64
	where := fmt.Sprintf("in a child pinned to core %q", s.cfg.OriginCore)
	for range 3 {
		ctr, cbc, err := s.rawCipherChild(ctx, d)
		if err != nil {
			fmt.Fprintf(s.cfg.Stderr, "   raw-cipher child: %v; measuring in this process\n", err)
			ctr, cbc = rawCipherSpeed(d)
			where = "in the load generator's process"
		}
		ctrs, cbcs = append(ctrs, ctr), append(cbcs, cbc)
	}
	// Best of 3, like the CPU times it is weighed against.
	s.rawCTR, s.rawCBC = slices.Max(ctrs), slices.Max(cbcs)
	sec := 3
	if s.cfg.Short {
		sec = 1
	}
	osCTR := opensslSpeed(ctx, "aes-128-ctr", sec)
	osCBC := opensslSpeed(ctx, "aes-128-cbc", sec)
	nan := math.NaN()
	s.set("raw_cipher.go_aes_128_ctr", NewFigure(s.rawCTR/1e9, nan, "GB/s"))
	s.set("raw_cipher.go_aes_128_cbc", NewFigure(s.rawCBC/1e9, nan, "GB/s"))
	line := fmt.Sprintf("raw crypto/aes (1 MiB buffers, %s, best of 3): AES-128-CTR %.2f GB/s, AES-128-CBC %.2f GB/s", where, s.rawCTR/1e9, s.rawCBC/1e9)
	if gb, ok := s.report["go_benchmarks"].([]GoBench); ok {
		for _, b := range gb {
			if strings.HasPrefix(b.Name, "BenchmarkRaw") && b.MBPerSec > 0 && strings.Contains(b.Name, "1048576") {
				line += fmt.Sprintf("; %s %.2f GB/s", strings.TrimPrefix(b.Name, "Benchmark"), b.MBPerSec/1e3)
			}
		}
	}
	if osCTR > 0 {
		s.set("raw_cipher.openssl_aes_128_ctr", NewFigure(osCTR/1e9, nan, "GB/s"))
		s.set("raw_cipher.openssl_aes_128_cbc", NewFigure(osCBC/1e9, nan, "GB/s"))
		line += fmt.Sprintf("; openssl speed -evp (16 KiB): CTR %.2f GB/s, CBC %.2f GB/s", osCTR/1e9, osCBC/1e9)
	} else {
		line += "; openssl not found"
	}
	s.say("%s", line)
	return nil
}

// rawCipherChild runs `self raw-cipher` pinned to the origin's core.
func (s *suite) rawCipherChild(ctx context.Context, d time.Duration) (ctr, cbc float64, err error) {
	self := s.cfg.Self
	if self == "" {
		if self, err = os.Executable(); err != nil {
			return 0, 0, err
		}
	}
	argv := pinned(s.cfg.OriginCore, self, "raw-cipher", "--duration", d.String())
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).Output()
	if err != nil {
		return 0, 0, err
	}
	if _, err := fmt.Sscanf(string(out), "ctr %g\ncbc %g", &ctr, &cbc); err != nil {
		return 0, 0, fmt.Errorf("raw-cipher said %q", out)
	}
	return ctr, cbc, nil
}

// RawCipher measures crypto/aes AES-128 CTR and CBC in bytes per second
// over 1 MiB buffers for about d each (the drmbench raw-cipher command).
func RawCipher(d time.Duration) (ctr, cbc float64) { return rawCipherSpeed(d) }

// targets prints every figure that has a target, met or missed, in one
// block at the end.
func (s *suite) targets() {
	rows := [][]string{{"figure", "value", "target", "verdict"}}
	met, missed, unavailable := 0, 0, 0
	add := func(name string, f *Figure) {
		if f == nil {
			return
		}
		v, verdict := "-", f.Unavailable
		if f.Value != nil {
			v = f.valueString()
		}
		switch {
		case f.Met == nil:
			unavailable++
		case *f.Met:
			verdict = "met"
			met++
		default:
			verdict = "MISSED"
			missed++
		}
		rows = append(rows, []string{name, v, f.targetString(), verdict})
	}
	for _, sc := range []string{"cenc", "cbcs", "cbc", "cbcs-aapl"} {
		add("cost_factor."+sc, s.lookup("cost_factor."+sc))
	}
	for _, cb := range Matrix {
		add("floor_multiple."+cb.Format+"."+cb.Enc, s.lookup("floor_multiple."+cb.Format+"."+cb.Enc))
	}
	for _, cb := range Matrix {
		add("cpu.vs_baseline."+cb.Format+"."+cb.Enc, s.lookup("cpu.vs_baseline."+cb.Format+"."+cb.Enc))
	}
	for _, cb := range Matrix {
		add("cpu.progressive_vs_fragmented."+cb.Format+"."+cb.Enc, s.lookup("cpu.progressive_vs_fragmented."+cb.Format+"."+cb.Enc))
	}
	for _, k := range []string{"manifest_p99", "manifest_p99_paced", "manifest_p99_one_connection", "filters.manifest_p99_vs_unfiltered", "cold_start.first_segment", "cold_start.manifest_init_first_segment",
		"cold_start.progressive_first_segment", "cold_start.progressive_manifest_init_first_segment", "index_memory.two_hour_1080p",
		"memory.rss_growth", "memory.goroutine_growth", "live.arrival_to_manifest_p99", "live.rss_anon_growth", "allocs.encrypt_benchmarks_allocating"} {
		add(k, s.lookup(k))
	}
	for _, k := range objTargets() {
		add(k, s.lookup(k))
	}
	for _, p := range newPaths {
		add("new_paths."+p.name, s.lookup("new_paths."+p.name))
	}
	s.say("")
	what := "targets of quality.md \"Fast\""
	if s.cfg.Baseline != "" || s.cfg.BaselineURL != "" {
		what += " and of the baseline comparison (cpu.vs_baseline <= 1.03)"
	}
	if s.selected("progcpu") || s.selected("progcold") {
		what += " and of assets.md's progressive input"
	}
	if s.selected("objstore") {
		what += " and of assets.md's object storage"
	}
	s.say("%s (this run): %d met, %d missed, %d unavailable", what, met, missed, unavailable)
	s.table(rows)
	s.report["targets"] = map[string]int{"met": met, "missed": missed, "unavailable": unavailable}
}

// write prints the closing summary and writes report.json and report.html.
func (s *suite) write() error {
	s.targets()
	s.report["summary"] = s.lines
	b, err := json.MarshalIndent(s.report, "", "  ")
	if err != nil {
		return err
	}
	jp := filepath.Join(s.cfg.Out, "report.json")
	if err := os.WriteFile(jp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	hp := filepath.Join(s.cfg.Out, "report.html")
	f, err := os.Create(hp)
	if err != nil {
		return err
	}
	if err := WriteHTML(f, "drmorigin bench", s.lines, s.charts); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(s.cfg.Stdout, "wrote %s and %s\n", jp, hp)
	return nil
}

// table writes rows with a tabwriter and adds them to the summary.
func (s *suite) table(rows [][]string) {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		s.say("%s", l)
	}
}
