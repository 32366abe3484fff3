package origin_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/grafov/m3u8"
	"github.com/zencoder/go-dash/v3/mpd"

	"github.com/drmorigin/drmorigin/storage"
)

// trackPlan is how a client fetches one track of one format: its init
// segment and every media segment, in order.
type trackPlan struct {
	name    string // track name
	bitrate int
	init    string
	media   []string
	// playlist is the HLS media playlist the plan came from.
	playlist string
}

func (p trackPlan) key() string { return p.name + "@" + strconv.Itoa(p.bitrate) }

// sourceTracks asks the management API which file each (track, bitrate)
// comes from.
func (o *testOrigin) sourceTracks(asset string) map[string]string {
	o.t.Helper()
	r := o.api(http.MethodGet, "/api/v1/assets/"+asset, nil)
	if r.status != 200 {
		o.t.Fatalf("GET asset %s: %s", asset, r)
	}
	var info struct {
		Tracks []struct {
			Name    string `json:"name"`
			Bitrate int    `json:"bitrate"`
			File    string `json:"file"`
		} `json:"tracks"`
	}
	if err := json.Unmarshal(r.body, &info); err != nil {
		o.t.Fatal(err)
	}
	out := map[string]string{}
	for _, tr := range info.Tracks {
		out[tr.Name+"@"+strconv.Itoa(tr.Bitrate)] = filepath.Join(o.root, asset, tr.File)
	}
	return out
}

func resolve(t *testing.T, base, ref string) string {
	t.Helper()
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	r, err := url.Parse(ref)
	if err != nil {
		t.Fatalf("manifest URL %q: %v", ref, err)
	}
	return b.ResolveReference(r).String()
}

// planDASH reads an MPD with go-dash and expands its SegmentTemplates and
// SegmentTimelines into URLs.
func planDASH(t *testing.T, manifestURL string, body []byte) []trackPlan {
	m, err := mpd.ReadFromString(string(body))
	if err != nil {
		t.Fatalf("go-dash cannot read the MPD: %v", err)
	}
	var plans []trackPlan
	for _, p := range m.Periods {
		for _, as := range p.AdaptationSets {
			if trickMode(as) {
				continue // as a player without trick play does (e2e_trick_test.go plays these)
			}
			for _, rep := range as.Representations {
				st := rep.SegmentTemplate
				if st == nil {
					st = as.SegmentTemplate
				}
				if st == nil || st.Initialization == nil || st.Media == nil || st.SegmentTimeline == nil || rep.Bandwidth == nil {
					t.Fatalf("MPD representation %v lacks a SegmentTemplate with a timeline", rep.ID)
				}
				bw := strconv.FormatInt(*rep.Bandwidth, 10)
				sub := func(s string, tm uint64) string {
					s = strings.ReplaceAll(s, "$Bandwidth$", bw)
					if rep.ID != nil {
						s = strings.ReplaceAll(s, "$RepresentationID$", *rep.ID)
					}
					return strings.ReplaceAll(s, "$Time$", strconv.FormatUint(tm, 10))
				}
				plan := trackPlan{bitrate: int(*rep.Bandwidth), init: resolve(t, manifestURL, sub(*st.Initialization, 0))}
				var now uint64
				for _, s := range st.SegmentTimeline.Segments {
					if s.StartTime != nil {
						now = *s.StartTime
					}
					n := 1
					if s.RepeatCount != nil {
						n += *s.RepeatCount
					}
					for i := 0; i < n; i++ {
						plan.media = append(plan.media, resolve(t, manifestURL, sub(*st.Media, now)))
						now += s.Duration
					}
				}
				// The track name is the word before "=" in Fragments(...).
				plan.name = trackNameOf(t, plan.init)
				plans = append(plans, plan)
			}
		}
	}
	return plans
}

// trickMode reports whether as is a DASH-IF trick-mode AdaptationSet.
func trickMode(as *mpd.AdaptationSet) bool {
	for _, ep := range as.EssentialProperty {
		if ep.SchemeIDURI != nil && *ep.SchemeIDURI == "http://dashif.org/guidelines/trickmode" {
			return true
		}
	}
	return false
}

func trackNameOf(t *testing.T, u string) string {
	i := strings.Index(u, "Fragments(")
	j := strings.Index(u, "=")
	if i < 0 || j < i {
		t.Fatalf("segment URL %q has no Fragments(track=…)", u)
	}
	return u[i+len("Fragments(") : j]
}

func bitrateOf(t *testing.T, u string) int {
	i := strings.Index(u, "QualityLevels(")
	if i < 0 {
		t.Fatalf("URL %q has no QualityLevels", u)
	}
	rest := u[i+len("QualityLevels("):]
	b, err := strconv.Atoi(rest[:strings.IndexByte(rest, ')')])
	if err != nil {
		t.Fatalf("URL %q: %v", u, err)
	}
	return b
}

// planHLS reads a multivariant playlist and its media playlists with
// grafov/m3u8.
func planHLS(t *testing.T, o *testOrigin, manifestURL string, body []byte) []trackPlan {
	pl, kind, err := m3u8.DecodeFrom(bytes.NewReader(body), true)
	if err != nil || kind != m3u8.MASTER {
		t.Fatalf("m3u8 cannot read the multivariant playlist: %v (kind %v)", err, kind)
	}
	master := pl.(*m3u8.MasterPlaylist)
	uris := map[string]bool{}
	for _, v := range master.Variants {
		if v.Iframe {
			continue // trick play: e2e_trick_test.go
		}
		uris[resolve(t, manifestURL, v.URI)] = true
		for _, alt := range v.Alternatives {
			if alt.URI != "" {
				uris[resolve(t, manifestURL, alt.URI)] = true
			}
		}
	}
	var plans []trackPlan
	for u := range uris {
		r := do(t, http.MethodGet, u, nil)
		if r.status != 200 {
			t.Fatalf("media playlist %s: %s", u, r)
		}
		mp, kind, err := m3u8.DecodeFrom(bytes.NewReader(r.body), true)
		if err != nil || kind != m3u8.MEDIA {
			t.Fatalf("m3u8 cannot read media playlist %s: %v", u, err)
		}
		media := mp.(*m3u8.MediaPlaylist)
		if media.Map == nil {
			t.Fatalf("media playlist %s has no EXT-X-MAP", u)
		}
		plan := trackPlan{init: resolve(t, u, media.Map.URI), bitrate: bitrateOf(t, u), playlist: u}
		for _, s := range media.Segments {
			if s != nil {
				plan.media = append(plan.media, resolve(t, u, s.URI))
			}
		}
		plan.name = trackNameOf(t, plan.init)
		plans = append(plans, plan)
	}
	return plans
}

// smoothManifest is the part of MS-SSTR's client manifest a client needs to
// address fragments.
type smoothManifest struct {
	XMLName xml.Name `xml:"SmoothStreamingMedia"`
	Streams []struct {
		Name   string `xml:"Name,attr"`
		URL    string `xml:"Url,attr"`
		Levels []struct {
			Bitrate int `xml:"Bitrate,attr"`
		} `xml:"QualityLevel"`
		Chunks []struct {
			T *uint64 `xml:"t,attr"`
			D uint64  `xml:"d,attr"`
			R *int    `xml:"r,attr"`
		} `xml:"c"`
	} `xml:"StreamIndex"`
}

func planSmooth(t *testing.T, manifestURL string, body []byte) []trackPlan {
	var m smoothManifest
	if err := xml.Unmarshal(body, &m); err != nil {
		t.Fatalf("Smooth manifest does not parse: %v", err)
	}
	var plans []trackPlan
	for _, s := range m.Streams {
		for _, q := range s.Levels {
			br := strconv.Itoa(q.Bitrate)
			u := strings.ReplaceAll(s.URL, "{bitrate}", br)
			u = strings.ReplaceAll(u, "{Bitrate}", br)
			plan := trackPlan{name: s.Name, bitrate: q.Bitrate}
			plan.init = resolve(t, manifestURL, strings.Replace(u, "{start time}", "i", 1))
			var now uint64
			for _, c := range s.Chunks {
				if c.T != nil {
					now = *c.T
				}
				n := 1
				if c.R != nil {
					n = *c.R
				}
				for i := 0; i < n; i++ {
					plan.media = append(plan.media, resolve(t, manifestURL, strings.Replace(u, "{start time}", strconv.FormatUint(now, 10), 1)))
					now += c.D
				}
			}
			plans = append(plans, plan)
		}
	}
	return plans
}

// fetchTrack fetches a plan's init and media segments and concatenates them.
func fetchTrack(t *testing.T, p trackPlan) []byte {
	var all bytes.Buffer
	for _, u := range append([]string{p.init}, p.media...) {
		r := do(t, http.MethodGet, u, nil)
		if r.status != 200 {
			t.Fatalf("GET %s: %s", u, r)
		}
		all.Write(r.body)
	}
	return all.Bytes()
}

// TestClearFormatsDecodeFrameExact fetches, for every clear format, the init
// and every media segment of every track over HTTP as a client would (URLs
// from the manifest, parsed by go-dash, grafov/m3u8 or encoding/xml), and
// checks that ffmpeg decodes them to the same frames as the source track
// file.
func TestClearFormatsDecodeFrameExact(t *testing.T) {
	t.Run("mapped", func(t *testing.T) { testClearFormatsDecode(t, true) })
	// storage.mmap false: every segment read with pread, served buffered.
	t.Run("pread", func(t *testing.T) { testClearFormatsDecode(t, false) })
}

func testClearFormatsDecode(t *testing.T, mapped bool) {
	o := startOriginLib(t, mediaRoot(t), "", nil, storage.LocalOptions{NoMapping: !mapped})
	o.locator("clear-demo", "demo", "Predefined_ClearStreamingOnly", nil)
	sources := o.sourceTracks("demo")
	if len(sources) != 4 {
		t.Fatalf("demo asset: want 4 tracks, got %v", sources)
	}
	want := map[string][]string{}
	var mu sync.Mutex
	wantFor := func(key string) []string {
		mu.Lock()
		defer mu.Unlock()
		if w, ok := want[key]; ok {
			return w
		}
		w := framemd5(t, sources[key], nil)
		if len(w) == 0 {
			t.Fatalf("ffmpeg decodes nothing from source %s", sources[key])
		}
		want[key] = w
		return w
	}
	for _, f := range []struct{ name, opts string }{
		{"dash-csf", "(format=mpd-time-csf)"},
		{"dash-cmaf", "(format=mpd-time-cmaf)"},
		{"hls-cmaf", "(format=m3u8-cmaf)"},
		{"smooth", ""},
	} {
		t.Run(f.name, func(t *testing.T) {
			mu := o.base + "/clear-demo/demo.ism/manifest" + f.opts
			r := do(t, http.MethodGet, mu, nil)
			if r.status != 200 {
				t.Fatalf("manifest: %s", r)
			}
			var plans []trackPlan
			switch {
			case strings.HasPrefix(f.name, "dash"):
				plans = planDASH(t, mu, r.body)
			case f.name == "hls-cmaf":
				plans = planHLS(t, o, mu, r.body)
			default:
				plans = planSmooth(t, mu, r.body)
			}
			if len(plans) != len(sources) {
				t.Fatalf("manifest addresses %d tracks, the asset has %d", len(plans), len(sources))
			}
			for _, p := range plans {
				src, ok := sources[p.key()]
				if !ok {
					t.Fatalf("manifest addresses %s, which is not a track of the asset", p.key())
				}
				got := framemd5(t, "-", fetchTrack(t, p))
				w := wantFor(p.key())
				if !reflect.DeepEqual(got, w) {
					t.Errorf("%s (%s): decoded %d frames, source %d; first difference: %s",
						p.key(), filepath.Base(src), len(got), len(w), firstDiff(got, w))
				}
			}
		})
	}
}

func firstDiff(a, b []string) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("frame %d: got %q want %q", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(a), len(b))
}

// TestFFmpegPlaysManifestURLs gives ffmpeg the manifest URLs themselves (its
// DASH and HLS demuxers do the fetching) and checks that every video and
// audio stream decodes to the frames of one of the source tracks.
func TestFFmpegPlaysManifestURLs(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	o.locator("clear-demo", "demo", "Predefined_ClearStreamingOnly", nil)
	sources := o.sourceTracks("demo")
	byHashes := map[string]string{}
	for key, file := range sources {
		byHashes[strings.Join(md5s(framemd5(t, file, nil)), " ")] = key
	}
	for _, f := range []string{"mpd-time-csf", "m3u8-cmaf"} {
		t.Run(f, func(t *testing.T) {
			u := o.base + "/clear-demo/demo.ism/manifest(format=" + f + ")"
			found := map[string]bool{}
			for _, sel := range []string{"0:v:0", "0:v:1", "0:a:0", "0:a:1"} {
				got := framemd5(t, u, nil, "-map", sel)
				if len(got) == 0 {
					t.Errorf("ffmpeg decodes nothing from stream %s of %s", sel, u)
					continue
				}
				key, ok := byHashes[strings.Join(md5s(got), " ")]
				if !ok {
					t.Errorf("stream %s of %s (%d frames) matches no source track", sel, u, len(got))
					continue
				}
				found[key] = true
			}
			if len(found) != len(sources) {
				t.Errorf("ffmpeg found %d distinct source tracks of %d: %v", len(found), len(sources), found)
			}
		})
	}
}
