package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestNewPathsSummary: each new path's figure is its worst measured pair
// against its target; a path whose step set only unavailable pairs, or no
// figure at all (live, until its step lands), is unavailable and says why.
func TestNewPathsSummary(t *testing.T) {
	var out bytes.Buffer
	s := &suite{cfg: SuiteConfig{Stdout: &out}, report: map[string]any{}}
	s.set("cpu.progressive_vs_fragmented.m3u8-cmaf.none", NewFigure(1.01, progVsFragTarget, "ratio"))
	s.set("cpu.progressive_vs_fragmented.m3u8-aapl.cbc", NewFigure(1.07, progVsFragTarget, "ratio"))
	s.set("cpu.progressive_vs_fragmented.smooth.none", UnavailableFigure(progVsFragTarget, "ratio", "unavailable (x)"))
	s.set("cpu.object_vs_local.m3u8-cmaf.cbcs", UnavailableFigure(objVsLocalTarget, "ratio", "unavailable (no MinIO)"))
	if err := s.newPathsSummary(context.Background()); err != nil {
		t.Fatal(err)
	}
	prog := s.figuresUnder("new_paths")["progressive"]
	if prog == nil || prog.Value == nil || *prog.Value != 1.07 || *prog.Met || prog.Detail["worst_pair"] != "m3u8-aapl.cbc" {
		t.Errorf("progressive = %+v, want the worst pair m3u8-aapl.cbc at 1.07, missed", prog)
	}
	obj := s.figuresUnder("new_paths")["object_storage_warm"]
	if obj == nil || obj.Value != nil || !strings.Contains(obj.Unavailable, "no pair measured") {
		t.Errorf("object storage = %+v, want unavailable: no pair measured", obj)
	}
	live := s.figuresUnder("new_paths")["live"]
	if live == nil || live.Value != nil || !strings.Contains(live.Unavailable, "cpu.live_vs_fragmented") {
		t.Errorf("live = %+v, want unavailable naming the key its step writes", live)
	}
	if !strings.Contains(out.String(), "MISSED") {
		t.Errorf("the table does not say the progressive target was missed:\n%s", out.String())
	}
}
