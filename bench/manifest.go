package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/grafov/m3u8"
	"github.com/zencoder/go-dash/v3/mpd"
)

// Segment is one media segment of a track; Track.SegmentURL gives its URL.
// Segments are kept small (no URL string each) so that a thousand players
// of a two-hour asset fit in memory.
type Segment struct {
	Duration time.Duration
	Time     uint64 // DASH $Time$, Smooth start time
	Number   int64  // DASH $Number$
	ref      string // HLS: the URI as the playlist wrote it
}

// Tokens that stand for per-segment values in a resolved template.
const (
	tokTime   = "DRMBENCHTIME"
	tokNumber = "DRMBENCHNUMBER"
)

// Track is one rendition a player can choose: its init segment (if any) and
// its media segments in order.
type Track struct {
	Type      string // "video" or "audio"
	Name      string
	Bandwidth int64
	InitURL   string   // "" when the format has none (Smooth, TS)
	KeyURLs   []string // HLS METHOD=AES-128 key URIs
	Segments  []Segment
	Encrypted bool // whole-segment encryption (HLS AES-128): bodies are not parsed

	tmpl string // DASH, Smooth: resolved media URL with tokTime/tokNumber
	base string // HLS: the playlist URL, for relative segment URIs
}

// SegmentURL is the absolute URL of segment i.
func (t *Track) SegmentURL(i int) string {
	s := t.Segments[i]
	if t.tmpl != "" {
		u := strings.Replace(t.tmpl, tokTime, strconv.FormatUint(s.Time, 10), 1)
		return strings.Replace(u, tokNumber, strconv.FormatInt(s.Number, 10), 1)
	}
	return resolveFast(t.base, s.ref)
}

// resolveFast resolves a plain relative reference by concatenation, and
// anything else with net/url.
func resolveFast(base, ref string) string {
	if ref != "" && ref[0] != '/' && !strings.Contains(ref, ":") && !strings.HasPrefix(ref, ".") && !strings.Contains(ref, "/.") {
		b := base
		if i := strings.IndexAny(b, "?#"); i >= 0 {
			b = b[:i]
		}
		if i := strings.LastIndexByte(b, '/'); i >= 0 {
			return b[:i+1] + ref
		}
	}
	u, err := resolve(base, ref)
	if err != nil {
		return ref
	}
	return u
}

// Duration is the sum of the segment durations.
func (t *Track) Duration() time.Duration {
	var d time.Duration
	for _, s := range t.Segments {
		d += s.Duration
	}
	return d
}

// License is a ClearKey license request the manifest names.
type License struct {
	URL  string
	KIDs []string // lowercase GUIDs
}

// Presentation is a parsed manifest of any format, with every track whose
// playlist was loaded.
type Presentation struct {
	Format   string // "dash", "hls" or "smooth"
	URL      string
	Tracks   []*Track
	Licenses []License
	// Playlists are the HLS media playlist URLs Load fetched.
	Playlists []string
}

// Video returns the video tracks, highest bandwidth first.
func (p *Presentation) Video() []*Track { return p.byType("video") }

// Audio returns the audio tracks, highest bandwidth first.
func (p *Presentation) Audio() []*Track { return p.byType("audio") }

func (p *Presentation) byType(typ string) []*Track {
	var out []*Track
	for _, t := range p.Tracks {
		if t.Type == typ {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Bandwidth > out[j].Bandwidth })
	return out
}

// Load fetches the manifest at u (recorded as KindManifest) and, for HLS,
// media playlists: every one when all is set, else those of the highest
// variant and its default audio rendition. It fails on a non-2xx status
// with a *StatusError.
func Load(c *Client, u string, all bool) (*Presentation, error) {
	r := c.Get(KindManifest, u, true, nil)
	if r.Status == 0 {
		return nil, fmt.Errorf("manifest %s: %s", u, r.Err)
	}
	if r.Status < 200 || r.Status > 299 {
		return nil, &StatusError{URL: u, Status: r.Status, Body: string(r.Body[:min(len(r.Body), 200)])}
	}
	p, err := Parse(u, r.Body)
	if err != nil {
		return nil, err
	}
	if p.Format == "hls" {
		if err := loadHLS(c, p, r.Body, all); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// StatusError is a manifest request answered with a non-2xx status.
type StatusError struct {
	URL    string
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("manifest %s: status %d: %s", e.URL, e.Status, strings.TrimSpace(e.Body))
}

// ErrUnknownManifest is returned by Parse when a body is none of DASH, HLS
// or Smooth.
var ErrUnknownManifest = errors.New("not a DASH, HLS or Smooth manifest")

// Parse parses a DASH or Smooth manifest, or an HLS playlist (media
// playlists of a multivariant one are loaded by Load).
func Parse(u string, body []byte) (*Presentation, error) {
	head := body[:min(len(body), 512)]
	switch {
	case bytes.HasPrefix(bytes.TrimSpace(body), []byte("#EXTM3U")):
		p := &Presentation{Format: "hls", URL: u}
		if _, typ, err := m3u8.DecodeFrom(bytes.NewReader(body), true); err != nil {
			return nil, fmt.Errorf("hls %s: %w", u, err)
		} else if typ == m3u8.MEDIA {
			t, err := parseMediaPlaylist(u, body, "video", u, 0)
			if err != nil {
				return nil, err
			}
			p.Tracks = append(p.Tracks, t)
		}
		return p, nil
	case bytes.Contains(head, []byte("<MPD")):
		return parseDASH(u, body)
	case bytes.Contains(head, []byte("<SmoothStreamingMedia")):
		return parseSmooth(u, body)
	}
	return nil, fmt.Errorf("%s: %w", u, ErrUnknownManifest)
}

func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

// --- HLS

func loadHLS(c *Client, p *Presentation, body []byte, all bool) error {
	pl, typ, err := m3u8.DecodeFrom(bytes.NewReader(body), true)
	if err != nil || typ != m3u8.MASTER {
		return err
	}
	master := pl.(*m3u8.MasterPlaylist)
	type want struct {
		typ, name, uri string
		bw             int64
	}
	var wants []want
	seen := map[string]bool{}
	add := func(w want) {
		if w.uri != "" && !seen[w.uri] {
			seen[w.uri] = true
			wants = append(wants, w)
		}
	}
	variants := append([]*m3u8.Variant(nil), master.Variants...)
	sort.SliceStable(variants, func(i, j int) bool { return variants[i].Bandwidth > variants[j].Bandwidth })
	for i, v := range variants {
		if v == nil || v.Iframe {
			continue
		}
		if !all && i > 0 {
			break
		}
		add(want{"video", "video", v.URI, int64(v.Bandwidth)})
		for _, a := range v.Alternatives {
			if a == nil || a.Type != "AUDIO" || a.URI == "" {
				continue
			}
			if all || a.Default {
				add(want{"audio", a.Name, a.URI, 0})
			}
		}
	}
	for _, w := range wants {
		mu, err := resolve(p.URL, w.uri)
		if err != nil {
			return err
		}
		r := c.Get(KindManifest, mu, true, nil)
		p.Playlists = append(p.Playlists, mu)
		if r.Status < 200 || r.Status > 299 {
			return &StatusError{URL: mu, Status: r.Status, Body: string(r.Body[:min(len(r.Body), 200)])}
		}
		t, err := parseMediaPlaylist(mu, r.Body, w.typ, w.name, w.bw)
		if err != nil {
			return err
		}
		p.Tracks = append(p.Tracks, t)
	}
	return nil
}

func parseMediaPlaylist(u string, body []byte, typ, name string, bw int64) (*Track, error) {
	pl, lt, err := m3u8.DecodeFrom(bytes.NewReader(body), true)
	if err != nil {
		return nil, fmt.Errorf("hls %s: %w", u, err)
	}
	if lt != m3u8.MEDIA {
		return nil, fmt.Errorf("hls %s: want a media playlist", u)
	}
	mp := pl.(*m3u8.MediaPlaylist)
	t := &Track{Type: typ, Name: name, Bandwidth: bw, base: u}
	keys := map[string]bool{}
	addKey := func(k *m3u8.Key) error {
		if k == nil || !strings.EqualFold(k.Method, "AES-128") || k.URI == "" {
			return nil
		}
		t.Encrypted = true
		ku, err := resolve(u, k.URI)
		if err != nil {
			return err
		}
		if !keys[ku] {
			keys[ku] = true
			t.KeyURLs = append(t.KeyURLs, ku)
		}
		return nil
	}
	if err := addKey(mp.Key); err != nil {
		return nil, err
	}
	if mp.Map != nil && mp.Map.URI != "" {
		if t.InitURL, err = resolve(u, mp.Map.URI); err != nil {
			return nil, err
		}
	}
	for _, s := range mp.Segments {
		if s == nil {
			continue
		}
		if err := addKey(s.Key); err != nil {
			return nil, err
		}
		if s.Map != nil && s.Map.URI != "" && t.InitURL == "" {
			if t.InitURL, err = resolve(u, s.Map.URI); err != nil {
				return nil, err
			}
		}
		t.Segments = append(t.Segments, Segment{ref: s.URI, Duration: time.Duration(s.Duration * float64(time.Second))})
	}
	// A muxed TS variant is video; an audio-only playlist is named by its
	// rendition.
	return t, nil
}

// --- DASH

var (
	laurlRE = regexp.MustCompile(`<(?:dashif:)?[Ll]aurl[^>]*>\s*([^<\s]+)\s*</`)
	kidRE   = regexp.MustCompile(`default_KID="([0-9a-fA-F-]{32,36})"`)
)

func parseDASH(u string, body []byte) (*Presentation, error) {
	m, err := mpd.ReadFromString(string(body))
	if err != nil {
		return nil, fmt.Errorf("dash %s: %w", u, err)
	}
	p := &Presentation{Format: "dash", URL: u}
	for _, per := range m.Periods {
		if per == nil {
			continue
		}
		for _, as := range per.AdaptationSets {
			if as == nil || trickMode(as) {
				continue
			}
			typ := "video"
			ct := ""
			if as.ContentType != nil {
				ct = *as.ContentType
			} else if as.MimeType != nil {
				ct = *as.MimeType
			}
			if strings.Contains(ct, "audio") {
				typ = "audio"
			} else if strings.Contains(ct, "text") {
				typ = "text"
			}
			for _, rep := range as.Representations {
				if rep == nil {
					continue
				}
				st := rep.SegmentTemplate
				if st == nil {
					st = as.SegmentTemplate
				}
				if st == nil || st.Media == nil {
					return nil, fmt.Errorf("dash %s: representation without SegmentTemplate", u)
				}
				t := &Track{Type: typ}
				if rep.ID != nil {
					t.Name = *rep.ID
				}
				if rep.Bandwidth != nil {
					t.Bandwidth = *rep.Bandwidth
				}
				fill := strings.NewReplacer("$RepresentationID$", t.Name, "$Bandwidth$", strconv.FormatInt(t.Bandwidth, 10),
					"$Time$", tokTime, "$Number$", tokNumber, "$$", "$")
				if st.Initialization != nil {
					if t.InitURL, err = resolve(u, fill.Replace(*st.Initialization)); err != nil {
						return nil, err
					}
				}
				if t.tmpl, err = resolve(u, fill.Replace(*st.Media)); err != nil {
					return nil, err
				}
				ts := int64(1)
				if st.Timescale != nil && *st.Timescale > 0 {
					ts = *st.Timescale
				}
				number := int64(1)
				if st.StartNumber != nil {
					number = *st.StartNumber
				}
				if st.SegmentTimeline == nil {
					return nil, fmt.Errorf("dash %s: SegmentTemplate without SegmentTimeline", u)
				}
				var now uint64
				for _, s := range st.SegmentTimeline.Segments {
					if s == nil {
						continue
					}
					if s.StartTime != nil {
						now = *s.StartTime
					}
					rep := 0
					if s.RepeatCount != nil && *s.RepeatCount > 0 {
						rep = *s.RepeatCount
					}
					for i := 0; i <= rep && len(t.Segments) < maxSegmentsPerTrack; i++ {
						t.Segments = append(t.Segments, Segment{Time: now, Number: number, Duration: time.Duration(float64(s.Duration) / float64(ts) * float64(time.Second))})
						now += s.Duration
						number++
					}
				}
				p.Tracks = append(p.Tracks, t)
			}
		}
	}
	if m := laurlRE.FindAllSubmatch(body, -1); len(m) > 0 {
		var kids []string
		for _, k := range kidRE.FindAllSubmatch(body, -1) {
			kid := strings.ToLower(string(k[1]))
			if !contains(kids, kid) {
				kids = append(kids, kid)
			}
		}
		seen := map[string]bool{}
		for _, l := range m {
			lu, err := resolve(u, xmlUnescape(string(l[1])))
			if err != nil || seen[lu] {
				continue
			}
			seen[lu] = true
			p.Licenses = append(p.Licenses, License{URL: lu, KIDs: kids})
		}
	}
	return p, nil
}

// maxSegmentsPerTrack bounds what one manifest can make a client fetch.
const maxSegmentsPerTrack = 1 << 20

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func xmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'").Replace(s)
}

// --- Smooth

type smoothMedia struct {
	TimeScale uint64        `xml:"TimeScale,attr"`
	Streams   []smoothIndex `xml:"StreamIndex"`
}

type smoothIndex struct {
	Type      string `xml:"Type,attr"`
	Name      string `xml:"Name,attr"`
	URL       string `xml:"Url,attr"`
	Chunks    int    `xml:"Chunks,attr"`
	TimeScale uint64 `xml:"TimeScale,attr"`
	Levels    []struct {
		Bitrate int64 `xml:"Bitrate,attr"`
	} `xml:"QualityLevel"`
	C []struct {
		T *uint64 `xml:"t,attr"`
		D uint64  `xml:"d,attr"`
		R int     `xml:"r,attr"`
	} `xml:"c"`
}

func parseSmooth(u string, body []byte) (*Presentation, error) {
	var m smoothMedia
	if err := xml.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("smooth %s: %w", u, err)
	}
	if m.TimeScale == 0 {
		m.TimeScale = 10_000_000
	}
	// Segment URLs resolve against the manifest's directory: the origin's
	// manifest URL ends in "/manifest".
	p := &Presentation{Format: "smooth", URL: u}
	for _, si := range m.Streams {
		ts := si.TimeScale
		if ts == 0 {
			ts = m.TimeScale
		}
		type chunk struct{ t, d uint64 }
		var chunks []chunk
		var now uint64
		for _, c := range si.C {
			if c.T != nil {
				now = *c.T
			}
			// MS-SSTR: r is the number of consecutive fragments with this
			// duration (1 when absent).
			n := max(c.R, 1)
			for i := 0; i < n && len(chunks) < maxSegmentsPerTrack; i++ {
				chunks = append(chunks, chunk{now, c.D})
				now += c.D
			}
		}
		if si.Chunks > 0 && len(chunks) > si.Chunks {
			chunks = chunks[:si.Chunks]
		}
		for _, ql := range si.Levels {
			t := &Track{Type: strings.ToLower(si.Type), Name: si.Name, Bandwidth: ql.Bitrate}
			ref := strings.NewReplacer("{bitrate}", strconv.FormatInt(ql.Bitrate, 10), "{Bitrate}", strconv.FormatInt(ql.Bitrate, 10),
				"{start time}", tokTime, "{start_time}", tokTime).Replace(si.URL)
			var err error
			if t.tmpl, err = resolve(u, ref); err != nil {
				return nil, err
			}
			t.Segments = make([]Segment, 0, len(chunks))
			for _, c := range chunks {
				t.Segments = append(t.Segments, Segment{Time: c.t, Duration: time.Duration(float64(c.d) / float64(ts) * float64(time.Second))})
			}
			p.Tracks = append(p.Tracks, t)
		}
	}
	return p, nil
}

// trickMode reports whether as is a DASH-IF trick-mode AdaptationSet
// (EssentialProperty http://dashif.org/guidelines/trickmode): a player
// without trick play skips it, and so does the load.
func trickMode(as *mpd.AdaptationSet) bool {
	for _, ep := range as.EssentialProperty {
		if ep.SchemeIDURI != nil && *ep.SchemeIDURI == "http://dashif.org/guidelines/trickmode" {
			return true
		}
	}
	return false
}
