package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// The live step (live.md "Shown by", issue 16): one ingest of three video
// renditions and AAC, replayed at the media's pace from a feed ffmpeg made
// once, and livePlayers simulated players on the load core, against the
// pinned origin. The players are a third each DASH, HLS (fMP4) and Smooth.
// It reports
//   - live.arrival_to_manifest_p99: a fragment's last byte POSTed to the
//     first manifest response that lists it, polled every 10 ms on a
//     connection of its own (target < 100 ms); the players' own first
//     sight of each fragment, and the origin's stages of the fragment
//     (drmorigin_live_fragment_seconds), are in its detail;
//   - cpu.live_vs_fragmented.<format>.<enc>: CPU per live segment as a
//     multiple of the same segment served as VOD (target <= 1.1), for
//     clear and cenc DASH and cbcs HLS. The VOD is a second live event fed
//     the same fragments whose live output was deleted, with the same
//     content keys, so both are measured in the same interleaved rounds;
//   - live.ingest_cpu: the origin's CPU per second of feed while it
//     ingests (the VOD twin's feed, sent at once, no players);
//   - live.rss_anon_growth: the origin's anonymous resident memory at the
//     end of the player load over that after its warm-up (target <= 1.10).

const (
	livePlayers          = 1000
	liveArrivalTargetMS  = 100
	liveRSSGrowthTarget  = 1.10
	liveEventName        = "benchlive"
	liveVODEventName     = "benchvod"
	liveOutputName       = "out"
	liveManifestName     = "live"
	liveCombo            = "mpd-time-csf"
	liveFeedShort        = time.Minute
	liveFeedFull         = 3 * time.Minute
	liveRunningTimeout   = 15 * time.Second
	liveVODSettleTimeout = 15 * time.Second
	// liveWatchInterval is the resolution of the arrival measure.
	liveWatchInterval = 10 * time.Millisecond
)

// livePairs are the live ÷ VOD CPU pairs: clear DASH (the players'
// format), and the encrypted forms a live event is mostly watched in.
var livePairs = []Combo{{liveCombo, "none"}, {liveCombo, "cenc"}, {"m3u8-cmaf", "cbcs"}}

// liveLocatorFor is the locator of event's asset for encryption enc.
func liveLocatorFor(event, enc string) string {
	if enc == "none" {
		return liveLocator(event)
	}
	return liveLocator(event) + "-" + enc
}

func liveAsset(event string) string   { return "live-" + event }
func liveLocator(event string) string { return "bench-live-" + event }

// liveWindow is an archiveWindowLength that holds the whole feed (1 minute
// at least, live.md's minimum), so that the VOD twin keeps every fragment.
func liveWindow(feed time.Duration) string {
	return fmt.Sprintf("PT%dM", max(1, int(math.Ceil((feed+30*time.Second).Minutes()))))
}

// startLiveEvent creates event with an output and a clear locator on its
// asset, starts it and returns its ingest URL for stream.
func (o *originProc) startLiveEvent(event, window, stream string) (string, error) {
	call := func(method, path string, body any, want ...int) ([]byte, error) {
		st, b, err := o.api(method, path, body)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(want, st) {
			return nil, fmt.Errorf("%s %s: %d %s", method, path, st, strings.TrimSpace(string(b)))
		}
		return b, nil
	}
	ev := "/api/v1/liveEvents/" + event
	if _, err := call(http.MethodPut, ev, map[string]any{"input": map[string]any{"streamingProtocol": "FragmentedMP4"}}, 200, 201); err != nil {
		return "", err
	}
	if _, err := call(http.MethodPut, ev+"/liveOutputs/"+liveOutputName, map[string]any{"assetName": liveAsset(event), "manifestName": liveManifestName, "archiveWindowLength": window}, 200, 201); err != nil {
		return "", err
	}
	if err := o.locator(liveLocator(event), liveAsset(event), PolicyFor("none")); err != nil {
		return "", err
	}
	if _, err := call(http.MethodPost, ev+"/start", nil, 200, 202, 204); err != nil {
		return "", err
	}
	deadline := time.Now().Add(liveRunningTimeout)
	for {
		b, err := call(http.MethodGet, ev, nil, 200)
		if err != nil {
			return "", err
		}
		var got struct {
			Input struct {
				IngestURL string `json:"ingestUrl"`
			} `json:"input"`
			ResourceState string `json:"resourceState"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			return "", fmt.Errorf("GET %s: %v", ev, err)
		}
		if got.ResourceState == "Running" {
			return got.Input.IngestURL + "/Streams(" + stream + ")", nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("live event %s is %s, not Running, %s after start", event, got.ResourceState, liveRunningTimeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// endLiveOutput deletes event's live output (live → VOD) and stops event.
func (o *originProc) endLiveOutput(event string) error {
	st, b, err := o.api(http.MethodDelete, "/api/v1/liveEvents/"+event+"/liveOutputs/"+liveOutputName, nil)
	if err != nil {
		return err
	}
	if st/100 != 2 {
		return fmt.Errorf("delete live output of %s: %d %s", event, st, strings.TrimSpace(string(b)))
	}
	o.api(http.MethodPost, "/api/v1/liveEvents/"+event+"/stop", nil)
	return nil
}

// ArrivalLatencies pairs the n-th fragment's posting time with the first
// poll that listed n segments; a fragment no poll listed is counted in
// unseen and left out.
func ArrivalLatencies(posted, seen []time.Time) (lat []time.Duration, unseen int) {
	for i, p := range posted {
		if i >= len(seen) {
			unseen++
			continue
		}
		lat = append(lat, seen[i].Sub(p))
	}
	return lat, unseen
}

// ArrivalFigure is live.arrival_to_manifest_p99 in ms.
func ArrivalFigure(lat []time.Duration, unseen int) *Figure {
	if len(lat) == 0 {
		return UnavailableFigure(liveArrivalTargetMS, "ms", fmt.Sprintf("unavailable (no fragment was seen in a manifest; %d unseen)", unseen))
	}
	ms := make([]float64, len(lat))
	for i, l := range lat {
		ms[i] = float64(l) / 1e6
	}
	slices.Sort(ms)
	p := func(q float64) float64 { return ms[min(len(ms)-1, int(math.Ceil(q*float64(len(ms))))-1)] }
	f := NewFigure(p(0.99), liveArrivalTargetMS, "ms")
	f.Detail = map[string]any{"fragments": len(ms), "unseen": unseen, "p50_ms": p(0.50), "max_ms": ms[len(ms)-1], "min_ms": ms[0],
		"method": "per fragment of the top video rendition: the first poller's manifest response that lists it, less the time its last byte was POSTed"}
	return f
}

// GrowthFigure is the end-over-start ratio of a memory figure.
func GrowthFigure(start, end int64, target float64) *Figure {
	if start <= 0 || end <= 0 {
		return UnavailableFigure(target, "x start", "unavailable (memory not readable)")
	}
	f := NewFigure(float64(end)/float64(start), target, "x start")
	f.Detail = map[string]any{"start_bytes": start, "end_bytes": end}
	return f
}

func (s *suite) liveStep(ctx context.Context) error {
	o := s.origin
	dur := liveFeedFull
	if s.cfg.Short {
		dur = liveFeedShort
	}
	unavailable := func(why string) error {
		s.say("live: %s", why)
		u := "unavailable (" + why + ")"
		s.set("live.arrival_to_manifest_p99", UnavailableFigure(liveArrivalTargetMS, "ms", u))
		s.set("live.rss_anon_growth", UnavailableFigure(liveRSSGrowthTarget, "x start", u))
		for _, p := range livePairs {
			s.set("cpu.live_vs_fragmented."+p.Format+"."+p.Enc, UnavailableFigure(liveVsFragTarget, "x VOD", u))
		}
		return nil
	}
	began := time.Now()
	path, err := MakeLiveFeed(filepath.Join(s.cfg.Out, "cache", "live"), dur)
	if err != nil {
		return unavailable("no feed: " + err.Error())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return unavailable(err.Error())
	}
	feed, err := ParseFeed(b)
	if err != nil {
		return unavailable(err.Error())
	}
	if len(feed.Video) < 1 {
		return unavailable("the feed has no video track")
	}
	fmt.Fprintf(s.cfg.Stderr, "   live feed %s: %d tracks, %d fragments, %s, ready in %.1fs\n", path, len(feed.Tracks), len(feed.Frags), HumanBytes(float64(len(b))), time.Since(began).Seconds())
	window := liveWindow(dur)
	vodIngest, err := o.startLiveEvent(liveVODEventName, window, "bench")
	if err != nil {
		return unavailable("VOD twin: " + err.Error())
	}
	// The VOD twin: the same fragments, at once, then its output deleted.
	// The origin's CPU meanwhile is its ingest's (no player yet).
	cpu0, _ := ProcCPU(o.pid)
	ingestBegan := time.Now()
	if err := Replay(ctx, vodIngest, feed, false, nil); err != nil {
		return unavailable("VOD twin ingest: " + err.Error())
	}
	cpu1, _ := ProcCPU(o.pid)
	ingestCPU := IngestCPUFigure(cpu1-cpu0, feed, time.Since(ingestBegan))
	s.set("live.ingest_cpu", ingestCPU)
	if err := o.endLiveOutput(liveVODEventName); err != nil {
		return unavailable(err.Error())
	}
	liveIngest, err := o.startLiveEvent(liveEventName, window, "bench")
	if err != nil {
		return unavailable(err.Error())
	}
	// Encrypted locators, the VOD twin's with the live one's keys: the
	// same bytes on both sides.
	for _, p := range livePairs {
		if p.Enc == "none" {
			continue
		}
		name := liveLocatorFor(liveEventName, p.Enc)
		if err := o.locator(name, liveAsset(liveEventName), PolicyFor(p.Enc)); err != nil {
			return unavailable(err.Error())
		}
		keys, err := o.contentKeys(name)
		if err != nil {
			return unavailable(err.Error())
		}
		if err := o.locatorWithKeys(liveLocatorFor(liveVODEventName, p.Enc), liveAsset(liveVODEventName), PolicyFor(p.Enc), keys); err != nil {
			return unavailable(err.Error())
		}
	}
	urlOf := func(event string, c Combo) string {
		return o.base + ManifestPath(liveLocatorFor(event, c.Enc), liveManifestName, c)
	}
	liveURL := urlOf(liveEventName, Combo{liveCombo, "none"})
	hlsURL := urlOf(liveEventName, Combo{"m3u8-cmaf", "none"})
	smoothURL := urlOf(liveEventName, Combo{"smooth", "none"})
	stages0, _ := o.liveStages()

	// The run: the paced replay and the players, memory read after the
	// warm-up and at the end.
	top := feed.Video[0]
	var postedMu sync.Mutex
	var posted []time.Time
	seen := &liveSeen{}    // the DASH players' first sight of each fragment
	watched := &liveSeen{} // the watcher's
	rec := NewRecorder()
	c := NewClient(rec, 512)
	defer c.Close()
	pctx, stopPlayers := context.WithCancel(ctx)
	defer stopPlayers()
	// The players join once the first fragment is in: before it, the live
	// manifest is a 404 that says nothing about the origin. That first
	// fragment is left out of the latency (the players' first polls are
	// spread over a second after it).
	first := make(chan struct{})
	// Live Smooth lists a fragment once its two successors are archived
	// (tfrf look-ahead): its players join at the third fragment, when
	// its manifest has one.
	third := make(chan struct{})
	replayErr := make(chan error, 1)
	go func() {
		replayErr <- Replay(ctx, liveIngest, feed, true, func(i int, at time.Time) {
			if feed.Frags[i].Track == top {
				postedMu.Lock()
				posted = append(posted, at)
				switch len(posted) {
				case 1:
					close(first)
				case 3:
					close(third)
				}
				postedMu.Unlock()
			}
		})
	}()
	select {
	case <-first:
	case err := <-replayErr:
		return unavailable(fmt.Sprintf("live ingest ended before its first fragment: %v", err))
	}
	var wg sync.WaitGroup
	for i := range livePlayers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 16))
			// Spread the players' first polls over a second.
			select {
			case <-pctx.Done():
				return
			case <-time.After(time.Duration(rng.Int64N(int64(time.Second)))):
			}
			switch i % 3 {
			case 0:
				playLive(pctx, c, liveURL, rng, seen)
			case 1:
				playLiveHLS(pctx, c, hlsURL, rng)
			default:
				select {
				case <-pctx.Done():
					return
				case <-third:
				}
				playLive(pctx, c, smoothURL, rng, nil)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchEdge(pctx, liveURL, liveWatchInterval, watched)
	}()
	done := make(chan struct{})
	go Progress(s.cfg.Stderr, rec, "live", 5*time.Second, done)
	// Memory: read every 2 s; the start is the first reading after a
	// third of the run (the players' connections and the origin's caches
	// warmed up), the end the last one.
	warm := dur / 3
	var samples []any
	var anon0, rss0, anon1, rss1 int64
	tick := time.NewTicker(2 * time.Second)
	runStart := time.Now()
	var rerr error
wait:
	for {
		select {
		case rerr = <-replayErr:
			break wait
		case <-tick.C:
			a, _ := ProcRSSAnon(o.pid)
			r, _ := ProcRSS(o.pid)
			samples = append(samples, map[string]any{"t_s": math.Round(time.Since(runStart).Seconds()), "rss_anon": a, "rss": r})
			if anon0 == 0 && time.Since(runStart) >= warm {
				anon0, rss0 = a, r
			}
		}
	}
	tick.Stop()
	// Let the pollers see the last fragment: a poll interval and a bit.
	time.Sleep(2500 * time.Millisecond)
	anon1, _ = ProcRSSAnon(o.pid)
	rss1, _ = ProcRSS(o.pid)
	stopPlayers()
	wg.Wait()
	close(done)
	elapsed := rec.Elapsed()
	if rerr != nil {
		return unavailable("live ingest: " + rerr.Error())
	}
	postedMu.Lock()
	lat, unseen := ArrivalLatencies(posted[1:], watched.Seen[min(1, len(watched.Seen)):])
	plat, punseen := ArrivalLatencies(posted[1:], seen.Seen[min(1, len(seen.Seen)):])
	postedMu.Unlock()
	arr := ArrivalFigure(lat, unseen)
	players := ArrivalFigure(plat, punseen)
	sum := rec.Summary(elapsed)
	stages1, serr := o.liveStages()
	if arr.Detail != nil {
		arr.Detail["method"] = fmt.Sprintf("per fragment of the top video rendition: the first response of a watcher polling the DASH manifest every %s on its own connection that lists it, less the time its last byte was POSTed", liveWatchInterval)
		arr.Detail["players"] = livePlayers
		arr.Detail["errors"] = map[string]any{"manifest": rec.Errors(KindManifest), "segment": rec.Errors(KindSegment), "init": rec.Errors(KindInit)}
		if players.Detail != nil {
			arr.Detail["dash_players_first_sight"] = map[string]any{"p50_ms": players.Detail["p50_ms"], "p99_ms": players.Value, "max_ms": players.Detail["max_ms"], "unseen": punseen,
				"method": "the first DASH player's manifest response that lists it (players poll at the manifest's max-age, through the load generator's shared connections)"}
		}
		if serr == nil {
			arr.Detail["origin_stages"] = stages1.since(stages0)
		}
	}
	s.set("live.arrival_to_manifest_p99", arr)
	mem := GrowthFigure(anon0, anon1, liveRSSGrowthTarget)
	if mem.Detail != nil {
		mem.Detail["rss_start_bytes"], mem.Detail["rss_end_bytes"] = rss0, rss1
		mem.Detail["warm_up_s"] = warm.Seconds()
		mem.Detail["samples"] = samples
	}
	s.set("live.rss_anon_growth", mem)
	s.say("live: one ingest (%d tracks: %d H.264 renditions and AAC, %d fragments over %s, one chunked POST at the media's pace) and %d players polling %s:",
		len(feed.Tracks), len(feed.Video), len(feed.Frags), dur, livePlayers, liveCombo)
	PrintTable(s.cfg.Stdout, sum)
	s.say("   fragment arrival to manifest (watcher every %s): %s  (p50 %v ms, max %v ms, %v fragments)", liveWatchInterval, arr, arr.Detail["p50_ms"], arr.Detail["max_ms"], arr.Detail["fragments"])
	if players.Detail != nil {
		s.say("   fragment arrival to the first DASH player's poll: p50 %.1f ms, p99 %s, max %.1f ms", players.Detail["p50_ms"], players, players.Detail["max_ms"])
	}
	if serr == nil {
		s.say("   inside the origin, last byte read → published (drmorigin_live_fragment_seconds): %s", stages1.since(stages0))
	}
	s.say("   origin CPU while ingesting the feed (%d fragments): %s  (%.1f%% of a core at real time)", len(feed.Frags), ingestCPU, 100*asFloat(ingestCPU.Detail["core_share_at_real_time"]))
	s.say("   origin anonymous memory, end over start (after a %s warm-up): %s  (anonymous %s → %s, resident %s → %s)", warm, mem,
		HumanBytes(float64(anon0)), HumanBytes(float64(anon1)), HumanBytes(float64(rss0)), HumanBytes(float64(rss1)))
	for _, p := range livePairs {
		if err := s.liveCPU(ctx, p, urlOf(liveEventName, p), urlOf(liveVODEventName, p)); err != nil {
			return err
		}
	}
	return nil
}

// IngestCPUFigure is live.ingest_cpu: the origin's CPU per second of feed
// ingested (informative: quality.md sets no target).
func IngestCPUFigure(cpu time.Duration, f *Feed, wall time.Duration) *Figure {
	var media float64
	for _, fr := range f.Frags {
		if len(f.Video) > 0 && fr.Track == f.Video[0] {
			media += fr.End - fr.Start
		}
	}
	var bytes int
	for _, fr := range f.Frags {
		bytes += len(fr.Bytes)
	}
	if cpu <= 0 || media <= 0 {
		return UnavailableFigure(math.NaN(), "ms CPU per s of feed", "unavailable (no CPU reading)")
	}
	fig := NewFigure(float64(cpu)/1e6/media, math.NaN(), "ms CPU per s of feed")
	fig.Detail = map[string]any{"cpu_ms": float64(cpu) / 1e6, "feed_s": media, "feed_bytes": bytes, "fragments": len(f.Frags), "wall_s": wall.Seconds(),
		"core_share_at_real_time": float64(cpu) / 1e9 / media,
		"method":                  "the origin's CPU (every thread) while it ingested the whole feed sent at once, no players: read, check, archive (synced), index, publish"}
	return fig
}

// liveCPU measures CPU per video segment of the live presentation against
// the same segments of the VOD twin, in interleaved rounds.
func (s *suite) liveCPU(ctx context.Context, pair Combo, liveURL, vodURL string) error {
	key := "cpu.live_vs_fragmented." + pair.Format + "." + pair.Enc
	c := NewClient(NewRecorder(), 4)
	defer c.Close()
	_, lsegs, lvalid, lwhy := probe(c, liveURL)
	_, vsegs, vvalid, vwhy := probe(c, vodURL)
	switch {
	case lwhy != "":
		s.set(key, UnavailableFigure(liveVsFragTarget, "x VOD", "unavailable (live: "+lwhy+")"))
		return nil
	case vwhy != "":
		s.set(key, UnavailableFigure(liveVsFragTarget, "x VOD", "unavailable (VOD: "+vwhy+")"))
		return nil
	}
	check := compareSegments(c, pair, vsegs, vvalid, lsegs, lvalid)
	minCPU, maxWall, rounds := s.cpuBudget()
	if s.cfg.Short {
		rounds = min(rounds, 15) // three pairs
	}
	p := &progPair{Combo: pair}
	for r := range rounds {
		if ctx.Err() != nil {
			break
		}
		vod := cpuSide{Name: "VOD", PID: s.origin.pid, URLs: vsegs, Valid: vvalid, Into: &p.FragCPUs}
		live := cpuSide{Name: "live", PID: s.origin.pid, URLs: lsegs, Valid: lvalid, Into: &p.CPUs}
		if err := measureBoth(ctx, r, minCPU, maxWall, vod, live); err != nil {
			return fmt.Errorf("live CPU round %d: %w", r+1, err)
		}
	}
	f := compareLive(p.CPUs, p.FragCPUs)
	if f.Detail != nil {
		f.Detail["segments"] = len(lsegs)
		f.Detail["segment_check"] = check.String()
	}
	s.set(key, f)
	s.say("   CPU per live video segment as a multiple of the same segment as VOD (%d rounds, %s %s): %s  (live %.1f µs, VOD %.1f µs, segments %s)",
		rounds, pair.Format, pair.Enc, f, f.Detail["live_cpu_per_segment_us"], f.Detail["vod_cpu_per_segment_us"], check)
	return nil
}

// compareLive is cpu.live_vs_fragmented: the median of the per-round
// ratios live ÷ VOD CPU per segment, best of rounds on each side beside.
func compareLive(live, vod []cpuResult) *Figure {
	lBest, lWhy := bestOf("", live)
	vBest, vWhy := bestOf("", vod)
	if lWhy != "" || vWhy != "" {
		return UnavailableFigure(liveVsFragTarget, "x VOD", "unavailable (live: "+lWhy+"; VOD: "+vWhy+")")
	}
	ratios := perRound(live, vod, 0)
	if len(ratios) == 0 {
		return UnavailableFigure(liveVsFragTarget, "x VOD", "unavailable (no round without errors on both sides)")
	}
	med, lo, hi := medianFloat(ratios)
	f := NewFigure(med, liveVsFragTarget, "x VOD")
	f.Detail = map[string]any{
		"live_cpu_per_segment_us": lBest / 1e3, "vod_cpu_per_segment_us": vBest / 1e3, "best_over_best": lBest / vBest,
		"round_ratios_median": med, "round_ratios_min": lo, "round_ratios_max": hi, "rounds": min(len(live), len(vod)), "clean_rounds": len(ratios),
		"method": "median of the per-round ratios live CPU per segment ÷ VOD CPU per segment (the same fragments ingested into a second event whose live output was deleted), measured back to back in the same interleaved rounds",
	}
	return f
}
