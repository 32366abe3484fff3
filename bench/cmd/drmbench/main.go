// Command drmbench is drmorigin's load generator and bench suite.
//
//	drmbench run --url MANIFEST [--url …] [--players N] [--pullers M] [--realtime] [--duration D] [--token T] [--out DIR]
//	drmbench run --base http://127.0.0.1:8080 --name demo --locator none=demo-clear [--locator cenc=L] …
//	drmbench suite [--short] [--soak 10m] [--out bench/out] [--baseline BIN | --baseline-url URL --baseline-pid PID]   (what `make bench` runs)
//	drmbench synth --src DIR --dst DIR [--duration 2h]
//	drmbench floor-server --dir DIR [--listen 127.0.0.1:0]   (the suite's copy-only floor)
//	drmbench raw-cipher [--duration 1s]                      (the suite's raw crypto/aes speeds)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/drmorigin/drmorigin/bench"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "drmbench:", err)
		os.Exit(1)
	}
}

const usage = `usage: drmbench run|suite|synth|floor-server [flags]   (drmbench CMD -h for flags)`

func run(args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "run":
		return runLoad(ctx, args[1:])
	case "suite":
		return runSuite(ctx, args[1:])
	case "synth":
		return runSynth(args[1:])
	case "floor-server":
		return runFloor(ctx, args[1:])
	case "raw-cipher":
		fs := flag.NewFlagSet("raw-cipher", flag.ContinueOnError)
		d := fs.Duration("duration", time.Second, "time per cipher")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		ctr, cbc := bench.RawCipher(*d)
		fmt.Printf("ctr %g\ncbc %g\n", ctr, cbc)
		return nil
	}
	return errors.New(usage)
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func runLoad(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var urls, locs multi
	fs.Var(&urls, "url", "manifest URL (repeatable)")
	base := fs.String("base", "", "origin base URL, with --name and --locator: every (format, encryption) pair")
	name := fs.String("name", "", "asset manifest name ({name}.ism)")
	fs.Var(&locs, "locator", "ENC=LOCATOR for ENC in none, cenc, cbcs, cbc (repeatable)")
	players := fs.Int("players", 0, "simulated players")
	pullers := fs.Int("pullers", 0, "CDN-like pullers (each fetches every segment of every URL once)")
	realtime := fs.Bool("realtime", false, "players fetch at real-time pace")
	loop := fs.Bool("loop", false, "players restart at the end until --duration")
	segments := fs.Int("segments", 0, "segments per track per player (0: all)")
	pick := fs.String("pick", "highest", "rendition: highest, lowest or random")
	duration := fs.Duration("duration", 10*time.Minute, "bound on the whole run")
	ramp := fs.Duration("ramp", 0, "spread player starts over this time")
	token := fs.String("token", "", "bearer token for key and license requests")
	conns := fs.Int("conns", 0, "connections per host (default players+8*pullers+8)")
	out := fs.String("out", "", "directory for report.json and report.html")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base != "" {
		m := map[string]string{}
		for _, l := range locs {
			enc, loc, ok := strings.Cut(l, "=")
			if !ok {
				return fmt.Errorf("--locator %q: want ENC=LOCATOR", l)
			}
			m[enc] = loc
		}
		if *name == "" || len(m) == 0 {
			return errors.New("--base needs --name and at least one --locator")
		}
		urls = append(urls, bench.ComboURLs(*base, *name, m)...)
	}
	if *players == 0 && *pullers == 0 {
		*players = 1
	}
	res, _, err := bench.Run(ctx, bench.RunConfig{URLs: urls, Players: *players, Pullers: *pullers, Duration: *duration, Ramp: *ramp,
		Token: *token, Conns: *conns, Out: *out, Progress: os.Stderr,
		Player: bench.PlayerConfig{RealTime: *realtime, Buffer: 3, MaxSegments: *segments, Pick: *pick, Loop: *loop}})
	if res != nil {
		fmt.Printf("%d players, %d pullers, %d manifests, %.1fs\n", *players, *pullers, len(urls), res.Wall.Seconds())
		bench.PrintTable(os.Stdout, res.Kinds)
		for _, f := range res.Failed {
			fmt.Println("failed:", f)
		}
		if *out != "" {
			fmt.Printf("wrote %s and %s\n", filepath.Join(*out, "report.json"), filepath.Join(*out, "report.html"))
		}
	}
	return err
}

func runSuite(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("suite", flag.ContinueOnError)
	repo := fs.String("repo", ".", "module root")
	out := fs.String("out", "bench/out", "output directory")
	media := fs.String("media", "testdata/media", "asset root holding --asset")
	asset := fs.String("asset", "demo", "source asset")
	origin := fs.String("origin", "", "drmorigin binary (default: build ./cmd/drmorigin)")
	baseline := fs.String("baseline", "", "a second drmorigin binary (another revision) measured beside --origin in the CPU-per-segment rounds (cpu.vs_baseline)")
	baselineURL := fs.String("baseline-url", os.Getenv("DRMBENCH_BASELINE_URL"), "base URL of a second origin already running here with the same content, measured beside --origin like --baseline (env DRMBENCH_BASELINE_URL)")
	baselinePID := fs.Int("baseline-pid", 0, "with --baseline-url: the PID of its serving process, whose CPU time is read (env DRMBENCH_BASELINE_PID)")
	baselineAdmin := fs.String("baseline-admin", os.Getenv("DRMBENCH_BASELINE_ADMIN"), "with --baseline-url: its management API, where the suite creates its locators (token in DRMBENCH_BASELINE_TOKEN); empty: they exist")
	short := fs.Bool("short", false, "quick form (under 10 minutes on 2 cores)")
	soak := fs.Duration("soak", 0, "memory soak duration (default 60s with --short, else 3m)")
	players := fs.Int("players", 1000, "simulated players in the soak")
	originCore := fs.String("origin-core", "0", "taskset CPU list for the origin and the floor server (empty: unpinned)")
	loadCore := fs.String("load-core", "1", "CPU list this process runs on (recorded; pin it with taskset)")
	skipGo := fs.Bool("skip-go-bench", false, "skip the Go benchmarks")
	only := fs.String("only", "", "comma-separated steps to run: gobench, cpu, cbcload (cbc at 32 connections), manifest, filtmanifest, cold, progcpu, progcold (progressive: both), soak, objcpu, objcold, objreads (objstore: the three), live (default: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var steps []string
	if *only != "" {
		steps = strings.Split(*only, ",")
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	if *baseline != "" {
		if _, err := os.Stat(*baseline); err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
	}
	if *baselinePID == 0 {
		if v := os.Getenv("DRMBENCH_BASELINE_PID"); v != "" {
			if _, err := fmt.Sscan(v, baselinePID); err != nil {
				return fmt.Errorf("DRMBENCH_BASELINE_PID %q: not a PID", v)
			}
		}
	}
	switch {
	case *baseline != "" && *baselineURL != "":
		return fmt.Errorf("--baseline and --baseline-url: one second origin at a time")
	case *baselineURL != "" && *baselinePID <= 0:
		return fmt.Errorf("--baseline-url %s needs --baseline-pid (its serving process on this machine, whose CPU time the suite reads)", *baselineURL)
	}
	self, _ := os.Executable()
	return bench.RunSuite(ctx, bench.SuiteConfig{Repo: abs(*repo), Out: abs(*out), Media: abs(*media), Asset: *asset,
		Origin: absIf(*origin), Baseline: absIf(*baseline), BaselineURL: *baselineURL, BaselinePID: *baselinePID, BaselineAdmin: *baselineAdmin, Self: self, Short: *short, Soak: *soak, Players: *players, OriginCore: *originCore,
		LoadCore: *loadCore, SkipGoBench: *skipGo, Only: steps})
}

func absIf(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func runSynth(args []string) error {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	src := fs.String("src", "", "source asset directory")
	dst := fs.String("dst", "", "new asset directory")
	d := fs.Duration("duration", 2*time.Hour, "at least this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *src == "" || *dst == "" {
		return errors.New("synth needs --src and --dst")
	}
	return bench.Synthesize(*src, *dst, *d)
}

// runFloor serves the files under --dir from memory (the copy-only floor)
// and prints "listening ADDR" once it accepts connections.
func runFloor(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("floor-server", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory of segment files")
	listen := fs.String("listen", "127.0.0.1:0", "loopback address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bodies, err := bench.LoadFloorDir(*dir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("listening %s\n", ln.Addr())
	f := &bench.FloorServer{Bodies: bodies}
	go func() { <-ctx.Done(); f.Close() }()
	return f.Serve(ln)
}
