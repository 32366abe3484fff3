package bench

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

// TestObjectComparison pins cpu.object_vs_local: the median of the
// per-round ratios, best of rounds beside, and segments that differ said.
func TestObjectComparison(t *testing.T) {
	near := func(got any, want float64) bool { f, ok := got.(float64); return ok && math.Abs(f-want) < 1e-9 }
	same := bytesCheck{Checked: true, Segments: 4, ObjSegs: 4, Compared: 4, Identical: 4, Bytes: 1_150_000}
	// Round ratios 1.10, (error), 1.0, 1.14: median 1.10, met.
	p := &objPair{Combo: Combo{"mpd-time-csf", "none"}, CPUs: rounds(110, -90, 100, 114), LocalCPUs: rounds(100, 95, 100, 100), Check: same}
	f := compareObject(p, "")
	if f.Value == nil || !near(*f.Value, 1.10) || f.Met == nil || !*f.Met || f.Target != objVsLocalTarget || f.Unit != "x local" {
		t.Fatalf("object_vs_local = %v", f)
	}
	d := f.Detail
	if !near(d["best_over_best"], 100.0/95) || !near(d["round_ratios_max"], 1.14) || d["clean_rounds"] != 3 || d["rounds"] != 4 {
		t.Errorf("detail %v", d)
	}
	if _, differ := d["segments_differ"]; differ || d["segments_identical"] != 4 {
		t.Errorf("segment check: %v", d)
	}
	if _, err := json.Marshal(f); err != nil {
		t.Error(err)
	}
	// 2.4× in every round: missed; segments that differ are said.
	p = &objPair{Combo: Combo{"mpd-time-csf", "cenc"}, CPUs: rounds(240, 240), LocalCPUs: rounds(100, 100),
		Check: bytesCheck{Checked: true, Segments: 4, ObjSegs: 4, Compared: 4, Identical: 3}}
	f = compareObject(p, "")
	if f.Met == nil || *f.Met || f.Detail["segments_differ"] != "only 3 of 4 segments byte-identical" {
		t.Errorf("240 vs 100: %v %v", f, f.Detail)
	}
	if d := (bytesCheck{Checked: true, Segments: 4, ObjSegs: 3}).differ(); d != "3 segments from object storage, 4 from local disk" {
		t.Errorf("differ %q", d)
	}
	for _, tc := range []struct {
		p        *objPair
		localWhy string
		want     string
	}{
		{&objPair{Unavailable: "unavailable (no MinIO binary)"}, "", "unavailable (object store: no MinIO binary; local: not measured)"},
		{&objPair{CPUs: rounds(100)}, "unavailable (status 501)", "unavailable (local: status 501)"},
		{&objPair{CPUs: rounds(-100), LocalCPUs: rounds(100)}, "", "unavailable (object store: every round had errors: 500×1)"},
	} {
		f := compareObject(tc.p, tc.localWhy)
		if f.Value != nil || f.Unavailable != tc.want || f.Target != objVsLocalTarget {
			t.Errorf("got %v, want %q", f, tc.want)
		}
	}
}

const storageMetricsText = `# HELP drmorigin_storage_calls_total Calls to the object store.
# TYPE drmorigin_storage_calls_total counter
drmorigin_storage_calls_total{op="list",result="ok"} 1
drmorigin_storage_calls_total{op="read",result="error"} 2
drmorigin_storage_calls_total{op="read",result="ok"} 12
drmorigin_storage_calls_total{op="stat",result="ok"} 3
drmorigin_storage_read_bytes_total 5.24288e+06
drmorigin_storage_cache_hits_total 90
drmorigin_storage_cache_misses_total 10
drmorigin_storage_cache_bytes 4.194304e+06
go_goroutines 12
`

// TestStorageCounters: the storage metrics parsed from /metrics (a call
// never made has no sample: 0), their deltas and the hit ratio.
func TestStorageCounters(t *testing.T) {
	c := parseStorageCounters([]byte(storageMetricsText))
	want := storageCounters{Stat: 3, Read: 12, List: 1, Errors: 2, Bytes: 5 << 20, Hits: 90, Misses: 10, Cached: 4 << 20}
	if c != want {
		t.Fatalf("parsed %+v, want %+v", c, want)
	}
	d := c.since(storageCounters{Stat: 1, Read: 2, Bytes: 1 << 20, Hits: 40, Misses: 10})
	if d.Stat != 2 || d.Read != 10 || d.List != 1 || d.Bytes != 4<<20 || d.Hits != 50 || d.Misses != 0 || d.Cached != 4<<20 {
		t.Errorf("since %+v", d)
	}
	if d.hitRatio() != 1 || c.hitRatio() != 0.9 || !math.IsNaN((storageCounters{}).hitRatio()) {
		t.Errorf("hit ratios %v %v", d.hitRatio(), c.hitRatio())
	}
	if s := c.String(); s != "1 list, 3 stat, 12 reads (5.2 MB), 2 failed" {
		t.Errorf("String %q", s)
	}
	if _, err := json.Marshal(storageCounters{}.detail()); err != nil {
		t.Errorf("an empty delta's detail (NaN hit ratio) must marshal: %v", err)
	}
}

// TestReadsFigure: storage reads over segments served without error;
// errors during the load make it not met; nothing served: unavailable.
func TestReadsFigure(t *testing.T) {
	f := readsFigure(storageCounters{Read: 10, Hits: 2500, Misses: 50}, 800, nil, 8)
	if f.Value == nil || *f.Value != 10.0/800 || f.Met == nil || !*f.Met || f.Target != objReadsTarget {
		t.Fatalf("reads figure %v", f)
	}
	if f.Detail["reads_per_distinct_segment"] != 1.25 || f.Detail["segments_served"] != int64(800) {
		t.Errorf("detail %v", f.Detail)
	}
	if _, err := json.Marshal(f); err != nil {
		t.Error(err)
	}
	// 5 reads for 4 segments served (the 503s cost none): missed anyway.
	f = readsFigure(storageCounters{Read: 5}, 8, map[string]int64{"503": 4}, 0)
	if f.Value == nil || *f.Value != 1.25 || f.Met == nil || *f.Met || f.Detail["reads_per_distinct_segment"] != nil {
		t.Errorf("with errors %v %v", f, f.Detail)
	}
	f = readsFigure(storageCounters{Read: 1}, 4, nil, 8)
	if f.Value == nil || *f.Value != 0.25 {
		t.Errorf("4 served %v", f)
	}
	// A failed storage call during the load: not met, though under 1.
	if f := readsFigure(storageCounters{Read: 1, Errors: 1}, 100, nil, 8); f.Met == nil || *f.Met {
		t.Errorf("failed storage call counted as met: %v", f)
	}
	if f := readsFigure(storageCounters{}, 3, map[string]int64{"503": 3}, 8); f.Value != nil || f.Unavailable != "unavailable (every segment request failed: 503×3)" {
		t.Errorf("all failed %v", f)
	}
}

// TestObjOnlyAliases: --only objstore selects the three object-storage
// steps, and the set-up ("objstore") runs for any one of them.
func TestObjOnlyAliases(t *testing.T) {
	for _, tc := range []struct {
		only []string
		want map[string]bool
	}{
		{[]string{"objstore"}, map[string]bool{"objstore": true, "objcpu": true, "objcold": true, "objreads": true, "cpu": false, "progcold": false}},
		{[]string{"objcold"}, map[string]bool{"objstore": true, "objcold": true, "objcpu": false, "objreads": false}},
		{[]string{"cpu", "progressive"}, map[string]bool{"objstore": false, "objcpu": false, "progcpu": true, "progressive": true}},
		{nil, map[string]bool{"objstore": true, "objreads": true}},
	} {
		s := &suite{cfg: SuiteConfig{Only: tc.only}}
		for step, want := range tc.want {
			if s.selected(step) != want {
				t.Errorf("--only %v: selected(%s) = %v", tc.only, step, !want)
			}
		}
	}
}

// TestMinIOVersionAgrees: the suite runs the MinIO that .ci/run builds and
// internal/testservers starts (bench may not import it: read as text).
func TestMinIOVersionAgrees(t *testing.T) {
	for _, f := range []struct{ path, re string }{
		{"../.ci/run", `(?m)^minio_version=(\S+)$`},
		{"../internal/testservers/minio.go", `(?m)^const MinIOVersion = "([^"]+)"$`},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(f.re).FindSubmatch(b)
		if m == nil || string(m[1]) != MinIOVersion {
			t.Errorf("%s: MinIO version %q, bench's MinIOVersion %q", f.path, m, MinIOVersion)
		}
	}
}

// TestObjectStoreWithoutMinIO: without the MinIO binary, every
// object-storage figure is unavailable saying how to get it, listed with
// the targets, never met.
func TestObjectStoreWithoutMinIO(t *testing.T) {
	t.Setenv("DRMORIGIN_MINIO", filepath.Join(t.TempDir(), "minio"))
	var out strings.Builder
	s := &suite{cfg: SuiteConfig{Short: true, Only: []string{"objstore"}, Stdout: &out, Stderr: io.Discard, Players: 1000},
		report: map[string]any{}, combos: map[Combo]*comboState{}}
	ctx := context.Background()
	for _, step := range []func(context.Context) error{s.prepareObjectStore, s.objectCPU, s.objectCold, s.objectReads} {
		if err := step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s.targets()
	want := len(Matrix) + 3 // the pairs, two cold-start figures, reads per segment
	if got := s.report["targets"].(map[string]int); got["unavailable"] != want || got["met"] != 0 || got["missed"] != 0 {
		t.Errorf("targets %v, want %d unavailable", got, want)
	}
	for _, line := range []string{"cpu.object_vs_local.mpd-time-csf.none", "cold_start.object_store_first_segment",
		"object_store.reads_per_segment", "no MinIO binary", "go install github.com/minio/minio@" + MinIOVersion, ".ci/run"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("output lacks %q", line)
		}
	}
	if s.objPlayers() != 100 {
		t.Errorf("short player load: %d players", s.objPlayers())
	}
}

// TestObjectStoreOrigin runs the set-up for real on the demo asset: MinIO
// from the cached binary, the asset uploaded, a second drmorigin over
// s3://bench/media with the locators and content keys of a local one. Both
// serve the same bytes, clear and encrypted, and /metrics counts the
// storage reads.
func TestObjectStoreOrigin(t *testing.T) {
	bin := MinIOPath()
	if err := executable(bin); err != nil {
		if testing.Short() {
			t.Skip(minioMissing(bin, err))
		}
		t.Fatal(minioMissing(bin, err))
	}
	root, err := filepath.Abs("../testdata/media")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	origin := filepath.Join(dir, "drmorigin")
	build := exec.Command(goTool(), "build", "-o", origin, "./cmd/drmorigin")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build drmorigin: %v\n%s", err, out)
	}
	logw, err := os.Create(filepath.Join(dir, "children.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logw.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logw.Name())
			t.Logf("children's log:\n%s", b)
		}
	})
	m, err := startMinIO(bin, "", filepath.Join(dir, "minio"), logw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.stop)
	ctx := context.Background()
	if err := m.client.MakeBucket(ctx, objBucket, minio.MakeBucketOptions{Region: objRegion}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.uploadAsset(ctx, filepath.Join(root, "demo"), "demo"); err != nil {
		t.Fatal(err)
	}
	if err := m.copyAsset(ctx, "demo", "demo-copy"); err != nil {
		t.Fatal(err)
	}
	local, err := startOrigin(origin, "", root, filepath.Join(dir, "local"), logw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(local.stop)
	obj, err := startOrigin(origin, "", m.root(), filepath.Join(dir, "obj"), logw, "AWS_ACCESS_KEY_ID="+m.user, "AWS_SECRET_ACCESS_KEY="+m.secret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(obj.stop)
	if _, err := local.storageCounters(); err == nil {
		t.Error("the local origin has storage metrics")
	}
	before, err := obj.storageCounters()
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{"none", "cenc"} {
		name := "demo-" + enc
		if err := local.locator(name, "demo", PolicyFor(enc)); err != nil {
			t.Fatal(err)
		}
		keys, err := local.contentKeys(name)
		if err != nil {
			t.Fatal(err)
		}
		if (enc == "none") != (len(keys) == 0) {
			t.Errorf("%s: %d content keys", name, len(keys))
		}
		if err := obj.locatorWithKeys(name, "demo", PolicyFor(enc), keys); err != nil {
			t.Fatal(err)
		}
	}
	c := NewClient(NewRecorder(), 2)
	defer c.Close()
	for _, cb := range []Combo{{"mpd-time-csf", "none"}, {"mpd-time-csf", "cenc"}, {"m3u8-aapl", "none"}} {
		path := ManifestPath("demo-"+cb.Enc, "demo", cb)
		_, ls, lv, why := probe(c, local.base+path)
		if why != "" {
			t.Fatalf("local %s: %s", cb, why)
		}
		_, objs, ov, why := probe(c, obj.base+path)
		if why != "" {
			t.Fatalf("object store %s: %s", cb, why)
		}
		if k := compareBytes(c, ls, lv, objs, ov); k.differ() != "" || k.Compared != 4 {
			t.Errorf("%s: %s", cb, k)
		}
	}
	after, err := obj.storageCounters()
	if err != nil {
		t.Fatal(err)
	}
	if d := after.since(before); d.Read == 0 || d.Stat == 0 || d.Errors != 0 || d.Hits == 0 {
		t.Errorf("storage calls %+v", d)
	}
}
