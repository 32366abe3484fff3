package origin_test

import (
	"bufio"
	"bytes"
	stdaes "crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/zencoder/go-dash/v3/mpd"
)

// Trick play (players.md "Trick play"), shown with ffmpeg as the oracle:
// every I-frame entry of every HLS form and scheme, fetched as its byte
// range (with the EXT-X-MAP it follows), decodes to exactly one frame,
// equal to the source's key frame at the entry's time; every range lies
// inside its segment; the DASH trick-mode set's segments decode to the
// source's key frames and nothing else.
//
// The asset has two video tracks: 640x360 with a 2 s GOP, one key frame
// per 2 s fragment (segments written as they always were), and 320x180
// with a 1 s GOP in 2 s fragments, two key frames per fragment (segments
// written as one moof+mdat chunk per key frame).

// trickAsset makes the asset (8 s) under a new media root and returns the root.
func trickAsset(t *testing.T) string {
	t.Helper()
	return trickAssetOf(t, 8)
}

// trickAssetOf is trickAsset of the given length in seconds.
func trickAssetOf(t *testing.T, seconds int) string {
	t.Helper()
	dur := strconv.Itoa(seconds)
	needTool(t, "ffmpeg", "ffmpeg")
	root := t.TempDir()
	dir := filepath.Join(root, "trick")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	frag := []string{"-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("ffmpeg", append([]string{"-nostdin", "-loglevel", "error", "-y"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
		}
	}
	for _, v := range []struct {
		size, gop, rate, minFrag string
	}{{"640x360", "50", "700k", "0"}, {"320x180", "25", "250k", "1500000"}} {
		args := []string{"-f", "lavfi", "-i", "testsrc2=size=" + v.size + ":rate=25:duration=" + dur,
			"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-bf", "0", "-b:v", v.rate,
			"-g", v.gop, "-keyint_min", v.gop, "-sc_threshold", "0", "-x264-params", "threads=1",
			"-min_frag_duration", v.minFrag}
		run(append(append(args, frag...), filepath.Join(dir, "video_"+v.size+".mp4"))...)
	}
	run(append([]string{"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=" + dur,
		"-c:a", "aac", "-b:a", "96k", "-frag_duration", "2000000"}, append(frag, filepath.Join(dir, "audio.mp4"))...)...)
	return root
}

// iframeEntry is one entry of an I-frame playlist as a player reads it.
type iframeEntry struct {
	uri         string
	off, length int64
	iv          []byte  // the IV of the EXT-X-KEY in force (nil: none)
	start       float64 // the sum of the EXTINFs before it, seconds
}

var ivAttr = regexp.MustCompile(`IV=0x([0-9A-Fa-f]{32})`)

// parseIFrames reads an I-frame playlist: its EXT-X-MAP (the init
// segment, or TS's PAT and PMT) and entries, URLs resolved against u.
func parseIFrames(t *testing.T, u string, body []byte) (init string, entries []iframeEntry) {
	t.Helper()
	if !bytes.Contains(body, []byte("\n#EXT-X-I-FRAMES-ONLY\n")) {
		t.Fatalf("%s: no EXT-X-I-FRAMES-ONLY:\n%s", u, body)
	}
	var cur iframeEntry
	var iv []byte
	var at, dur float64
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "#EXT-X-KEY:"):
			iv = nil
			if m := ivAttr.FindStringSubmatch(l); m != nil {
				iv, _ = hex.DecodeString(m[1])
			}
		case strings.HasPrefix(l, "#EXT-X-MAP:"):
			if init != "" || iv != nil || strings.Contains(l, "BYTERANGE") {
				t.Fatalf("%s: want one EXT-X-MAP of a whole init section, before any key: %s", u, l)
			}
			init = resolve(t, u, regexp.MustCompile(`URI="([^"]*)"`).FindStringSubmatch(l)[1])
		case strings.HasPrefix(l, "#EXTINF:"):
			dur, _ = strconv.ParseFloat(strings.TrimSuffix(l[len("#EXTINF:"):], ","), 64)
		case strings.HasPrefix(l, "#EXT-X-BYTERANGE:"):
			n, o, _ := strings.Cut(l[len("#EXT-X-BYTERANGE:"):], "@")
			cur.length, _ = strconv.ParseInt(n, 10, 64)
			cur.off, _ = strconv.ParseInt(o, 10, 64)
		case l != "" && !strings.HasPrefix(l, "#"):
			cur.uri, cur.iv, cur.start = resolve(t, u, l), iv, at
			entries = append(entries, cur)
			at += dur
			cur = iframeEntry{}
		}
	}
	return init, entries
}

// sourceFrames returns the md5 of every decoded frame of a source video
// file, in order (no B-frames: decode order is presentation order).
func sourceFrames(t *testing.T, path string) []string {
	t.Helper()
	f := md5s(framemd5(t, path, nil, "-map", "0:v"))
	if len(f) != 200 {
		t.Fatalf("%s: %d frames, want 200", path, len(f))
	}
	return f
}

func cbcDecrypt(t *testing.T, key, iv, b []byte) []byte {
	t.Helper()
	if len(b)%16 != 0 || len(iv) != 16 {
		t.Fatalf("AES-128 range of %d bytes, IV of %d", len(b), len(iv))
	}
	blk, _ := stdaes.NewCipher(key)
	out := make([]byte, len(b))
	cipher.NewCBCDecrypter(blk, iv).CryptBlocks(out, b)
	return out
}

type trickHLSCase struct {
	locator, opts string
	keyType       string // "" clear; the content key's type otherwise
	cbc           bool   // HLS AES-128: decrypt the ranges here
	sampleAES     bool   // SAMPLE-AES TS: ranges checked, decode not (see below)
}

func TestTrickPlayHLSIFrames(t *testing.T) {
	o := startOrigin(t, trickAsset(t), "")
	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}}}}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	o.locator("clr", "trick", "Predefined_ClearStreamingOnly", nil)
	o.locator("env", "trick", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "open"})
	o.locator("drm", "trick", "Predefined_MultiDrmStreaming", nil)
	keys := map[string][]contentKey{"env": o.contentKeys("env"), "drm": o.contentKeys("drm")}
	src := map[string][]string{}
	gop := map[string]int{"640": 50, "320": 25}
	for _, w := range []string{"640x360", "320x180"} {
		src[w[:3]] = sourceFrames(t, filepath.Join(o.root, "trick", "video_"+w+".mp4"))
	}
	cases := []trickHLSCase{
		{"clr", "format=m3u8-cmaf", "", false, false},
		{"env", "format=m3u8-cmaf,encryption=cbc", "envelopeEncryption", true, false},
		{"drm", "format=m3u8-cmaf,encryption=cenc", "commonEncryptionCenc", false, false},
		{"drm", "format=m3u8-cmaf,encryption=cbcs", "commonEncryptionCbcs", false, false},
		{"clr", "format=m3u8-aapl", "", false, false},
		{"env", "format=m3u8-aapl,encryption=cbc", "envelopeEncryption", true, false},
		{"clr", "format=m3u8-aapl-v3", "", false, false},
		{"env", "format=m3u8-aapl-v3,encryption=cbc", "envelopeEncryption", true, false},
		{"drm", "format=m3u8-aapl,encryption=cbcs-aapl", "commonEncryptionCbcs", false, true},
	}
	for _, c := range cases {
		t.Run(c.locator+"/"+c.opts, func(t *testing.T) {
			var key []byte
			if c.keyType != "" {
				key, _ = base64.StdEncoding.DecodeString(keyOfType(t, keys[c.locator], c.keyType).Value)
			}
			mu := o.base + "/" + c.locator + "/trick.ism/manifest(" + c.opts + ")"
			r := do(t, "GET", mu, nil)
			if r.status != 200 {
				t.Fatalf("multivariant: %s", r)
			}
			var uris []string
			for _, l := range strings.Split(string(r.body), "\n") {
				if strings.HasPrefix(l, "#EXT-X-I-FRAME-STREAM-INF:") {
					for _, a := range []string{"BANDWIDTH=", "CODECS=", "RESOLUTION=", "URI="} {
						if !strings.Contains(l, a) {
							t.Errorf("%s lacks %s", l, a)
						}
					}
					uris = append(uris, resolve(t, mu, regexp.MustCompile(`URI="([^"]*)"`).FindStringSubmatch(l)[1]))
				}
			}
			if len(uris) != 2 {
				t.Fatalf("%d I-frame streams, want 2 (one per video variant):\n%s", len(uris), r.body)
			}
			for _, u := range uris {
				w := "640"
				if strings.Contains(u, "IFrames") && bitrateOf(t, u) < 400000 {
					w = "320"
				}
				checkIFramePlaylist(t, o, c, u, key, src[w], gop[w])
			}
		})
	}
}

// checkIFramePlaylist checks every entry of the I-frame playlist u.
func checkIFramePlaylist(t *testing.T, o *testOrigin, c trickHLSCase, u string, key []byte, src []string, gop int) {
	t.Helper()
	r := do(t, "GET", u, nil)
	if r.status != 200 {
		t.Fatalf("I-frame playlist %s: %s", u, r)
	}
	init, entries := parseIFrames(t, u, r.body)
	if want := 200 / gop; len(entries) != want {
		t.Fatalf("%s: %d entries, want %d (one per key frame)", u, len(entries), want)
	}
	if init == "" {
		t.Fatalf("%s: no EXT-X-MAP", u)
	}
	ir := do(t, "GET", init, nil)
	if ir.status != 200 {
		t.Fatalf("EXT-X-MAP %s: %s", init, ir)
	}
	initBytes := ir.body
	if strings.HasSuffix(init, ".ts") && (len(initBytes) != 376 || initBytes[0] != 0x47 || initBytes[188] != 0x47) {
		t.Fatalf("TS EXT-X-MAP: %d bytes, want the PAT and PMT packets", len(initBytes))
	}
	segs := map[string][]byte{}
	get := func(u string) []byte {
		if b, ok := segs[u]; ok {
			return b
		}
		rr := do(t, "GET", u, nil)
		if rr.status != 200 {
			t.Fatalf("segment %s: %s", u, rr)
		}
		segs[u] = rr.body
		return rr.body
	}
	for k, e := range entries {
		seg := get(e.uri)
		if e.off < 0 || e.length <= 0 || e.off+e.length > int64(len(seg)) {
			t.Fatalf("entry %d: range %d@%d outside its segment of %d bytes", k, e.length, e.off, len(seg))
		}
		// The origin answers the range request with exactly those bytes.
		rr := do(t, "GET", e.uri, nil, "Range", "bytes="+strconv.FormatInt(e.off, 10)+"-"+strconv.FormatInt(e.off+e.length-1, 10))
		part := seg[e.off : e.off+e.length]
		if rr.status != 206 || !bytes.Equal(rr.body, part) {
			t.Fatalf("entry %d: Range request -> %d, %d bytes", k, rr.status, len(rr.body))
		}
		frame := int(math.Round(e.start * 25))
		if frame%gop != 0 {
			t.Fatalf("entry %d starts at %.3f s, frame %d: not a key frame of a %d-frame GOP", k, e.start, frame, gop)
		}
		var input []byte
		if c.cbc {
			clearURI := strings.Replace(strings.Replace(e.uri, "/env/", "/clr/", 1), ",encryption=cbc", "", 1)
			clearSeg := get(clearURI)
			part = cbcDecrypt(t, key, e.iv, part)
			n := min(int64(len(part)), int64(len(clearSeg))-e.off)
			if !bytes.Equal(part[:n], clearSeg[e.off:e.off+n]) {
				t.Fatalf("entry %d: the range decrypted with its EXT-X-KEY IV is not the clear segment's bytes", k)
			}
			part = part[:n]
		}
		input = append(append(input, initBytes...), part...)
		var got []string
		switch {
		case c.sampleAES:
			// ffmpeg decrypts SAMPLE-AES only inside its HLS demuxer: the
			// range holds one video packet, and a playlist of it alone
			// under the entry's key tag decodes to the key frame.
			if n := videoPackets(t, input); n != 1 {
				t.Errorf("entry %d: %d video packets in the range, want 1", k, n)
			}
			got = sampleAESEntry(t, input, key, e.iv)
			if k == 0 {
				if w := sampleAESEntry(t, input, bytes.Repeat([]byte{0xab}, 16), e.iv); len(w) == 1 && w[0] == src[frame] {
					t.Error("a wrong key decodes the key frame too: the check proves nothing")
				}
			}
		case c.keyType != "" && !c.cbc:
			got = md5s(framemd5In(t, []string{"-decryption_key", hex.EncodeToString(key)}, "-", input, "-map", "0:v"))
			if k == 0 {
				w := md5s(framemd5In(t, []string{"-decryption_key", strings.Repeat("ab", 16)}, "-", input, "-map", "0:v"))
				if len(w) == 1 && w[0] == src[frame] {
					t.Error("a wrong key decodes the key frame too: the check proves nothing")
				}
			}
		default:
			got = md5s(framemd5(t, "-", input, "-map", "0:v"))
		}
		if len(got) != 1 || got[0] != src[frame] {
			t.Errorf("entry %d (%.3f s, %s %d@%d): decodes to %d frames %v, want the source's key frame %d (%s)",
				k, e.start, e.uri, e.length, e.off, len(got), got, frame, src[frame])
		}
	}
}

// sampleAESEntry decodes one SAMPLE-AES TS entry (the PAT and PMT, then
// the range) through ffmpeg's HLS demuxer, from a local playlist that
// lists it twice under the key tag with the entry's IV and the key as a
// data: URI (ffmpeg 5.1 leaves a playlist's last packets undecrypted:
// e2e_ts_test.go sampleAESFrames), and returns the first copy's frame.
func sampleAESEntry(t *testing.T, entry, key, iv []byte) []string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "entry.ts"), entry, 0o644); err != nil {
		t.Fatal(err)
	}
	tag := `#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:application/octet-stream;base64,` + base64.StdEncoding.EncodeToString(key) +
		`",IV=0x` + hex.EncodeToString(iv)
	pl := "#EXTM3U\n#EXT-X-VERSION:5\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n" +
		tag + "\n#EXTINF:1.0,\nentry.ts\n" + tag + "\n#EXTINF:1.0,\nentry.ts\n#EXT-X-ENDLIST\n"
	if err := os.WriteFile(filepath.Join(dir, "entry.m3u8"), []byte(pl), 0o644); err != nil {
		t.Fatal(err)
	}
	got := hlsFrames(t, filepath.Join(dir, "entry.m3u8"), "0:v")
	if len(got) < 1 {
		return got
	}
	return got[:1]
}

// videoPackets counts the video packets ffprobe demuxes from b.
func videoPackets(t *testing.T, b []byte) int {
	t.Helper()
	needTool(t, "ffprobe", "ffmpeg")
	cmd := exec.Command("ffprobe", "-loglevel", "error", "-select_streams", "v", "-show_entries", "packet=pts", "-of", "csv", "-i", "pipe:0")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	return strings.Count(string(out), "packet,")
}

func TestTrickPlayDASH(t *testing.T) {
	o := startOrigin(t, trickAsset(t), "")
	o.locator("clr", "trick", "Predefined_ClearStreamingOnly", nil)
	o.locator("drm", "trick", "Predefined_MultiDrmStreaming", nil)
	keys := o.contentKeys("drm")
	src := map[int][]string{}
	gop := map[int]int{640: 50, 320: 25}
	for _, w := range []string{"640x360", "320x180"} {
		n, _ := strconv.Atoi(w[:3])
		src[n] = sourceFrames(t, filepath.Join(o.root, "trick", "video_"+w+".mp4"))
	}
	for _, c := range []struct{ locator, opts, keyType string }{
		{"clr", "format=mpd-time-csf", ""},
		{"clr", "format=mpd-time-cmaf", ""},
		{"drm", "format=mpd-time-csf,encryption=cenc", "commonEncryptionCenc"},
		{"drm", "format=mpd-time-cmaf,encryption=cbcs", "commonEncryptionCbcs"},
	} {
		t.Run(c.locator+"/"+c.opts, func(t *testing.T) {
			mu := o.base + "/" + c.locator + "/trick.ism/manifest(" + c.opts + ")"
			r := do(t, "GET", mu, nil)
			if r.status != 200 {
				t.Fatalf("MPD: %s", r)
			}
			m, err := mpd.ReadFromString(string(r.body))
			if err != nil {
				t.Fatal(err)
			}
			sets := m.Periods[0].AdaptationSets
			var main, trick *mpd.AdaptationSet
			for _, as := range sets {
				if *as.ContentType != "video" {
					continue
				}
				if len(as.EssentialProperty) > 0 {
					trick = as
				} else {
					main = as
				}
			}
			if main == nil || trick == nil {
				t.Fatalf("want a video set and its trick-mode set:\n%s", r.body)
			}
			ep := trick.EssentialProperty[0]
			if *ep.SchemeIDURI != "http://dashif.org/guidelines/trickmode" || *ep.Value != *main.ID {
				t.Errorf("EssentialProperty %s=%s, want the trickmode scheme naming %s", *ep.SchemeIDURI, *ep.Value, *main.ID)
			}
			if len(trick.ContentProtection) != len(main.ContentProtection) || (c.keyType != "") != (len(main.ContentProtection) > 0) {
				t.Errorf("trick set: %d ContentProtection, main set %d", len(trick.ContentProtection), len(main.ContentProtection))
			}
			var keyOpt []string
			var key []byte
			if c.keyType != "" {
				key, _ = base64.StdEncoding.DecodeString(keyOfType(t, keys, c.keyType).Value)
				keyOpt = []string{"-decryption_key", hex.EncodeToString(key)}
			}
			for _, rep := range trick.Representations {
				if rep.MaxPlayoutRate == nil {
					t.Errorf("%s: no maxPlayoutRate", *rep.ID)
				}
				w := int(*rep.Width)
				st := rep.SegmentTemplate
				data := do(t, "GET", resolve(t, mu, *st.Initialization), nil).body
				tm := uint64(0)
				n := 0
				for _, s := range st.SegmentTimeline.Segments {
					if s.StartTime != nil {
						tm = *s.StartTime
					}
					reps := 1
					if s.RepeatCount != nil {
						reps += *s.RepeatCount
					}
					for range reps {
						su := resolve(t, mu, strings.Replace(*st.Media, "$Time$", strconv.FormatUint(tm, 10), 1))
						sr := do(t, "GET", su, nil)
						if sr.status != 200 {
							t.Fatalf("trick segment %s: %s", su, sr)
						}
						data = append(data, sr.body...)
						tm += s.Duration
						n++
					}
				}
				got := md5s(framemd5In(t, keyOpt, "-", data, "-map", "0:v"))
				var want []string
				for f := 0; f < 200; f += gop[w] {
					want = append(want, src[w][f])
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: the trick set's %d segments decode to %d frames, want the %d key frames; %s",
						*rep.ID, n, len(got), len(want), firstDiff(got, want))
				}
				if key != nil {
					wrong := md5s(framemd5In(t, []string{"-decryption_key", strings.Repeat("ab", 16)}, "-", data, "-map", "0:v"))
					if reflect.DeepEqual(wrong, want) {
						t.Errorf("%s: a wrong key decodes the key frames too: the check proves nothing", *rep.ID)
					}
				}
			}
		})
	}
}

// TestTrickPlayChunkedSegments: the main set's segments of fragments with
// two key frames (written as two chunks) decode to every source frame,
// clear and under cenc, and a range that starts a later chunk is aligned.
func TestTrickPlayChunkedSegments(t *testing.T) {
	o := startOrigin(t, trickAsset(t), "")
	o.locator("clr", "trick", "Predefined_ClearStreamingOnly", nil)
	o.locator("drm", "trick", "Predefined_MultiDrmStreaming", nil)
	key, _ := base64.StdEncoding.DecodeString(keyOfType(t, o.contentKeys("drm"), "commonEncryptionCenc").Value)
	want := sourceFrames(t, filepath.Join(o.root, "trick", "video_320x180.mp4"))
	for _, c := range []struct{ locator, opts string }{
		{"clr", "format=mpd-time-csf"}, {"drm", "format=mpd-time-csf,encryption=cenc"},
	} {
		mu := o.base + "/" + c.locator + "/trick.ism/manifest(" + c.opts + ")"
		r := do(t, "GET", mu, nil)
		for _, p := range planDASH(t, mu, r.body) {
			if p.bitrate > 400000 || p.name != "video" {
				continue
			}
			data := fetchTrack(t, p)
			var got []string
			if c.locator == "drm" {
				got = md5s(framemd5Key(t, data, hex.EncodeToString(key)))
			} else {
				got = md5s(framemd5(t, "-", data))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %d frames, source %d; %s", c.opts, len(got), len(want), firstDiff(got, want))
			}
		}
	}
}

// TestBrowserShakaTrickPlay: shaka-player in headless Chromium plays the
// DASH stream without touching the trick-mode set, and its trickPlay
// switches to it: trick-mode segments (KeyFrames(...)) are fetched and the
// playhead moves on, with no player error.
func TestBrowserShakaTrickPlay(t *testing.T) {
	web := webDir(t)
	// 40 s: longer than shaka's buffering goal (10 s), so that segments
	// are still to fetch when trick play starts.
	o := startOriginWith(t, trickAssetOf(t, 40), "", func(c *originConfig) { c.PlayerDir = web })
	o.locator("clr", "trick", "Predefined_ClearStreamingOnly", nil)
	for _, f := range []string{"mpd-time-csf", "mpd-time-cmaf"} {
		r := play(t, o, web, o.base+"/clr/trick.ism/manifest(format="+f+")", "--player", "shaka", "--seconds", "2", "--trickplay", "4", "--timeout", "40000")
		if !r.OK {
			t.Errorf("%s: %s (trick %v, console %v)", f, r.Error, r.Trick, r.Console)
		} else {
			t.Logf("%s: trick play %v", f, r.Trick)
		}
	}
}
