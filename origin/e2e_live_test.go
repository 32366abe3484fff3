package origin_test

import (
	"bytes"
	"context"
	stdaes "crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/internal/testmedia"
	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// liveOrigin is an origin whose asset library a live Hub feeds, over a
// fresh local asset root: the pair the serve command wires (the ingest
// listener, which calls Hub.Ingest, is left to the caller).
type liveOrigin struct {
	*testOrigin
	hub *live.Hub
}

// startLiveOrigin starts a Hub and an origin over root, sharing the
// origin's packager Library.
func startLiveOrigin(t testing.TB, root string) *liveOrigin {
	t.Helper()
	return startLiveOriginWith(t, root, nil)
}

// startLiveOriginWith is startLiveOrigin with the Hub's Announce hook.
func startLiveOriginWith(t testing.TB, root string, announce func(live.Announcement)) *liveOrigin {
	t.Helper()
	st := storage.NewLocal(root, storage.LocalOptions{})
	o := startOriginStore(t, st, root, "", func(c *originConfig) { c.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil)) })
	lib, ok := o.srv.Assets.(*packager.Library)
	if !ok {
		t.Fatal("the test origin's Assets is not a packager.Library")
	}
	hub := live.NewHub(live.Config{Store: st, Writer: st, Assets: lib, StallTimeout: 5 * time.Second, Announce: announce})
	t.Cleanup(func() { hub.Close() })
	return &liveOrigin{testOrigin: o, hub: hub}
}

// startLiveShow is startLiveOrigin over a fresh root with the running
// event ev and its live output out into the asset liveshow (manifest show,
// an hour's window).
func startLiveShow(t *testing.T) *liveOrigin {
	t.Helper()
	lo := startLiveOrigin(t, t.TempDir())
	lo.startOutput(t, "liveshow", "show", time.Hour)
	return lo
}

// startOutput starts the event ev in the Hub with its live output out
// into asset (that manifest, that window).
func (lo *liveOrigin) startOutput(t *testing.T, asset, manifest string, window time.Duration) {
	t.Helper()
	lo.hub.StartEvent("ev")
	if err := lo.hub.AddOutput(live.Output{Event: "ev", Name: "out", Asset: asset, Manifest: manifest, Window: window}); err != nil {
		t.Fatal(err)
	}
}

// liveFeed is an ffmpeg ismv feed cut into its init and its moof+mdat
// pairs, and the tee muxer's local copy of the same packets.
type liveFeed struct {
	init  []byte
	frags [][]byte
	copy  string
}

func makeLiveFeed(t *testing.T, seconds int) liveFeed {
	t.Helper()
	feed, cp := testmedia.LiveFeed(t, t.TempDir(), seconds)
	b, err := os.ReadFile(feed)
	if err != nil {
		t.Fatal(err)
	}
	f := liveFeed{copy: cp}
	for off := 0; off+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[off:]))
		switch string(b[off+4 : off+8]) {
		case "moof":
			n += int(binary.BigEndian.Uint32(b[off+n:]))
			f.frags = append(f.frags, b[off:off+n])
		case "mfra":
		default:
			if len(f.frags) == 0 {
				f.init = append(f.init, b[off:off+n]...)
			}
		}
		off += n
	}
	return f
}

// push sends the init and fragments as one encoder request.
func (lo *liveOrigin) push(t *testing.T, stream string, f liveFeed, frags [][]byte) {
	t.Helper()
	b := append(append([]byte(nil), f.init...), bytes.Join(frags, nil)...)
	if err := lo.hub.Ingest(context.Background(), "ev", stream, bytes.NewReader(b)); err != nil {
		t.Fatalf("ingest: %v", err)
	}
}

// TestLiveServeAndEnd pushes an ffmpeg feed in two requests (a reconnection)
// through the Hub and watches it through the origin: dynamic DASH, HLS
// windows and live Smooth while it runs, /time, 404 no-cache for what is
// not there yet, decodable segments; after EndOutput the same URLs serve
// VOD with the same segment bytes, and every track (two video renditions,
// AAC) decodes in every format (DASH, HLS fMP4, HLS TS v4 and v3, Smooth)
// to exactly the frames of ffmpeg's local copy of the feed.
func TestLiveServeAndEnd(t *testing.T) {
	needTool(t, "ffmpeg", "ffmpeg")
	f := makeLiveFeed(t, 10)
	lo := startLiveShow(t)
	// A locator made before the first fragment: the asset exists, and has
	// nothing to serve yet.
	lo.locator("live", "liveshow", "Predefined_ClearStreamingOnly", nil)
	if r := lo.get("/live/show.ism/manifest(format=mpd-time-csf)"); r.status != 404 {
		t.Fatalf("manifest before the first fragment: %s", r)
	}
	half := len(f.frags) / 2
	lo.push(t, "s1", f, f.frags[:half])

	dash := lo.base + "/live/show.ism/manifest(format=mpd-time-csf)"
	r := lo.get("/live/show.ism/manifest(format=mpd-time-csf)")
	if r.status != 200 || !bytes.Contains(r.body, []byte(`type="dynamic"`)) {
		t.Fatalf("live MPD: %s", r)
	}
	for _, want := range []string{`availabilityStartTime="`, `timeShiftBufferDepth="PT3600S"`, `minimumUpdatePeriod="PT`,
		`<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="` + lo.base + `/time"`} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("live MPD lacks %s", want)
		}
	}
	if cc := r.header.Get("Cache-Control"); cc != "public, max-age=0" && cc != "public, max-age=1" {
		t.Errorf("live manifest Cache-Control %q, want max-age of at most 1 s for 2 s segments", cc)
	}
	tm := lo.get("/time")
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", strings.TrimSpace(string(tm.body))); tm.status != 200 || err != nil ||
		!strings.HasPrefix(tm.header.Get("Content-Type"), "text/plain") {
		t.Errorf("/time: %s %v", tm, err)
	}
	miss := lo.get("/live/show.ism/QualityLevels(400000)/Fragments(video=990000000,format=mpd-time-csf)")
	if miss.status != 404 || miss.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("segment not yet there: %d, Cache-Control %q", miss.status, miss.header.Get("Cache-Control"))
	}
	media := lo.get("/live/show.ism/QualityLevels(400000)/Manifest(video,format=m3u8-cmaf)")
	if media.status != 200 || bytes.Contains(media.body, []byte("ENDLIST")) || !bytes.Contains(media.body, []byte("#EXT-X-PROGRAM-DATE-TIME:")) {
		t.Errorf("live media playlist: %s", media)
	}
	if s := lo.get("/live/show.ism/manifest"); s.status != 200 || !bytes.Contains(s.body, []byte(`IsLive="TRUE"`)) {
		t.Errorf("live Smooth: %s", s)
	}
	livePlans := planDASH(t, dash, r.body)
	firstSeg := lo.get(strings.TrimPrefix(livePlans[0].media[0], lo.base))

	// The encoder reconnects and sends the rest; the window grows.
	lo.push(t, "s1", f, f.frags[half:])
	r2 := lo.get("/live/show.ism/manifest(format=mpd-time-csf)")
	if bytes.Equal(r.body, r2.body) {
		t.Fatal("the MPD did not change when fragments arrived (a stale cached manifest)")
	}
	for _, p := range planDASH(t, dash, r2.body) {
		if got := framemd5(t, "-", fetchTrack(t, p)); len(got) == 0 {
			t.Errorf("live %s decodes to nothing", p.key())
		}
	}

	if err := lo.hub.EndOutput("ev", "out"); err != nil {
		t.Fatal(err)
	}
	v := lo.get("/live/show.ism/manifest(format=mpd-time-csf)")
	if v.status != 200 || !bytes.Contains(v.body, []byte(`type="static"`)) {
		t.Fatalf("MPD after the end: %s", v)
	}
	if m := lo.get("/live/show.ism/QualityLevels(400000)/Manifest(video,format=m3u8-cmaf)"); !bytes.Contains(m.body, []byte("#EXT-X-ENDLIST")) {
		t.Errorf("media playlist after the end has no ENDLIST: %s", m)
	}
	if s := lo.get("/live/show.ism/manifest"); bytes.Contains(s.body, []byte("IsLive")) {
		t.Errorf("Smooth after the end is still live")
	}
	again := lo.get(strings.TrimPrefix(livePlans[0].media[0], lo.base))
	if again.status != 200 || !bytes.Equal(again.body, firstSeg.body) {
		t.Errorf("a segment that worked live gives other bytes after the end")
	}
	// Frame exact against the tee muxer's local copy, every track (both
	// video renditions and the audio) in every format.
	want := teeCopyFrames(t, lo.srv.Assets.(*packager.Library), "liveshow", f.copy)
	for _, format := range archiveFormats {
		t.Run(format, func(t *testing.T) { assertArchiveFramesExact(t, lo, "live", "show", format, want) })
	}
	// ffmpeg plays the ended archive from its URLs.
	for _, u := range []string{dash, lo.base + "/live/show.ism/manifest(format=m3u8-cmaf)"} {
		if got := framemd5(t, u, nil, "-map", "0:v:0"); len(got) < 200 {
			t.Errorf("ffmpeg plays %d frames from %s", len(got), u)
		}
	}
}

// TestLiveEncrypted: a live asset is protected like VOD. Every fMP4
// scheme of the multi-DRM policy decrypts (ffmpeg -decryption_key) to the
// frames of the clear live stream, and HLS AES-128 segments decrypt with
// their playlist IVs to the clear segments, while the event runs.
func TestLiveEncrypted(t *testing.T) {
	needTool(t, "ffmpeg", "ffmpeg")
	f := makeLiveFeed(t, 6)
	lo := startLiveShow(t)
	lo.push(t, "s1", f, f.frags)
	lo.locator("drm", "liveshow", "Predefined_MultiDrmStreaming", nil)
	lo.locator("clr", "liveshow", "Predefined_ClearStreamingOnly", nil)
	keys := lo.contentKeys("drm")
	clear := map[string][]string{}
	cu := lo.base + "/clr/show.ism/manifest(format=mpd-time-csf)"
	for _, p := range planDASH(t, cu, lo.get("/clr/show.ism/manifest(format=mpd-time-csf)").body) {
		clear[p.key()] = md5s(framemd5(t, "-", fetchTrack(t, p)))
	}
	for _, c := range fmp4EncCases {
		t.Run(c.name, func(t *testing.T) {
			raw, _ := base64.StdEncoding.DecodeString(keyOfType(t, keys, c.keyType).Value)
			mu := lo.base + "/drm/show.ism/manifest(" + c.opts + ")"
			r := do(t, "GET", mu, nil)
			if r.status != 200 {
				t.Fatalf("manifest: %s", r)
			}
			for _, p := range c.plan(t, lo.testOrigin, mu, r.body) {
				got := md5s(framemd5Key(t, fetchTrack(t, p), hex.EncodeToString(raw)))
				w := clear[p.key()]
				if strings.HasPrefix(c.name, "smooth") && len(got) > 0 && len(got) < len(w) {
					// Live Smooth lists a fragment once the two after it
					// are archived (its tfrf): a prefix of the clear DASH.
					w = w[:len(got)]
				}
				if len(w) == 0 || !reflect.DeepEqual(got, w) {
					t.Errorf("%s: decrypted %d frames, clear live %d; %s", p.key(), len(got), len(w), firstDiff(got, w))
				}
			}
		})
	}

	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}}}}
	if r := lo.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	lo.locator("env", "liveshow", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "open"})
	key := keyOfType(t, lo.contentKeys("env"), "envelopeEncryption")
	raw, _ := base64.StdEncoding.DecodeString(key.Value)
	block, _ := stdaes.NewCipher(raw)
	mu := lo.base + "/env/show.ism/manifest(format=m3u8-cmaf,encryption=cbc)"
	for _, p := range planHLS(t, lo.testOrigin, mu, do(t, "GET", mu, nil).body) {
		pl := do(t, "GET", p.playlist, nil)
		if bytes.Contains(pl.body, []byte("ENDLIST")) {
			t.Errorf("%s: a live playlist with ENDLIST", p.key())
		}
		ivs := segmentIVsOf(t, string(pl.body), lo.base+"/keys/aes/"+key.ID)
		if len(ivs) != len(p.media) {
			t.Fatalf("%s: %d IVs for %d segments", p.key(), len(ivs), len(p.media))
		}
		for i, u := range p.media {
			enc := do(t, "GET", u, nil).body
			clr := do(t, "GET", strings.Replace(strings.Replace(u, "/env/", "/clr/", 1), ",encryption=cbc", "", 1), nil).body
			if len(enc)%16 != 0 || len(enc) <= len(clr) {
				t.Fatalf("%s segment %d: %d bytes for %d clear", p.key(), i, len(enc), len(clr))
			}
			dec := make([]byte, len(enc))
			cipher.NewCBCDecrypter(block, ivs[i]).CryptBlocks(dec, enc)
			if pad := int(dec[len(dec)-1]); pad < 1 || pad > 16 || !bytes.Equal(dec[:len(dec)-pad], clr) {
				t.Fatalf("%s segment %d: does not decrypt to the clear segment with its playlist IV", p.key(), i)
			}
		}
	}
}

// TestLiveFFmpegPush: ffmpeg (-re, lavfi, two H.264 renditions and AAC,
// the ismv muxer) POSTs its feed to a loopback ingest endpoint whose
// handler is Hub.Ingest, as the ingest listener's is; while it pushes, the
// live edge advances in the origin's MPD and HLS playlist.
func TestLiveFFmpegPush(t *testing.T) {
	ffmpeg := needTool(t, "ffmpeg", "ffmpeg")
	// Fragment arrival (its last byte read) to its announcement (archived,
	// synced, indexed, published): the latency a player sees at most.
	var latMu sync.Mutex
	var lat []time.Duration
	lo := startLiveOriginWith(t, t.TempDir(), func(a live.Announcement) {
		latMu.Lock()
		lat = append(lat, time.Since(a.Arrived))
		latMu.Unlock()
	})
	lo.startOutput(t, "pushed", "pushed", time.Minute)
	lo.locator("push", "pushed", "Predefined_ClearStreamingOnly", nil)
	ingestErr := make(chan error, 1)
	ing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := lo.hub.Ingest(r.Context(), "ev", "s1", r.Body)
		ingestErr <- err
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	}))
	defer ing.Close()
	cmd := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=9",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=9",
		"-map", "0:v", "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-b:v:0", "400k", "-b:v:1", "200k", "-s:v:1", "160x90", "-c:a", "aac", "-b:a", "64k",
		"-movflags", "isml+frag_keyframe", "-f", "ismv", "-method", "POST",
		ing.URL+"/ev/token/ingest.isml/Streams(s1)")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	segments := func() int {
		r := lo.get("/push/pushed.ism/QualityLevels(400000)/Manifest(video,format=m3u8-cmaf)")
		if r.status != 200 {
			return 0
		}
		return bytes.Count(r.body, []byte("#EXTINF"))
	}
	var seen []int
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && (len(seen) == 0 || seen[len(seen)-1] < 3) {
		time.Sleep(500 * time.Millisecond)
		if n := segments(); len(seen) == 0 || n != seen[len(seen)-1] {
			seen = append(seen, n)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ffmpeg push: %v: %s", err, stderr.String())
	}
	if err := <-ingestErr; err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if len(seen) < 3 || seen[len(seen)-1] < 3 {
		t.Fatalf("the live edge did not advance while ffmpeg pushed: segment counts seen %v", seen)
	}
	r := lo.get("/push/pushed.ism/manifest(format=mpd-time-csf)")
	for _, p := range planDASH(t, lo.base+"/push/pushed.ism/manifest(format=mpd-time-csf)", r.body) {
		if got := framemd5(t, "-", fetchTrack(t, p)); len(got) == 0 {
			t.Errorf("%s decodes to nothing", p.key())
		}
	}
	latMu.Lock()
	slices.Sort(lat)
	t.Logf("segment counts seen while pushing: %v; arrival to announcement over %d fragments: p50 %v, max %v",
		seen, len(lat), lat[len(lat)/2], lat[len(lat)-1])
	latMu.Unlock()
}
