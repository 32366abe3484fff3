package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// RunConfig is a load run against any origin: players and pullers over a
// set of manifest URLs.
type RunConfig struct {
	// URLs are the manifests; players take them round robin, pullers each
	// pull every one.
	URLs []string
	// Players is the number of simulated players; Pullers the number of
	// CDN-like pullers.
	Players, Pullers int
	// Player is the players' behaviour (ManifestURL is set per player).
	Player PlayerConfig
	// Duration bounds the run (players with Loop run until it ends).
	Duration time.Duration
	// Ramp spreads the players' starts over this time.
	Ramp time.Duration
	// Token is the bearer token of key and license requests.
	Token string
	// Conns bounds connections per host (default Players+Pullers*8+8).
	Conns int
	// Out, when set, receives report.json and report.html.
	Out string
	// Progress receives the live progress line (nil: none).
	Progress io.Writer
}

// RunResult is the outcome of Run.
type RunResult struct {
	Wall     time.Duration `json:"wall_seconds"`
	Kinds    []KindSummary `json:"kinds"`
	Failed   []string      `json:"failed_manifests,omitempty"`
	Timeline []Point       `json:"timeline"`
}

// Run runs the players and pullers of cfg until they are done or
// cfg.Duration passes, and summarises every request.
func Run(ctx context.Context, cfg RunConfig) (*RunResult, *Recorder, error) {
	if len(cfg.URLs) == 0 {
		return nil, nil, fmt.Errorf("no manifest URL")
	}
	if cfg.Duration <= 0 {
		cfg.Duration = time.Hour
	}
	conns := cfg.Conns
	if conns <= 0 {
		conns = cfg.Players + cfg.Pullers*8 + 8
	}
	rec := NewRecorder()
	c := NewClient(rec, conns)
	defer c.Close()
	c.Token = cfg.Token
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	done := make(chan struct{})
	if cfg.Progress != nil {
		go Progress(cfg.Progress, rec, "drmbench", time.Second, done)
	}
	var mu sync.Mutex
	failures := map[string]int{}
	fail := func(u string, err error) {
		mu.Lock()
		failures[err.Error()]++
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for i := range cfg.Players {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cfg.Ramp > 0 && cfg.Players > 1 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(cfg.Ramp * time.Duration(i) / time.Duration(cfg.Players)):
				}
			}
			pc := cfg.Player
			pc.ManifestURL = cfg.URLs[i%len(cfg.URLs)]
			if err := Play(ctx, c, pc, rand.New(rand.NewPCG(uint64(i), 1))); err != nil {
				fail(pc.ManifestURL, err)
			}
		}()
	}
	for range cfg.Pullers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, u := range cfg.URLs {
				if ctx.Err() != nil {
					return
				}
				p, err := Load(c, u, true)
				if err != nil {
					fail(u, err)
					continue
				}
				Pull(ctx, c, p, 8)
			}
		}()
	}
	wg.Wait()
	close(done)
	wall := rec.Elapsed()
	var failed []string
	for e, n := range failures {
		failed = append(failed, fmt.Sprintf("%d× %s", n, e))
	}
	sort.Strings(failed)
	res := &RunResult{Wall: wall, Kinds: rec.Summary(wall), Failed: failed, Timeline: rec.Timeline(time.Second)}
	if cfg.Out != "" {
		if err := writeRunReport(cfg.Out, res); err != nil {
			return res, rec, err
		}
	}
	return res, rec, nil
}

func writeRunReport(dir string, res *RunResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	var sb strings.Builder
	PrintTable(&sb, res.Kinds)
	f, err := os.Create(filepath.Join(dir, "report.html"))
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimRight(sb.String(), "\n"), "\n")
	lines = append(lines, res.Failed...)
	if err := WriteHTML(f, "drmbench run", lines, TimelineCharts("run", res.Timeline)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ComboURLs returns the manifest URL of every (format, encryption) of the
// Matrix for asset name under locators: locators maps an encryption ("none",
// "cenc", "cbcs", "cbc"; "cbcs-aapl" uses "cbcs") to a locator; a missing
// one skips its pairs.
func ComboURLs(base, name string, locators map[string]string) []string {
	var out []string
	for _, c := range Matrix {
		enc := c.Enc
		if enc == "cbcs-aapl" {
			enc = "cbcs"
		}
		loc, ok := locators[enc]
		if !ok {
			continue
		}
		out = append(out, strings.TrimSuffix(base, "/")+ManifestPath(loc, name, c))
	}
	return out
}
