package bench

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Combo is one (format, encryption) pair of urls.md's table; Enc "none" is
// clear.
type Combo struct{ Format, Enc string }

func (c Combo) String() string { return c.Format + "/" + c.Enc }

// Matrix is every allowed (format, encryption) pair of urls.md, in report
// order. "smooth" is Smooth Streaming (no format= tag).
var Matrix = []Combo{
	{"mpd-time-csf", "none"}, {"mpd-time-csf", "cenc"}, {"mpd-time-csf", "cbcs"},
	{"mpd-time-cmaf", "none"}, {"mpd-time-cmaf", "cenc"}, {"mpd-time-cmaf", "cbcs"},
	{"m3u8-cmaf", "none"}, {"m3u8-cmaf", "cenc"}, {"m3u8-cmaf", "cbcs"}, {"m3u8-cmaf", "cbcs-aapl"}, {"m3u8-cmaf", "cbc"},
	{"smooth", "none"}, {"smooth", "cenc"},
	{"m3u8-aapl", "none"}, {"m3u8-aapl", "cbcs-aapl"}, {"m3u8-aapl", "cbc"},
	{"m3u8-aapl-v3", "none"}, {"m3u8-aapl-v3", "cbcs-aapl"}, {"m3u8-aapl-v3", "cbc"},
}

// PolicyFor is the built-in streaming policy that enables enc.
func PolicyFor(enc string) string {
	switch enc {
	case "none":
		return "Predefined_ClearStreamingOnly"
	case "cenc":
		return "Predefined_MultiDrmCencStreaming"
	case "cbcs", "cbcs-aapl":
		return "Predefined_MultiDrmStreaming"
	case "cbc":
		return "Predefined_ClearKey"
	}
	return ""
}

// ManifestPath is the path of the manifest of asset name under locator in
// format f with encryption enc ("none": no tag).
func ManifestPath(locator, name string, c Combo) string {
	var opts []string
	if c.Format != "smooth" {
		opts = append(opts, "format="+c.Format)
	}
	if c.Enc != "none" {
		opts = append(opts, "encryption="+c.Enc)
	}
	p := "/" + locator + "/" + name + ".ism/manifest"
	if len(opts) > 0 {
		p += "(" + strings.Join(opts, ",") + ")"
	}
	return p
}

// IsTS reports whether a format's segments are MPEG-2 TS.
func IsTS(format string) bool { return strings.HasPrefix(format, "m3u8-aapl") }

// Targets returns quality.md's floor-multiple target for c and the
// nginx-vod-module multiple measured for the same kind of output.
func Targets(c Combo) (target, peer float64) {
	// quality.md "Close to the limit": clear fMP4 1.1, cenc and cbcs 1.4,
	// TS clear 1.3, SAMPLE-AES TS 2.0, cbc 2.5 under concurrent load (the
	// CPU step drives cpuConns connections, so several chains are in
	// flight and the origin's CBC lanes can interleave them).
	if IsTS(c.Format) {
		switch c.Enc {
		case "none":
			return 1.3, 1.5
		case "cbcs-aapl":
			return 2.0, 3.7
		case "cbc":
			return 2.5, 3.8
		}
		return math.NaN(), math.NaN()
	}
	switch c.Enc {
	case "none":
		return 1.1, 1.7
	case "cenc":
		return 1.4, 2.5
	case "cbcs", "cbcs-aapl":
		return 1.4, 2.2
	case "cbc":
		return 2.5, 4.4
	}
	return math.NaN(), math.NaN()
}

// CipherFor names the raw cipher a scheme is weighed against: quality.md's
// cost factor takes raw CTR for cenc and (its "same for cbcs") for cbcs,
// raw CBC for cbc; SAMPLE-AES TS (cbcs-aapl) chains CBC, so raw CBC.
func CipherFor(c Combo) string {
	switch {
	case c.Enc == "cbc", c.Enc == "cbcs-aapl" && IsTS(c.Format):
		return "cbc"
	}
	return "ctr"
}

// cpuResult is the server CPU time spent on a fixed number of requests.
type cpuResult struct {
	Requests int64
	CPU      time.Duration
	Wall     time.Duration
	Bytes    int64
	Errors   map[string]int64
	Rec      *Recorder
	// Writes is the write system calls the server made over the
	// measurement (ProcWriteSyscalls); -1 when /proc/PID/io is unreadable.
	Writes int64
}

// perRequest is the CPU time per request in nanoseconds, unrounded: the
// figures judged against targets are ratios of these, and an integer
// division would shave up to a nanosecond off each side first.
func (r cpuResult) perRequest() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.CPU) / float64(r.Requests)
}

// cpuSide is one side of a pair of CPU measurements taken back to back in
// a round: whose CPU (PID), which segments, and where the result goes.
type cpuSide struct {
	Name  string // for errors: "object store mpd-time-csf/cenc"
	PID   int
	URLs  []string
	Valid Validator
	Into  *[]cpuResult
	Skip  bool // not measured (this side is unavailable)
}

// measureBoth measures a then b in even rounds and b then a in odd ones,
// so that neither side is always the one measured second: the per-round
// ratios of the two (see paired) are what the suite judges.
func measureBoth(ctx context.Context, round int, minCPU, maxWall time.Duration, a, b cpuSide) error {
	if round%2 == 1 {
		a, b = b, a
	}
	for _, side := range [2]cpuSide{a, b} {
		if side.Skip {
			continue
		}
		res, err := measureCPU(ctx, side.PID, side.URLs, cpuConns, minCPU, maxWall, side.Valid)
		if err != nil {
			return fmt.Errorf("%s: %w", side.Name, err)
		}
		*side.Into = append(*side.Into, res)
	}
	return nil
}

// measureCPU drives urls round robin over conns connections and reads the
// CPU time of pid (utime+stime from /proc/PID/stat) before and after, in
// batches, until at least minCPU was spent or maxWall passed.
func measureCPU(ctx context.Context, pid int, urls []string, conns int, minCPU, maxWall time.Duration, valid Validator) (cpuResult, error) {
	warm := NewRecorder()
	c := NewClient(warm, conns)
	defer c.Close()
	for range 2 {
		for _, u := range urls {
			c.Get(KindSegment, u, false, valid)
		}
	}
	rec := NewRecorder()
	c.Rec = rec
	cpu0, err := ProcCPU(pid)
	if err != nil {
		return cpuResult{}, err
	}
	w0, werr := ProcWriteSyscalls(pid)
	start := time.Now()
	var next atomic.Int64
	batch := int64(16 * conns)
	var res cpuResult
	for {
		limit := next.Load() + batch
		var wg sync.WaitGroup
		for range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= limit {
						next.Add(-1)
						return
					}
					c.Get(KindSegment, urls[int(i)%len(urls)], false, valid)
				}
			}()
		}
		wg.Wait()
		cpu, err := ProcCPU(pid)
		if err != nil {
			return cpuResult{}, err
		}
		res.CPU = cpu - cpu0
		res.Wall = time.Since(start)
		if res.CPU >= minCPU || res.Wall >= maxWall || ctx.Err() != nil {
			break
		}
	}
	res.Writes = -1
	if w1, err := ProcWriteSyscalls(pid); err == nil && werr == nil {
		res.Writes = w1 - w0
	}
	res.Requests = rec.Count(KindSegment)
	for _, s := range rec.Summary(res.Wall) {
		res.Bytes += s.Bytes
	}
	res.Errors = rec.Errors(KindSegment)
	res.Rec = rec
	if res.Requests == 0 {
		return res, fmt.Errorf("no requests")
	}
	return res, nil
}
