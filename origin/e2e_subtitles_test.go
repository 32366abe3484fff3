package origin_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The subtitle asset: 8 s of 320x180 video at 25 fps with B-frames, whose
// frames show their own number (left half luma 16*(n%16)+8, right half
// 16*(n/16)+8, so a browser can read it), AAC audio, and two side files:
// Swedish WebVTT and English TTML, each with a cue that crosses the 2 s
// fragment boundary.
const subsVTT = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHej världen\n\nsecond\n00:00:04.000 --> 00:00:06.500 align:start\nÅter igen\n"

const subsTTML = `<?xml version="1.0" encoding="UTF-8"?>
<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:frameRate="25" xml:lang="en">
  <body><div>
    <p begin="00:00:00.520" end="00:00:02.480">Hello world</p>
    <p begin="00:00:05:00" end="00:00:07:05">Once <span>again</span></p>
  </div></body>
</tt>
`

type srcCue struct {
	start, end float64
	text       string
}

var subsCues = map[string][]srcCue{
	"sv": {{1, 3, "Hej världen"}, {4, 6.5, "Åter igen"}},
	"en": {{0.52, 2.48, "Hello world"}, {5, 7.2, "Once again"}},
}

// makeSubsAsset writes the asset under a new root, as "subs" (side files
// found by name) and "subsism" (listed in an .ism as textstreams), and
// returns the root and the presentation times (s) of the video frames in
// display order, by asset: in "subsprog", a progressive remux whose edit
// list makes frame n's presentation time n/25 (composition 0.08 s later).
func makeSubsAsset(t *testing.T) (string, map[string][]float64) {
	t.Helper()
	ffmpeg := needTool(t, "ffmpeg", "ffmpeg")
	needTool(t, "ffprobe", "ffmpeg")
	root := t.TempDir()
	dir := filepath.Join(root, "subs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	frag := []string{"-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"}
	video := append([]string{"-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
		"color=black:size=320x180:rate=25,format=yuv420p,geq=lum='if(lt(X,W/2),16*mod(N,16)+8,16*floor(N/16)+8)':cb=128:cr=128",
		"-frames:v", "200", "-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p",
		"-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-an"}, frag...)
	audio := append([]string{"-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=8",
		"-c:a", "aac", "-b:a", "96k", "-metadata:s:a:0", "language=eng", "-frag_duration", "2000000"}, frag...)
	for _, c := range [][]string{append(video, filepath.Join(dir, "video.mp4")), append(audio, filepath.Join(dir, "audio.mp4"))} {
		if out, err := exec.Command(ffmpeg, c...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v: %s", err, out)
		}
	}
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("subs_sv.vtt", subsVTT)
	write("subs.eng.ttml", subsTTML)

	ism := filepath.Join(root, "subsism")
	if err := os.MkdirAll(ism, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"video.mp4", "audio.mp4", "subs_sv.vtt", "subs.eng.ttml"} {
		if err := os.Symlink(filepath.Join(dir, f), filepath.Join(ism, f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(ism, "movie.ism"), []byte(`<?xml version="1.0" encoding="utf-8"?>
<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch>
  <video src="video.mp4" systemBitrate="500000"/>
  <audio src="audio.mp4" systemBitrate="96000" systemLanguage="eng"/>
  <textstream src="subs_sv.vtt" systemLanguage="swe"><param name="trackName" value="sub_swedish" valuetype="data"/></textstream>
  <textstream src="subs.eng.ttml" systemLanguage="en"/>
</switch></body></smil>`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A progressive file of the same video (B-frames: its edit list shifts
	// presentation 0.08 s below composition) with AAC, and the Swedish file.
	prog := filepath.Join(root, "subsprog")
	if err := os.MkdirAll(prog, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(ffmpeg, "-nostdin", "-loglevel", "error", "-i", filepath.Join(dir, "video.mp4"), "-i", filepath.Join(dir, "audio.mp4"),
		"-c", "copy", "-f", "mp4", filepath.Join(prog, "prog.mp4")).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	if err := os.Symlink(filepath.Join(dir, "subs_sv.vtt"), filepath.Join(prog, "prog_sv.vtt")); err != nil {
		t.Fatal(err)
	}
	fr := framePTS(t, filepath.Join(dir, "video.mp4"))
	return root, map[string][]float64{"subs": fr, "subsism": fr, "subsprog": framePTS(t, filepath.Join(prog, "prog.mp4"))}
}

// framePTS is the presentation time of every video frame of file, in
// display order, as ffprobe reads it.
func framePTS(t *testing.T, file string) []float64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time",
		"-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", file, err)
	}
	var pts []float64
	for _, l := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(l, ","), 64)
		if err != nil {
			t.Fatalf("ffprobe pts %q", l)
		}
		pts = append(pts, v)
	}
	sort.Float64s(pts)
	return pts
}

// TestSubtitlesHTTP: what the origin serves for subtitles, without a
// browser: renditions and text sets in every format; WebVTT segments, one
// per video segment, with an X-TIMESTAMP-MAP that puts each cue on the PTS
// the TS writer gives the frame of that time; text clear under every
// encrypted locator; bad text URLs 404; ffmpeg reads the HLS subtitle
// playlist; the .ism textstream form; a malformed file served as far as it
// parses and logged with its name.
func TestSubtitlesHTTP(t *testing.T) {
	root, allPTS := makeSubsAsset(t)
	pts := allPTS["subs"]
	var logs logBuffer
	o := startOriginWith(t, root, "", func(c *originConfig) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	o.locator("clear", "subs", "Predefined_ClearStreamingOnly", nil)
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/premium", tokenPolicy("premium", nil)); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	policy := map[string]any{"defaultContentKeyPolicyName": "premium"}
	o.locator("ck", "subs", "Predefined_ClearKey", policy)
	o.locator("multi", "subs", "Predefined_MultiDrmStreaming", policy)
	o.locator("ism", "subsism", "Predefined_ClearStreamingOnly", nil)

	mv := o.get("/clear/subs.ism/manifest(format=m3u8-cmaf)")
	if mv.status != 200 {
		t.Fatalf("multivariant: %s", mv)
	}
	for _, want := range []string{
		`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="sv",LANGUAGE="sv",DEFAULT=NO,AUTOSELECT=YES,URI="QualityLevels(1000)/Manifest(textstream_swe,format=m3u8-cmaf)"`,
		`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="en",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="QualityLevels(1000)/Manifest(textstream_eng,format=m3u8-cmaf)"`,
		`SUBTITLES="subs"`,
	} {
		if !strings.Contains(string(mv.body), want) {
			t.Errorf("multivariant lacks %s:\n%s", want, mv.body)
		}
	}

	// The TS formats: X-TIMESTAMP-MAP's MPEGTS is the PTS of the frame of
	// presentation time 0, so frame k's PTS is MPEGTS + pts[k]*90000.
	for _, f := range []string{"m3u8-aapl", "m3u8-aapl-v3", "m3u8-cmaf"} {
		pl := o.get("/clear/subs.ism/QualityLevels(1000)/Manifest(textstream_swe,format=" + f + ")")
		segs := regexp.MustCompile(`(?m)^Fragments\(textstream_swe=(\d+),format=`+f+`\)\.vtt$`).FindAllStringSubmatch(string(pl.body), -1)
		if pl.status != 200 || len(segs) != 4 || strings.Contains(string(pl.body), "EXT-X-KEY") {
			t.Fatalf("%s text playlist: %s", f, pl.body)
		}
		var all string
		var mpegts int64 = -1
		for _, s := range segs {
			r := o.get("/clear/subs.ism/QualityLevels(1000)/Fragments(textstream_swe=" + s[1] + ",format=" + f + ").vtt")
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/vtt") || !strings.HasPrefix(string(r.body), "WEBVTT\n") {
				t.Fatalf("%s segment %s: %s", f, s[1], r)
			}
			m := regexp.MustCompile(`X-TIMESTAMP-MAP=MPEGTS:(\d+),LOCAL:00:00:00.000\n`).FindStringSubmatch(string(r.body))
			if m == nil {
				t.Fatalf("%s segment %s: no X-TIMESTAMP-MAP:\n%s", f, s[1], r.body)
			}
			mpegts, _ = strconv.ParseInt(m[1], 10, 64)
			all += string(r.body)
		}
		// Each cue is in every segment it overlaps: the first in two.
		if strings.Count(all, "Hej världen") != 2 || strings.Count(all, "Åter igen") != 2 {
			t.Errorf("%s: cues not repeated across the boundaries they cross:\n%s", f, all)
		}
		want := int64(0)
		if f != "m3u8-cmaf" {
			// The PTS the TS writer gave the first video frame.
			v := o.get("/clear/subs.ism/QualityLevels(" + videoBitrate(t, o) + ")/Fragments(video=0,format=" + f + ").ts")
			first := firstVideoPTS(t, v.body)
			want = first - int64(math.Round(pts[0]*90000))
		}
		if mpegts != want {
			t.Errorf("%s: X-TIMESTAMP-MAP MPEGTS:%d, want %d (the PTS of presentation time 0)", f, mpegts, want)
		}
		t.Logf("%s: MPEGTS:%d", f, mpegts)
	}

	// ffmpeg reads the subtitle playlist.
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i",
		o.base+"/clear/subs.ism/QualityLevels(1000)/Manifest(textstream_swe,format=m3u8-aapl)", "-f", "webvtt", "-").Output()
	if err != nil || !strings.Contains(string(out), "Hej världen") || !strings.Contains(string(out), "Åter igen") {
		t.Errorf("ffmpeg on the subtitle playlist: %v\n%s", err, out)
	}

	// Under encrypted locators, text stays clear and carries no keys.
	for _, u := range []string{
		"/ck/subs.ism/QualityLevels(1000)/Fragments(textstream_swe=0,format=m3u8-cmaf,encryption=cbc).vtt",
		"/ck/subs.ism/QualityLevels(1000)/Fragments(textstream_swe=0,format=m3u8-aapl,encryption=cbc).vtt",
		"/multi/subs.ism/QualityLevels(1000)/Fragments(textstream_swe=0,format=m3u8-aapl,encryption=cbcs-aapl).vtt",
		"/multi/subs.ism/QualityLevels(1000)/Fragments(textstream_swe=0,format=m3u8-cmaf,encryption=cenc).vtt",
	} {
		r := o.get(u)
		if r.status != 200 || !strings.Contains(string(r.body), "Hej världen") {
			t.Errorf("%s: %s", u, r)
		}
	}
	for _, u := range []string{"/ck/subs.ism/manifest(format=m3u8-aapl,encryption=cbc)", "/multi/subs.ism/manifest(format=m3u8-cmaf,encryption=cbcs)"} {
		mv := o.get(u)
		q := regexp.MustCompile(`TYPE=SUBTITLES[^\n]*URI="([^"]+)"`).FindStringSubmatch(string(mv.body))
		if mv.status != 200 || q == nil {
			t.Fatalf("%s: %s", u, mv)
		}
		pl := o.get(strings.TrimSuffix(u[:strings.Index(u, "manifest(")], "/") + "/" + q[1])
		if pl.status != 200 || strings.Contains(string(pl.body), "EXT-X-KEY") {
			t.Errorf("%s: text playlist %s", q[1], pl)
		}
	}
	dash := o.get("/multi/subs.ism/manifest(format=mpd-time-csf,encryption=cenc)")
	sets := regexp.MustCompile(`(?s)<AdaptationSet[^>]*contentType="text".*?</AdaptationSet>`).FindAllString(string(dash.body), -1)
	if dash.status != 200 || len(sets) != 2 {
		t.Fatalf("DASH cenc: %d text sets: %s", len(sets), dash)
	}
	for _, s := range sets {
		if strings.Contains(s, "ContentProtection") || !strings.Contains(s, `value="subtitle"`) {
			t.Errorf("text set: %s", s)
		}
	}
	for _, c := range []struct{ url, wantIn string }{
		{"/multi/subs.ism/QualityLevels(1000)/Fragments(textstream_swe=i,format=mpd-time-csf,encryption=cenc)", "wvtt"},
		{"/multi/subs.ism/QualityLevels(1000)/Fragments(textstream_swe=0,format=mpd-time-csf,encryption=cenc)", "Hej världen"},
		{"/multi/subs.ism/QualityLevels(1000)/Fragments(textstream_eng=i,format=mpd-time-csf,encryption=cbcs)", "stpp"},
		{"/multi/subs.ism/QualityLevels(1000)/Fragments(textstream_eng=0,format=mpd-time-csf,encryption=cbcs)", `<p begin="00:00:00.520" end="00:00:02.000">Hello world</p>`},
		{"/multi/subs.ism/QualityLevels(1000)/Fragments(textstream_eng=25600,encryption=cenc)", `<p begin="00:00:00.000" end="00:00:00.480">Hello world</p>`},
	} {
		r := o.get(c.url)
		if r.status != 200 || !strings.Contains(string(r.body), c.wantIn) || strings.Contains(string(r.body), "senc") || strings.Contains(string(r.body), "pssh") {
			t.Errorf("%s: %s", c.url, r)
		}
	}
	sm := o.get("/multi/subs.ism/manifest(encryption=cenc)")
	if !strings.Contains(string(sm.body), `<StreamIndex Type="text" Name="textstream_swe" Subtype="SUBT" Language="swe"`) ||
		!strings.Contains(string(sm.body), `FourCC="TTML"`) {
		t.Errorf("Smooth: %s", sm.body)
	}

	// Bad text URLs: 404.
	for _, u := range []string{
		"/clear/subs.ism/QualityLevels(1000)/Fragments(textstream_swe=1,format=m3u8-cmaf).vtt",              // no segment there
		"/clear/subs.ism/QualityLevels(1000)/Fragments(textstream_swe=0,format=m3u8-cmaf).m4s",              // HLS text is .vtt
		"/clear/subs.ism/QualityLevels(1000)/Fragments(textstream_swe=i,format=m3u8-cmaf).mp4",              // no init in HLS
		"/clear/subs.ism/QualityLevels(1000)/Fragments(textstream_swe=0,format=mpd-time-csf).vtt",           // DASH text is fMP4
		"/clear/subs.ism/QualityLevels(1001)/Fragments(textstream_swe=0,format=m3u8-cmaf).vtt",              // no such bitrate
		"/clear/subs.ism/QualityLevels(1000)/Fragments(textstream_fin=0,format=m3u8-cmaf).vtt",              // no such track
		"/clear/subs.ism/QualityLevels(" + videoBitrate(t, o) + ")/Fragments(video=0,format=m3u8-cmaf).vtt", // video is no WebVTT
	} {
		if r := o.get(u); r.status != 404 {
			t.Errorf("%s: %s, want 404", u, r)
		}
	}

	// The .ism form: trackName and systemLanguage from the textstream entries.
	mv = o.get("/ism/movie.ism/manifest(format=m3u8-cmaf)")
	for _, want := range []string{`NAME="sv",LANGUAGE="sv"`, `Manifest(sub_swedish,format=m3u8-cmaf)`, `LANGUAGE="en"`, `Manifest(textstream_eng,format=m3u8-cmaf)`} {
		if !strings.Contains(string(mv.body), want) {
			t.Errorf(".ism asset multivariant lacks %s:\n%s", want, mv.body)
		}
	}

	// A malformed side file: served as far as it parses, logged with its name.
	bad := "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfirst\n\n00:00:0x.000 --> broken\nlost\n\n00:00:05.000 --> 00:00:06.000\nafter\n"
	bdir := filepath.Join(root, "broken")
	if err := os.MkdirAll(bdir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"video.mp4", "audio.mp4"} {
		if err := os.Symlink(filepath.Join(root, "subs", f), filepath.Join(bdir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bdir, "broken_fi.vtt"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	o.locator("broken", "broken", "Predefined_ClearStreamingOnly", nil)
	mv = o.get("/broken/broken.ism/manifest(format=m3u8-cmaf)")
	if mv.status != 200 || !strings.Contains(string(mv.body), `LANGUAGE="fi"`) {
		t.Fatalf("asset with a malformed side file: %s", mv)
	}
	seg := o.get("/broken/broken.ism/QualityLevels(1000)/Fragments(textstream_fin=0,format=m3u8-cmaf).vtt")
	seg2 := o.get("/broken/broken.ism/QualityLevels(1000)/Fragments(textstream_fin=51200,format=m3u8-cmaf).vtt")
	if seg.status != 200 || !strings.Contains(string(seg.body), "first") || !strings.Contains(string(seg2.body), "after") ||
		strings.Contains(string(seg.body)+string(seg2.body), "lost") {
		t.Errorf("malformed file segments: %s / %s", seg, seg2)
	}
	if l := logs.String(); !strings.Contains(l, "broken_fi.vtt") || !strings.Contains(l, "line 6") {
		t.Errorf("no log line naming broken_fi.vtt and its bad line:\n%s", l)
	}
}

// videoBitrate is the QualityLevels value of the subs asset's video track.
func videoBitrate(t *testing.T, o *testOrigin) string {
	t.Helper()
	mv := o.get("/clear/subs.ism/manifest(format=m3u8-aapl)")
	m := regexp.MustCompile(`QualityLevels\((\d+)\)/Manifest\(video,`).FindStringSubmatch(string(mv.body))
	if m == nil {
		t.Fatalf("no video variant: %s", mv)
	}
	return m[1]
}

// firstVideoPTS is the smallest video PTS (90 kHz) in a TS segment, read
// by ffprobe.
func firstVideoPTS(t *testing.T, ts []byte) int64 {
	t.Helper()
	cmd := exec.Command("ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts", "-of", "csv=p=0", "-")
	cmd.Stdin = strings.NewReader(string(ts))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe segment: %v", err)
	}
	least := int64(math.MaxInt64)
	for _, l := range strings.Fields(string(out)) {
		v, err := strconv.ParseInt(strings.TrimSuffix(l, ","), 10, 64)
		if err == nil {
			least = min(least, v)
		}
	}
	return least
}

// subsResult is what web/e2e/subtitles.mjs prints.
type subsResult struct {
	OK         bool    `json:"ok"`
	TextWaitMS float64 `json:"textWaitMs"`
	Player     string  `json:"player"`
	Error      string  `json:"error"`
	Tracks     []struct {
		Lang  string `json:"lang"`
		Label string `json:"label"`
	} `json:"tracks"`
	Cues []struct {
		Start float64 `json:"start"`
		End   float64 `json:"end"`
		Text  string  `json:"text"`
	} `json:"cues"`
	Frames []struct {
		MediaTime float64 `json:"mediaTime"`
		Index     int     `json:"index"`
	} `json:"frames"`
	Console []string `json:"console"`
}

// TestBrowserSubtitles: hls.js and shaka-player in Chromium list both
// subtitle languages and, with one enabled, show its cues with the source's
// text at the source's times: where the player shows the video frame of
// that presentation time, within one frame (1/25 s). The offset of the
// player's timeline is measured from the frames it presents (each shows its
// number). Clear, and under encrypted locators (HLS AES-128 in fMP4 and TS,
// DASH cenc), where text stays clear.
func TestBrowserSubtitles(t *testing.T) {
	web := webDir(t)
	root, pts := makeSubsAsset(t)
	o := startOriginWith(t, root, "", func(c *originConfig) { c.PlayerDir = web })
	o.locator("clear", "subs", "Predefined_ClearStreamingOnly", nil)
	o.locator("prog", "subsprog", "Predefined_ClearStreamingOnly", nil)
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/premium", tokenPolicy("premium", nil)); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	o.locator("ck", "subs", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "premium"})
	token := mint(t, testSecret, "HS256", nil)
	// Where each player puts the track file's presentation time 0, per
	// format, as measured on the clear streams: a browser does not let a
	// page read back frames decrypted by EME (ClearKey included), so the
	// cenc case takes the clear DASH one's (the same media and timeline).
	offsets := map[string]float64{}
	for _, c := range []struct{ name, url, player, lang string }{
		{"hls.js m3u8-cmaf sv", "/clear/subs.ism/manifest(format=m3u8-cmaf)", "hls", "sv"},
		{"hls.js m3u8-cmaf en (TTML)", "/clear/subs.ism/manifest(format=m3u8-cmaf)", "hls", "en"},
		{"hls.js m3u8-aapl sv", "/clear/subs.ism/manifest(format=m3u8-aapl)", "hls", "sv"},
		{"hls.js m3u8-aapl-v3 sv", "/clear/subs.ism/manifest(format=m3u8-aapl-v3)", "hls", "sv"},
		{"hls.js m3u8-cmaf cbc sv", "/ck/subs.ism/manifest(format=m3u8-cmaf,encryption=cbc)", "hls", "sv"},
		{"hls.js m3u8-aapl cbc sv", "/ck/subs.ism/manifest(format=m3u8-aapl,encryption=cbc)", "hls", "sv"},
		{"shaka DASH wvtt sv", "/clear/subs.ism/manifest(format=mpd-time-csf)", "shaka", "sv"},
		{"shaka DASH stpp en", "/clear/subs.ism/manifest(format=mpd-time-cmaf)", "shaka", "en"},
		{"shaka DASH cenc sv", "/ck/subs.ism/manifest(format=mpd-time-csf,encryption=cenc)", "shaka", "sv"},
		{"shaka HLS m3u8-cmaf sv", "/clear/subs.ism/manifest(format=m3u8-cmaf)", "shaka", "sv"},
		// An edit list: the frame of presentation time t has composition
		// time t + 0.08 s.
		{"hls.js progressive m3u8-cmaf sv", "/prog/subsprog.ism/manifest(format=m3u8-cmaf)", "hls", "sv"},
		{"hls.js progressive m3u8-aapl sv", "/prog/subsprog.ism/manifest(format=m3u8-aapl)", "hls", "sv"},
		{"shaka progressive DASH sv", "/prog/subsprog.ism/manifest(format=mpd-time-csf)", "shaka", "sv"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{filepath.Join(web, "e2e", "subtitles.mjs"), o.base + "/player/", o.base + c.url,
				"--player", c.player, "--lang", c.lang, "--token", token}
			out, _ := exec.Command("node", args...).Output()
			var r subsResult
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatalf("subtitles.mjs printed no result (%v): %s", err, out)
			}
			var langs []string
			for _, tr := range r.Tracks {
				langs = append(langs, tr.Lang)
			}
			asset := regexp.MustCompile(`^/[^/]+/([^/.]+)\.ism`).FindStringSubmatch(c.url)[1]
			wantLangs := []string{"en", "sv"}
			if asset == "subsprog" {
				wantLangs = []string{"sv"}
			}
			slices.Sort(langs)
			if !slices.Equal(slices.Compact(langs), wantLangs) {
				t.Errorf("text tracks %v, want %v", langs, wantLangs)
			}
			if !r.OK {
				t.Fatalf("%s: %s (console %v)", c.player, r.Error, r.Console)
			}
			off, n := timelineOffset(r, pts[asset])
			key := asset + " " + c.player + " " + regexp.MustCompile(`format=([a-z0-9-]+)`).FindStringSubmatch(c.url)[1]
			switch {
			case n >= 20:
				offsets[key] = off
			case strings.Contains(c.url, "encryption=cenc") && hasKey(offsets, key):
				off = offsets[key]
				t.Logf("EME frames cannot be read back: the clear stream's timeline offset %.3f s", off)
			default:
				t.Fatalf("only %d frames read back from the player: %+v", n, r.Frames)
			}
			got := mergeCues(r)
			const frame = 1.0 / 25
			for _, want := range subsCues[c.lang] {
				found := false
				for _, g := range got {
					if g.text == want.text && math.Abs(g.start-(want.start+off)) <= frame+1e-3 && math.Abs(g.end-(want.end+off)) <= frame+1e-3 {
						found = true
					}
				}
				if !found {
					t.Errorf("no cue %q at %.3f-%.3f (+%.3f timeline offset): got %v", want.text, want.start, want.end, off, got)
				}
			}
			if len(got) != len(subsCues[c.lang]) {
				t.Errorf("%d cues, want %d: %v", len(got), len(subsCues[c.lang]), got)
			}
			t.Logf("tracks %v; timeline offset %.3f s from %d frames; cues %v; first cues %.0f ms after the track was chosen", langs, off, n, got, r.TextWaitMS)
		})
	}
}

func hasKey(m map[string]float64, k string) bool { _, ok := m[k]; return ok }

// timelineOffset is where the player puts presentation time 0 of the track
// file: the median of mediaTime - pts over the presented frames whose
// number was read.
func timelineOffset(r subsResult, pts []float64) (float64, int) {
	var d []float64
	for _, f := range r.Frames {
		if f.Index >= 0 && f.Index < len(pts) {
			d = append(d, f.MediaTime-pts[f.Index])
		}
	}
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	return d[len(d)/2], len(d)
}

// mergeCues joins the pieces of a cue that the player got split at segment
// boundaries (same text, one ending where the next starts).
func mergeCues(r subsResult) []srcCue {
	var out []srcCue
	for _, c := range r.Cues {
		text := strings.TrimSpace(c.Text)
		if n := len(out); n > 0 && out[n-1].text == text && math.Abs(out[n-1].end-c.Start) < 0.002 {
			out[n-1].end = max(out[n-1].end, c.End)
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || (o.text == text && o.start == c.Start && o.end == c.End)
		}
		if !dup {
			out = append(out, srcCue{c.Start, c.End, text})
		}
	}
	return out
}

func (c srcCue) String() string { return fmt.Sprintf("%.3f-%.3f %q", c.start, c.end, c.text) }
