package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

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
