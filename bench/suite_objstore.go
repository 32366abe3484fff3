package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The object-storage figures (assets.md "Shown by" and "Scale-out",
// quality.md "Every source at the cost of local fragmented MP4"), as ratios
// in one run: CPU per segment from object storage with a warm block cache
// as a multiple of the same segment from local disk, the cold first
// segment of a never-seen two-hour asset in MinIO, and storage reads per
// segment under a player load. A MinIO server (the binary the tests use)
// holds the assets and a second drmorigin, started like the first, serves
// them with storage.root=s3://bench/media.

// MinIOVersion is the pseudo-version of github.com/minio/minio the suite
// runs: the one internal/testservers and .ci/run build (a bench test checks
// that .ci/run agrees; bench may not import internal/testservers).
const MinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"

// Where the assets go in MinIO: s3://objBucket/objPrefix/{asset}/{file}.
const (
	objBucket = "bench"
	objPrefix = "media"
	objRegion = "us-east-1" // MinIO's default; named so the SDK asks no bucket location
)

// Names of the never-seen copies in MinIO (server-side copies, nothing
// requests them before their step).
const (
	objColdA     = "cold-oa"  // cold-oa1…: copies of long2hp, the first segment alone
	objColdB     = "cold-ob"  // cold-ob1…: manifest, init and first segment
	objLoadAsset = "cold-os1" // a copy of the CPU asset for the player load
)

// Targets (assets.md): CPU per segment from object storage with a warm
// cache at most 1.15× local disk; the cold first segment of a two-hour
// asset in MinIO under 150 ms; at most one storage read per segment.
const (
	objVsLocalTarget = 1.15
	objColdTargetMS  = 150.0
	objReadsTarget   = 1.0
)

// objPlayers is how many players the storage-reads step starts at once.
func (s *suite) objPlayers() int {
	n := 300
	if s.cfg.Short {
		n = 100
	}
	return min(n, s.cfg.Players)
}

// MinIOPath is where the MinIO binary is looked for, as the tests do:
// $DRMORIGIN_MINIO, or $HOME/.cache/drmorigin-tools/minio-<MinIOVersion>/minio.
func MinIOPath() string {
	if p := os.Getenv("DRMORIGIN_MINIO"); p != "" {
		return p
	}
	return defaultMinIOPath()
}

func defaultMinIOPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "~"
	}
	return filepath.Join(home, ".cache", "drmorigin-tools", "minio-"+MinIOVersion, "minio")
}

// minioMissing says that bin cannot run and how to get it.
func minioMissing(bin string, err error) string {
	d := filepath.Dir(defaultMinIOPath())
	return fmt.Sprintf("no MinIO binary at %s: %v; build it (about 5 minutes) with "+
		"`GOBIN=%s.tmp go install github.com/minio/minio@%s && mkdir -p %s && mv %s.tmp/minio %s/minio`, "+
		"or run .ci/run, or set DRMORIGIN_MINIO", bin, err, d, MinIOVersion, d, d, d)
}

// executable reports why path is not an executable file (nil when it is).
func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

// minioProc is a running MinIO server.
type minioProc struct {
	*proc
	endpoint     string // http://127.0.0.1:port
	user, secret string
	client       *minio.Client
}

// startMinIO runs `minio server` pinned to core with its data under dir
// and a root user of its own, and waits until it is live.
func startMinIO(bin, core, dir string, logw io.Writer) (*minioProc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	m := &minioProc{endpoint: "http://" + addr, user: "drmbench", secret: hex.EncodeToString(secret)}
	env := []string{
		"MINIO_ROOT_USER=" + m.user,
		"MINIO_ROOT_PASSWORD=" + m.secret,
		"MINIO_BROWSER=off", // no console on a port of its own
		"MINIO_UPDATE=off",
	}
	argv := pinned(core, bin, "server", "--address", addr, "--quiet",
		"--certs-dir", filepath.Join(dir, "certs"), filepath.Join(dir, "data"))
	p, out, err := startProc(argv, env, logw)
	if err != nil {
		return nil, err
	}
	go io.Copy(logw, out)
	m.proc = p
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.done:
			return nil, errors.New("minio exited during start-up (see children.log)")
		default:
		}
		if resp, err := http.Get(m.endpoint + "/minio/health/live"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("minio did not answer on %s within 60 s", m.endpoint)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.client, err = minio.New(addr, &minio.Options{
		Creds:     credentials.NewStaticV4(m.user, m.secret, ""),
		Region:    objRegion,
		Transport: &http.Transport{Proxy: nil},
	})
	if err != nil {
		p.stop()
		return nil, err
	}
	return m, nil
}

// root is the drmorigin storage.root of the bench's assets in m.
func (m *minioProc) root() string {
	return "s3://" + objBucket + "/" + objPrefix + "?endpoint=" + m.endpoint + "&pathStyle=true&region=" + objRegion
}

// uploadAsset puts the files of the local asset directory dir (hidden ones
// left out) under objPrefix/asset/, and returns their total size.
func (m *minioProc) uploadAsset(ctx context.Context, dir, asset string) (int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := m.client.FPutObject(ctx, objBucket, objPrefix+"/"+asset+"/"+e.Name(), filepath.Join(dir, e.Name()),
			minio.PutObjectOptions{ContentType: "application/octet-stream"})
		if err != nil {
			return total, fmt.Errorf("upload %s/%s: %w", asset, e.Name(), err)
		}
		total += info.Size
	}
	return total, nil
}

// copyAsset copies every object of asset from to asset to, server-side.
func (m *minioProc) copyAsset(ctx context.Context, from, to string) error {
	n := 0
	for o := range m.client.ListObjects(ctx, objBucket, minio.ListObjectsOptions{Prefix: objPrefix + "/" + from + "/"}) {
		if o.Err != nil {
			return o.Err
		}
		file := strings.TrimPrefix(o.Key, objPrefix+"/"+from+"/")
		if _, err := m.client.CopyObject(ctx, minio.CopyDestOptions{Bucket: objBucket, Object: objPrefix + "/" + to + "/" + file},
			minio.CopySrcOptions{Bucket: objBucket, Object: o.Key}); err != nil {
			return fmt.Errorf("copy %s to %s: %w", o.Key, to, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("copy %s to %s: no objects", from, to)
	}
	return nil
}

// objReady sets objWhy when the object-store origin is not running, and
// reports whether it is.
func (s *suite) objReady() bool {
	if s.objWhy == "" && s.obj == nil {
		s.objWhy = "unavailable (the object-store origin did not start)"
	}
	return s.objWhy == ""
}

// objColdNames are the never-seen copies of long2hp in MinIO for one
// cold-start figure (prefix objColdA or objColdB).
func objColdNames(prefix string) []string { return coldProgNames(prefix) }

// prepareObjectStore starts MinIO, uploads the assets the selected steps
// need, and starts a second drmorigin over them, with the same locators
// and content keys as the first. What cannot be done is said in objWhy,
// which the steps report as unavailable: never a made-up figure.
func (s *suite) prepareObjectStore(ctx context.Context) error {
	bin := MinIOPath()
	if err := executable(bin); err != nil {
		s.objWhy = "unavailable (" + minioMissing(bin, err) + ")"
		s.say("object storage: %s", s.objWhy)
		return nil
	}
	fail := func(err error) error {
		s.objWhy = "unavailable (" + err.Error() + ")"
		s.stopObjectStore()
		return err
	}
	began := time.Now()
	// MinIO runs on the load generator's core: on the origin's, its work
	// would be charged to nobody and slow the origin down.
	m, err := startMinIO(bin, s.cfg.LoadCore, filepath.Join(s.tmp, "minio"), s.log)
	if err != nil {
		return fail(err)
	}
	s.minio = m
	fmt.Fprintf(s.cfg.Stderr, "   minio %s pid %d on %s (core %q) ready in %.1fs\n", MinIOVersion, m.pid, m.endpoint, s.cfg.LoadCore, time.Since(began).Seconds())
	if err := m.client.MakeBucket(ctx, objBucket, minio.MakeBucketOptions{Region: objRegion}); err != nil {
		return fail(fmt.Errorf("make bucket: %w", err))
	}
	root := filepath.Join(s.tmp, "media")
	began = time.Now()
	size, err := m.uploadAsset(ctx, filepath.Join(root, s.segAsset), s.segAsset)
	if err != nil {
		return fail(err)
	}
	what := fmt.Sprintf("%s (%s)", s.segAsset, HumanBytes(float64(size)))
	if s.selected("objreads") {
		if err := m.copyAsset(ctx, s.segAsset, objLoadAsset); err != nil {
			return fail(err)
		}
		what += ", a copy " + objLoadAsset
	}
	if s.selected("objcold") && s.progLongWhy == "" {
		n, err := m.uploadAsset(ctx, filepath.Join(root, longProgAsset), longProgAsset)
		if err != nil {
			return fail(err)
		}
		for _, a := range append(objColdNames(objColdA), objColdNames(objColdB)...) {
			if err := m.copyAsset(ctx, longProgAsset, a); err != nil {
				return fail(err)
			}
		}
		what += fmt.Sprintf(", %s (%s) and %d copies", longProgAsset, HumanBytes(float64(n)), 2*coldRepeats)
	}
	fmt.Fprintf(s.cfg.Stderr, "   uploaded %s to s3://%s/%s/ in %.1fs\n", what, objBucket, objPrefix, time.Since(began).Seconds())
	o, err := startOrigin(s.originBin, s.cfg.OriginCore, m.root(), filepath.Join(s.tmp, "data-objstore"), s.log,
		"AWS_ACCESS_KEY_ID="+m.user, "AWS_SECRET_ACCESS_KEY="+m.secret)
	if err != nil {
		return fail(fmt.Errorf("second drmorigin: %w", err))
	}
	s.obj = o
	fmt.Fprintf(s.cfg.Stderr, "   drmorigin over s3://%s/%s pid %d on %s (core %q), admin %s\n", objBucket, objPrefix, o.pid, o.base, s.cfg.OriginCore, o.admin)
	if err := s.objLocators(); err != nil {
		return fail(fmt.Errorf("second drmorigin's locators: %w", err))
	}
	s.report["object_store_setup"] = map[string]any{"minio": MinIOVersion, "minio_binary": bin, "storage_root": "s3://" + objBucket + "/" + objPrefix,
		"minio_core": s.cfg.LoadCore, "origin_core": s.cfg.OriginCore, "uploaded": what}
	return nil
}

// objLocators creates on the object-store origin the locators of the
// local one for the assets in MinIO. Encrypted locators get the local
// locator's content keys (listContentKeys, then the same ids and values),
// so that both origins serve the same bytes.
func (s *suite) objLocators() error {
	for _, enc := range []string{"none", "cenc", "cbcs", "cbc"} {
		name := locatorName(s.segAsset, enc)
		keys, err := s.origin.contentKeys(name)
		if err != nil {
			return err
		}
		if err := s.obj.locatorWithKeys(name, s.segAsset, PolicyFor(enc), keys); err != nil {
			return err
		}
	}
	var clear []string
	if s.selected("objreads") {
		clear = append(clear, objLoadAsset)
	}
	if s.selected("objcold") && s.progLongWhy == "" {
		clear = append(clear, longProgAsset)
		clear = append(clear, objColdNames(objColdA)...)
		clear = append(clear, objColdNames(objColdB)...)
	}
	for _, a := range clear {
		if err := s.obj.locator(locatorName(a, "none"), a, PolicyFor("none")); err != nil {
			return err
		}
	}
	return nil
}

// contentKeys returns a locator's content keys with their values
// (POST …/listContentKeys), as the management API writes them.
func (o *originProc) contentKeys(locator string) ([]map[string]any, error) {
	st, b, err := o.api(http.MethodPost, "/api/v1/streamingLocators/"+locator+"/listContentKeys", nil)
	if err != nil {
		return nil, err
	}
	if st != http.StatusOK {
		return nil, fmt.Errorf("listContentKeys %s: %d %s", locator, st, strings.TrimSpace(string(b)))
	}
	var out struct {
		ContentKeys []map[string]any `json:"contentKeys"`
	}
	return out.ContentKeys, json.Unmarshal(b, &out)
}

// stopObjectStore stops the object-store origin and MinIO.
func (s *suite) stopObjectStore() {
	if s.obj != nil {
		s.obj.stop()
		s.obj = nil
	}
	if s.minio != nil {
		s.minio.stop()
		s.minio = nil
	}
}

// storageCounters are an object-store origin's storage metrics
// (origin/metrics_storage.go, read from /metrics).
type storageCounters struct {
	Stat, Read, List int64 // successful calls
	Errors           int64 // failed attempts of any call
	Bytes            int64 // bytes read
	Hits, Misses     int64 // block cache
	Cached           int64 // bytes in the block cache (a gauge)
}

const storageCallsMetric = "drmorigin_storage_calls_total"

func storageCall(op, result string) string {
	return storageCallsMetric + `{op="` + op + `",result="` + result + `"}`
}

// parseStorageCounters picks the storage metrics out of a /metrics body;
// a call that never happened has no sample and counts 0.
func parseStorageCounters(body []byte) storageCounters {
	names := []string{"drmorigin_storage_read_bytes_total", "drmorigin_storage_cache_hits_total",
		"drmorigin_storage_cache_misses_total", "drmorigin_storage_cache_bytes"}
	for _, op := range []string{"stat", "read", "list"} {
		names = append(names, storageCall(op, "ok"), storageCall(op, "error"))
	}
	m := ParseMetrics(body, names...)
	n := func(k string) int64 { return int64(m[k]) }
	return storageCounters{
		Stat: n(storageCall("stat", "ok")), Read: n(storageCall("read", "ok")), List: n(storageCall("list", "ok")),
		Errors: n(storageCall("stat", "error")) + n(storageCall("read", "error")) + n(storageCall("list", "error")),
		Bytes:  n("drmorigin_storage_read_bytes_total"),
		Hits:   n("drmorigin_storage_cache_hits_total"), Misses: n("drmorigin_storage_cache_misses_total"),
		Cached: n("drmorigin_storage_cache_bytes"),
	}
}

// storageCounters reads o's storage metrics.
func (o *originProc) storageCounters() (storageCounters, error) {
	b, err := o.metrics()
	if err != nil {
		return storageCounters{}, err
	}
	if !bytes.Contains(b, []byte("drmorigin_storage_cache_hits_total")) {
		return storageCounters{}, errors.New("no drmorigin_storage_* metrics on /metrics (not an object-store origin?)")
	}
	return parseStorageCounters(b), nil
}

// since is c's counters minus those of before (Cached stays c's).
func (c storageCounters) since(before storageCounters) storageCounters {
	return storageCounters{Stat: c.Stat - before.Stat, Read: c.Read - before.Read, List: c.List - before.List,
		Errors: c.Errors - before.Errors, Bytes: c.Bytes - before.Bytes, Hits: c.Hits - before.Hits,
		Misses: c.Misses - before.Misses, Cached: c.Cached}
}

// hitRatio is hits ÷ (hits + misses), NaN without either.
func (c storageCounters) hitRatio() float64 {
	if c.Hits+c.Misses == 0 {
		return math.NaN()
	}
	return float64(c.Hits) / float64(c.Hits+c.Misses)
}

// String is "1 list, 2 stat, 3 reads (5.2 MB)", and the errors when any.
func (c storageCounters) String() string {
	s := fmt.Sprintf("%d list, %d stat, %d reads (%s)", c.List, c.Stat, c.Read, HumanBytes(float64(c.Bytes)))
	if c.Errors > 0 {
		s += fmt.Sprintf(", %d failed", c.Errors)
	}
	return s
}

func (c storageCounters) detail() map[string]any {
	return map[string]any{"stat": c.Stat, "read": c.Read, "list": c.List, "errors": c.Errors, "read_bytes": c.Bytes,
		"cache_hits": c.Hits, "cache_misses": c.Misses, "cache_hit_ratio": jsonNum(c.hitRatio())}
}

// objPair is one (format, encryption) of the CPU asset from the
// object-store origin beside the same pair from the local one.
type objPair struct {
	Combo
	URL         string
	Unavailable string // why the object-store pair cannot be measured ("" when it can)
	Segments    []string
	Valid       Validator
	CPUs        []cpuResult // object store, one per round
	LocalCPUs   []cpuResult // local disk, in the same rounds
	Check       bytesCheck
}

// bytesCheck compares a pair's segments from the two origins byte for byte.
type bytesCheck struct {
	Checked             bool
	Segments, ObjSegs   int
	Identical, Compared int
	Bytes               int64 // mean segment size (local)
	Err                 string
}

func (c bytesCheck) String() string {
	switch {
	case !c.Checked:
		return "-"
	case c.Err != "":
		return c.Err
	}
	return fmt.Sprintf("%d/%d byte-identical, %d B", c.Identical, c.Compared, c.Bytes)
}

// differ says how the segments differ ("" when they are the same).
func (c bytesCheck) differ() string {
	switch {
	case !c.Checked:
		return ""
	case c.Err != "":
		return c.Err
	case c.Segments != c.ObjSegs:
		return fmt.Sprintf("%d segments from object storage, %d from local disk", c.ObjSegs, c.Segments)
	case c.Identical < c.Compared:
		return fmt.Sprintf("only %d of %d segments byte-identical", c.Identical, c.Compared)
	}
	return ""
}

// compareBytes fetches every segment of a pair from both origins.
func compareBytes(c *Client, local []string, localValid Validator, obj []string, objValid Validator) bytesCheck {
	k := bytesCheck{Checked: true, Segments: len(local), ObjSegs: len(obj)}
	var total int64
	for i := range min(len(local), len(obj)) {
		rl := c.Get(KindSegment, local[i], true, localValid)
		ro := c.Get(KindSegment, obj[i], true, objValid)
		if rl.Err != "" || ro.Err != "" {
			k.Err = fmt.Sprintf("segment %d: local %q, object store %q", i, rl.Err, ro.Err)
			return k
		}
		k.Compared++
		total += int64(len(rl.Body))
		if bytes.Equal(rl.Body, ro.Body) {
			k.Identical++
		}
	}
	if k.Compared > 0 {
		k.Bytes = total / int64(k.Compared)
	}
	return k
}

// objectCPU measures, for every pair the local origin serves, CPU per video
// segment from the object-store origin (warm: every segment fetched
// before) and from the local origin in the same interleaved rounds, the
// two taking turns going first, and reports
// cpu.object_vs_local.<format>.<enc>.
func (s *suite) objectCPU(ctx context.Context) error {
	c := NewClient(NewRecorder(), 4)
	defer c.Close()
	s.objReady()
	var pairs []*objPair
	rows := [][]string{{"format", "encryption", "object store", "segments: object store vs local disk"}}
	for _, cb := range Matrix {
		p := &objPair{Combo: cb, Unavailable: s.objWhy}
		pairs = append(pairs, p)
		if p.Unavailable == "" {
			p.URL = s.obj.base + s.manifestPath(s.segAsset, cb)
			_, p.Segments, p.Valid, p.Unavailable = probe(c, p.URL)
		}
		if st := s.combos[cb]; p.Unavailable == "" && st != nil && st.Unavailable == "" {
			// Fetches every segment from both: the block cache is warm
			// from here on.
			p.Check = compareBytes(c, st.Segments, st.Valid, p.Segments, p.Valid)
		}
		status := "ok"
		if p.Unavailable != "" {
			status = p.Unavailable
		}
		rows = append(rows, []string{cb.Format, cb.Enc, status, p.Check.String()})
	}
	if s.objWhy != "" {
		s.reportObjectCPU(pairs, 0, storageCounters{}, "")
		return nil
	}
	s.say("(format, encryption) pairs of %s from object storage (s3://%s/%s, MinIO) beside the same from local disk:", s.segAsset, objBucket, objPrefix)
	s.table(rows)
	minCPU, maxWall, rounds := s.cpuBudget()
	before, cerr := s.obj.storageCounters()
	for r := range rounds {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(s.cfg.Stderr, "   round %d of %d\n", r+1, rounds)
		for _, p := range pairs {
			st := s.combos[p.Combo]
			if p.Unavailable != "" || st == nil || st.Unavailable != "" || ctx.Err() != nil {
				continue
			}
			local := cpuSide{Name: "local " + p.Combo.String(), PID: s.origin.pid, URLs: st.Segments, Valid: st.Valid, Into: &p.LocalCPUs}
			obj := cpuSide{Name: "object store " + p.Combo.String(), PID: s.obj.pid, URLs: p.Segments, Valid: p.Valid, Into: &p.CPUs}
			if err := measureBoth(ctx, r, minCPU, maxWall, local, obj); err != nil {
				return err
			}
		}
	}
	var during storageCounters
	why := ""
	if after, err := s.obj.storageCounters(); err == nil && cerr == nil {
		during = after.since(before)
	} else {
		why = fmt.Sprint(errors.Join(cerr, err))
	}
	s.reportObjectCPU(pairs, rounds, during, why)
	return nil
}

// reportObjectCPU sets cpu.object_vs_local.<format>.<enc> for every pair
// and prints them; during is the object-store origin's storage calls over
// the rounds (why: why they could not be read).
func (s *suite) reportObjectCPU(pairs []*objPair, rounds int, during storageCounters, why string) {
	rows := [][]string{{"format", "scheme", "object store µs", "local µs", "ratio", "per round: median (min-max)", "best/best", "segments", "verdict"}}
	for _, p := range pairs {
		localWhy := "unavailable (not probed)"
		if st := s.combos[p.Combo]; st != nil {
			localWhy = st.Unavailable
		}
		f := compareObject(p, localWhy)
		s.set("cpu.object_vs_local."+p.Format+"."+p.Enc, f)
		if f.Value == nil {
			rows = append(rows, []string{p.Format, p.Enc, "-", "-", "-", "", "", p.Check.String(), f.Unavailable})
			continue
		}
		if why == "" {
			f.Detail["storage_calls_during_rounds"] = during.detail()
		}
		d := f.Detail
		v := "met"
		if !*f.Met {
			v = "MISSED"
		}
		if note, ok := d["segments_differ"].(string); ok {
			v += " (SEGMENTS DIFFER: " + note + ")"
		}
		rows = append(rows, []string{p.Format, p.Enc, fmt.Sprintf("%.1f", d["object_store_cpu_per_segment_us"]), fmt.Sprintf("%.1f", d["local_cpu_per_segment_us"]),
			Against(*f.Value, objVsLocalTarget, 'f', 3), fmt.Sprintf("%.3f (%.3f-%.3f)", d["round_ratios_median"], d["round_ratios_min"], d["round_ratios_max"]),
			fmt.Sprintf("%.3f", d["best_over_best"]), p.Check.String(), v})
	}
	s.say("CPU per video segment from object storage (s3://%s/%s in MinIO, warm block cache) as a multiple of the same segment from local disk (%s), two drmorigin processes on the same core measured back to back in the same %d interleaved rounds: median of the per-round ratios (target <= %.2f); best of rounds beside:",
		objBucket, objPrefix, s.segAsset, rounds, objVsLocalTarget)
	s.table(rows)
	switch {
	case s.objWhy != "":
	case why != "":
		s.say("   storage calls over the rounds: unreadable (%s)", why)
	default:
		s.say("   storage calls of the object-store origin over the rounds: %s; block cache hits %d, misses %d (a warm cache reads nothing)", during, during.Hits, during.Misses)
	}
	for _, p := range pairs {
		if d := p.Check.differ(); d != "" {
			s.say("!! object storage and local disk serve DIFFERENT segments for %s: %s", p.Combo, d)
		}
	}
}

// compareObject is a pair's cpu.object_vs_local: the median of the
// per-round ratios object-store ÷ local CPU per segment, with best of
// rounds on each side in the detail. localWhy is why the local pair is
// unavailable ("" when it is not).
func compareObject(p *objPair, localWhy string) *Figure {
	const unit = "x local"
	oBest, oWhy := bestOf(p.Unavailable, p.CPUs)
	lBest, lWhy := bestOf(localWhy, p.LocalCPUs)
	switch {
	case oWhy != "" && lWhy != "":
		return UnavailableFigure(objVsLocalTarget, unit, "unavailable (object store: "+oWhy+"; local: "+lWhy+")")
	case oWhy != "":
		return UnavailableFigure(objVsLocalTarget, unit, "unavailable (object store: "+oWhy+")")
	case lWhy != "":
		return UnavailableFigure(objVsLocalTarget, unit, "unavailable (local: "+lWhy+")")
	}
	ratios := perRound(p.CPUs, p.LocalCPUs, 0)
	if len(ratios) == 0 {
		return UnavailableFigure(objVsLocalTarget, unit, "unavailable (no round without errors on both sides)")
	}
	rmed, rlo, rhi := medianFloat(ratios)
	_, oBytes := meanBytes(p.CPUs)
	_, lBytes := meanBytes(p.LocalCPUs)
	f := NewFigure(rmed, objVsLocalTarget, unit)
	f.Detail = map[string]any{
		"object_store_cpu_per_segment_us": float64(oBest) / 1e3, "local_cpu_per_segment_us": float64(lBest) / 1e3,
		"best_over_best":      float64(oBest) / float64(lBest),
		"round_ratios_median": rmed, "round_ratios_min": rlo, "round_ratios_max": rhi,
		"rounds": min(len(p.CPUs), len(p.LocalCPUs)), "clean_rounds": len(ratios),
		"segment_bytes": oBytes, "local_segment_bytes": lBytes,
		"write_syscalls_per_segment": jsonNum(writesPerSegment(p.CPUs)), "local_write_syscalls_per_segment": jsonNum(writesPerSegment(p.LocalCPUs)),
		"method": "median of the per-round ratios object-store origin CPU per segment ÷ local origin CPU per segment, measured back to back in the same interleaved rounds, block cache warm",
	}
	if c := p.Check; c.Checked {
		f.Detail["segment_check"] = c.String()
		f.Detail["segments_identical"] = c.Identical
		f.Detail["segments_compared"] = c.Compared
		if d := c.differ(); d != "" {
			f.Detail["segments_differ"] = d
		}
	}
	return f
}

// objectCold times, on the object-store origin, the first segment of
// never-seen two-hour progressive assets in MinIO, alone (cold-oa1…) and as
// a player reaches it (cold-ob1…), with the storage calls each took.
func (s *suite) objectCold(ctx context.Context) error {
	const keyA, keyB = "cold_start.object_store_first_segment", "cold_start.object_store_manifest_init_first_segment"
	fail := func(why string) {
		s.set(keyA, UnavailableFigure(objColdTargetMS, "ms", why))
		s.set(keyB, UnavailableFigure(objColdTargetMS, "ms", why))
		s.say("object storage cold start: %s", why)
	}
	switch {
	case !s.objReady():
		fail(s.objWhy)
		return nil
	case s.progLongWhy != "":
		fail(s.progLongWhy)
		return nil
	}
	c := NewClient(NewRecorder(), 2)
	defer c.Close()
	lc := Combo{"mpd-time-csf", "none"}
	longURL := s.obj.base + s.manifestPath(longProgAsset, lc)
	p, err := Load(c, longURL, false) // opens the connection and indexes long2hp only
	if err != nil {
		fail("unavailable (" + err.Error() + ")")
		return err
	}
	v := p.Video()
	if len(v) == 0 || len(v[0].Segments) == 0 {
		fail("unavailable (no video segments in " + longURL + ")")
		return nil
	}
	name := func(a string) string { return manifestName(filepath.Join(s.tmp, "media", a)) }
	to := func(u, a string) string {
		return retarget(u, locatorName(longProgAsset, "none"), name(longProgAsset), locatorName(a, "none"), name(a))
	}
	// counted runs fn between two readings of the storage metrics.
	counted := func(fn func()) (storageCounters, bool) {
		b, err1 := s.obj.storageCounters()
		fn()
		a, err2 := s.obj.storageCounters()
		return a.since(b), err1 == nil && err2 == nil
	}

	var msA, warmA, cpuA []float64
	var callsA []storageCounters
	var failA []string
	size := 0
	for _, a := range objColdNames(objColdA) {
		if ctx.Err() != nil {
			break
		}
		seg := to(v[0].SegmentURL(0), a)
		var r Result
		var d time.Duration
		var cpu float64
		calls, ok := counted(func() {
			m := meterPid(s.obj.pid)
			began := time.Now()
			r = c.Get(KindSegment, seg, false, ValidMedia)
			d = time.Since(began)
			cpu = m.cpuMS()
		})
		began := time.Now()
		c.Get(KindSegment, seg, false, ValidMedia)
		warmA = append(warmA, float64(time.Since(began))/1e6)
		cpuA = append(cpuA, cpu)
		if ok {
			callsA = append(callsA, calls)
		}
		if r.Err != "" {
			msA = append(msA, math.NaN())
			failA = append(failA, a+": status "+r.Err)
			continue
		}
		msA = append(msA, float64(d)/1e6)
		size = r.Size
	}
	fa := coldFigureTarget(msA, failA, objColdTargetMS)
	if fa.Detail != nil {
		wm, _, _ := medianFloat(warmA)
		fa.Detail["same_segment_warm_ms"] = wm
		fa.Detail["bytes"] = size
		fa.Detail["url"] = strings.TrimPrefix(to(v[0].SegmentURL(0), objColdNames(objColdA)[0]), s.obj.base)
		fa.Detail["asset_seconds"] = v[0].Duration().Seconds()
		fa.Detail["asset_segments_per_track"] = len(v[0].Segments)
		fa.Detail["origin_cpu_ms"] = jsonNums(cpuA)
		fa.Detail["storage_calls"] = callDetails(callsA)
		fa.Detail["storage"] = "MinIO " + MinIOVersion + " on the loopback, pinned to the load generator's core"
	}
	s.set(keyA, fa)
	s.say("cold start from object storage, first segment of a never-seen %.0f-minute progressive asset in MinIO (%d segments/track), median of %d copies: %s  [each: %s ms; origin CPU %s ms; the same segment warm: %s ms]",
		v[0].Duration().Minutes(), len(v[0].Segments), coldRepeats, fa, fmtMS(msA), fmtMS(cpuA), fmtMS(warmA))
	s.say("   storage calls per cold first segment: %s", callsSummary(callsA))

	var msB, cpuB []float64
	var callsB []storageCounters
	var failB []string
	for _, a := range objColdNames(objColdB) {
		if ctx.Err() != nil {
			break
		}
		var d time.Duration
		var cpu float64
		var why string
		calls, ok := counted(func() {
			m := meterPid(s.obj.pid)
			began := time.Now()
			pb, err := Load(c, to(longURL, a), false)
			if err != nil || len(pb.Video()) == 0 {
				why = fmt.Sprintf("%s: %v", a, err)
				return
			}
			t := pb.Video()[0]
			if t.InitURL != "" {
				c.Get(KindInit, t.InitURL, false, ValidMedia)
			}
			if r := c.Get(KindSegment, t.SegmentURL(0), false, ValidMedia); r.Err != "" {
				why = a + ": segment status " + r.Err
				return
			}
			d = time.Since(began)
			cpu = m.cpuMS()
		})
		if ok {
			callsB = append(callsB, calls)
		}
		if why != "" {
			msB = append(msB, math.NaN())
			failB = append(failB, why)
			continue
		}
		msB, cpuB = append(msB, float64(d)/1e6), append(cpuB, cpu)
	}
	fb := coldFigureTarget(msB, failB, objColdTargetMS)
	if fb.Detail != nil {
		fb.Detail["origin_cpu_ms"] = jsonNums(cpuB)
		fb.Detail["storage_calls"] = callDetails(callsB)
	}
	s.set(keyB, fb)
	s.say("cold start from object storage, manifest + init + first segment of a never-seen two-hour progressive asset in MinIO, median of %d copies: %s  [each: %s ms; origin CPU %s ms]",
		coldRepeats, fb, fmtMS(msB), fmtMS(cpuB))
	s.say("   storage calls per cold manifest + init + first segment: %s", callsSummary(callsB))
	return nil
}

func callDetails(cs []storageCounters) []map[string]any {
	out := make([]map[string]any, len(cs))
	for i, c := range cs {
		out[i] = c.detail()
	}
	return out
}

// callsSummary is each repeat's storage calls, "; "-separated, or why not.
func callsSummary(cs []storageCounters) string {
	if len(cs) == 0 {
		return "unreadable (no /metrics)"
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return strings.Join(out, "; ")
}

// objectReads runs a player load on the object-store origin over a
// never-seen copy of the CPU asset (cold cache): every player starts at
// once and fetches manifest, init and every segment as fast as it can, so
// that many ask for the same cold segment together. It reports storage
// reads per segment served.
func (s *suite) objectReads(ctx context.Context) error {
	const key = "object_store.reads_per_segment"
	if !s.objReady() {
		s.set(key, UnavailableFigure(objReadsTarget, "reads/segment", s.objWhy))
		s.say("storage reads per segment under a player load: %s", s.objWhy)
		return nil
	}
	var urls []string
	for _, f := range []string{"mpd-time-csf", "m3u8-cmaf", "mpd-time-cmaf", "smooth", "m3u8-aapl", "m3u8-aapl-v3"} {
		if st := s.combos[Combo{f, "none"}]; st != nil && st.Unavailable == "" {
			urls = append(urls, s.obj.base+s.manifestPath(objLoadAsset, Combo{f, "none"}))
		}
	}
	if len(urls) == 0 {
		why := "unavailable (no clear format available)"
		s.set(key, UnavailableFigure(objReadsTarget, "reads/segment", why))
		return errors.New(why)
	}
	// The source's distinct segments: every format cuts the same track
	// files at the same times.
	distinct := 0
	if st := s.combos[Combo{"mpd-time-csf", "none"}]; st != nil && st.Pres != nil {
		if v := st.Pres.Video(); len(v) > 0 {
			distinct += len(v[0].Segments)
		}
		if a := st.Pres.Audio(); len(a) > 0 {
			distinct += len(a[0].Segments)
		}
	}
	n := s.objPlayers()
	before, err := s.obj.storageCounters()
	if err != nil {
		s.set(key, UnavailableFigure(objReadsTarget, "reads/segment", "unavailable ("+err.Error()+")"))
		return err
	}
	res, rec, err := Run(ctx, RunConfig{URLs: urls, Players: n, Player: PlayerConfig{Pick: "highest"},
		Duration: 3 * time.Minute, Conns: n + 16})
	if err != nil {
		s.set(key, UnavailableFigure(objReadsTarget, "reads/segment", "unavailable ("+err.Error()+")"))
		return err
	}
	after, err := s.obj.storageCounters()
	if err != nil {
		s.set(key, UnavailableFigure(objReadsTarget, "reads/segment", "unavailable ("+err.Error()+")"))
		return err
	}
	d := after.since(before)
	f := readsFigure(d, rec.Count(KindSegment), rec.Errors(KindSegment), distinct)
	if f.Detail != nil {
		f.Detail["players"] = n
		f.Detail["asset"] = objLoadAsset + " (a never-seen server-side copy of " + s.segAsset + ")"
		f.Detail["manifests"] = trimBase(urls, s.obj.base)
		f.Detail["init_segments_served"] = rec.Count(KindInit)
		f.Detail["wall_seconds"] = res.Wall.Seconds()
		f.Detail["failed_players"] = res.Failed
		f.Detail["load"] = "every player starts at once and fetches its manifest, init segments and every video (top rendition) and audio segment once, as fast as it can"
	}
	s.set(key, f)
	var b strings.Builder
	PrintTable(&b, res.Kinds)
	s.say("storage reads under a player load: %d players at once over a never-seen copy of %s in MinIO (%d formats, cold block cache), as fast as they can:", n, s.segAsset, len(urls))
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		s.say("  %s", l)
	}
	if f.Value == nil {
		s.say("storage reads per segment: %s", f.Unavailable)
		return nil
	}
	s.say("storage reads per segment served: %s  [%s over %d segments served; %d distinct source segments: %s reads each, index reads included; block cache hit ratio %.3f (%d hits, %d misses)]",
		f, d, f.Detail["segments_served"], distinct, fmtNum(f.Detail["reads_per_distinct_segment"]), d.hitRatio(), d.Hits, d.Misses)
	return nil
}

// readsFigure is object_store.reads_per_segment: the successful storage
// reads of d over the media segments served without error (requests minus
// errors). Error answers make it not met: a 503 costs no read. distinct is
// the source's distinct media segments (0: unknown).
func readsFigure(d storageCounters, requests int64, errs map[string]int64, distinct int) *Figure {
	var failed int64
	for _, n := range errs {
		failed += n
	}
	served := requests - failed
	if served <= 0 {
		why := "unavailable (no segment served)"
		if failed > 0 {
			why = "unavailable (every segment request failed: " + FormatErrors(errs) + ")"
		}
		return UnavailableFigure(objReadsTarget, "reads/segment", why)
	}
	f := NewFigure(float64(d.Read)/float64(served), objReadsTarget, "reads/segment")
	f.Detail = d.detail()
	f.Detail["segments_served"] = served
	f.Detail["segment_errors"] = errs
	f.Detail["method"] = "delta of drmorigin_storage_calls_total{op=\"read\",result=\"ok\"} over the load ÷ media segments served without error"
	if distinct > 0 {
		f.Detail["distinct_segments"] = distinct
		f.Detail["reads_per_distinct_segment"] = float64(d.Read) / float64(distinct)
	} else {
		f.Detail["reads_per_distinct_segment"] = nil
	}
	if failed > 0 || d.Errors > 0 {
		met := false
		f.Met = &met
		f.Detail["note"] = "error responses or failed storage calls during the load: not counted as met"
	}
	return f
}

// objTargets lists the object-storage figures for the closing targets
// block.
func objTargets() []string {
	var keys []string
	for _, cb := range Matrix {
		keys = append(keys, "cpu.object_vs_local."+cb.Format+"."+cb.Enc)
	}
	return append(keys, "cold_start.object_store_first_segment", "cold_start.object_store_manifest_init_first_segment",
		"object_store.reads_per_segment")
}
