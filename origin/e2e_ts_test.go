package origin_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/grafov/m3u8"
)

// tsPlaylists returns the media playlist URLs of an HLS multivariant
// playlist (variants and alternative renditions).
func tsPlaylists(t *testing.T, mu string) []string {
	r := do(t, "GET", mu, nil)
	if r.status != 200 {
		t.Fatalf("multivariant playlist %s: %s", mu, r)
	}
	pl, kind, err := m3u8.DecodeFrom(bytes.NewReader(r.body), true)
	if err != nil || kind != m3u8.MASTER {
		t.Fatalf("m3u8 cannot read %s: %v", mu, err)
	}
	seen := map[string]bool{}
	var out []string
	for _, v := range pl.(*m3u8.MasterPlaylist).Variants {
		if v.Iframe {
			continue // trick play: e2e_trick_test.go
		}
		for _, u := range append([]string{v.URI}, altURIs(v)...) {
			if abs := resolve(t, mu, u); u != "" && !seen[abs] {
				seen[abs] = true
				out = append(out, abs)
			}
		}
	}
	return out
}

func altURIs(v *m3u8.Variant) []string {
	var out []string
	for _, a := range v.Alternatives {
		out = append(out, a.URI)
	}
	return out
}

var keyURIRe = regexp.MustCompile(`URI="[^"]*"`)

// localPlaylist writes a media playlist to a file with absolute segment URLs
// and, when keyURL is set, every key URI replaced by it: ffmpeg cannot
// fetch FairPlay's skd:// URIs, so SAMPLE-AES is decrypted with the same
// key fetched from key delivery's /keys/aes.
func localPlaylist(t *testing.T, u, keyURL string) string {
	r := do(t, "GET", u, nil)
	if r.status != 200 {
		t.Fatalf("media playlist %s: %s", u, r)
	}
	var b strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "#EXT-X-KEY:") && keyURL != "":
			l = keyURIRe.ReplaceAllString(l, `URI="`+keyURL+`"`)
			// ffmpeg's HLS demuxer takes SAMPLE-AES keys without KEYFORMAT.
			l = regexp.MustCompile(`,KEYFORMAT="[^"]*"|,KEYFORMATVERSIONS="[^"]*"`).ReplaceAllString(l, "")
		case l != "" && !strings.HasPrefix(l, "#"):
			l = resolve(t, u, l)
		}
		b.WriteString(l + "\n")
	}
	f := filepath.Join(t.TempDir(), "media.m3u8")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// hlsFrames decodes an HLS media playlist with ffmpeg's HLS demuxer.
func hlsFrames(t *testing.T, playlist string, streamSel string) []string {
	args := []string{"-allowed_extensions", "ALL", "-protocol_whitelist", "file,http,tcp,crypto,data"}
	return md5s(framemd5In(t, args, playlist, nil, "-map", streamSel))
}

// TestTSDecodeFrameExact: ffmpeg's HLS demuxer, fed the origin's TS media
// playlists, decodes every variant and rendition of clear, AES-128 and
// SAMPLE-AES streams (m3u8-aapl and m3u8-aapl-v3) to the frames of the
// source; with a wrong key it does not. ffprobe finds no continuity or
// timestamp errors.
func TestTSDecodeFrameExact(t *testing.T) {
	needTool(t, "ffprobe", "ffmpeg")
	o := startOrigin(t, mediaRoot(t), "")
	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}}}}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	// One key per scheme, for all tracks; envelope and cbcs keys both
	// delivered by /keys/aes under the open policy.
	o.locator("clr", "demo", "Predefined_ClearStreamingOnly", nil)
	o.locator("env", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "open"})
	o.locator("fps", "demo", "Predefined_MultiDrmStreaming", map[string]any{"defaultContentKeyPolicyName": "open"})
	sources := o.sourceTracks("demo")
	want := map[string][]string{}
	for k, f := range sources {
		want[k] = md5s(framemd5(t, f, nil))
	}
	envKey := keyOfType(t, o.contentKeys("env"), "envelopeEncryption")
	fpsKey := keyOfType(t, o.contentKeys("fps"), "commonEncryptionCbcs")
	for _, c := range []struct {
		name, loc, opts, keyID string
		sampleAES              bool
	}{
		{"aapl clear", "clr", "format=m3u8-aapl", "", false},
		{"aapl-v3 clear", "clr", "format=m3u8-aapl-v3", "", false},
		{"aapl AES-128", "env", "format=m3u8-aapl,encryption=cbc", envKey.ID, false},
		{"aapl-v3 AES-128", "env", "format=m3u8-aapl-v3,encryption=cbc", envKey.ID, false},
		{"aapl SAMPLE-AES", "fps", "format=m3u8-aapl,encryption=cbcs-aapl", fpsKey.ID, true},
		{"aapl-v3 SAMPLE-AES", "fps", "format=m3u8-aapl-v3,encryption=cbcs-aapl", fpsKey.ID, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			mu := o.base + "/" + c.loc + "/demo.ism/manifest(" + c.opts + ")"
			v3 := strings.Contains(c.opts, "v3")
			playlists := tsPlaylists(t, mu)
			if want := map[bool]int{false: 4, true: 2}[v3]; len(playlists) != want {
				t.Fatalf("%d media playlists, want %d", len(playlists), want)
			}
			for _, u := range playlists {
				key := playlistTrack(t, u) + "@" + itoa(bitrateOf(t, u))
				var keyURL string
				if c.sampleAES {
					keyURL = o.base + "/keys/aes/" + c.keyID
				}
				pl := localPlaylist(t, u, keyURL)
				streams := []struct{ sel, key string }{{"0:0", key}}
				if v3 {
					streams = []struct{ sel, key string }{{"0:v:0", key}, {"0:a:0", "audio_eng@96000"}}
				}
				for _, s := range streams {
					got := hlsFrames(t, pl, s.sel)
					w := want[s.key]
					if c.sampleAES {
						// Compared with the clear TS decoded segment by segment
						// (AAC decoded from a segment's start differs from a
						// continuous decode); the clear cases tie that to the
						// source.
						got, w = sampleAESFrames(t, u, keyURL, s.sel)
					}
					if !reflect.DeepEqual(got, w) {
						t.Errorf("%s %s (%s): %d frames, source %d; %s", u, s.sel, s.key, len(got), len(w), firstDiff(got, w))
					}
				}
				if c.keyID != "" {
					// A wrong key: key delivery of another KID.
					wrong := localPlaylist(t, u, o.base+"/keys/aes/"+otherKID(t, o, c.keyID))
					if got := hlsFrames(t, wrong, "0:0"); reflect.DeepEqual(got, want[key]) {
						t.Errorf("%s: a wrong key decodes the source frames", u)
					}
				}
				checkContinuity(t, pl)
			}
		})
	}
}

// otherKID returns the KID of a key that is not id (the envelope key of
// locator env when id is the cbcs key, and the other way round).
func otherKID(t *testing.T, o *testOrigin, id string) string {
	for _, loc := range []string{"env", "fps"} {
		for _, k := range o.contentKeys(loc) {
			if k.ID != id && (k.Type == "envelopeEncryption" || k.Type == "commonEncryptionCbcs") {
				return k.ID
			}
		}
	}
	t.Fatal("no other key")
	return ""
}

// playlistTrack is the track name in a media playlist URL's Manifest(...).
func playlistTrack(t *testing.T, u string) string {
	i := strings.Index(u, "Manifest(")
	if i < 0 {
		t.Fatalf("%s is not a media playlist URL", u)
	}
	name := u[i+len("Manifest("):]
	return name[:strings.IndexAny(name, ",)")]
}

// checkContinuity runs ffmpeg over the whole playlist at debug level and
// fails on continuity-counter or timestamp complaints.
func checkContinuity(t *testing.T, playlist string) {
	out, _ := exec.Command("ffmpeg", "-nostdin", "-loglevel", "debug", "-allowed_extensions", "ALL",
		"-protocol_whitelist", "file,http,tcp,crypto,data", "-i", playlist, "-map", "0", "-c", "copy", "-f", "null", "-").CombinedOutput()
	for _, bad := range []string{"Continuity check failed", "non-monotonous DTS", "Non-monotonous DTS"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("%s: ffmpeg reports %q", playlist, bad)
		}
	}
}

// sampleAESFrames decodes a SAMPLE-AES media playlist segment by segment.
// ffmpeg 5.1's HLS demuxer applies the next segment's IV to the last
// packets of a segment it has read ahead of (and leaves a playlist's last
// packets undecrypted), so each segment is decoded from a playlist that
// lists it twice under its own IV, and only the first copy's frames count:
// as many as the same segment decodes to in the clear.
func sampleAESFrames(t *testing.T, u, keyURL, sel string) (got, clear []string) {
	r := do(t, "GET", u, nil)
	if r.status != 200 {
		t.Fatalf("media playlist %s: %s", u, r)
	}
	var header []string
	type seg struct{ key, inf, uri string }
	var segs []seg
	var cur seg
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "#EXT-X-KEY:"):
			l = keyURIRe.ReplaceAllString(l, `URI="`+keyURL+`"`)
			cur.key = regexp.MustCompile(`,KEYFORMAT="[^"]*"|,KEYFORMATVERSIONS="[^"]*"`).ReplaceAllString(l, "")
		case strings.HasPrefix(l, "#EXTINF:"):
			cur.inf = l
		case l == "#EXT-X-ENDLIST":
		case l != "" && !strings.HasPrefix(l, "#"):
			cur.uri = resolve(t, u, l)
			segs = append(segs, cur)
			cur = seg{}
		case len(segs) == 0 && cur.key == "" && cur.inf == "":
			header = append(header, l)
		}
	}
	var clearSegs []string
	for _, s := range segs {
		clearSegs = append(clearSegs, strings.Replace(strings.Replace(s.uri, ",encryption=cbcs-aapl", "", 1), "/fps/", "/clr/", 1))
	}
	var frames, clearFrames []string
	dir := t.TempDir()
	for i, s := range segs {
		enc := strings.Join(header, "\n") + "\n" + s.key + "\n" + s.inf + "\n" + s.uri + "\n" + s.key + "\n" + s.inf + "\n" + s.uri + "\n#EXT-X-ENDLIST\n"
		clr := strings.Join(header, "\n") + "\n" + s.inf + "\n" + clearSegs[i] + "\n#EXT-X-ENDLIST\n"
		ef, cf := filepath.Join(dir, "enc.m3u8"), filepath.Join(dir, "clr.m3u8")
		os.WriteFile(ef, []byte(enc), 0o644)
		os.WriteFile(cf, []byte(clr), 0o644)
		want := hlsFrames(t, cf, sel)
		got := hlsFrames(t, ef, sel)
		if len(got) < len(want) || len(want) == 0 {
			t.Errorf("%s segment %d: %d frames from two copies, %d in the clear segment", u, i, len(got), len(want))
			return frames, clearFrames
		}
		frames = append(frames, got[:len(want)]...)
		clearFrames = append(clearFrames, want...)
	}
	return frames, clearFrames
}

// TestTSUnsupportedCodec: AC-3 audio asked for as MPEG-2 TS is the
// request's fault, not the server's (urls.md "HTTP behaviour": 400
// unsupported): a 400 whose message names the formats that carry it, for
// the audio rendition of m3u8-aapl and for m3u8-aapl-v3 video, which muxes
// that audio in. The same track plays as m3u8-cmaf, and the video alone
// as m3u8-aapl.
func TestTSUnsupportedCodec(t *testing.T) {
	needTool(t, "ffmpeg", "ffmpeg")
	dir := filepath.Join(t.TempDir(), "ac3")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for file, in := range map[string][]string{
		"video.mp4": {"-f", "lavfi", "-i", "testsrc=size=320x180:rate=25:duration=4", "-c:v", "libx264", "-g", "50", "-pix_fmt", "yuv420p"},
		"audio.mp4": {"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4", "-c:a", "ac3", "-b:a", "192k"},
	} {
		args := append([]string{"-nostdin", "-loglevel", "error"}, in...)
		args = append(args, "-frag_duration", "2000000", "-movflags", "+frag_keyframe+empty_moov+delay_moov+default_base_moof",
			"-f", "mp4", filepath.Join(dir, file))
		if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %s: %v: %s", file, err, out)
		}
	}
	o := startOrigin(t, filepath.Dir(dir), "")
	o.locator("ac3", "ac3", "Predefined_ClearStreamingOnly", nil)
	var info struct {
		Tracks []struct {
			Name    string
			Bitrate int
		}
	}
	if r := o.api("GET", "/api/v1/assets/ac3", nil); r.status != 200 || jsonInto(r.body, &info) != nil || len(info.Tracks) != 2 {
		t.Fatalf("asset: %s", r)
	}
	seg := map[string]string{}
	for _, tr := range info.Tracks {
		seg[tr.Name] = "/ac3/ac3.ism/QualityLevels(" + itoa(tr.Bitrate) + ")/Fragments(" + tr.Name + "=0,format="
	}
	for _, u := range []string{seg["audio"] + "m3u8-aapl)", seg["video"] + "m3u8-aapl-v3)"} {
		r := o.get(u)
		if r.status != 400 {
			t.Errorf("%s: %s, want 400", u, r)
			continue
		}
		for _, want := range []string{"MPEG-2 TS", "format=m3u8-cmaf", "format=mpd-time-csf", "format=mpd-time-cmaf", "Smooth"} {
			if !strings.Contains(string(r.body), want) {
				t.Errorf("%s: %q does not name %s", u, r.body, want)
			}
		}
	}
	for _, u := range []string{seg["audio"] + "m3u8-cmaf)", seg["video"] + "m3u8-aapl)"} {
		if r := o.get(u); r.status != 200 {
			t.Errorf("%s: %s, want 200", u, r)
		}
	}
}
