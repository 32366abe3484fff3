package bench

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
)

// The new input paths together: quality.md "Every source at the cost of
// local fragmented MP4" — the same segment from progressive input at most
// 1.05×, from object storage with a warm cache at most 1.15×, served live at
// most 1.1×. Each path's own step measures its pairs (cpu.<path>.<format>.
// <enc>, a ratio to local fragmented MP4 measured in the same rounds); this
// step holds the worst pair of each path to its target, so that one table
// says whether every new path kept its target when it landed.

// liveVsFragTarget is live.md's bound: a live segment costs at most 1.1× the
// same segment from local fragmented MP4.
const liveVsFragTarget = 1.10

// newPaths are the paths and the report keys their steps write. The live
// step (suite_live.go) writes cpu.live_vs_fragmented.<format>.<enc>: live
// against the same fragments served as VOD, the live path's own baseline.
var newPaths = []struct {
	name, key, step string
	target          float64
}{
	{"progressive", "cpu.progressive_vs_fragmented", "progcpu", progVsFragTarget},
	{"object_storage_warm", "cpu.object_vs_local", "objcpu", objVsLocalTarget},
	{"live", "cpu.live_vs_fragmented", "live", liveVsFragTarget},
}

// newPathsSummary sets new_paths.<path>: the worst pair's ratio against the
// path's target, with every pair in its detail.
func (s *suite) newPathsSummary(context.Context) error {
	rows := [][]string{{"path", "worst pair", "ratio", "target", "pairs", "verdict"}}
	for _, p := range newPaths {
		pairs := s.figuresUnder(p.key)
		worst, worstName := math.Inf(-1), ""
		all := map[string]any{}
		for name, f := range pairs {
			if f.Value == nil {
				all[name] = f.Unavailable
				continue
			}
			all[name] = *f.Value
			if *f.Value > worst {
				worst, worstName = *f.Value, name
			}
		}
		var fig *Figure
		switch {
		case worstName != "":
			fig = NewFigure(worst, p.target, "x local fragmented")
			fig.Detail = map[string]any{"worst_pair": worstName, "pairs": all, "from": p.key}
		case len(pairs) > 0:
			fig = UnavailableFigure(p.target, "x local fragmented", "unavailable (no pair measured: see "+p.key+")")
		case !s.selected(p.step):
			fig = UnavailableFigure(p.target, "x local fragmented", "unavailable (step "+p.step+" not run: it writes "+p.key+".<format>.<enc>)")
		default:
			fig = UnavailableFigure(p.target, "x local fragmented", "unavailable (step "+p.step+" set no "+p.key+" figure)")
		}
		s.set("new_paths."+p.name, fig)
		v, ratio := fig.Unavailable, "-"
		if fig.Value != nil {
			ratio = Against(*fig.Value, p.target, 'f', 3)
			v = "met"
			if !*fig.Met {
				v = "MISSED"
			}
		}
		rows = append(rows, []string{p.name, worstName, ratio, fmt.Sprintf("<= %.2f", p.target), fmt.Sprint(len(pairs)), v})
	}
	s.say("new input paths against local fragmented MP4 (quality.md), the worst pair of each:")
	s.table(rows)
	return nil
}

// figuresUnder returns the figures in the report under the dotted key
// prefix, by the rest of their key ("m3u8-cmaf.cbcs").
func (s *suite) figuresUnder(prefix string) map[string]*Figure {
	var cur any = s.report
	for _, k := range strings.Split(prefix, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	out := map[string]*Figure{}
	var walk func(path []string, v any)
	walk = func(path []string, v any) {
		switch x := v.(type) {
		case *Figure:
			out[strings.Join(path, ".")] = x
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(append(append([]string(nil), path...), k), x[k])
			}
		}
	}
	if m, ok := cur.(map[string]any); ok {
		walk(nil, m)
	}
	return out
}
