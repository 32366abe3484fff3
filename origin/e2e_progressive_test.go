package origin_test

// End-to-end tests of progressive (non-fragmented) MP4 input, issue 14
// (spec/assets.md "Track files"), on the assets internal/testmedia makes
// with ffmpeg: prog-multi (two H.264 files holding the same AAC track, a
// French .m4a, an .ism picking tracks by trackID, moov first) and
// prog-bframes (B-frames and AAC with ffmpeg's edit lists, moov last, no
// .ism). ffmpeg plays the manifest URLs a client gets, clear and with one
// encrypted scheme per format, and must decode every track to the frames
// of its source track.
//
// The reference is the source track decoded with its edit list ignored
// (-ignore_editlist 1, -map 0:i:{trackId}): ffmpeg 5.1 drops the AAC
// priming frame of a progressive file, which it decodes in fragmented
// output and TS (spec/assets.md "Shown by"); frames are compared by their
// MD5, in order. Start times (the edit lists) are the packager tests'
// subject (TestProgressiveEditListSync).

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/drmorigin/drmorigin/internal/testmedia"
)

// progSource is where a track of an asset comes from, as the management
// API says: the file and its track_ID.
type progSource struct {
	key   string // name@bitrate
	typ   string // video, audio
	path  string
	track uint32
}

// progSources lists the tracks of an asset in the API's (server manifest)
// order.
func (o *testOrigin) progSources(asset string) []progSource {
	o.t.Helper()
	r := o.api(http.MethodGet, "/api/v1/assets/"+asset, nil)
	if r.status != 200 {
		o.t.Fatalf("GET asset %s: %s", asset, r)
	}
	var info struct {
		Tracks []struct {
			Name    string `json:"name"`
			Type    string `json:"type"`
			Bitrate int    `json:"bitrate"`
			File    string `json:"file"`
			TrackID uint32 `json:"trackId"`
		} `json:"tracks"`
	}
	if err := jsonInto(r.body, &info); err != nil {
		o.t.Fatal(err)
	}
	var out []progSource
	for _, tr := range info.Tracks {
		out = append(out, progSource{tr.Name + "@" + itoa(tr.Bitrate), tr.Type, filepath.Join(o.root, asset, tr.File), tr.TrackID})
	}
	return out
}

var (
	progRefMu sync.Mutex
	progRefs  = map[string][]string{}
)

// progRef is the frame MD5s of a source track, edit list ignored.
func progRef(t *testing.T, s progSource) []string {
	t.Helper()
	k := s.path + "#" + strconv.Itoa(int(s.track))
	progRefMu.Lock()
	defer progRefMu.Unlock()
	if h, ok := progRefs[k]; ok {
		return h
	}
	h := md5s(framemd5In(t, []string{"-ignore_editlist", "1"}, s.path, nil, "-map", "0:i:"+strconv.Itoa(int(s.track))))
	if len(h) == 0 {
		t.Fatalf("ffmpeg decodes nothing from track %d of %s", s.track, s.path)
	}
	progRefs[k] = h
	return h
}

// progCompare fails unless got is the source's frames.
func progCompare(t *testing.T, what string, got []string, s progSource) {
	t.Helper()
	want := progRef(t, s)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s (%s, track %d of %s): %d frames, source %d; %s", what, s.key, s.track, filepath.Base(s.path), len(got), len(want), firstDiff(got, want))
	}
}

// progOrigin starts an origin over the generated assets with, for each
// asset, a clear locator clr-{asset}, a Predefined_ClearKey locator
// ck-{asset} (open key policy: HLS AES-128 keys and DASH cenc with
// ClearKey) and a Predefined_MultiDrmCencStreaming locator cenc-{asset}
// (Smooth PIFF).
func progOrigin(t *testing.T, root string, assets ...string) *testOrigin {
	t.Helper()
	o := startOrigin(t, root, "")
	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}},
		map[string]any{"configuration": map[string]any{"type": "clearKey"}, "restriction": map[string]any{"type": "open"}}}}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	for _, a := range assets {
		o.locator("clr-"+a, a, "Predefined_ClearStreamingOnly", nil)
		o.locator("ck-"+a, a, "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "open"})
		o.locator("cenc-"+a, a, "Predefined_MultiDrmCencStreaming", map[string]any{"defaultContentKeyPolicyName": "open"})
	}
	return o
}

// TestProgressiveE2EDecode: for prog-multi and prog-bframes, ffmpeg
// decodes every track of every format from the origin to the frames of
// its source track: DASH (csf and cmaf) and HLS fMP4 manifest URLs given to
// ffmpeg's own demuxers (each stream must match a source track, and every
// source track must be found), Smooth fetched as a client does (URLs from
// the client manifest), HLS TS v4 and v3 media playlists through ffmpeg's
// HLS demuxer (v3: video and the default audio muxed); encrypted: DASH
// cenc with the ClearKey policy (key from the management API, a wrong key
// must not decode), HLS AES-128 on fMP4, TS v4 and TS v3 (ffmpeg fetches
// the key from key delivery), Smooth PIFF (cenc).
func TestProgressiveE2EDecode(t *testing.T) {
	progE2EDecode(t, testmedia.Progressive(t))
}

// progE2EDecode runs TestProgressiveE2EDecode on the assets prog-multi and
// prog-bframes under root.
func progE2EDecode(t *testing.T, root string) {
	needTool(t, "ffprobe", "ffmpeg")
	assets := []string{testmedia.Multi, testmedia.BFrames}
	o := progOrigin(t, root, assets...)
	for _, asset := range assets {
		t.Run(asset, func(t *testing.T) {
			sources := o.progSources(asset)
			byKey := map[string]progSource{}
			var videos, audios int
			var defaultAudio *progSource
			for i, s := range sources {
				byKey[s.key] = s
				switch s.typ {
				case "video":
					videos++
				case "audio":
					audios++
					if defaultAudio == nil {
						defaultAudio = &sources[i]
					}
				}
			}
			want := map[string][2]int{testmedia.Multi: {2, 2}, testmedia.BFrames: {1, 1}}[asset]
			if videos != want[0] || audios != want[1] {
				t.Fatalf("%d video and %d audio tracks (%+v), want %d and %d", videos, audios, sources, want[0], want[1])
			}
			manifest := func(loc, opts string) string {
				u := o.base + "/" + loc + "-" + asset + "/" + asset + ".ism/manifest"
				if opts != "" {
					u += "(" + opts + ")"
				}
				return u
			}

			for _, f := range []string{"mpd-time-csf", "mpd-time-cmaf", "m3u8-cmaf"} {
				t.Run(f+" clear (ffmpeg on the manifest URL)", func(t *testing.T) {
					u := manifest("clr", "format="+f)
					if r := do(t, "GET", u, nil); r.status != 200 {
						t.Fatalf("manifest: %s", r)
					}
					found := map[string]bool{}
					for _, sel := range progSelectors(videos, audios) {
						got := md5s(framemd5(t, u, nil, "-map", sel))
						if len(got) == 0 {
							t.Errorf("ffmpeg decodes nothing from stream %s of %s", sel, u)
							continue
						}
						match := ""
						for _, s := range sources {
							if reflect.DeepEqual(got, progRef(t, s)) {
								match = s.key
							}
						}
						if match == "" {
							t.Errorf("stream %s of %s (%d frames) matches no source track", sel, u, len(got))
							continue
						}
						found[match] = true
					}
					if len(found) != len(sources) {
						t.Errorf("ffmpeg found %d of the %d source tracks: %v", len(found), len(sources), found)
					}
				})
			}

			t.Run("smooth clear", func(t *testing.T) {
				progPlans(t, manifest("clr", ""), planSmooth, sources, func(p trackPlan, data []byte) {
					progCompare(t, "smooth "+p.key(), md5s(framemd5(t, "-", data)), byKey[p.key()])
				})
			})
			t.Run("smooth piff", func(t *testing.T) {
				key := progKeyHex(t, o, "cenc-"+asset, "commonEncryptionCenc")
				progPlans(t, manifest("cenc", "encryption=piff"), planSmooth, sources, func(p trackPlan, data []byte) {
					progCompare(t, "smooth piff "+p.key(), md5s(framemd5Key(t, data, key)), byKey[p.key()])
					if wrong := md5s(framemd5Key(t, data, strings.Repeat("ab", 16))); reflect.DeepEqual(wrong, progRef(t, byKey[p.key()])) {
						t.Errorf("%s: a wrong key decodes the source frames", p.key())
					}
				})
			})
			t.Run("dash cenc clearkey", func(t *testing.T) {
				u := manifest("ck", "format=mpd-time-csf,encryption=cenc")
				r := do(t, "GET", u, nil)
				if r.status != 200 || !strings.Contains(string(r.body), "urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e") {
					t.Fatalf("DASH cenc manifest without ClearKey signalling: %s", r)
				}
				key := progKeyHex(t, o, "ck-"+asset, "commonEncryptionCenc")
				progPlans(t, u, func(t *testing.T, u string, b []byte) []trackPlan { return planDASH(t, u, b) }, sources, func(p trackPlan, data []byte) {
					progCompare(t, "dash cenc "+p.key(), md5s(framemd5Key(t, data, key)), byKey[p.key()])
					if wrong := md5s(framemd5Key(t, data, strings.Repeat("ab", 16))); reflect.DeepEqual(wrong, progRef(t, byKey[p.key()])) {
						t.Errorf("%s: a wrong key decodes the source frames", p.key())
					}
				})
			})
			t.Run("m3u8-cmaf cbc", func(t *testing.T) {
				u := manifest("ck", "format=m3u8-cmaf,encryption=cbc")
				r := do(t, "GET", u, nil)
				if r.status != 200 || !strings.Contains(string(r.body), "METHOD=AES-128") {
					t.Fatalf("multivariant playlist: %s", r)
				}
				plans := planHLS(t, o, u, r.body)
				if len(plans) != len(sources) {
					t.Fatalf("%d media playlists for %d tracks", len(plans), len(sources))
				}
				for _, p := range plans {
					// ffmpeg's HLS demuxer fetches the key from key delivery.
					progCompare(t, "hls cbc "+p.key(), md5s(framemd5(t, p.playlist, nil)), byKey[p.key()])
				}
			})

			for _, c := range []struct{ name, loc, opts string }{
				{"m3u8-aapl clear", "clr", "format=m3u8-aapl"},
				{"m3u8-aapl-v3 clear", "clr", "format=m3u8-aapl-v3"},
				{"m3u8-aapl cbc", "ck", "format=m3u8-aapl,encryption=cbc"},
				{"m3u8-aapl-v3 cbc", "ck", "format=m3u8-aapl-v3,encryption=cbc"},
			} {
				t.Run(c.name, func(t *testing.T) {
					v3 := strings.Contains(c.opts, "v3")
					playlists := tsPlaylists(t, manifest(c.loc, c.opts))
					if want := map[bool]int{false: len(sources), true: videos}[v3]; len(playlists) != want {
						t.Fatalf("%d media playlists, want %d", len(playlists), want)
					}
					for _, u := range playlists {
						key := playlistTrack(t, u) + "@" + itoa(bitrateOf(t, u))
						src, ok := byKey[key]
						if !ok {
							t.Fatalf("playlist %s is for %s, not a track of the asset", u, key)
						}
						pl := localPlaylist(t, u, "")
						if !v3 {
							progCompare(t, c.name+" "+key, hlsFrames(t, pl, "0:0"), src)
						} else {
							progCompare(t, c.name+" "+key+" muxed video", hlsFrames(t, pl, "0:v:0"), src)
							progCompare(t, c.name+" "+key+" muxed audio", hlsFrames(t, pl, "0:a:0"), *defaultAudio)
						}
						checkContinuity(t, pl)
					}
				})
			}
		})
	}
}

// progSelectors are ffmpeg's stream selectors for the video and audio
// streams of a manifest.
func progSelectors(videos, audios int) []string {
	var sel []string
	for i := range videos {
		sel = append(sel, "0:v:"+itoa(i))
	}
	for i := range audios {
		sel = append(sel, "0:a:"+itoa(i))
	}
	return sel
}

// progPlans fetches a manifest, plans its tracks as a client would, checks
// that they are the asset's tracks, and hands each track's init and media
// segments, concatenated, to check.
func progPlans(t *testing.T, u string, plan func(t *testing.T, u string, b []byte) []trackPlan, sources []progSource, check func(trackPlan, []byte)) {
	t.Helper()
	r := do(t, "GET", u, nil)
	if r.status != 200 {
		t.Fatalf("manifest %s: %s", u, r)
	}
	plans := plan(t, u, r.body)
	if len(plans) != len(sources) {
		t.Fatalf("manifest addresses %d tracks, the asset has %d", len(plans), len(sources))
	}
	for _, p := range plans {
		found := false
		for _, s := range sources {
			found = found || s.key == p.key()
		}
		if !found {
			t.Fatalf("manifest addresses %s, not a track of the asset", p.key())
		}
		check(p, fetchTrack(t, p))
	}
}

// progKeyHex is the content key of that type of a locator, in hex.
func progKeyHex(t *testing.T, o *testOrigin, locator, typ string) string {
	t.Helper()
	k := keyOfType(t, o.contentKeys(locator), typ)
	raw, err := base64.StdEncoding.DecodeString(k.Value)
	if err != nil || len(raw) != 16 {
		t.Fatalf("key %s: %v", k.ID, err)
	}
	return hex.EncodeToString(raw)
}

// TestProgressiveE2EBadAsset: an asset whose progressive file has a
// truncated moov answers 500 to players, and the management API says it
// is unservable, naming the file; another asset of the same origin plays.
func TestProgressiveE2EBadAsset(t *testing.T) {
	gen := testmedia.Progressive(t)
	root := t.TempDir()
	for _, c := range []struct {
		asset string
		cut   bool
	}{{"bad", true}, {"good", false}} {
		b, err := os.ReadFile(filepath.Join(gen, testmedia.MoovEnd, "av.mp4"))
		if err != nil {
			t.Fatal(err)
		}
		if c.cut {
			m, ok := testmedia.Find(b, "moov")
			if !ok {
				t.Fatal("no moov")
			}
			b = b[:m.Off+m.Size/2]
		}
		if err := os.MkdirAll(filepath.Join(root, c.asset), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, c.asset, "truncated-moov.mp4"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := startOrigin(t, root, "")
	o.locator("bad", "bad", "Predefined_ClearStreamingOnly", nil)
	o.locator("good", "good", "Predefined_ClearStreamingOnly", nil)
	for _, f := range []string{"", "(format=mpd-time-csf)", "(format=m3u8-cmaf)", "(format=m3u8-aapl)"} {
		if r := o.get("/bad/bad.ism/manifest" + f); r.status != 500 {
			t.Errorf("bad asset manifest%s: %s, want 500", f, r)
		} else if bytes.Contains(r.body, []byte(root)) {
			t.Errorf("bad asset manifest%s: the player's answer %q shows a server path", f, r.body)
		}
		if r := o.get("/good/good.ism/manifest" + f); r.status != 200 {
			t.Errorf("good asset manifest%s: %s", f, r)
		}
	}
	if r := o.api("GET", "/api/v1/assets/bad", nil); r.status != 200 || !bytes.Contains(r.body, []byte(`"state":"unservable"`)) ||
		!bytes.Contains(r.body, []byte("truncated-moov.mp4")) {
		t.Errorf("GET /api/v1/assets/bad: %s, want state unservable naming truncated-moov.mp4", r)
	}
	// The good asset's segments play.
	u := o.base + "/good/good.ism/manifest(format=mpd-time-csf)"
	if got := framemd5(t, u, nil, "-map", "0:v:0"); len(got) == 0 {
		t.Errorf("ffmpeg decodes nothing from the good asset")
	}
}

// TestProgressiveE2EControl runs TestProgressiveE2EDecode's checks where
// they must pass today: on fragmented copies that ffmpeg makes of the
// tracks of prog-multi (one track a file, an .ism without trackIDs) and
// prog-bframes (edit lists kept by delay_moov), which the origin already
// serves. A failure of TestProgressiveE2EDecode where this passes is the
// progressive input's, not the checks'.
func TestProgressiveE2EControl(t *testing.T) {
	gen := testmedia.Progressive(t)
	root := t.TempDir()
	frag := func(src, sel, dst string) {
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		args := []string{"-nostdin", "-loglevel", "error", "-i", src, "-map", sel, "-c", "copy", "-frag_duration", "2000000", "-movflags", "+frag_keyframe+default_base_moof+delay_moov", "-f", "mp4", dst}
		if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
	}
	m := filepath.Join(gen, "prog-multi")
	frag(filepath.Join(m, "video_640x360.mp4"), "0:v", filepath.Join(root, "prog-multi", "video_640x360.mp4"))
	frag(filepath.Join(m, "video_320x180.mp4"), "0:v", filepath.Join(root, "prog-multi", "video_320x180.mp4"))
	frag(filepath.Join(m, "video_640x360.mp4"), "0:a", filepath.Join(root, "prog-multi", "audio_eng.mp4"))
	frag(filepath.Join(m, "audio_fra.m4a"), "0:a", filepath.Join(root, "prog-multi", "audio_fra.mp4"))
	ism, err := os.ReadFile(filepath.Join(m, "prog-multi.ism"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(ism)
	s = strings.ReplaceAll(s, `        <param name="trackID" value="1" valuetype="data"/>
`, "")
	s = strings.ReplaceAll(s, `        <param name="trackID" value="2" valuetype="data"/>
`, "")
	s = strings.Replace(s, `<audio src="video_640x360.mp4"`, `<audio src="audio_eng.mp4"`, 1)
	i := strings.Index(s, `      <audio src="video_320x180.mp4"`)
	j := strings.Index(s[i:], "</audio>\n")
	s = s[:i] + s[i+j+len("</audio>\n"):]
	s = strings.Replace(s, "audio_fra.m4a", "audio_fra.mp4", 1)
	if err := os.WriteFile(filepath.Join(root, "prog-multi", "prog-multi.ism"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(gen, "prog-bframes", "av.mp4")
	frag(b, "0:v", filepath.Join(root, "prog-bframes", "video.mp4"))
	frag(b, "0:a", filepath.Join(root, "prog-bframes", "audio.mp4"))
	progE2EDecode(t, root)
}

// TestBrowserPlaysProgressive: headless Chromium plays the progressive
// assets (H.264 and AAC: Debian's Chromium decodes no HEVC) through the
// players of TestBrowserPlaysClear and TestBrowserPlaysEncrypted: shaka
// DASH, hls.js HLS fMP4 and TS, dash.js Smooth, clear, and for prog-multi
// shaka DASH cenc with a ClearKey license and hls.js HLS AES-128 from the
// origin's key delivery (open key policy: no token).
func TestBrowserPlaysProgressive(t *testing.T) {
	web := webDir(t)
	root := testmedia.Progressive(t)
	o := startOriginWith(t, root, "", func(c *originConfig) { c.PlayerDir = web })
	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}},
		map[string]any{"configuration": map[string]any{"type": "clearKey"}, "restriction": map[string]any{"type": "open"}}}}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	for _, a := range []string{testmedia.Multi, testmedia.BFrames} {
		o.locator("clr-"+a, a, "Predefined_ClearStreamingOnly", nil)
		o.locator("ck-"+a, a, "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "open"})
	}
	type playCase struct{ name, url, player string }
	cases := func(a string, all bool) []playCase {
		m := "/clr-" + a + "/" + a + ".ism/manifest"
		ps := []playCase{
			{a + " shaka DASH", m + "(format=mpd-time-csf)", "shaka"},
			{a + " hls.js HLS CMAF", m + "(format=m3u8-cmaf)", "hls"},
			{a + " hls.js HLS TS v3", m + "(format=m3u8-aapl-v3)", "hls"},
			{a + " dash.js Smooth", m, "dashjs"},
		}
		if all {
			ck := "/ck-" + a + "/" + a + ".ism/manifest"
			ps = append(ps,
				playCase{a + " shaka DASH CMAF", m + "(format=mpd-time-cmaf)", "shaka"},
				playCase{a + " hls.js HLS TS", m + "(format=m3u8-aapl)", "hls"},
				playCase{a + " shaka DASH cenc ClearKey", ck + "(format=mpd-time-csf,encryption=cenc)", "shaka"},
				playCase{a + " hls.js HLS AES-128", ck + "(format=m3u8-cmaf,encryption=cbc)", "hls"})
		}
		return ps
	}
	for _, c := range append(cases(testmedia.Multi, true), cases(testmedia.BFrames, false)...) {
		t.Run(c.name, func(t *testing.T) {
			r := play(t, o, web, o.base+c.url, "--player", c.player, "--seconds", "3")
			if !r.OK || r.Player != c.player {
				t.Errorf("%s did not play %s: %+v", c.player, c.url, r)
			}
			t.Logf("%s: reached %.2fs, decoded %v", c.player, r.CurrentTime, r.Decoded)
		})
	}
}
