package bench

import (
	"bytes"
	"context"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// A simulated live player: it polls the live manifest as often as the
// manifest says it may change, and fetches each segment that appears on its
// video rendition and on the audio.

// PollInterval is how often a live player re-reads a manifest: its
// Cache-Control max-age when that is positive (a CDN in front would serve
// the same copy until then), else the MPD's minimumUpdatePeriod, else
// fallback.
func PollInterval(cacheControl string, body []byte, fallback time.Duration) time.Duration {
	for _, d := range strings.Split(cacheControl, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(strings.ToLower(d)), "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if m := mupRE.FindSubmatch(body); m != nil {
		if d, ok := parseISODuration(string(m[1])); ok && d > 0 {
			return d
		}
	}
	return fallback
}

var mupRE = regexp.MustCompile(`minimumUpdatePeriod="([^"]+)"`)

// parseISODuration reads the PT…H…M…S durations manifests write.
func parseISODuration(s string) (time.Duration, bool) {
	rest, ok := strings.CutPrefix(s, "PT")
	if !ok || rest == "" {
		return 0, false
	}
	var d time.Duration
	for rest != "" {
		i := strings.IndexAny(rest, "HMS")
		if i <= 0 {
			return 0, false
		}
		v, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || v < 0 {
			return 0, false
		}
		unit := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}[rest[i]]
		d += time.Duration(v * float64(unit))
		rest = rest[i+1:]
	}
	return d, true
}

// liveSeen records when a poller first saw the top video rendition list
// n segments: Seen[n-1] is the first response that listed segment n.
type liveSeen struct {
	mu   sync.Mutex
	Seen []time.Time
}

func (l *liveSeen) saw(n int, at time.Time) {
	l.mu.Lock()
	// Responses read at once may be told in either order: the earliest
	// that listed a segment is when it was first seen.
	for i := range min(n, len(l.Seen)) {
		if at.Before(l.Seen[i]) {
			l.Seen[i] = at
		}
	}
	for len(l.Seen) < n {
		l.Seen = append(l.Seen, at)
	}
	l.mu.Unlock()
}

// getManifest fetches a manifest, records it, and returns its body and
// Cache-Control.
func getManifest(c *Client, url string) (body []byte, cacheControl string, ok bool) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	began := time.Now()
	err := c.HTTP.DoTimeout(req, resp, c.Timeout)
	lat := time.Since(began)
	if err != nil {
		c.Rec.Add(KindManifest, began, lat, 0, ErrTransport)
		return nil, "", false
	}
	b := resp.Body()
	cls := errClassFor(resp.StatusCode())
	c.Rec.Add(KindManifest, began, lat, len(b), cls)
	if cls != "" {
		return nil, "", false
	}
	return bytes.Clone(b), string(resp.Header.Peek("Cache-Control")), true
}

// playLiveHLS runs one live HLS player until ctx is done: it reads the
// multivariant playlist once, picks a video variant at random and the
// default audio, then polls both media playlists as often as their
// Cache-Control allows and fetches the init, keys and each new segment.
// Segments are followed by URI (the window may slide between polls).
func playLiveHLS(ctx context.Context, c *Client, url string, rng *rand.Rand) {
	var lists []string // video, audio media playlists
	for ctx.Err() == nil && lists == nil {
		if p, err := Load(c, url, true); err == nil {
			var video []int
			audio := -1
			for i, t := range p.Tracks {
				switch {
				case t.Type == "video":
					video = append(video, i)
				case t.Type == "audio" && audio < 0:
					audio = i
				}
			}
			if len(video) > 0 && len(p.Playlists) == len(p.Tracks) {
				lists = append(lists, p.Playlists[video[rng.IntN(len(video))]])
				if audio >= 0 {
					lists = append(lists, p.Playlists[audio])
				}
				break
			}
		}
		sleepCtx(ctx, time.Second)
	}
	last := make([]string, len(lists)) // per playlist: the newest URI fetched
	inited := make([]bool, len(lists))
	for ctx.Err() == nil {
		wait := time.Second
		for k, u := range lists {
			body, cc, ok := getManifest(c, u)
			if !ok {
				continue
			}
			wait = min(wait, PollInterval(cc, body, time.Second))
			t, err := parseMediaPlaylist(u, body, "video", u, 0)
			if err != nil || len(t.Segments) == 0 {
				continue
			}
			if !inited[k] {
				if t.InitURL != "" {
					c.Get(KindInit, t.InitURL, false, ValidMedia)
				}
				for _, ku := range t.KeyURLs {
					c.Get(KindKey, ku, false, nil)
				}
				inited[k] = true
			}
			from := len(t.Segments) - 1 // join at the live edge
			for i := range t.Segments {
				if t.Segments[i].ref == last[k] {
					from = i + 1
				}
			}
			valid := Validator(ValidMedia)
			if t.Encrypted {
				valid = nil
			}
			for i := from; i < len(t.Segments) && ctx.Err() == nil; i++ {
				c.Get(KindSegment, t.SegmentURL(i), false, valid)
			}
			last[k] = t.Segments[len(t.Segments)-1].ref
		}
		sleepCtx(ctx, wait)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// watchEdge polls url (a DASH or Smooth manifest) every interval until
// ctx is done, telling seen how many segments the top video rendition
// lists: the measure of fragment arrival to manifest at that resolution.
// A poll starts every interval whether the ones before have been answered
// or not (up to watchInFlight at once, on connections of its own), so the
// resolution holds when the origin answers slowly, and no poll waits
// behind the players' requests in the load generator.
func watchEdge(ctx context.Context, url string, interval time.Duration, seen *liveSeen) {
	const watchInFlight = 64
	c := NewClient(NewRecorder(), watchInFlight)
	defer c.Close()
	slots := make(chan struct{}, watchInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case slots <- struct{}{}:
		default:
			continue // as many polls in flight as allowed: skip this one
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if body, _, ok := getManifest(c, url); ok {
				at := time.Now()
				if p, err := Parse(url, body); err == nil {
					if v := p.Video(); len(v) > 0 {
						seen.saw(len(v[0].Segments), at)
					}
				}
			}
		}()
	}
}

// playLive runs one live player of a DASH or Smooth manifest until ctx is
// done. It starts at the live
// edge (the newest segment of each track), fetches the init segments once,
// then each new segment as a poll lists it. Every manifest it parses tells
// seen how many segments the top video rendition lists.
func playLive(ctx context.Context, c *Client, url string, rng *rand.Rand, seen *liveSeen) {
	var video, audio string    // representation names
	var next map[string]uint64 // per track, by name: the first segment time not yet fetched
	var inited bool
	for ctx.Err() == nil {
		wait := time.Second
		if body, cc, ok := getManifest(c, url); ok {
			at := time.Now()
			wait = PollInterval(cc, body, time.Second)
			if p, err := Parse(url, body); err == nil {
				if v := p.Video(); len(v) > 0 {
					if seen != nil {
						seen.saw(len(v[0].Segments), at)
					}
					if video == "" {
						video = v[rng.IntN(len(v))].Name
					}
				}
				if a := p.Audio(); len(a) > 0 && audio == "" {
					audio = a[0].Name
				}
				if next == nil {
					next = map[string]uint64{}
				}
				for _, t := range p.Tracks {
					if t.Name != video && t.Name != audio || len(t.Segments) == 0 {
						continue
					}
					if !inited && t.InitURL != "" {
						c.Get(KindInit, t.InitURL, false, ValidMedia)
					}
					last := t.Segments[len(t.Segments)-1]
					from, ok := next[t.Name]
					if !ok {
						from = last.Time // join at the live edge
					}
					// By time, not index: the window may slide between polls.
					for i := range t.Segments {
						if t.Segments[i].Time >= from && ctx.Err() == nil {
							c.Get(KindSegment, t.SegmentURL(i), false, ValidMedia)
						}
					}
					next[t.Name] = last.Time + 1
				}
				inited = video != ""
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}
