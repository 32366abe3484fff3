package bench

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
)

func TestParseSmooth(t *testing.T) {
	const ism = `<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="60000000" TimeScale="10000000">
  <StreamIndex Type="video" Name="video" Chunks="3" QualityLevels="2" Url="QualityLevels({bitrate})/Fragments(video={start time})" TimeScale="12800">
    <QualityLevel Index="0" Bitrate="600000"/><QualityLevel Index="1" Bitrate="250000"/>
    <c t="0" d="25600" r="2"/><c d="12800"/>
  </StreamIndex>
  <StreamIndex Type="audio" Name="audio" Chunks="2" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(audio={start time})">
    <QualityLevel Index="0" Bitrate="96000"/>
    <c t="0" d="20000000"/><c d="20000000"/>
  </StreamIndex>
</SmoothStreamingMedia>`
	p, err := Parse("http://127.0.0.1/loc/a.ism/manifest", []byte(ism))
	if err != nil {
		t.Fatal(err)
	}
	v, a := p.Video(), p.Audio()
	if len(v) != 2 || len(a) != 1 || v[0].Bandwidth != 600000 {
		t.Fatalf("tracks %d video %d audio", len(v), len(a))
	}
	if n := len(v[0].Segments); n != 3 {
		t.Errorf("video segments %d, want 3 (Chunks)", n)
	}
	if got, want := v[1].SegmentURL(2), "http://127.0.0.1/loc/a.ism/QualityLevels(250000)/Fragments(video=51200)"; got != want {
		t.Errorf("url %s, want %s", got, want)
	}
	if d := a[0].Duration(); d != 4*time.Second {
		t.Errorf("audio duration %v", d)
	}
}

func TestParseHLSRelative(t *testing.T) {
	pl := "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nQualityLevels(1)/Fragments(v=0,format=m3u8-cmaf).m4s\n#EXTINF:2,\n../b/x.m4s\n#EXTINF:2,\nhttp://other/y.m4s\n#EXT-X-ENDLIST\n"
	p, err := Parse("http://h/l/a.ism/manifest(format=m3u8-cmaf)?x=1", []byte(pl))
	if err != nil {
		t.Fatal(err)
	}
	tr := p.Tracks[0]
	want := []string{"http://h/l/a.ism/QualityLevels(1)/Fragments(v=0,format=m3u8-cmaf).m4s", "http://h/l/b/x.m4s", "http://other/y.m4s"}
	for i, w := range want {
		if got := tr.SegmentURL(i); got != w {
			t.Errorf("segment %d: %s, want %s", i, got, w)
		}
	}
}

func TestValidMedia(t *testing.T) {
	ts := make([]byte, 188*3)
	for i := 0; i < len(ts); i += 188 {
		ts[i] = 0x47
	}
	for _, c := range []struct {
		b  []byte
		ok bool
	}{
		{[]byte{0, 0, 0, 8, 'm', 'o', 'o', 'f'}, true},
		{[]byte{0, 0, 0, 8, 's', 't', 'y', 'p'}, true},
		{ts, true},
		{[]byte("<html>"), false},
		{[]byte{0, 0, 0, 8, 'x', 'x', 'x', 'x'}, false},
		{nil, false},
	} {
		if got := ValidMedia(c.b); got != c.ok {
			t.Errorf("ValidMedia(%q) = %v", c.b, got)
		}
	}
}

// TestSynthesize lengthens the demo's 640x360 track and checks that its
// decode times continue without a gap.
func TestSynthesize(t *testing.T) {
	src := t.TempDir()
	if err := LinkAsset("../testdata/media/demo", src); err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"video_320x180.mp4", "audio_eng.mp4", "audio_fra.mp4"} {
		os.Remove(filepath.Join(src, e))
	}
	dst := filepath.Join(t.TempDir(), "long")
	if err := Synthesize(src, dst, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dst, "video_640x360.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mf, err := mp4.DecodeFile(f)
	if err != nil {
		t.Fatal(err)
	}
	trex, _ := mf.Init.Moov.Mvex.GetTrex(mf.Init.Moov.Trak.Tkhd.TrackID)
	var next uint64
	n := 0
	for _, s := range mf.Segments {
		for _, fr := range s.Fragments {
			if got := fr.Moof.Traf.Tfdt.BaseMediaDecodeTime(); got != next {
				t.Fatalf("fragment %d: tfdt %d, want %d", n, got, next)
			}
			if fr.Moof.Mfhd.SequenceNumber != uint32(n+1) {
				t.Fatalf("fragment %d: sequence %d", n, fr.Moof.Mfhd.SequenceNumber)
			}
			ss, err := fr.GetFullSamples(trex)
			if err != nil {
				t.Fatal(err)
			}
			for _, smp := range ss {
				next += uint64(smp.Dur)
			}
			n++
		}
	}
	ts := uint64(mf.Init.Moov.Trak.Mdia.Mdhd.Timescale)
	if d := time.Duration(next * uint64(time.Second) / ts); d < 30*time.Second || d > 40*time.Second || n%4 != 0 {
		t.Errorf("%d fragments, %v: want whole loops of the 8 s demo, at least 30 s", n, d)
	}
	if _, err := os.Stat(filepath.Join(dst, "demo.ism")); err != nil {
		t.Errorf("server manifest not copied: %v", err)
	}
}

// TestReportShape pins report.json's shape: nested objects down to figures
// {"value", "target", "unit"}.
func TestReportShape(t *testing.T) {
	s := &suite{report: map[string]any{}}
	s.set("cost_factor.cenc", NewFigure(1.05, 1.10, "ratio"))
	s.set("floor_multiple.mpd-time-csf.none", NewFigure(1.2, 1.1, "x floor"))
	s.set("floor_multiple.mpd-time-csf.cenc", UnavailableFigure(1.7, "x floor", "unavailable (status 403)"))
	b, err := json.Marshal(s.report)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	cf := m["cost_factor"]["cenc"].(map[string]any)
	if cf["value"] != 1.05 || cf["target"] != 1.1 || cf["unit"] != "ratio" || cf["met"] != true {
		t.Errorf("cost_factor.cenc = %v", cf)
	}
	fm := m["floor_multiple"]["mpd-time-csf"].(map[string]any)
	if none := fm["none"].(map[string]any); none["met"] != false {
		t.Errorf("floor_multiple none = %v", none)
	}
	if enc := fm["cenc"].(map[string]any); enc["value"] != nil || !strings.Contains(enc["unavailable"].(string), "403") {
		t.Errorf("floor_multiple cenc = %v", enc)
	}
	if _, ok := peers()["nginx-vod-module"]; !ok {
		t.Error("no peers")
	}
}

func TestHTMLAndTimeline(t *testing.T) {
	rec := NewRecorder()
	now := time.Now()
	for i := range 100 {
		rec.Add(KindSegment, now, time.Duration(i)*time.Millisecond, 1000, "")
	}
	rec.Add(KindManifest, now, time.Millisecond, 10, "500")
	sum := rec.Summary(time.Second)
	if len(sum) != 2 || sum[0].Kind != KindManifest || sum[1].P99ms != 98 || sum[1].Maxms != 99 {
		t.Fatalf("summary %+v", sum)
	}
	var b strings.Builder
	PrintTable(&b, sum)
	if !strings.Contains(b.String(), "500×1") {
		t.Errorf("table:\n%s", b.String())
	}
	charts := TimelineCharts("x", rec.Timeline(time.Second))
	charts = append(charts, Chart{Title: "bars", Bars: []Bar{{Label: "a", Value: 1.2, Target: 1.1, Peer: 1.7}, {Label: "b", Value: math.NaN(), Target: 1.7, Peer: 2.5, Note: "n/a"}}})
	var h strings.Builder
	if err := WriteHTML(&h, "t", []string{"line"}, charts); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(h.String(), "<svg"); n != 3 {
		t.Errorf("%d svg plots, want 3", n)
	}
}

func TestProcAndMetrics(t *testing.T) {
	// The nanosecond clock and the tick clock agree on a CPU-bound stretch.
	ns0, err := ProcCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	tk0, err := ProcCPUTicks(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the tick clock has seen 300 ms of CPU (bounded: the
	// machine is shared, so wall time says little about CPU time).
	x := uint64(1)
	for began := time.Now(); time.Since(began) < 5*time.Second; {
		for range 100000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		if tk, _ := ProcCPUTicks(os.Getpid()); tk-tk0 >= 300*time.Millisecond {
			break
		}
	}
	ns1, _ := ProcCPU(os.Getpid())
	tk1, _ := ProcCPUTicks(os.Getpid())
	dns, dtk := ns1-ns0, tk1-tk0
	if x == 0 || dtk < 300*time.Millisecond || dns < dtk-40*time.Millisecond || dns > dtk+40*time.Millisecond {
		t.Errorf("CPU over a busy loop: schedstat %v, ticks %v (want them within 40 ms, ticks >= 300 ms)", dns, dtk)
	}
	rss, err := ProcRSS(os.Getpid())
	if err != nil || rss <= 0 {
		t.Fatalf("rss %d %v", rss, err)
	}
	if anon, err := ProcRSSAnon(os.Getpid()); err != nil || anon <= 0 || anon > rss {
		t.Fatalf("anonymous rss %d (rss %d) %v", anon, rss, err)
	}
	m := ParseMetrics([]byte("# HELP go_goroutines x\ngo_goroutines 21\nprocess_resident_memory_bytes 1.71008e+07\nother{a=\"b\"} 3\n"),
		"go_goroutines", "process_resident_memory_bytes")
	if m["go_goroutines"] != 21 || m["process_resident_memory_bytes"] != 1.71008e7 {
		t.Errorf("metrics %v", m)
	}
	if _, ok := parseBenchLine("BenchmarkEncryptCENCSample-2   	 1000000	      1036 ns/op	 988.40 MB/s	       0 B/op	       0 allocs/op"); !ok {
		t.Error("bench line not parsed")
	}
}

// TestFloorCPU serves bodies from an in-process floor server and reads this
// process's CPU time around the requests, as the suite does for a child.
func TestFloorCPU(t *testing.T) {
	f := &FloorServer{Bodies: map[string][]byte{"/a/0": make([]byte, 64<<10), "/a/1": make([]byte, 32<<10)}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.Serve(ln)
	defer f.Close()
	base := "http://" + ln.Addr().String()
	res, err := measureCPU(context.Background(), os.Getpid(), []string{base + "/a/0", base + "/a/1"}, 2, 20*time.Millisecond, 3*time.Second, ValidAny)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || len(res.Errors) != 0 || res.Bytes != res.Requests/2*(96<<10) {
		t.Errorf("requests %d, bytes %d, errors %v", res.Requests, res.Bytes, res.Errors)
	}
	c := NewClient(NewRecorder(), 1)
	if r := c.Get(KindSegment, base+"/nope", false, nil); r.Status != 404 {
		t.Errorf("unknown path: %d", r.Status)
	}
}

// rounds makes one cpuResult per per-segment CPU time in µs (100 requests
// each); a negative time is a round that saw a 500.
func rounds(us ...float64) []cpuResult {
	var rs []cpuResult
	for _, u := range us {
		r := cpuResult{Requests: 100, Bytes: 100 * 1000, CPU: time.Duration(math.Abs(u) * 100 * 1e3)}
		if u < 0 {
			r.Errors = map[string]int64{"500": 1}
		}
		rs = append(rs, r)
	}
	return rs
}

// TestBaselineComparison pins cpu.vs_baseline and the baseline's floor
// multiple: the median of per-round ratios of the same round, best ÷ best
// in the detail, and a pair that either origin refuses
// reported unavailable.
func TestBaselineComparison(t *testing.T) {
	clear := &comboState{Combo: Combo{"mpd-time-csf", "none"}, FloorCPUs: rounds(50, 40, 45)}
	near := func(got any, want float64) bool { f, ok := got.(float64); return ok && math.Abs(f-want) < 1e-9 }

	// Round ratios 1.02, (error), 1.0, 0.99: median 1.0, met. Round 2 of
	// the origin saw an error: left out of the best and of the ratios.
	st := &comboState{Combo: Combo{"mpd-time-csf", "cenc"}, CPUs: rounds(102, -90, 104, 99), Base: baseState{CPUs: rounds(100, 120, 104, 100)}}
	c := compareBaseline(st, clear, "")
	if c.VS.Value == nil || !near(*c.VS.Value, 1.0) || c.VS.Met == nil || !*c.VS.Met || c.VS.Target != vsBaselineTarget {
		t.Fatalf("vs_baseline = %v", c.VS)
	}
	d := c.VS.Detail
	if !near(d["best_over_best"], 99.0/100) {
		t.Errorf("best over best: %v", d["best_over_best"])
	}
	// Clean rounds 1, 3 and 4: 1.02, 1.0 and 0.99.
	if !near(d["round_ratios_min"], 0.99) || !near(d["round_ratios_max"], 1.02) || d["clean_rounds"] != 3 || d["rounds"] != 4 {
		t.Errorf("per-round ratios: %v", d)
	}
	// Floor multiples, median of the rounds with a floor: the baseline's
	// 2.0, 3.0, 104/45 → 104/45 (best ÷ best 100/40 in the detail); the
	// origin's 102/50, (error), 104/45 → the upper of the two, 104/45.
	if c.Multiple.Value == nil || !near(*c.Multiple.Value, 104.0/45) || c.Multiple.Met != nil || !near(c.Multiple.Detail["best_over_best"], 2.5) {
		t.Errorf("baseline floor multiple = %v %v (want 104/45, no target)", c.Multiple, c.Multiple.Detail)
	}
	if !near(c.OriginMultiple, 104.0/45) || !near(d["floor_multiple"], 104.0/45) || !near(d["baseline_floor_multiple"], 104.0/45) {
		t.Errorf("origin multiple %v, detail %v", c.OriginMultiple, d)
	}

	// 3.5 % more than the baseline: missed.
	st = &comboState{Combo: Combo{"mpd-time-csf", "cbcs"}, CPUs: rounds(103.5), Base: baseState{CPUs: rounds(100)}}
	if c := compareBaseline(st, clear, ""); c.VS.Met == nil || *c.VS.Met {
		t.Errorf("103.5 vs 100: %v", c.VS)
	}

	// One side refuses the pair, or both, or the baseline never ran.
	for _, tc := range []struct {
		st      *comboState
		baseWhy string
		want    string
		baseOK  bool
	}{
		{&comboState{Combo: Combo{"m3u8-aapl", "cbc"}, CPUs: rounds(100), Base: baseState{Unavailable: "unavailable (status 400)"}}, "",
			"unavailable (baseline: status 400)", false},
		{&comboState{Combo: Combo{"mpd-time-csf", "cenc"}, Unavailable: "unavailable (status 501)", Base: baseState{CPUs: rounds(100)}}, "",
			"unavailable (origin: status 501)", true},
		{&comboState{Combo: Combo{"m3u8-aapl", "none"}, Unavailable: "unavailable (status 501)", Base: baseState{Unavailable: "unavailable (status 400)"}}, "",
			"unavailable (origin: status 501; baseline: status 400)", false},
		{&comboState{Combo: Combo{"mpd-time-csf", "cenc"}, CPUs: rounds(100), Base: baseState{CPUs: rounds(-100, -90)}}, "",
			"unavailable (baseline: every round had errors: 500×2)", false},
		{&comboState{Combo: Combo{"mpd-time-csf", "cenc"}, CPUs: rounds(100)}, "unavailable (baseline did not start: boom)",
			"unavailable (baseline: baseline did not start: boom)", false},
	} {
		c := compareBaseline(tc.st, clear, tc.baseWhy)
		if c.VS.Value != nil || c.VS.Unavailable != tc.want || c.VS.Target != vsBaselineTarget {
			t.Errorf("%s: vs_baseline %v, want %q", tc.st.Combo, c.VS, tc.want)
		}
		if (c.Multiple.Value != nil) != tc.baseOK {
			t.Errorf("%s: baseline floor multiple %v", tc.st.Combo, c.Multiple)
		}
	}
}

// TestBaselineTargets checks that the vs_baseline figures reach the report
// as cpu.vs_baseline.<format>.<enc> and the closing list of targets.
func TestBaselineTargets(t *testing.T) {
	var out strings.Builder
	s := &suite{cfg: SuiteConfig{Baseline: "bin/drmorigin-baseline", Stdout: &out}, report: map[string]any{}, combos: map[Combo]*comboState{}}
	for _, cb := range Matrix {
		s.combos[cb] = &comboState{Combo: cb, Unavailable: "unavailable (status 501)", Base: baseState{Unavailable: "unavailable (status 400)"}}
	}
	s.combos[Combo{"mpd-time-csf", "none"}] = &comboState{Combo: Combo{"mpd-time-csf", "none"}, CPUs: rounds(41), FloorCPUs: rounds(40), Base: baseState{CPUs: rounds(40)}}
	s.combos[Combo{"mpd-time-csf", "cenc"}] = &comboState{Combo: Combo{"mpd-time-csf", "cenc"}, CPUs: rounds(100), Base: baseState{CPUs: rounds(80)}}
	s.reportBaseline(1)
	s.targets()
	b, err := json.Marshal(s.report)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		CPU struct {
			VS map[string]map[string]map[string]any `json:"vs_baseline"`
		} `json:"cpu"`
		Baseline struct {
			Multiple map[string]map[string]map[string]any `json:"floor_multiple"`
		} `json:"baseline"`
		Targets map[string]int `json:"targets"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if f := m.CPU.VS["mpd-time-csf"]["none"]; f["met"] != true || f["value"] != 41.0/40 || f["target"] != 1.03 {
		t.Errorf("cpu.vs_baseline.mpd-time-csf.none = %v (41/40: met)", f)
	}
	if f := m.CPU.VS["mpd-time-csf"]["cenc"]; f["met"] != false || f["value"] != 1.25 {
		t.Errorf("cpu.vs_baseline.mpd-time-csf.cenc = %v (100/80: missed)", f)
	}
	if f := m.Baseline.Multiple["mpd-time-csf"]["cenc"]; f["value"] != 2.0 || f["met"] != nil {
		t.Errorf("baseline.floor_multiple.mpd-time-csf.cenc = %v (80/40, no target)", f)
	}
	if want := (map[string]int{"met": 1, "missed": 1, "unavailable": len(Matrix) - 2}); !maps.Equal(m.Targets, want) {
		t.Errorf("targets %v, want %v", m.Targets, want)
	}
	for _, line := range []string{"cpu.vs_baseline.mpd-time-csf.cenc", "cpu.vs_baseline.m3u8-aapl.cbc", "unavailable (origin: status 501; baseline: status 400)"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, out.String())
		}
	}
}

// TestProgressiveComparison pins cpu.progressive_vs_fragmented: the median
// of the per-round ratios progressive ÷ fragmented of the same round, best
// of rounds on each side in the detail, the segment check carried along,
// and a pair that either input cannot serve reported unavailable.
// TestPairedJudge pins how the suite judges a ratio of two figures taken
// in the same interleaved rounds: the median of the per-round ratios, not
// best ÷ best, which pairs two different rounds and lets one lucky round on
// either side decide. The floor multiple and the cost factor use it.
func TestPairedJudge(t *testing.T) {
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	// Every round costs 1.2× its floor, but one floor round is unusually
	// cheap: best ÷ best says 1.5, the pairs say 1.2.
	origin, floor := rounds(120, 132, 96, 126, -50), rounds(100, 110, 80, 105, 100)
	floor[2].CPU = 64 * 100 * 1e3 // the lucky round: 64 µs, origin 96
	p := pair(origin, floor, 0)
	if !near(p.BestOverBest, 96.0/64) || p.Pairs != 4 {
		t.Fatalf("pair = %+v", p)
	}
	// Ratios 1.2, 1.2, 1.5, 1.2 (round 5's error left out): median 1.2.
	if !near(p.Median, 1.2) || !near(p.Min, 1.2) || !near(p.Max, 1.5) {
		t.Errorf("pair = %+v", p)
	}
	d := p.detail("round_multiples")
	if d["round_multiples_median"] != p.Median || d["best_over_best"] != p.BestOverBest || d["paired_rounds"] != 4 {
		t.Errorf("detail %v", d)
	}
	// The extra time (the raw cipher) joins the denominator of each pair.
	if q := pair(rounds(150, 165), rounds(100, 110), 25); !near(q.Median, 165.0/135) || !near(q.BestOverBest, 150.0/125) {
		t.Errorf("with extra: %+v", q)
	}
	if q := pair(rounds(-1), rounds(100), 0); q.Pairs != 0 || !math.IsNaN(q.Median) {
		t.Errorf("no clean pair: %+v", q)
	}

	// The floor multiple in the report is the pairs' median.
	var out strings.Builder
	s := &suite{report: map[string]any{}, combos: map[Combo]*comboState{}, cfg: SuiteConfig{Stdout: &out}}
	for _, cb := range Matrix {
		s.combos[cb] = &comboState{Combo: cb, Unavailable: "unavailable (not in this test)"}
	}
	s.combos[Combo{"mpd-time-csf", "none"}] = &comboState{Combo: Combo{"mpd-time-csf", "none"}, CPUs: rounds(105, 115.5, 84, 110.25), FloorCPUs: floor[:4]}
	s.combos[Combo{"mpd-time-csf", "cenc"}] = &comboState{Combo: Combo{"mpd-time-csf", "cenc"}, CPUs: origin[:4]}
	s.reportMultiples(4)
	fm := s.lookup("floor_multiple.mpd-time-csf.cenc")
	if fm == nil || fm.Value == nil || !near(*fm.Value, 1.2) || fm.Met == nil || !*fm.Met || !near(fm.Detail["best_over_best"].(float64), 1.5) {
		t.Errorf("floor_multiple = %v", fm)
	}
	// The cost factor: ratios 120/105, 132/115.5, 96/84 and 126/110.25
	// with no cipher time are all 8/7.
	s.rawCTR = math.Inf(1)
	cf, why := s.costFactor(Combo{"mpd-time-csf", "cenc"})
	if cf == nil || !near(*cf.Value, 8.0/7) || cf.Met == nil || *cf.Met {
		t.Errorf("cost factor = %v (%s)", cf, why)
	}
}

func TestProgressiveComparison(t *testing.T) {
	near := func(got any, want float64) bool { f, ok := got.(float64); return ok && math.Abs(f-want) < 1e-9 }
	same := segCheck{Checked: true, Segments: 4, ProgSegments: 4, MdatCompared: 4, MdatSame: 4, MdatSizeSame: 4}
	// Round ratios 1.02, (error), 1.0, 1.06: median 1.02, met.
	p := &progPair{Combo: Combo{"mpd-time-csf", "none"}, CPUs: rounds(102, -90, 100, 106), FragCPUs: rounds(100, 95, 100, 100), Check: same}
	f := compareProgressive(p, "")
	if f.Value == nil || !near(*f.Value, 1.02) || f.Met == nil || !*f.Met || f.Target != progVsFragTarget || f.Unit != "x fragmented" {
		t.Fatalf("progressive_vs_fragmented = %v", f)
	}
	d := f.Detail
	// Best of each side's clean rounds: 100 and 95.
	if !near(d["best_over_best"], 100.0/95) || !near(d["round_ratios_min"], 1.0) || !near(d["round_ratios_max"], 1.06) || d["clean_rounds"] != 3 || d["rounds"] != 4 {
		t.Errorf("detail %v", d)
	}
	if _, differ := d["segments_differ"]; differ || d["mdat_identical"] != 4 {
		t.Errorf("segment check: %v", d)
	}
	// rounds() counts no write system calls (0, not -1): 0 per segment.
	if d["write_syscalls_per_segment"] != 0.0 {
		t.Errorf("writes per segment %v", d["write_syscalls_per_segment"])
	}
	if _, err := json.Marshal(f); err != nil {
		t.Error(err)
	}
	p.CPUs[0].Writes, p.CPUs[2].Writes, p.CPUs[3].Writes = -1, -1, -1
	if f := compareProgressive(p, ""); f.Detail["write_syscalls_per_segment"] != nil {
		t.Errorf("writes not counted: %v, want null", f.Detail["write_syscalls_per_segment"])
	}
	// 6 % more in every round: missed; mdat that differs is said.
	p = &progPair{Combo: Combo{"mpd-time-csf", "none"}, CPUs: rounds(106, 106), FragCPUs: rounds(100, 100),
		Check: segCheck{Checked: true, Segments: 4, ProgSegments: 4, MdatCompared: 4, MdatSame: 3, MdatSizeSame: 4}}
	f = compareProgressive(p, "")
	if f.Met == nil || *f.Met || f.Detail["segments_differ"] != "mdat identical in 3 of 4 segments" {
		t.Errorf("106 vs 100: %v %v", f, f.Detail)
	}
	for _, tc := range []struct {
		p       *progPair
		fragWhy string
		want    string
	}{
		{&progPair{Unavailable: "unavailable (ffmpeg not found)"}, "", "unavailable (progressive: ffmpeg not found; fragmented: not measured)"},
		{&progPair{Unavailable: "unavailable (status 501)"}, "unavailable (status 501)", "unavailable (progressive: status 501; fragmented: status 501)"},
		{&progPair{CPUs: rounds(100)}, "unavailable (status 404)", "unavailable (fragmented: status 404)"},
		{&progPair{CPUs: rounds(-100), FragCPUs: rounds(100)}, "", "unavailable (progressive: every round had errors: 500×1)"},
	} {
		f := compareProgressive(tc.p, tc.fragWhy)
		if f.Value != nil || f.Unavailable != tc.want || f.Target != progVsFragTarget {
			t.Errorf("got %v, want %q", f, tc.want)
		}
	}
}

// TestIndexMemory pins the index-memory figures: bytes per sample summed
// over the tracks, and the two-hour 1080p projection judged against 8 MB.
func TestIndexMemory(t *testing.T) {
	var info assetIndexInfo
	if err := json.Unmarshal([]byte(`{"name":"long2hp","durationSeconds":7200,"tracks":[
		{"name":"video","type":"video","samples":180000,"indexBytes":3000000,"indexedFrom":"moov"},
		{"name":"audio","type":"audio","samples":340000,"indexBytes":3500000,"indexedFrom":"moov"}]}`), &info); err != nil {
		t.Fatal(err)
	}
	ps, pj := indexMemory(info, twoHourVideoSamples+twoHourAudioSamples)
	if ps.Value == nil || *ps.Value != 12.5 || ps.Target != nil || ps.Detail["samples"] != int64(520000) {
		t.Errorf("bytes per sample = %v %v", ps, ps.Detail)
	}
	if pj.Value == nil || math.Abs(*pj.Value-12.5*517500/1e6) > 1e-9 || pj.Met == nil || *pj.Met != (12.5*517500/1e6 <= 8) || pj.Target != 8.0 {
		t.Errorf("projected = %v", pj)
	}
	if twoHourVideoSamples != 180000 || twoHourAudioSamples != 337500 {
		t.Errorf("two hours: %d video, %d audio samples", twoHourVideoSamples, twoHourAudioSamples)
	}
	// 16 B/sample projects to 8.28 MB: missed.
	info.Tracks[1].IndexBytes = new(int64)
	*info.Tracks[1].IndexBytes = 16*520000 - 3000000
	if _, pj := indexMemory(info, 517500); pj.Met == nil || *pj.Met {
		t.Errorf("16 B/sample: %v", pj)
	}
	// An origin that does not report samples: unavailable, not zero.
	var old assetIndexInfo
	json.Unmarshal([]byte(`{"name":"x","tracks":[{"name":"video","fragments":3600}]}`), &old)
	if ps, pj := indexMemory(old, 517500); ps.Value != nil || pj.Value != nil || !strings.Contains(pj.Unavailable, "indexBytes") || pj.Target != 8.0 {
		t.Errorf("no samples reported: %v, %v", ps, pj)
	}
}

func TestMdatPayloadAndRetarget(t *testing.T) {
	box := func(typ string, payload []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(payload)))
		return append(append(b, typ...), payload...)
	}
	seg := append(append(box("styp", []byte("cmfs")), box("moof", make([]byte, 20))...), box("mdat", []byte("samples"))...)
	if p, ok := MdatPayload(seg); !ok || string(p) != "samples" {
		t.Errorf("mdat %q %v", p, ok)
	}
	// A 64-bit size and two mdats.
	big := append(binary.BigEndian.AppendUint32(nil, 1), "mdat"...)
	big = append(binary.BigEndian.AppendUint64(big, 16+3), "abc"...)
	if p, ok := MdatPayload(append(big, box("mdat", []byte("de"))...)); !ok || string(p) != "abcde" {
		t.Errorf("mdat %q %v", p, ok)
	}
	for _, b := range [][]byte{box("moof", nil), append(box("moof", nil), 0, 0, 0, 99, 'm', 'd', 'a', 't'), nil} {
		if _, ok := MdatPayload(b); ok {
			t.Errorf("mdat found in % x", b)
		}
	}
	u := "http://h/bench-long2hp-none/long2hp.ism/QualityLevels(1)/Fragments(video=0,format=mpd-time-csf)"
	if got, want := retarget(u, "bench-long2hp-none", "long2hp", "bench-cold-pa-none", "cold-pa"),
		"http://h/bench-cold-pa-none/cold-pa.ism/QualityLevels(1)/Fragments(video=0,format=mpd-time-csf)"; got != want {
		t.Errorf("retarget: %s, want %s", got, want)
	}
	if LoopsFor(2*time.Hour, 8*time.Second) != 900 || LoopsFor(2*time.Hour, 7*time.Second) != 1029 || LoopsFor(time.Second, 0) != 1 {
		t.Error("LoopsFor")
	}
}

// TestOnlyAliases: --only progressive selects both progressive steps.
func TestOnlyAliases(t *testing.T) {
	s := &suite{cfg: SuiteConfig{Only: []string{"progressive", "cold"}}}
	for step, want := range map[string]bool{"progcpu": true, "progcold": true, "cold": true, "cpu": false, "soak": false} {
		if s.selected(step) != want {
			t.Errorf("selected(%s) = %v", step, !want)
		}
	}
	if s := (&suite{}); !s.selected("soak") {
		t.Error("no --only: every step runs")
	}
}

// TestColdFigure: the median of the repeats that succeeded, every repeat
// in the detail; none succeeded: unavailable with the reasons.
func TestColdFigure(t *testing.T) {
	f := coldFigure([]float64{48, 90, math.NaN(), 55, 57}, []string{"cold-pa3: status 500"})
	// Succeeded: 48, 55, 57, 90; the upper median is 57.
	if f.Value == nil || *f.Value != 57 || f.Met == nil || *f.Met || f.Detail["min_ms"] != 48.0 || f.Detail["succeeded"] != 4 {
		t.Errorf("cold figure %v %v", f, f.Detail)
	}
	// A failed repeat is null in report.json (encoding/json refuses NaN).
	if b, err := json.Marshal(f); err != nil || !strings.Contains(string(b), `"repeats_ms":[48,90,null,55,57]`) {
		t.Errorf("json %s %v", b, err)
	}
	if f := coldFigure([]float64{40, 45, 49}, nil); f.Met == nil || !*f.Met || *f.Value != 45 {
		t.Errorf("cold figure %v", f)
	}
	if f := coldFigure([]float64{math.NaN()}, []string{"cold-pa1: status 404"}); f.Value != nil || f.Unavailable != "unavailable (cold-pa1: status 404)" || f.Target != 50.0 {
		t.Errorf("cold figure %v", f)
	}
	if n := coldProgNames(coldProgA); len(n) != coldRepeats || n[0] != "cold-pa1" {
		t.Errorf("names %v", n)
	}
}

// TestProgressiveWithoutFFmpeg: without ffmpeg the progressive assets are
// not made, and every progressive figure is unavailable with the reason,
// listed with the targets, never met.
func TestProgressiveWithoutFFmpeg(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	loops, err := MakeLongProgressive(t.TempDir(), "long", "../testdata/media/progressive/progressive.mp4", 2*time.Hour)
	if err == nil || !strings.Contains(err.Error(), "ffmpeg not found") || loops != 900 {
		t.Fatalf("loops %d, err %v (want 900 repeats of the 8 s file, ffmpeg not found)", loops, err)
	}
	var out strings.Builder
	why := "unavailable (" + err.Error() + ")"
	s := &suite{cfg: SuiteConfig{Short: true, Only: []string{"progressive"}, Stdout: &out, Stderr: io.Discard},
		report: map[string]any{}, combos: map[Combo]*comboState{}, progSegWhy: why, progLongWhy: why}
	if err := s.progressiveCPU(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.progressiveCold(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.targets()
	want := len(Matrix) + 3 // the pairs, two cold-start figures, the index projection
	if got := s.report["targets"].(map[string]int); got["unavailable"] != want || got["met"] != 0 || got["missed"] != 0 {
		t.Errorf("targets %v, want %d unavailable", got, want)
	}
	for _, line := range []string{"cpu.progressive_vs_fragmented.mpd-time-csf.none", "cold_start.progressive_first_segment", "index_memory.two_hour_1080p", "ffmpeg not found"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("output lacks %q", line)
		}
	}
}
