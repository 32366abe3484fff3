package bench

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// PlayerConfig says how a simulated player behaves.
type PlayerConfig struct {
	// ManifestURL is the manifest to play.
	ManifestURL string
	// RealTime paces segment requests at the media's pace after a start-up
	// buffer of Buffer segments; otherwise the player fetches as fast as
	// it can.
	RealTime bool
	// Buffer is the number of segments fetched at once before pacing.
	Buffer int
	// MaxSegments stops the player after this many segments per track (0:
	// all).
	MaxSegments int
	// Pick chooses the video rendition: "highest" (default), "lowest" or
	// "random".
	Pick string
	// NoAudio skips the audio track.
	NoAudio bool
	// Loop restarts from the first segment at the end until ctx is done.
	Loop bool
}

// Play runs one player until it has fetched its segments or ctx is done.
// Every request is recorded by c; the error is the manifest's.
func Play(ctx context.Context, c *Client, cfg PlayerConfig, rng *rand.Rand) error {
	p, err := Load(c, cfg.ManifestURL, false)
	if err != nil {
		return err
	}
	return PlayPresentation(ctx, c, p, cfg, rng)
}

// PlayPresentation plays an already loaded presentation.
func PlayPresentation(ctx context.Context, c *Client, p *Presentation, cfg PlayerConfig, rng *rand.Rand) error {
	var tracks []*Track
	if v := p.Video(); len(v) > 0 {
		i := 0
		switch cfg.Pick {
		case "lowest":
			i = len(v) - 1
		case "random":
			if rng != nil {
				i = rng.IntN(len(v))
			}
		}
		tracks = append(tracks, v[i])
	}
	if a := p.Audio(); len(a) > 0 && !cfg.NoAudio {
		tracks = append(tracks, a[0])
	}
	fetchKeys(c, p, tracks)
	for _, t := range tracks {
		if t.InitURL != "" {
			c.Get(KindInit, t.InitURL, false, ValidMedia)
		}
	}
	if len(tracks) == 0 {
		return nil
	}
	buffer := max(cfg.Buffer, 1)
	start := time.Now()
	var played time.Duration // media time fetched on the first track
	for round := 0; ; round++ {
		for i := 0; ; i++ {
			if cfg.MaxSegments > 0 && i >= cfg.MaxSegments {
				return nil
			}
			more := false
			for ti, t := range tracks {
				if i >= len(t.Segments) {
					continue
				}
				more = true
				if ctx.Err() != nil {
					return nil
				}
				valid := Validator(ValidMedia)
				if t.Encrypted {
					valid = ValidAny
				}
				c.Get(KindSegment, t.SegmentURL(i), false, valid)
				if ti == 0 {
					played += t.Segments[i].Duration
				}
			}
			if !more {
				break
			}
			if cfg.RealTime && i+1 >= buffer {
				// The media fetched so far, minus the start-up buffer, is
				// what should have played by now.
				ahead := played - time.Duration(buffer)*tracks[0].Segments[0].Duration - time.Since(start)
				if ahead > 0 {
					select {
					case <-ctx.Done():
						return nil
					case <-time.After(ahead):
					}
				}
			}
		}
		if !cfg.Loop || ctx.Err() != nil {
			return nil
		}
	}
}

// fetchKeys fetches what the chosen tracks need: HLS AES-128 keys, and a
// ClearKey license per license URL of the manifest.
func fetchKeys(c *Client, p *Presentation, tracks []*Track) {
	seen := map[string]bool{}
	for _, t := range tracks {
		for _, k := range t.KeyURLs {
			if !seen[k] {
				seen[k] = true
				c.Get(KindKey, k, false, func(b []byte) bool { return len(b) == 16 })
			}
		}
	}
	for _, l := range p.Licenses {
		c.Post(KindKey, l.URL, ClearKeyRequest(l.KIDs), "application/json", false)
	}
}

// ClearKeyRequest is the W3C ClearKey license request for KIDs given as
// GUIDs or hex: {"kids":[base64url…],"type":"temporary"}.
func ClearKeyRequest(kids []string) []byte {
	req := struct {
		KIDs []string `json:"kids"`
		Type string   `json:"type"`
	}{KIDs: []string{}, Type: "temporary"}
	for _, k := range kids {
		raw, err := hex.DecodeString(strings.ReplaceAll(k, "-", ""))
		if err != nil || len(raw) != 16 {
			continue
		}
		req.KIDs = append(req.KIDs, base64.RawURLEncoding.EncodeToString(raw))
	}
	b, _ := json.Marshal(req)
	return b
}

// Pull fetches every init and media segment of every track of p once, with
// conns concurrent requests, like a CDN filling its cache. It stops early
// when ctx is done.
func Pull(ctx context.Context, c *Client, p *Presentation, conns int) {
	type job struct {
		k       Kind
		url     string
		whole   bool
		license *License
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range max(conns, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				switch {
				case j.license != nil:
					c.Post(KindKey, j.url, ClearKeyRequest(j.license.KIDs), "application/json", false)
				case j.k == KindKey:
					c.Get(KindKey, j.url, false, func(b []byte) bool { return len(b) == 16 })
				case j.whole:
					c.Get(j.k, j.url, false, ValidAny)
				default:
					c.Get(j.k, j.url, false, ValidMedia)
				}
			}
		}()
	}
	send := func(j job) bool {
		select {
		case jobs <- j:
			return true
		case <-ctx.Done():
			return false
		}
	}
	func() {
		for i := range p.Licenses {
			if !send(job{k: KindKey, url: p.Licenses[i].URL, license: &p.Licenses[i]}) {
				return
			}
		}
		keys := map[string]bool{}
		for _, t := range p.Tracks {
			for _, k := range t.KeyURLs {
				if !keys[k] {
					keys[k] = true
					if !send(job{k: KindKey, url: k}) {
						return
					}
				}
			}
			if t.InitURL != "" && !send(job{k: KindInit, url: t.InitURL}) {
				return
			}
			for i := range t.Segments {
				if !send(job{k: KindSegment, url: t.SegmentURL(i), whole: t.Encrypted}) {
					return
				}
			}
		}
	}()
	close(jobs)
	wg.Wait()
}
