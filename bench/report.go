package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
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

// The page's boxes are sized from their text. Inside the plots every
// label is set in a monospace font, whose advance is 0.6 em in the common
// faces (DejaVu Sans Mono, Liberation Mono, Courier: 0.600–0.602), so its
// width is known here; textW allows 0.62 em.
const (
	svgW        = 960
	plotH       = 260 // height of the plotting area
	padT, padR  = 24, 20
	tickFont    = 11
	labelFont   = 10
	legendFont  = 11
	charAdvance = 0.62
)

// textW is the width in pixels of s set at size px in the plots' font.
func textW(s string, px float64) float64 {
	return float64(utf8.RuneCountInString(s)) * charAdvance * px
}

// WriteHTML writes a self-contained HTML page (inline SVG, no scripts).
// Summary lines that are rows of a table (tabwriter output: two or more
// runs of two spaces) go into a box as wide as the table, however wide;
// the other lines wrap at the page's width. Every label of a plot lies
// inside its SVG, which grows to hold them (report_test.go checks both,
// by arithmetic and in Chromium).
func WriteHTML(w io.Writer, title string, summary []string, charts []Chart) error {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html><head><meta charset=\"utf-8\"><title>%s</title>", html.EscapeString(title))
	b.WriteString(`<style>body{font:14px sans-serif;margin:20px;max-width:1000px}` +
		`svg{background:#fafafa;border:1px solid #ddd;margin:8px 0;font-family:monospace;display:block}` +
		`.summary{font:12px monospace;margin:8px 0}` +
		`.line{margin:0;padding:1px 8px;background:#f4f4f4;white-space:pre-wrap;overflow-wrap:anywhere}` +
		`pre.table{margin:4px 0;padding:4px 8px;font:inherit;white-space:pre;width:max-content;background:#eef2f6}` +
		`</style></head><body>`)
	fmt.Fprintf(&b, "<h1>%s</h1>", html.EscapeString(title))
	if len(summary) > 0 {
		b.WriteString(`<div class="summary">`)
		for i := 0; i < len(summary); {
			if !tableRow(summary[i]) {
				fmt.Fprintf(&b, `<p class="line">%s</p>`, html.EscapeString(summary[i]))
				i++
				continue
			}
			b.WriteString(`<pre class="table">`)
			for ; i < len(summary) && tableRow(summary[i]); i++ {
				b.WriteString(html.EscapeString(summary[i]) + "\n")
			}
			b.WriteString(`</pre>`)
		}
		b.WriteString(`</div>`)
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

var columnGap = regexp.MustCompile(`\S {2,}\S`)

// tableRow reports whether a summary line is a row of a tabwriter table:
// it has at least two gaps of two spaces or more between words (a prose
// line has at most one, before its bracketed details).
func tableRow(s string) bool {
	return len(columnGap.FindAllStringIndex(strings.TrimSpace(s), -1)) >= 2
}

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

// frame is the geometry of one plot: the SVG's size and the plotting
// area inside it, made to fit the labels around it.
type frame struct {
	w, h                   int
	left, top, right, base float64 // plotting area: x from left to right, y from top to base
}

// legendItem is one entry of a legend: a swatch (a box, or a line) and a
// name.
type legendItem struct {
	name, color string
	line        bool
}

// legendRows lays the items out left to right from x0, wrapping before
// maxX; it returns each item's row and x.
func legendRows(items []legendItem, x0, maxX float64) (rows int, xs []float64, row []int) {
	x, r := x0, 0
	for _, it := range items {
		wd := 16 + textW(it.name, legendFont)
		if x > x0 && x+wd > maxX {
			x, r = x0, r+1
		}
		xs, row = append(xs, x), append(row, r)
		x += wd + 18
	}
	if len(items) == 0 {
		return 0, nil, nil
	}
	return r + 1, xs, row
}

func drawLegend(b *strings.Builder, items []legendItem, xs []float64, row []int, y0 float64) {
	for i, it := range items {
		y := y0 + float64(row[i])*16
		if it.line {
			fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`, xs[i], xs[i]+12, y-4, y-4, it.color)
		} else {
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="12" height="10" fill="%s"/>`, xs[i], y-10, it.color)
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="%d">%s</text>`, xs[i]+16, y, legendFont, html.EscapeString(it.name))
	}
}

// ticks are the y axis's labels, bottom to top.
func ticks(ymax float64) []string {
	out := make([]string, 6)
	for i := range out {
		out[i] = trimNum(ymax * float64(i) / 5)
	}
	return out
}

// newFrame sizes a plot: the left margin holds the y label and the widest
// tick label, the bottom the tallest x label, the x axis title and the
// legend rows.
func newFrame(yTicks []string, xLabelH float64, hasXTitle bool, legendRowCount int) frame {
	tw := 0.0
	for _, s := range yTicks {
		tw = math.Max(tw, textW(s, tickFont))
	}
	f := frame{w: svgW, left: math.Ceil(22 + tw + 10), top: padT, right: svgW - padR}
	f.base = f.top + plotH
	bottom := f.base + 6 + xLabelH
	if hasXTitle {
		bottom += 18
	}
	bottom += float64(legendRowCount)*16 + 10
	f.h = int(math.Ceil(bottom))
	return f
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
	var items []legendItem
	for i, s := range c.Series {
		col := s.Color
		if col == "" {
			col = palette[i%len(palette)]
		}
		items = append(items, legendItem{name: s.Name, color: col, line: true})
	}
	yt := ticks(ymax)
	left := newFrame(yt, 0, false, 0).left
	rows, lx, lr := legendRows(items, left, svgW-padR)
	f := newFrame(yt, tickFont+4, c.XLabel != "", rows)
	x := func(v float64) float64 { return f.left + v/xmax*(f.right-f.left) }
	y := func(v float64) float64 { return f.base - v/ymax*(f.base-f.top) }
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-size="%d">`, f.w, f.h, tickFont)
	axes(b, c, f, yt)
	for i := 0; i <= 5; i++ {
		xv := xmax * float64(i) / 5
		anchor := "middle"
		if i == 5 {
			anchor = "end"
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, x(xv), f.base+6+tickFont, anchor, trimNum(xv))
	}
	if c.XLabel != "" {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, (f.left+f.right)/2, f.base+6+tickFont+4+16, html.EscapeString(c.XLabel))
	}
	if c.HLine != nil {
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#000" stroke-dasharray="6,4"/><text x="%.1f" y="%.1f" text-anchor="end">target</text>`,
			x(0), x(xmax), y(*c.HLine), y(*c.HLine), x(xmax)-2, y(*c.HLine)-4)
	}
	for i, s := range c.Series {
		var pts strings.Builder
		for _, p := range s.Points {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(p[0]), y(p[1]))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, items[i].color, pts.String())
	}
	drawLegend(b, items, lx, lr, float64(f.h)-10-float64(rows-1)*16)
	b.WriteString("</svg>")
}

// axes draws the axes, the y grid with its labels and the y axis title.
func axes(b *strings.Builder, c Chart, f frame, yt []string) {
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`, f.left, f.top, f.left, f.base)
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`, f.left, f.base, f.right, f.base)
	for i, s := range yt {
		yv := f.base - float64(i)/5*(f.base-f.top)
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#e4e4e4"/><text x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
			f.left, f.right, yv, yv, f.left-6, yv+4, s)
	}
	mid := (f.top + f.base) / 2
	fmt.Fprintf(b, `<text x="14" y="%.1f" transform="rotate(-90 14 %.1f)" text-anchor="middle">%s</text>`, mid, mid, html.EscapeString(c.YLabel))
}

// trimNum prints an axis value: plainly (0.25, 1000, 12500), in exponent
// form only beyond a million or below a thousandth.
func trimNum(v float64) string {
	if a := math.Abs(v); v != 0 && (a >= 1e6 || a < 1e-3) {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func barSVG(b *strings.Builder, c Chart) {
	var ymax float64
	labelW := 0.0
	for _, br := range c.Bars {
		for _, v := range []float64{br.Value, br.Target, br.Peer} {
			if !math.IsNaN(v) {
				ymax = math.Max(ymax, v)
			}
		}
		labelW = math.Max(labelW, textW(br.Label, labelFont))
	}
	ymax = niceMax(ymax)
	items := []legendItem{{name: "drmorigin", color: "#1f77b4"}, {name: "nginx-vod-module (quality.md)", color: "#aaaaaa"},
		{name: "target", color: "#d62728", line: true}}
	yt := ticks(ymax)
	left := newFrame(yt, 0, false, 0).left
	rows, lx, lr := legendRows(items, left, svgW-padR)
	// Bar labels stand vertically under their group: as tall as the
	// longest label, as wide as one line of text.
	f := newFrame(yt, labelW, false, rows)
	y := func(v float64) float64 { return f.base - v/ymax*(f.base-f.top) }
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-size="%d">`, f.w, f.h, tickFont)
	axes(b, c, f, yt)
	gw := (f.right - f.left) / float64(max(len(c.Bars), 1))
	bw := gw * 0.32
	for i, br := range c.Bars {
		x0 := f.left + float64(i)*gw + gw*0.18
		cx := f.left + (float64(i)+0.5)*gw
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
		if br.Note != "" {
			// Up the empty bar's place, from the axis.
			fmt.Fprintf(b, `<text transform="translate(%.1f %.1f) rotate(-90)" font-size="%d" fill="#888">%s</text>`,
				x0+bw/2+labelFont*0.35, f.base-4, labelFont, html.EscapeString(br.Note))
		}
		fmt.Fprintf(b, `<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="end" font-size="%d">%s</text>`,
			cx+labelFont*0.35, f.base+6, labelFont, html.EscapeString(br.Label))
	}
	drawLegend(b, items, lx, lr, float64(f.h)-10-float64(rows-1)*16)
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
