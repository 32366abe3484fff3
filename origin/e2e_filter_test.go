package origin_test

import (
	"bytes"
	"net/http"
	"os/exec"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafov/m3u8"

	"github.com/drmorigin/drmorigin/keyclient/redistest"
)

// The filters of the e2e tests, on the demo asset (video 600000 and 250000
// bit/s, audio_eng and audio_fra; four 2 s fragments per track):
//   - low (asset filter): the video up to 300 kb/s, and English audio;
//   - mid (account filter): 3 s to 5 s, which keeps the fragments
//     holding those times, the second and third of every track (audio
//     fragments are 2.005 s and 2.016 s long, so the same ones).
const (
	filterLow = `{"tracks":[{"trackSelections":[{"property":"Type","operation":"Equal","value":"Video"},` +
		`{"property":"Bitrate","operation":"Equal","value":"0-300000"}]},` +
		`{"trackSelections":[{"property":"Type","value":"Audio"},{"property":"Language","value":"en"}]}]}`
	filterMid = `{"presentationTimeRange":{"startTimestamp":30000000,"endTimestamp":50000000,"timescale":10000000}}`
	filterOpt = ",filter=low;mid"
)

// filterOrigin starts an origin with the demo asset, the filters low and
// mid, a clear locator (fc) and an HLS AES-128 one (fe).
func filterOrigin(t *testing.T, storeURL string) *testOrigin {
	o := startOrigin(t, mediaRoot(t), storeURL)
	for path, body := range map[string]string{
		"/api/v1/assets/demo/assetFilters/low": filterLow,
		"/api/v1/accountFilters/mid":           filterMid,
		"/api/v1/contentKeyPolicies/open": `{"name":"open","options":[{"configuration":{"type":"aesEnvelope"},"restriction":{"type":"open"}},` +
			`{"configuration":{"type":"clearKey"},"restriction":{"type":"open"}}]}`,
	} {
		if r := o.api(http.MethodPut, path, body); r.status/100 != 2 {
			t.Fatalf("PUT %s: %s", path, r)
		}
	}
	o.locator("fc", "demo", "Predefined_ClearStreamingOnly", nil)
	o.locator("fe", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "open"})
	return o
}

// planTS reads a TS multivariant playlist and its media playlists (no
// EXT-X-MAP) into plans without init segments.
func planTS(t *testing.T, manifestURL string, body []byte) []trackPlan {
	pl, kind, err := m3u8.DecodeFrom(bytes.NewReader(body), true)
	if err != nil || kind != m3u8.MASTER {
		t.Fatalf("m3u8 cannot read the multivariant playlist: %v", err)
	}
	uris := map[string]bool{}
	for _, v := range pl.(*m3u8.MasterPlaylist).Variants {
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
		mp, kind, err := m3u8.DecodeFrom(bytes.NewReader(r.body), true)
		if r.status != 200 || err != nil || kind != m3u8.MEDIA {
			t.Fatalf("media playlist %s: %s %v", u, r, err)
		}
		i := strings.Index(u, "Manifest(")
		name, _, _ := strings.Cut(u[i+len("Manifest("):], ",")
		plan := trackPlan{name: name, bitrate: bitrateOf(t, u), playlist: u}
		for _, s := range mp.(*m3u8.MediaPlaylist).Segments {
			if s != nil {
				plan.media = append(plan.media, resolve(t, u, s.URI))
			}
		}
		plans = append(plans, plan)
	}
	return plans
}

// fetchAll is fetchTrack for plans with or without an init segment.
func fetchAll(t *testing.T, p trackPlan) []byte {
	if p.init != "" {
		return fetchTrack(t, p)
	}
	var all []byte
	for _, u := range p.media {
		r := do(t, http.MethodGet, u, nil)
		if r.status != 200 {
			t.Fatalf("GET %s: %s", u, r)
		}
		all = append(all, r.body...)
	}
	return all
}

// withFilter puts filterOpt among the options of a segment URL.
func withFilter(u string) string {
	i := strings.LastIndex(u, ")")
	return u[:i] + filterOpt + u[i:]
}

func plansByKey(ps []trackPlan) map[string]trackPlan {
	m := map[string]trackPlan{}
	for _, p := range ps {
		m[p.key()] = p
	}
	return m
}

func planKeys(m map[string]trackPlan) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ffprobeDuration is the duration ffprobe states for a manifest URL.
func ffprobeDuration(t *testing.T, u string) float64 {
	t.Helper()
	needTool(t, "ffprobe", "ffmpeg")
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", u).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", u, err)
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		t.Fatalf("ffprobe %s: duration %q", u, out)
	}
	return d
}

// TestFilteredManifests: in every format, a manifest under filter=low;mid
// lists exactly the kept tracks (250 kb/s video, English audio) and, of
// each, exactly the source fragments holding 3 s to 5 s, with the filter in
// every URL; those segments are the unfiltered ones byte for byte, others
// answer 404; ffmpeg plays the filtered DASH and HLS manifests (clear and
// HLS AES-128) to the source's frames of that stretch, and ffprobe states
// its 4 s.
func TestFilteredManifests(t *testing.T) {
	o := filterOrigin(t, "")
	sources := o.sourceTracks("demo")
	video := md5s(framemd5(t, sources["video@250000"], nil))
	if len(video) != 200 {
		t.Fatalf("the demo's 250 kb/s video has %d frames, want 200 (four 2 s fragments at 25 fps)", len(video))
	}
	wantVideo := video[50:150]
	for _, c := range []struct {
		format string
		plan   func(t *testing.T, u string, b []byte) []trackPlan
		want   []string
		play   bool // ffmpeg reads the manifest itself
	}{
		{"mpd-time-csf", planDASH, []string{"audio_eng@96000", "video@250000"}, true},
		{"mpd-time-cmaf", planDASH, []string{"audio_eng@96000", "video@250000"}, true},
		{"m3u8-cmaf", func(t *testing.T, u string, b []byte) []trackPlan { return planHLS(t, o, u, b) }, []string{"audio_eng@96000", "video@250000"}, true},
		{"m3u8-aapl", planTS, []string{"audio_eng@96000", "video@250000"}, true},
		{"m3u8-aapl-v3", planTS, []string{"video@250000"}, true},
		{"", planSmooth, []string{"audio_eng@96000", "video@250000"}, false}, // ffmpeg has no Smooth Streaming demuxer
	} {
		name := c.format
		if name == "" {
			name = "smooth"
		}
		t.Run(name, func(t *testing.T) {
			opts := "format=" + c.format
			if c.format == "" {
				opts = ""
			}
			full := o.base + "/fc/demo.ism/manifest(" + opts + ")"
			filtered := o.base + "/fc/demo.ism/manifest(" + strings.TrimPrefix(opts+filterOpt, ",") + ")"
			rf, rff := o.get(full[len(o.base):]), o.get(filtered[len(o.base):])
			if rf.status != 200 || rff.status != 200 {
				t.Fatalf("manifests: %s / %s", rf, rff)
			}
			all, kept := plansByKey(c.plan(t, full, rf.body)), plansByKey(c.plan(t, filtered, rff.body))
			if got := planKeys(kept); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("filtered manifest lists %v, want %v", got, c.want)
			}
			for key, p := range kept {
				src := all[key]
				if len(p.media) != 2 {
					t.Fatalf("%s: %d segments, want 2: %v", key, len(p.media), p.media)
				}
				for i, u := range p.media {
					if !strings.Contains(u, filterOpt+")") {
						t.Errorf("%s: segment URL %s does not carry the filter", key, u)
					}
					if plain := strings.Replace(u, filterOpt, "", 1); plain != src.media[i+1] {
						t.Errorf("%s: segment %d is %s, want the source's fragment %d, %s", key, i, plain, i+1, src.media[i+1])
					}
				}
				a, b := do(t, "GET", p.media[0], nil), do(t, "GET", src.media[1], nil)
				if a.status != 200 || !bytes.Equal(a.body, b.body) {
					t.Errorf("%s: the filtered segment is not the unfiltered one: %s", key, a)
				}
				if r := do(t, "GET", withFilter(src.media[0]), nil); r.status != 404 {
					t.Errorf("%s: the fragment before the range under the filter: %s, want 404", key, r)
				}
			}
			// A track the filter drops: its init (fMP4) or first segment (TS) is 404 under the filter.
			dropped := all["video@600000"]
			u := dropped.init
			if u == "" {
				u = dropped.media[1]
			}
			if r := do(t, "GET", withFilter(u), nil); r.status != 404 {
				t.Errorf("a dropped track's URL under the filter: %s, want 404", r)
			}
			// The kept video, fetched as a client would, decodes to the
			// source's frames of fragments 2 and 3.
			if got := md5s(framemd5(t, "-", fetchAll(t, kept["video@250000"]), "-map", "0:v:0")); !reflect.DeepEqual(got, wantVideo) {
				t.Errorf("the filtered video decodes to %d frames, want the source's frames 50..149 (%s)", len(got), firstDiff(got, wantVideo))
			}
			if !c.play {
				return
			}
			if got := md5s(framemd5(t, filtered, nil, "-map", "0:v:0")); !reflect.DeepEqual(got, wantVideo) {
				t.Errorf("ffmpeg plays the filtered manifest to %d video frames, want the source's frames 50..149 (%s)", len(got), firstDiff(got, wantVideo))
			}
			if d := ffprobeDuration(t, filtered); d < 3.9 || d > 4.2 {
				t.Errorf("ffprobe states %.3f s for the filtered manifest, want 4 s", d)
			}
			if d := ffprobeDuration(t, full); d < 7.9 {
				t.Errorf("ffprobe states %.3f s for the unfiltered manifest, want 8 s", d)
			}
		})
	}
	// HLS AES-128: a cut playlist states the IVs its segments are
	// encrypted with (those of the source fragments), so ffmpeg decrypts.
	for _, f := range []string{"m3u8-cmaf", "m3u8-aapl"} {
		u := o.base + "/fe/demo.ism/QualityLevels(250000)/Manifest(video,format=" + f + ",encryption=cbc" + filterOpt + ")"
		if got := md5s(framemd5(t, u, nil)); !reflect.DeepEqual(got, wantVideo) {
			t.Errorf("%s cbc: ffmpeg decrypts the filtered playlist to %d frames, want the source's 50..149 (%s)", f, len(got), firstDiff(got, wantVideo))
		}
	}
}

// TestFilterAnswers: the 400s and 404s of filters, firstQuality, the
// locator's filters, and a change or deletion seen by the next request.
func TestFilterAnswers(t *testing.T) {
	o := filterOrigin(t, "")
	m := "/fc/demo.ism/manifest(format=m3u8-cmaf,filter="
	for _, c := range []struct {
		path   string
		status int
		msg    string
	}{
		{m + "low;mid;a;b)", 400, "at most 3"},
		{m + "nosuch)", 404, ""},
		{m + "low;nosuch)", 404, ""},
		{m + "low;mid)", 200, ""},
		{"/fc/demo.ism/manifest(filter=low,filter=mid)", 400, "twice"},
	} {
		if r := o.get(c.path); r.status != c.status || !strings.Contains(string(r.body), c.msg) {
			t.Errorf("GET %s: %s, want %d %q", c.path, r, c.status, c.msg)
		}
	}
	// A filter that leaves nothing: 400 naming it.
	if r := o.api("PUT", "/api/v1/accountFilters/textonly", `{"tracks":[{"trackSelections":[{"property":"Type","value":"Text"}]}]}`); r.status != 201 {
		t.Fatalf("PUT textonly: %s", r)
	}
	if r := o.get(m + "low;textonly)"); r.status != 400 || !strings.Contains(string(r.body), "textonly") {
		t.Errorf("a filter leaving no video and no audio: %s, want 400 naming it", r)
	}
	// Malformed filters: 400 naming the field.
	for body, target := range map[string]string{
		`{"tracks":[{"trackSelections":[{"property":"Bitrate","value":"high"}]}]}`:                "tracks[0].trackSelections[0].value",
		`{"tracks":[{"trackSelections":[{"property":"Codec","value":"avc1"}]}]}`:                  "tracks[0].trackSelections[0].property",
		`{"presentationTimeRange":{"startTimestamp":50,"endTimestamp":10}}`:                       "presentationTimeRange.endTimestamp",
		`{"presentationTimeRange":{"timescale":0}}`:                                               "presentationTimeRange.timescale",
		`{"firstQuality":{"bitrate":-1}}`:                                                         "firstQuality.bitrate",
		`{"tracks":[{"trackSelections":[{"property":"Type","operation":"Is","value":"Video"}]}]}`: "tracks[0].trackSelections[0].operation",
	} {
		r := o.api("PUT", "/api/v1/assets/demo/assetFilters/bad", body)
		var e struct{ Error struct{ Target string } }
		if r.status != 400 || jsonInto(r.body, &e) != nil || e.Error.Target != target {
			t.Errorf("PUT %s: %s, want 400 naming %s", body, r, target)
		}
	}
	if r := o.api("PUT", "/api/v1/assets/nosuch/assetFilters/x", `{}`); r.status != 404 {
		t.Errorf("an asset filter of an asset that does not exist: %s, want 404", r)
	}
	if r := o.api("GET", "/api/v1/assets/demo/assetFilters/low", nil); r.status != 200 || !strings.Contains(string(r.body), `"value":"0-300000"`) {
		t.Errorf("GET the asset filter: %s", r)
	}

	// firstQuality, changed and deleted: the next request sees it.
	first := func() string {
		r := o.get(m + "fq)")
		if r.status != 200 {
			return r.String()
		}
		i := strings.Index(string(r.body), "#EXT-X-STREAM-INF")
		line := strings.SplitN(string(r.body[i:]), "\n", 3)[1]
		return line[:strings.Index(line, "/")]
	}
	o.api("PUT", "/api/v1/accountFilters/fq", `{"firstQuality":{"bitrate":600000}}`)
	if got := first(); got != "QualityLevels(600000)" {
		t.Errorf("firstQuality 600000: the first variant is %s", got)
	}
	o.api("PUT", "/api/v1/accountFilters/fq", `{"firstQuality":{"bitrate":200000}}`)
	if got := first(); got != "QualityLevels(250000)" {
		t.Errorf("firstQuality changed to 200000: the first variant is %s, want the change seen at once", got)
	}
	seg := "/fc/demo.ism/QualityLevels(250000)/Fragments(video=i,format=m3u8-cmaf,filter=fq).mp4"
	if r := o.get(seg); r.status != 200 {
		t.Fatalf("init under filter fq: %s", r)
	}
	if r := o.api("DELETE", "/api/v1/accountFilters/fq", nil); r.status != 204 {
		t.Fatalf("DELETE fq: %s", r)
	}
	if r := o.get(m + "fq)"); r.status != 404 {
		t.Errorf("manifest naming a deleted filter: %s, want 404 at once", r)
	}
	if r := o.get(seg); r.status != 404 {
		t.Errorf("segment naming a deleted filter: %s, want 404 at once", r)
	}

	// A locator's filters apply to its every URL, and stay while it does.
	o.locator("fl", "demo", "Predefined_ClearStreamingOnly", map[string]any{"filters": []string{"low"}})
	r := o.get("/fl/demo.ism/manifest(format=m3u8-cmaf)")
	if n := strings.Count(string(r.body), "#EXT-X-STREAM-INF"); r.status != 200 || n != 1 || strings.Contains(string(r.body), "audio_fra") {
		t.Errorf("a locator with filter low: %d variants, %s", n, r)
	}
	if r := o.get("/fl/demo.ism/QualityLevels(600000)/Fragments(video=i,format=m3u8-cmaf).mp4"); r.status != 404 {
		t.Errorf("a track the locator's filter drops: %s, want 404", r)
	}
	if r := o.get("/fl/demo.ism/manifest(format=m3u8-cmaf,filter=mid)"); r.status != 200 || strings.Count(string(r.body), "#EXT-X-STREAM-INF") != 1 {
		t.Errorf("a locator's filter and the URL's together: %s", r)
	}
	if r := o.api("DELETE", "/api/v1/assets/demo/assetFilters/low", nil); r.status != 409 || !strings.Contains(string(r.body), "fl") {
		t.Errorf("deleting a filter a locator lists: %s, want 409 naming the locator", r)
	}
	if r := o.api("PUT", "/api/v1/streamingLocators/fl2", map[string]any{"assetName": "demo", "streamingPolicyName": "Predefined_ClearStreamingOnly",
		"filters": []string{"nosuch"}}); r.status != 400 || !strings.Contains(string(r.body), "filters[0]") {
		t.Errorf("a locator naming an unknown filter: %s, want 400 on filters[0]", r)
	}
}

// TestFilterChangeSeenByOtherOrigin: two origins share one Redis; a
// manifest cached on one under a filter is rebuilt there as soon as the
// filter changes through the other, and 404s once it is deleted.
func TestFilterChangeSeenByOtherOrigin(t *testing.T) {
	redis := redistest.Start(t)
	a := filterOrigin(t, redis)
	b := startOrigin(t, mediaRoot(t), redis)
	path := "/fc/demo.ism/manifest(format=mpd-time-csf,filter=mid)"
	r := b.get(path)
	if r.status != 200 || !strings.Contains(string(r.body), `mediaPresentationDuration="PT4`) {
		t.Fatalf("b, filter mid: %s", r)
	}
	if r := a.api("PUT", "/api/v1/accountFilters/mid", `{"presentationTimeRange":{"startTimestamp":10000000,"endTimestamp":50000000}}`); r.status != 200 {
		t.Fatalf("change mid: %s", r)
	}
	start := time.Now()
	for {
		r = b.get(path)
		if strings.Contains(string(r.body), `mediaPresentationDuration="PT6`) || time.Since(start) > time.Second {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(string(r.body), `mediaPresentationDuration="PT6`) {
		t.Fatalf("the other origin still serves the old filter after 1 s: %s", r)
	}
	t.Logf("change seen by the other origin after %v", time.Since(start))
	if r := a.api("DELETE", "/api/v1/accountFilters/mid", nil); r.status != 204 {
		t.Fatalf("delete mid: %s", r)
	}
	start = time.Now()
	if r := b.waitStatus(path, 404, time.Second); r.status != 404 {
		t.Fatalf("the other origin still serves a deleted filter after 1 s: %s", r)
	}
	t.Logf("delete seen by the other origin after %v", time.Since(start))
}
