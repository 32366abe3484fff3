package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"time"
)

// The progressive figures (assets.md "Shown by", quality.md "Every source at
// the cost of local fragmented MP4"): CPU per segment from progressive input
// as a multiple of the same segment from fragmented input, the cold first
// segment of a never-seen two-hour progressive asset, and the index memory
// per sample of that asset.

// Names of the progressive assets under the storage root. Without an .ism
// an asset's {name} is its directory's name.
const (
	longProgAsset = "long2hp" // two-hour progressive asset (warm: URLs, index memory)
	coldProgA     = "cold-pa" // cold-pa1…: never requested before the progressive cold-start figure
	coldProgB     = "cold-pb" // cold-pb1…
)

// progVsFragTarget bounds cpu.progressive_vs_fragmented (quality.md: the
// same segment from progressive input at most 1.05× local fragmented MP4).
const progVsFragTarget = 1.05

// A two-hour 1080p25 asset with 48 kHz AAC beside it (assets.md: "about
// 500,000 samples: its index must stay under 8 MB").
const (
	twoHourVideoSamples = 2 * 3600 * 25           // 180,000
	twoHourAudioSamples = 2 * 3600 * 48000 / 1024 // 337,500
	indexMemoryTargetMB = 8.0                     // MB of 10^6 bytes
)

// progPair is one (format, encryption) of the progressive asset beside the
// same pair of the fragmented one.
type progPair struct {
	Combo
	URL         string
	Unavailable string // why the progressive pair cannot be measured ("" when it can)
	Segments    []string
	Valid       Validator
	CPUs        []cpuResult // progressive, one per round
	FragCPUs    []cpuResult // fragmented, in the same rounds
	Check       segCheck
}

// segCheck compares the segments of a pair from both inputs.
type segCheck struct {
	Checked                bool
	Segments, ProgSegments int
	Bytes, ProgBytes       int64 // mean segment size
	MdatCompared, MdatSame int   // segments whose mdat payloads were compared / were byte-identical
	MdatSizeSame           int   // segments whose mdat payloads have the same size
	Err                    string
}

func (c segCheck) String() string {
	if !c.Checked {
		return "-"
	}
	if c.Err != "" {
		return c.Err
	}
	s := fmt.Sprintf("%d/%d segments, %d vs %d B", c.ProgSegments, c.Segments, c.ProgBytes, c.Bytes)
	if c.MdatCompared > 0 {
		s += fmt.Sprintf(", mdat identical %d/%d", c.MdatSame, c.MdatCompared)
	} else {
		s += fmt.Sprintf(", payload size equal %d/%d", c.MdatSizeSame, min(c.Segments, c.ProgSegments))
	}
	return s
}

// prepareProgressive makes the progressive assets (when a progressive step
// is selected) and links them under root. What cannot be made is said in
// progSegWhy / progLongWhy, which the steps report as unavailable.
func (s *suite) prepareProgressive(root string) error {
	// objcold uploads long2hp to MinIO (suite_objstore.go).
	if !s.selected("progcpu") && !s.selected("progcold") && !s.selected("objcold") {
		s.progSegWhy, s.progLongWhy = "unavailable (not selected)", "unavailable (not selected)"
		return nil
	}
	cache := filepath.Join(s.cfg.Out, "cache")
	began := time.Now()
	switch {
	case s.segAsset != SegAssetName:
		s.progSegWhy = "unavailable (no " + SegAssetName + " asset to remux, see above)"
	default:
		if err := MakeProgSegAsset(filepath.Join(cache, ProgSegAssetName), filepath.Join(cache, SegAssetName)); err != nil {
			s.progSegWhy = "unavailable (" + err.Error() + ")"
			break
		}
		if err := LinkAsset(filepath.Join(cache, ProgSegAssetName), filepath.Join(root, ProgSegAssetName)); err != nil {
			return fmt.Errorf("%w: %v", errFatal, err)
		}
		fmt.Fprintf(s.cfg.Stderr, "   %s asset (%s remuxed into one progressive MP4) ready in %.1fs\n", ProgSegAssetName, SegAssetName, time.Since(began).Seconds())
	}
	if s.progSegWhy != "" {
		fmt.Fprintf(s.cfg.Stderr, "   no %s asset: %s\n", ProgSegAssetName, s.progSegWhy)
	}
	began = time.Now()
	srcs, _ := filepath.Glob(filepath.Join(s.cfg.Media, "progressive", "*.mp4"))
	if len(srcs) == 0 {
		s.progLongWhy = "unavailable (no progressive MP4 in " + filepath.Join(s.cfg.Media, "progressive") + ")"
	} else {
		loops, err := MakeLongProgressive(filepath.Join(cache, longProgAsset), longProgAsset, srcs[0], 2*time.Hour)
		if err != nil {
			s.progLongWhy = "unavailable (" + err.Error() + ")"
		} else {
			// The copies link to the one under root: the same file
			// system, hard links even where the cache is elsewhere.
			if err := LinkAsset(filepath.Join(cache, longProgAsset), filepath.Join(root, longProgAsset)); err != nil {
				return fmt.Errorf("%w: %v", errFatal, err)
			}
			for _, a := range append(coldProgNames(coldProgA), coldProgNames(coldProgB)...) {
				if err := LinkAsset(filepath.Join(root, longProgAsset), filepath.Join(root, a)); err != nil {
					return fmt.Errorf("%w: %v", errFatal, err)
				}
			}
			s.progLoops = loops
			fmt.Fprintf(s.cfg.Stderr, "   two-hour progressive asset %s (%s repeated %d times, copy only) ready in %.1fs\n",
				longProgAsset, filepath.Base(srcs[0]), loops, time.Since(began).Seconds())
		}
	}
	if s.progLongWhy != "" {
		fmt.Fprintf(s.cfg.Stderr, "   no two-hour progressive asset: %s\n", s.progLongWhy)
	}
	return nil
}

// progressiveCPU measures, for every pair that both assets serve, CPU per
// video segment from the progressive asset and from the fragmented one in
// the same interleaved rounds (the two taking turns going first), and
// reports cpu.progressive_vs_fragmented.<format>.<enc>.
func (s *suite) progressiveCPU(ctx context.Context) error {
	c := NewClient(NewRecorder(), 4)
	defer c.Close()
	var pairs []*progPair
	rows := [][]string{{"format", "encryption", "progressive", "segments: progressive vs fragmented"}}
	for _, cb := range Matrix {
		p := &progPair{Combo: cb, Unavailable: s.progSegWhy}
		pairs = append(pairs, p)
		if p.Unavailable == "" {
			p.URL = s.manifestURL(ProgSegAssetName, cb)
			_, p.Segments, p.Valid, p.Unavailable = probe(c, p.URL)
		}
		status := "ok"
		if p.Unavailable != "" {
			status = p.Unavailable
		}
		if st := s.combos[cb]; p.Unavailable == "" && st != nil && st.Unavailable == "" {
			p.Check = compareSegments(c, cb, st.Segments, st.Valid, p.Segments, p.Valid)
		}
		rows = append(rows, []string{cb.Format, cb.Enc, status, p.Check.String()})
	}
	s.say("(format, encryption) pairs on the progressive asset %s (one MP4, video and audio interleaved, moov first) beside %s:", ProgSegAssetName, s.segAsset)
	s.table(rows)
	minCPU, maxWall, rounds := s.cpuBudget()
	measurable := false
	for _, p := range pairs {
		if st := s.combos[p.Combo]; p.Unavailable == "" && st != nil && st.Unavailable == "" {
			measurable = true
		}
	}
	for r := range rounds {
		if ctx.Err() != nil || !measurable {
			break
		}
		fmt.Fprintf(s.cfg.Stderr, "   round %d of %d\n", r+1, rounds)
		for _, p := range pairs {
			st := s.combos[p.Combo]
			if p.Unavailable != "" || st == nil || st.Unavailable != "" || ctx.Err() != nil {
				continue
			}
			frag := cpuSide{Name: "fragmented " + p.Combo.String(), PID: s.origin.pid, URLs: st.Segments, Valid: st.Valid, Into: &p.FragCPUs}
			prog := cpuSide{Name: "progressive " + p.Combo.String(), PID: s.origin.pid, URLs: p.Segments, Valid: p.Valid, Into: &p.CPUs}
			if err := measureBoth(ctx, r, minCPU, maxWall, frag, prog); err != nil {
				return err
			}
		}
	}
	s.reportProgressive(pairs, rounds)
	return nil
}

// reportProgressive sets cpu.progressive_vs_fragmented.<format>.<enc> for
// every pair and prints them.
func (s *suite) reportProgressive(pairs []*progPair, rounds int) {
	rows := [][]string{{"format", "scheme", "progressive µs", "fragmented µs", "ratio", "per round: median (min-max)", "best/best", "writes/segment", "verdict"}}
	for _, p := range pairs {
		fragWhy := "unavailable (not probed)"
		if st := s.combos[p.Combo]; st != nil {
			fragWhy = st.Unavailable
		}
		f := compareProgressive(p, fragWhy)
		s.set("cpu.progressive_vs_fragmented."+p.Format+"."+p.Enc, f)
		if f.Value == nil {
			rows = append(rows, []string{p.Format, p.Enc, "-", "-", "-", "", "", "", f.Unavailable})
			continue
		}
		d := f.Detail
		v := "met"
		if !*f.Met {
			v = "MISSED"
		}
		if note, ok := d["segments_differ"].(string); ok {
			v += " (" + note + ")"
		}
		rows = append(rows, []string{p.Format, p.Enc, fmt.Sprintf("%.1f", d["progressive_cpu_per_segment_us"]), fmt.Sprintf("%.1f", d["fragmented_cpu_per_segment_us"]),
			Against(*f.Value, progVsFragTarget, 'f', 3), fmt.Sprintf("%.3f (%.3f-%.3f)", d["round_ratios_median"], d["round_ratios_min"], d["round_ratios_max"]),
			fmt.Sprintf("%.3f", d["best_over_best"]), fmt.Sprintf("%s / %s", fmtNum(d["write_syscalls_per_segment"]), fmtNum(d["fragmented_write_syscalls_per_segment"])), v})
	}
	s.say("CPU per video segment from progressive input (%s) as a multiple of the same segment from fragmented input (%s), measured back to back in the same %d interleaved rounds: median of the per-round ratios (target <= %.2f); best of rounds and the origin's write system calls per segment (progressive / fragmented) beside:",
		ProgSegAssetName, s.segAsset, rounds, progVsFragTarget)
	s.table(rows)
}

// compareProgressive is a pair's cpu.progressive_vs_fragmented: the median
// of the per-round ratios progressive ÷ fragmented CPU per segment, with
// best of rounds on each side in the detail. fragWhy is why the fragmented
// pair is unavailable ("" when it is not).
func compareProgressive(p *progPair, fragWhy string) *Figure {
	pBest, pWhy := bestOf(p.Unavailable, p.CPUs)
	fBest, fWhy := bestOf(fragWhy, p.FragCPUs)
	switch {
	case pWhy != "" && fWhy != "":
		return UnavailableFigure(progVsFragTarget, "x fragmented", "unavailable (progressive: "+pWhy+"; fragmented: "+fWhy+")")
	case pWhy != "":
		return UnavailableFigure(progVsFragTarget, "x fragmented", "unavailable (progressive: "+pWhy+")")
	case fWhy != "":
		return UnavailableFigure(progVsFragTarget, "x fragmented", "unavailable (fragmented: "+fWhy+")")
	}
	ratios := perRound(p.CPUs, p.FragCPUs, 0)
	if len(ratios) == 0 {
		return UnavailableFigure(progVsFragTarget, "x fragmented", "unavailable (no round without errors on both sides)")
	}
	rmed, rlo, rhi := medianFloat(ratios)
	_, pBytes := meanBytes(p.CPUs)
	_, fBytes := meanBytes(p.FragCPUs)
	f := NewFigure(rmed, progVsFragTarget, "x fragmented")
	f.Detail = map[string]any{
		"progressive_cpu_per_segment_us": float64(pBest) / 1e3, "fragmented_cpu_per_segment_us": float64(fBest) / 1e3,
		"best_over_best":      float64(pBest) / float64(fBest),
		"round_ratios_median": rmed, "round_ratios_min": rlo, "round_ratios_max": rhi,
		"rounds": min(len(p.CPUs), len(p.FragCPUs)), "clean_rounds": len(ratios),
		"segment_bytes": pBytes, "fragmented_segment_bytes": fBytes,
		"write_syscalls_per_segment": jsonNum(writesPerSegment(p.CPUs)), "fragmented_write_syscalls_per_segment": jsonNum(writesPerSegment(p.FragCPUs)),
		"method": "median of the per-round ratios progressive CPU per segment ÷ fragmented CPU per segment, measured back to back in the same interleaved rounds",
	}
	if c := p.Check; c.Checked {
		f.Detail["segment_check"] = c.String()
		f.Detail["mdat_identical"] = c.MdatSame
		f.Detail["mdat_compared"] = c.MdatCompared
		switch {
		case c.Err != "":
			f.Detail["segments_differ"] = c.Err
		case c.Segments != c.ProgSegments:
			f.Detail["segments_differ"] = fmt.Sprintf("%d segments vs %d", c.ProgSegments, c.Segments)
		case c.MdatSame < c.MdatCompared:
			f.Detail["segments_differ"] = fmt.Sprintf("mdat identical in %d of %d segments", c.MdatSame, c.MdatCompared)
		case c.MdatCompared == 0 && c.MdatSizeSame < c.Segments:
			f.Detail["segments_differ"] = fmt.Sprintf("payload size equal in %d of %d segments", c.MdatSizeSame, c.Segments)
		}
	}
	return f
}

// compareSegments fetches every video segment of a pair from both assets
// and compares them: sizes, and the mdat payloads of clear fMP4 (byte for
// byte: the same samples; only the moof may differ) or their sizes
// (encrypted fMP4: each locator has its own keys; TS and whole-segment
// AES-128: the payload is not separable, so the whole segment's size).
func compareSegments(c *Client, cb Combo, frag []string, fragValid Validator, prog []string, progValid Validator) segCheck {
	k := segCheck{Checked: true, Segments: len(frag), ProgSegments: len(prog)}
	var fb, pb int64
	n := min(len(frag), len(prog))
	for i := range n {
		rf := c.Get(KindSegment, frag[i], true, fragValid)
		rp := c.Get(KindSegment, prog[i], true, progValid)
		if rf.Err != "" || rp.Err != "" {
			k.Err = fmt.Sprintf("segment %d: fragmented %q, progressive %q", i, rf.Err, rp.Err)
			return k
		}
		fb += int64(len(rf.Body))
		pb += int64(len(rp.Body))
		if IsTS(cb.Format) || cb.Enc == "cbc" {
			// TS, or a whole segment encrypted (AES-128): no mdat to
			// read, the sizes of the whole segments; AES-128 pads to a
			// block, so a moof a few bytes shorter may or may not change
			// the size by one block.
			tol := 0
			if cb.Enc == "cbc" && !IsTS(cb.Format) {
				tol = 16
			}
			if d := len(rf.Body) - len(rp.Body); -tol <= d && d <= tol {
				k.MdatSizeSame++
			}
			continue
		}
		mf, okf := MdatPayload(rf.Body)
		mp, okp := MdatPayload(rp.Body)
		if !okf || !okp {
			k.Err = fmt.Sprintf("segment %d: no mdat", i)
			return k
		}
		if len(mf) == len(mp) {
			k.MdatSizeSame++
		}
		if cb.Enc == "none" {
			k.MdatCompared++
			if bytes.Equal(mf, mp) {
				k.MdatSame++
			}
		}
	}
	if n > 0 {
		k.Bytes, k.ProgBytes = fb/int64(n), pb/int64(n)
	}
	return k
}

// MdatPayload returns the payloads of the top-level mdat boxes of an MP4
// segment, concatenated (one mdat: a slice of b), and whether it has one.
func MdatPayload(b []byte) ([]byte, bool) {
	var out []byte
	found := 0
	for p := 0; p+8 <= len(b); {
		size := uint64(binary.BigEndian.Uint32(b[p:]))
		hdr := uint64(8)
		switch size {
		case 0:
			size = uint64(len(b) - p)
		case 1:
			if p+16 > len(b) {
				return nil, false
			}
			size, hdr = binary.BigEndian.Uint64(b[p+8:]), 16
		}
		if size < hdr || size > uint64(len(b)-p) {
			return nil, false
		}
		if string(b[p+4:p+8]) == "mdat" {
			payload := b[p+int(hdr) : p+int(size)]
			if found == 0 {
				out = payload
			} else {
				out = append(bytes.Clone(out), payload...)
			}
			found++
		}
		p += int(size)
	}
	return out, found > 0
}

// assetIndexInfo is what the management API's GET /api/v1/assets/{name}
// says about an asset's index (the fields the bench reads).
type assetIndexInfo struct {
	Name     string  `json:"name"`
	Duration float64 `json:"durationSeconds"`
	Tracks   []struct {
		Name        string `json:"name"`
		Type        string `json:"type"`
		File        string `json:"file"`
		Fragments   int    `json:"fragments"`
		Samples     *int64 `json:"samples"`
		IndexBytes  *int64 `json:"indexBytes"`
		IndexedFrom string `json:"indexedFrom"`
	} `json:"tracks"`
}

// indexMemory computes, from an asset's info, its index bytes per sample
// and the index of a two-hour 1080p25 asset with 48 kHz AAC projected from
// it (projectSamples samples at the same bytes per sample), judged against
// indexMemoryTargetMB. A track without samples or indexBytes (an origin
// that does not report them) makes both unavailable.
func indexMemory(info assetIndexInfo, projectSamples int64) (perSample, projected *Figure) {
	why := ""
	var samples, bytes int64
	var tracks []map[string]any
	for _, t := range info.Tracks {
		if t.Samples == nil || t.IndexBytes == nil {
			why = "unavailable (the origin's asset info has no samples/indexBytes for track " + t.Name + ")"
			break
		}
		samples += *t.Samples
		bytes += *t.IndexBytes
		tracks = append(tracks, map[string]any{"name": t.Name, "type": t.Type, "file": t.File, "samples": *t.Samples,
			"index_bytes": *t.IndexBytes, "indexed_from": t.IndexedFrom, "fragments": t.Fragments})
	}
	if why == "" && (len(info.Tracks) == 0 || samples == 0) {
		why = "unavailable (the asset has no samples)"
	}
	if why != "" {
		return UnavailableFigure(math.NaN(), "B/sample", why), UnavailableFigure(indexMemoryTargetMB, "MB", why)
	}
	bps := float64(bytes) / float64(samples)
	detail := map[string]any{"asset": info.Name, "asset_seconds": info.Duration, "samples": samples, "index_bytes": bytes,
		"measured_mb": float64(bytes) / 1e6, "tracks": tracks}
	perSample = NewFigure(bps, math.NaN(), "B/sample")
	perSample.Detail = detail
	proj := bps * float64(projectSamples) / 1e6
	projected = NewFigure(proj, indexMemoryTargetMB, "MB")
	projected.Detail = map[string]any{"bytes_per_sample": bps, "projected_samples": projectSamples,
		"projected_as": fmt.Sprintf("two hours of 1080p25 video (%d samples) and 48 kHz AAC (%d samples) at the measured bytes per sample", twoHourVideoSamples, twoHourAudioSamples),
		"measured":     detail}
	return perSample, projected
}

// assetInfo reads GET /api/v1/assets/{name} from o.
func (o *originProc) assetInfo(name string) (assetIndexInfo, error) {
	var info assetIndexInfo
	st, b, err := o.api(http.MethodGet, "/api/v1/assets/"+name, nil)
	if err != nil {
		return info, err
	}
	if st != http.StatusOK {
		return info, fmt.Errorf("GET /api/v1/assets/%s: %d %s", name, st, strings.TrimSpace(string(b)))
	}
	return info, json.Unmarshal(b, &info)
}

// retarget turns a URL of asset from (locator and {name}) into the same
// URL of asset to, for the assets' manifest names fromName and toName.
func retarget(u, fromLoc, fromName, toLoc, toName string) string {
	return strings.Replace(u, "/"+fromLoc+"/"+fromName+".ism/", "/"+toLoc+"/"+toName+".ism/", 1)
}

// coldRepeats is how many never-seen copies of the two-hour progressive
// asset each cold-start figure is taken on: a single cold request on this
// shared machine varied 48–90 ms, so the figure is the median.
const coldRepeats = 5

// coldProgNames are the never-seen copies of the two-hour progressive
// asset for one cold-start figure (prefix coldProgA or coldProgB).
func coldProgNames(prefix string) []string {
	var out []string
	for i := range coldRepeats {
		out = append(out, fmt.Sprintf("%s%d", prefix, i+1))
	}
	return out
}

// coldFigure is a cold-start figure from its repeats (ms; NaN for a failed
// one): their median against the 50 ms target, every repeat in the detail.
func coldFigure(ms []float64, failures []string) *Figure { return coldFigureTarget(ms, failures, 50) }

// coldFigureTarget is coldFigure against target ms.
func coldFigureTarget(ms []float64, failures []string, target float64) *Figure {
	var ok []float64
	for _, v := range ms {
		if !math.IsNaN(v) {
			ok = append(ok, v)
		}
	}
	if len(ok) == 0 {
		why := "unavailable (no repeat succeeded)"
		if len(failures) > 0 {
			why = "unavailable (" + strings.Join(failures, "; ") + ")"
		}
		return UnavailableFigure(target, "ms", why)
	}
	med, lo, hi := medianFloat(ok)
	f := NewFigure(med, target, "ms")
	f.Detail = map[string]any{"repeats_ms": jsonNums(ms), "min_ms": lo, "max_ms": hi, "repeats": len(ms), "succeeded": len(ok),
		"method": "median over never-seen copies of the asset (each a new name: its index is built by this request)"}
	if len(failures) > 0 {
		f.Detail["failures"] = failures
	}
	return f
}

// progressiveCold times the first segment of never-seen two-hour
// progressive assets, alone (cold-pa1…) and as a player reaches it
// (cold-pb1…), and reads the index memory of the two-hour progressive
// asset.
func (s *suite) progressiveCold(ctx context.Context) error {
	const (
		keyA, keyB  = "cold_start.progressive_first_segment", "cold_start.progressive_manifest_init_first_segment"
		keyPS, keyP = "index_memory.bytes_per_sample", "index_memory.two_hour_1080p"
	)
	fail := func(why string) {
		s.set(keyA, UnavailableFigure(50, "ms", why))
		s.set(keyB, UnavailableFigure(50, "ms", why))
		s.set(keyPS, UnavailableFigure(math.NaN(), "B/sample", why))
		s.set(keyP, UnavailableFigure(indexMemoryTargetMB, "MB", why))
		s.say("progressive cold start and index memory: %s", why)
	}
	if s.progLongWhy != "" {
		fail(s.progLongWhy)
		return nil
	}
	rec := NewRecorder()
	c := NewClient(rec, 2)
	defer c.Close()
	lc := Combo{"mpd-time-csf", "none"}
	longURL := s.manifestURL(longProgAsset, lc)
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

	// The first segment alone, the asset never seen before.
	var msA, warmA, cpuA []float64
	var faultsA []int64
	var failA []string
	bytes := 0
	for _, a := range coldProgNames(coldProgA) {
		if ctx.Err() != nil {
			break
		}
		seg := to(v[0].SegmentURL(0), a)
		m := s.meterOrigin()
		began := time.Now()
		r := c.Get(KindSegment, seg, false, ValidMedia)
		d := time.Since(began)
		cpuA, faultsA = append(cpuA, m.cpuMS()), append(faultsA, m.faults())
		began = time.Now()
		c.Get(KindSegment, seg, false, ValidMedia)
		warmA = append(warmA, float64(time.Since(began))/1e6)
		if r.Err != "" {
			msA = append(msA, math.NaN())
			failA = append(failA, a+": status "+r.Err)
			continue
		}
		msA = append(msA, float64(d)/1e6)
		bytes = r.Size
	}
	fa := coldFigure(msA, failA)
	if fa.Detail != nil {
		wm, _, _ := medianFloat(warmA)
		fa.Detail["same_segment_warm_ms"] = wm
		fa.Detail["bytes"] = bytes
		fa.Detail["url"] = strings.TrimPrefix(to(v[0].SegmentURL(0), coldProgNames(coldProgA)[0]), s.origin.base)
		fa.Detail["asset_seconds"] = v[0].Duration().Seconds()
		fa.Detail["asset_segments_per_track"] = len(v[0].Segments)
		fa.Detail["source_repeats"] = s.progLoops
		fa.Detail["origin_cpu_ms"] = jsonNums(cpuA)
		fa.Detail["origin_minor_faults"] = faultsA
	}
	s.set(keyA, fa)
	s.say("cold start, first segment of a never-seen %.0f-minute progressive asset (%d segments/track, one MP4), median of %d copies: %s  [each: %s ms; origin CPU %s ms, minor faults %v; the same segment warm: %s ms]",
		v[0].Duration().Minutes(), len(v[0].Segments), coldRepeats, fa, fmtMS(msA), fmtMS(cpuA), faultsA, fmtMS(warmA))

	// Manifest, init and first segment, the way a player reaches it.
	var msB, cpuB []float64
	var faultsB []int64
	var failB []string
	for _, a := range coldProgNames(coldProgB) {
		if ctx.Err() != nil {
			break
		}
		m := s.meterOrigin()
		began := time.Now()
		pb, err := Load(c, to(longURL, a), false)
		if err != nil || len(pb.Video()) == 0 {
			msB = append(msB, math.NaN())
			failB = append(failB, fmt.Sprintf("%s: %v", a, err))
			continue
		}
		t := pb.Video()[0]
		if t.InitURL != "" {
			c.Get(KindInit, t.InitURL, false, ValidMedia)
		}
		r := c.Get(KindSegment, t.SegmentURL(0), false, ValidMedia)
		if r.Err != "" {
			msB = append(msB, math.NaN())
			failB = append(failB, a+": segment status "+r.Err)
			continue
		}
		msB = append(msB, float64(time.Since(began))/1e6)
		cpuB, faultsB = append(cpuB, m.cpuMS()), append(faultsB, m.faults())
	}
	fb := coldFigure(msB, failB)
	if fb.Detail != nil {
		fb.Detail["origin_cpu_ms"] = jsonNums(cpuB)
		fb.Detail["origin_minor_faults"] = faultsB
	}
	s.set(keyB, fb)
	s.say("cold start, manifest + init + first segment of a never-seen two-hour progressive asset, median of %d copies: %s  [each: %s ms; origin CPU %s ms, minor faults %v]",
		coldRepeats, fb, fmtMS(msB), fmtMS(cpuB), faultsB)

	info, err := s.origin.assetInfo(longProgAsset)
	if err != nil {
		why := "unavailable (" + err.Error() + ")"
		s.set(keyPS, UnavailableFigure(math.NaN(), "B/sample", why))
		s.set(keyP, UnavailableFigure(indexMemoryTargetMB, "MB", why))
		return err
	}
	ps, pj := indexMemory(info, twoHourVideoSamples+twoHourAudioSamples)
	s.set(keyPS, ps)
	s.set(keyP, pj)
	if pj.Value == nil {
		s.say("index memory of the two-hour progressive asset: %s", pj.Unavailable)
		return nil
	}
	d := ps.Detail
	s.say("index memory of the two-hour progressive asset %s: %d samples, %s (%.2f MB), %.2f B/sample; projected to two-hour 1080p25 + 48 kHz AAC (%d samples): %s",
		longProgAsset, d["samples"], HumanBytes(float64(d["index_bytes"].(int64))), d["measured_mb"], *ps.Value, twoHourVideoSamples+twoHourAudioSamples, pj)
	var per []string
	for _, t := range d["tracks"].([]map[string]any) {
		per = append(per, fmt.Sprintf("%s %s: %d samples, %d B (%.1f B/sample), from %s", t["type"], t["name"], t["samples"], t["index_bytes"],
			float64(t["index_bytes"].(int64))/float64(max(t["samples"].(int64), 1)), t["indexed_from"]))
	}
	s.say("   per track: %s", strings.Join(per, "; "))
	// The 8 s 1080p progressive asset, when there is one: the same muxer's
	// layout at 1080p, to check that the projection from long2hp's
	// smaller picture holds per sample.
	if s.progSegWhy == "" {
		if si, err := s.origin.assetInfo(ProgSegAssetName); err == nil {
			if sps, _ := indexMemory(si, 0); sps.Value != nil {
				pj.Detail["seg1080p_bytes_per_sample"] = *sps.Value
				s.say("   %s (8 s of 1080p25 + AAC, the same muxer): %d samples, %.2f B/sample", ProgSegAssetName, sps.Detail["samples"], *sps.Value)
			}
		}
	}
	// The fragmented two-hour asset beside it, for reference (no target):
	// its index is per fragment, not per sample.
	if fi, err := s.origin.assetInfo(longAsset); err == nil {
		if fps, _ := indexMemory(fi, 0); fps.Value != nil {
			ff := NewFigure(float64(fps.Detail["index_bytes"].(int64))/1e6, math.NaN(), "MB")
			ff.Detail = fps.Detail
			ff.Detail["bytes_per_sample"] = *fps.Value
			s.set("index_memory.fragmented_two_hour", ff)
			s.say("   the fragmented two-hour asset %s for reference: %d samples over %d tracks, %s (%.2f B/sample)",
				longAsset, fps.Detail["samples"], len(fi.Tracks), HumanBytes(float64(fps.Detail["index_bytes"].(int64))), *fps.Value)
		}
	}
	return nil
}

// originMeter reads the origin's CPU time and minor page faults around a
// request, to tell computing from faulting in fresh memory.
type originMeter struct {
	pid     int
	cpu     time.Duration
	minflt  int64
	ok, fok bool
}

func (s *suite) meterOrigin() originMeter { return meterPid(s.origin.pid) }

// meterPid reads process pid's CPU time and minor page faults.
func meterPid(pid int) originMeter {
	m := originMeter{pid: pid}
	var err error
	m.cpu, err = ProcCPU(m.pid)
	m.ok = err == nil
	m.minflt, err = ProcMinorFaults(m.pid)
	m.fok = err == nil
	return m
}

// cpuMS is the origin's CPU time since the meter was read, in ms (NaN when
// unreadable).
func (m originMeter) cpuMS() float64 {
	c, err := ProcCPU(m.pid)
	if !m.ok || err != nil {
		return math.NaN()
	}
	return float64(c-m.cpu) / 1e6
}

// faults is the origin's minor page faults since the meter was read (-1
// when unreadable).
func (m originMeter) faults() int64 {
	f, err := ProcMinorFaults(m.pid)
	if !m.fok || err != nil {
		return -1
	}
	return f - m.minflt
}

// jsonNum is v, or nil for NaN and ±Inf, which encoding/json refuses.
func jsonNum(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// jsonNums is jsonNum of each of vs.
func jsonNums(vs []float64) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = jsonNum(v)
	}
	return out
}

// fmtNum formats a jsonNum "%.1f", or "-" for nil.
func fmtNum(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprintf("%.1f", f)
	}
	return "-"
}

// fmtMS formats milliseconds "48.4, 55.1, -" (NaN: a failed repeat).
func fmtMS(ms []float64) string {
	var out []string
	for _, v := range ms {
		if math.IsNaN(v) {
			out = append(out, "-")
		} else {
			out = append(out, fmt.Sprintf("%.1f", v))
		}
	}
	return strings.Join(out, ", ")
}

// writesPerSegment is the server's write system calls per request over
// the clean rounds that counted them; NaN when none did.
func writesPerSegment(rs []cpuResult) float64 {
	var w, n int64
	for _, r := range clean(rs) {
		if r.Writes >= 0 {
			w += r.Writes
			n += r.Requests
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return float64(w) / float64(n)
}
