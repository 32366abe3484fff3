package bench

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAgainst: a printed figure never reads as the other verdict. The
// verdict comes from the unrounded value; the printed number carries as
// many digits as it takes to stay on the same side of the target.
func TestAgainst(t *testing.T) {
	for _, c := range []struct {
		v, target float64
		fmtc      byte
		prec      int
		want      string
	}{
		{1.1504, 1.15, 'g', 3, "1.1504"}, // 1.15 would read as met
		{1.1496, 1.15, 'g', 3, "1.15"},   // met, and reads as met
		{1.15, 1.15, 'g', 3, "1.15"},     // met exactly
		{1.0302, 1.03, 'f', 3, "1.0302"}, // 1.030 would read as met
		{1.1, 1.10, 'f', 2, "1.10"},      // met exactly
		{2.0000004, 2, 'g', 3, "2.0000004"},
		{10.04, 10, 'f', 1, "10.04"},
		{0.996, 1.15, 'f', 3, "0.996"},
		{1.1504, math.NaN(), 'g', 3, "1.15"}, // no target: plain rounding
	} {
		if got := Against(c.v, c.target, c.fmtc, c.prec); got != c.want {
			t.Errorf("Against(%v, %v, %c, %d) = %s, want %s", c.v, c.target, c.fmtc, c.prec, got, c.want)
		}
	}
	f := NewFigure(1.1504, 1.15, "x local")
	if s := f.String(); s != "1.1504 x local (target <= 1.15 x local): MISSED" {
		t.Errorf("figure: %s", s)
	}
	// A figure whose target became words keeps the bound it was judged by.
	g := NewFigure(10.04, 10, "%")
	g.Target = "flat (growth <= 10 % after ramp-up)"
	if s := g.valueString(); s != "10 %" && !strings.HasPrefix(s, "10.04") {
		t.Errorf("growth: %s", s)
	} else if s == "10 %" {
		t.Errorf("growth 10.04 %% against <= 10 %% prints %q, which reads as met", s)
	}
}

// TestUnroundedInputs: the numbers verdicts are computed from are not
// rounded first: request latencies keep their nanoseconds (a 2.0004 ms p99
// misses a 2 ms target), CPU per request is a real division.
func TestUnroundedInputs(t *testing.T) {
	rec := NewRecorder()
	now := time.Now()
	for range 100 {
		rec.Add(KindManifest, now, 2000400*time.Nanosecond, 100, "")
	}
	p99 := rec.Summary(time.Second)[0].P99ms
	if p99 != 2.0004 {
		t.Errorf("p99 %v ms, want 2.0004", p99)
	}
	if f := NewFigure(p99, 2, "ms"); *f.Met {
		t.Errorf("a 2.0004 ms p99 meets a 2 ms target: %s", f)
	}
	if tl := rec.Timeline(time.Second); len(tl) != 1 || tl[0].ManifestP99 != 2.0004 {
		t.Errorf("timeline %+v", tl)
	}
	r := cpuResult{Requests: 3, CPU: 1000 * time.Nanosecond}
	if got := r.perRequest(); math.Abs(got-1000.0/3) > 1e-9 {
		t.Errorf("perRequest %v, want 333.33…", got)
	}
	ratios := perRound([]cpuResult{{Requests: 3, CPU: 1001}}, []cpuResult{{Requests: 3, CPU: 1000}}, 0)
	if math.Abs(ratios[0]-1.001) > 1e-12 {
		t.Errorf("per-round ratio %v, want 1.001", ratios[0])
	}
}

// bigPage is a report with what makes boxes overflow: every pair of the
// matrix as a bar with its long label and notes, legends of long names,
// large axis values, long prose lines and a wide table.
func bigPage(t *testing.T) string {
	t.Helper()
	var bars []Bar
	for i, cb := range Matrix {
		tg, pr := Targets(cb)
		b := Bar{Label: cb.String(), Value: tg * (0.5 + float64(i%5)/4), Target: tg, Peer: pr}
		switch i % 6 {
		case 3:
			b.Value, b.Note = math.NaN(), "no floor"
		case 5:
			b.Value, b.Note = math.NaN(), "errors"
		}
		bars = append(bars, b)
	}
	bars = append(bars, Bar{Label: "a-rather-long-format-name/cbcs-aapl", Value: 2, Target: 2.5, Peer: math.NaN()})
	var tl []Point
	for i := range 120 {
		tl = append(tl, Point{T: float64(i), P50ms: 1, P99ms: 5 + float64(i%7), SegmentP99: 9, ManifestP99: 3, Bytes: 1234e6, Requests: 25000})
	}
	target := 2.0
	charts := []Chart{{Title: "CPU time per video segment, multiple of the copy-only floor", YLabel: "x floor", Bars: bars}}
	charts = append(charts, TimelineCharts("soak, 1000 players", tl)...)
	charts = append(charts, Chart{Title: "memory", XLabel: "seconds", YLabel: "MB", HLine: &target, Series: []Series{
		{Name: "anonymous RSS MB", Points: [][2]float64{{0, 20}, {600, 25}}},
		{Name: "RSS MB, mapped media included", Points: [][2]float64{{0, 60}, {600, 90}}},
		{Name: "the goroutines of the origin process, sampled every second", Points: [][2]float64{{0, 10}, {600, 12}}},
		{Name: "a fourth series", Points: [][2]float64{{0, 1}}}, {Name: "a fifth series with a name", Points: [][2]float64{{0, 1}}},
	}})
	summary := []string{
		"cost factor cenc: 1.10 (target <= 1.10): met  [mpd-time-csf, best of 25 rounds (per round: median 1.02, 0.98-1.13): clear 263.9 µs + raw CTR 145.0 µs for 1154647 B at 7.92 GB/s = 408.9 µs, encrypted 450.0 µs; server throughput clear 4372 MB/s, encrypted 2566 MB/s of CPU]",
		"format         scheme     object store µs  local µs  ratio  per round: median (min-max)  best/best  segments                       verdict",
		"mpd-time-csf   none       295.0            263.9     1.046  1.046 (0.910-1.129)          1.118      4/4 byte-identical, 1153794 B  met",
		"m3u8-aapl-v3   cbcs-aapl  626.8            590.0     1.084  1.084 (1.014-1.450)          1.062      4/4 byte-identical, 1214104 B  met",
		"   storage calls per cold first segment: 1 list, 1 stat, 4 reads (5.2 MB); 1 list, 1 stat, 4 reads (5.2 MB); 1 list, 1 stat, 4 reads (5.2 MB); 1 list, 1 stat, 4 reads (5.2 MB)",
		strings.Repeat("an-unbroken-token-", 20),
	}
	var b strings.Builder
	if err := WriteHTML(&b, "drmorigin bench", summary, charts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	svgRE  = regexp.MustCompile(`(?s)<svg [^>]*width="(\d+)" height="(\d+)" font-size="(\d+)">(.*?)</svg>`)
	textRE = regexp.MustCompile(`<text ([^>]*)>([^<]*)</text>`)
	attrRE = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
	numsRE = regexp.MustCompile(`-?[0-9.]+`)
)

// box is a label's extent on the page of its SVG.
type box struct {
	x0, y0, x1, y1 float64
	text           string
}

// textBox computes where a <text> element's glyphs lie, from its
// attributes and the plots' font metrics (textW; ascent 0.8 em, descent
// 0.25 em), for unrotated text and text turned by rotate(-90).
func textBox(t *testing.T, attrs, content string, defSize float64) box {
	a := map[string]string{}
	for _, m := range attrRE.FindAllStringSubmatch(attrs, -1) {
		a[m[1]] = m[2]
	}
	num := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	size := defSize
	if s, ok := a["font-size"]; ok {
		size = num(s)
	}
	text := html.UnescapeString(content)
	w, asc, desc := textW(text, size), 0.8*size, 0.25*size
	ox, oy := num(a["x"]), num(a["y"])
	rotated := false
	if tr := a["transform"]; tr != "" {
		n := numsRE.FindAllString(tr, -1)
		switch {
		case strings.HasPrefix(tr, "translate(") && strings.HasSuffix(tr, "rotate(-90)") && len(n) == 3:
			ox, oy, rotated = num(n[0])+ox, num(n[1])+oy, true
		case strings.HasPrefix(tr, "rotate(-90 ") && len(n) == 3:
			rotated = true // about (x, y), which are the origin already
		default:
			t.Fatalf("a transform the check does not know: %q", tr)
		}
	}
	start := 0.0 // where the text starts along its direction, from the origin
	switch a["text-anchor"] {
	case "middle":
		start = -w / 2
	case "end":
		start = -w
	}
	if !rotated {
		return box{ox + start, oy - asc, ox + start + w, oy + desc, text}
	}
	// Turned a quarter left: the text runs up the page, its tops to the left.
	return box{ox - asc, oy - start - w, ox + desc, oy - start, text}
}

// TestReportPageFitsBoxes: on a page made to overflow, every label of
// every plot lies inside its SVG and no two labels overlap; summary tables
// are in boxes sized to them, the other summary lines in boxes that wrap.
func TestReportPageFitsBoxes(t *testing.T) {
	page := bigPage(t)
	svgs := svgRE.FindAllStringSubmatch(page, -1)
	if len(svgs) != 4 {
		t.Fatalf("%d plots, want 4", len(svgs))
	}
	for i, s := range svgs {
		w, _ := strconv.ParseFloat(s[1], 64)
		h, _ := strconv.ParseFloat(s[2], 64)
		def, _ := strconv.ParseFloat(s[3], 64)
		var boxes []box
		for _, m := range textRE.FindAllStringSubmatch(s[4], -1) {
			b := textBox(t, m[1], m[2], def)
			if b.x0 < 0 || b.y0 < 0 || b.x1 > w || b.y1 > h {
				t.Errorf("plot %d (%gx%g): %q spans x %.1f..%.1f, y %.1f..%.1f: outside", i, w, h, b.text, b.x0, b.x1, b.y0, b.y1)
			}
			for _, o := range boxes {
				if b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1 {
					t.Errorf("plot %d: %q and %q overlap", i, b.text, o.text)
				}
			}
			boxes = append(boxes, b)
		}
		if len(boxes) < 10 {
			t.Errorf("plot %d: %d labels found; is the check reading the page?", i, len(boxes))
		}
	}
	if n := strings.Count(page, `<pre class="table">`); n != 1 {
		t.Errorf("%d table boxes, want 1 for the table's three rows", n)
	}
	if n := strings.Count(page, `<p class="line">`); n != 3 {
		t.Errorf("%d wrapping lines, want 3", n)
	}
	for _, rule := range []string{".line{", "white-space:pre-wrap", "overflow-wrap:anywhere", "pre.table{", "width:max-content"} {
		if !strings.Contains(page, rule) {
			t.Errorf("the page's style lacks %q", rule)
		}
	}
}

// checkScript measures the laid-out page in the browser: a label outside
// its SVG, two labels of one SVG that overlap, a box whose text is wider
// than the box, and writes what it found into the body's data-result.
const checkScript = `<script>
const bad = [];
document.querySelectorAll('svg').forEach((s, i) => {
  const r = s.getBoundingClientRect(), seen = [];
  s.querySelectorAll('text').forEach(t => {
    const b = t.getBoundingClientRect();
    if (b.left < r.left - 0.5 || b.right > r.right + 0.5 || b.top < r.top - 0.5 || b.bottom > r.bottom + 0.5)
      bad.push('plot ' + i + ': "' + t.textContent + '" outside: ' + [b.left - r.left, b.top - r.top, b.right - r.left, b.bottom - r.top].map(Math.round) + ' in ' + [r.width, r.height]);
    for (const o of seen)
      if (b.left < o.b.right - 0.5 && o.b.left < b.right - 0.5 && b.top < o.b.bottom - 0.5 && o.b.top < b.bottom - 0.5)
        bad.push('plot ' + i + ': "' + t.textContent + '" overlaps "' + o.t + '"');
    seen.push({b: b, t: t.textContent});
  });
});
document.querySelectorAll('.line, pre.table').forEach(e => {
  if (e.scrollWidth > e.clientWidth + 1) bad.push('box "' + e.textContent.slice(0, 40) + '": ' + e.scrollWidth + ' > ' + e.clientWidth);
});
document.body.setAttribute('data-result', JSON.stringify(bad));
</script>`

// TestReportPageInChromium lays the same page out in headless Chromium
// (Debian's chromium, as the browser tests use) and measures it: no label
// outside its plot, no two overlapping, no box narrower than its text.
func TestReportPageInChromium(t *testing.T) {
	bin := os.Getenv("CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatal("chromium not found: apt-get install -y chromium")
	}
	dir := t.TempDir()
	page := strings.Replace(bigPage(t), "</body>", checkScript+"</body>", 1)
	p := filepath.Join(dir, "report.html")
	if err := os.WriteFile(p, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--window-size=1100,900", "--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+p).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	m := regexp.MustCompile(`data-result="([^"]*)"`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the page's check did not run; chromium gave %d bytes", len(out))
	}
	var bad []string
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &bad); err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
	t.Logf("%s", fmt.Sprintf("%d problems measured in Chromium", len(bad)))
}
