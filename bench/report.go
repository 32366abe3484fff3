package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// PrintTable writes one row per request kind: rates, latency percentiles
// and errors by status.
func PrintTable(w io.Writer, rows []KindSummary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\trequests\treq/s\tbytes/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\terrors\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s/s\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t\n", r.Kind, r.Requests, r.ReqPerSec,
			HumanBytes(r.BytesPerSec), r.P50ms, r.P90ms, r.P99ms, r.Maxms, FormatErrors(r.Errors))
	}
	tw.Flush()
}

// Progress writes a live progress line to w every interval until done is
// closed. On a terminal it rewrites one line; elsewhere (make, CI logs) it
// writes a line every 10 intervals.
func Progress(w io.Writer, rec *Recorder, label string, interval time.Duration, done <-chan struct{}) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastReqs, lastBytes int64
	last := time.Now()
	for n := 1; ; n++ {
		select {
		case <-done:
			if tty {
				fmt.Fprintln(w)
			}
			return
		case now := <-t.C:
			if !tty && n%10 != 0 {
				continue
			}
			reqs, bytes, errs := rec.Totals()
			dt := now.Sub(last).Seconds()
			line := fmt.Sprintf("%s %5.0fs  %8d req  %7.0f req/s  %9s/s  errors %d", label, rec.Elapsed().Seconds(), reqs,
				float64(reqs-lastReqs)/dt, HumanBytes(float64(bytes-lastBytes)/dt), errs)
			if tty {
				fmt.Fprintf(w, "\r%s   ", line)
			} else {
				fmt.Fprintln(w, line)
			}
			lastReqs, lastBytes, last = reqs, bytes, now
		}
	}
}

// Series is one line of a chart.
type Series struct {
	Name   string
	Color  string
	Points [][2]float64
}

// Chart is a line chart (Series) or a bar chart (Bars).
type Chart struct {
	Title, XLabel, YLabel string
	Series                []Series
	Bars                  []Bar
	// LogY draws bars on a logarithmic axis (no effect on lines).
	HLine *float64 // a horizontal target line
}

// Bar is one group of a bar chart: a measured value beside its target and
// a peer's figure (NaN when absent).
type Bar struct {
	Label               string
	Value, Target, Peer float64
	Note                string
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

// WriteHTML writes a self-contained HTML page (inline SVG, no scripts).
func WriteHTML(w io.Writer, title string, summary []string, charts []Chart) error {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html><head><meta charset=\"utf-8\"><title>%s</title>", html.EscapeString(title))
	b.WriteString(`<style>body{font:14px sans-serif;margin:20px;max-width:1000px}svg{background:#fafafa;border:1px solid #ddd;margin:8px 0}pre{background:#f4f4f4;padding:8px;white-space:pre;overflow-x:auto;font-size:12px}</style></head><body>`)
	fmt.Fprintf(&b, "<h1>%s</h1>", html.EscapeString(title))
	if len(summary) > 0 {
		b.WriteString("<pre>")
		for _, s := range summary {
			b.WriteString(html.EscapeString(s) + "\n")
		}
		b.WriteString("</pre>")
	}
	for _, c := range charts {
		fmt.Fprintf(&b, "<h2>%s</h2>", html.EscapeString(c.Title))
		if len(c.Bars) > 0 {
			barSVG(&b, c)
		} else {
			lineSVG(&b, c)
		}
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

const (
	svgW, svgH             = 960, 320
	padL, padR, padT, padB = 70, 20, 20, 60
)

func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func lineSVG(b *strings.Builder, c Chart) {
	var xmax, ymax float64
	for _, s := range c.Series {
		for _, p := range s.Points {
			xmax = math.Max(xmax, p[0])
			ymax = math.Max(ymax, p[1])
		}
	}
	if c.HLine != nil {
		ymax = math.Max(ymax, *c.HLine)
	}
	xmax, ymax = niceMax(xmax), niceMax(ymax)
	pw, ph := float64(svgW-padL-padR), float64(svgH-padT-padB)
	x := func(v float64) float64 { return padL + v/xmax*pw }
	y := func(v float64) float64 { return padT + ph - v/ymax*ph }
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-size="12">`, svgW, svgH)
	axes(b, c, xmax, ymax, x, y)
	if c.HLine != nil {
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#000" stroke-dasharray="6,4"/><text x="%.1f" y="%.1f">target</text>`,
			x(0), x(xmax), y(*c.HLine), y(*c.HLine), x(xmax)-40, y(*c.HLine)-4)
	}
	for i, s := range c.Series {
		col := s.Color
		if col == "" {
			col = palette[i%len(palette)]
		}
		var pts strings.Builder
		for _, p := range s.Points {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(p[0]), y(p[1]))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, col, pts.String())
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="3" fill="%s"/><text x="%d" y="%d">%s</text>`,
			padL+10+i*170, svgH-12, col, padL+26+i*170, svgH-8, html.EscapeString(s.Name))
	}
	b.WriteString("</svg>")
}

func axes(b *strings.Builder, c Chart, xmax, ymax float64, x, y func(float64) float64) {
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`, padL, padT, padL, svgH-padB)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`, padL, svgH-padB, svgW-padR, svgH-padB)
	for i := 0; i <= 5; i++ {
		v := ymax * float64(i) / 5
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e4e4e4"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`,
			padL, svgW-padR, y(v), y(v), padL-6, y(v)+4, trimNum(v))
		if xmax > 0 && x != nil {
			xv := xmax * float64(i) / 5
			fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(xv), svgH-padB+16, trimNum(xv))
		}
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, padL+(svgW-padL-padR)/2, svgH-padB+32, html.EscapeString(c.XLabel))
	fmt.Fprintf(b, `<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">%s</text>`, padT+(svgH-padT-padB)/2, padT+(svgH-padT-padB)/2, html.EscapeString(c.YLabel))
}

func trimNum(v float64) string {
	s := fmt.Sprintf("%.3g", v)
	return s
}

func barSVG(b *strings.Builder, c Chart) {
	var ymax float64
	for _, br := range c.Bars {
		for _, v := range []float64{br.Value, br.Target, br.Peer} {
			if !math.IsNaN(v) {
				ymax = math.Max(ymax, v)
			}
		}
	}
	ymax = niceMax(ymax)
	pw, ph := float64(svgW-padL-padR), float64(svgH-padT-padB)
	y := func(v float64) float64 { return padT + ph - v/ymax*ph }
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-size="11">`, svgW, svgH)
	axes(b, c, 0, ymax, nil, y)
	gw := pw / float64(max(len(c.Bars), 1))
	bw := gw * 0.28
	for i, br := range c.Bars {
		x0 := padL + float64(i)*gw + gw*0.08
		for j, v := range []float64{br.Value, br.Peer} {
			if math.IsNaN(v) {
				continue
			}
			col := []string{"#1f77b4", "#aaaaaa"}[j]
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s</title></rect>`,
				x0+float64(j)*bw, y(v), bw, y(0)-y(v), col, html.EscapeString(br.Label), trimNum(v))
		}
		if !math.IsNaN(br.Target) {
			fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#d62728" stroke-width="2"/>`, x0-2, x0+2*bw+2, y(br.Target), y(br.Target))
		}
		label := br.Label
		if br.Note != "" {
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="9" fill="#888">%s</text>`, x0, y(0)-4, html.EscapeString(br.Note))
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="9" transform="rotate(20 %.1f %d)">%s</text>`, x0, svgH-padB+12, x0, svgH-padB+12, html.EscapeString(label))
	}
	fmt.Fprintf(b, `<rect x="%d" y="6" width="10" height="10" fill="#1f77b4"/><text x="%d" y="15">drmorigin</text><rect x="%d" y="6" width="10" height="10" fill="#aaaaaa"/><text x="%d" y="15">nginx-vod-module (quality.md)</text><line x1="%d" x2="%d" y1="11" y2="11" stroke="#d62728" stroke-width="2"/><text x="%d" y="15">target</text>`,
		svgW-480, svgW-466, svgW-390, svgW-376, svgW-180, svgW-165, svgW-160)
	b.WriteString("</svg>")
}

// TimelineCharts turns a recorder's timeline into latency and throughput
// charts.
func TimelineCharts(prefix string, tl []Point) []Chart {
	var p50, p99, seg, man, mbps, rps [][2]float64
	for _, p := range tl {
		p50 = append(p50, [2]float64{p.T, p.P50ms})
		p99 = append(p99, [2]float64{p.T, p.P99ms})
		seg = append(seg, [2]float64{p.T, p.SegmentP99})
		man = append(man, [2]float64{p.T, p.ManifestP99})
		mbps = append(mbps, [2]float64{p.T, float64(p.Bytes) / 1e6})
		rps = append(rps, [2]float64{p.T, float64(p.Requests)})
	}
	return []Chart{
		{Title: prefix + ": latency over time", XLabel: "seconds", YLabel: "ms",
			Series: []Series{{Name: "all p50", Points: p50}, {Name: "all p99", Points: p99}, {Name: "segment p99", Points: seg}, {Name: "manifest p99", Points: man}}},
		{Title: prefix + ": throughput", XLabel: "seconds", YLabel: "MB/s and requests/s",
			Series: []Series{{Name: "MB/s", Points: mbps}, {Name: "requests/s", Points: rps}}},
	}
}
