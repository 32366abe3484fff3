package origin_test

import (
	"bufio"
	"bytes"
	stdaes "crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

// encCase is one allowed (format, encryption) pair on the fMP4 formats.
type encCase struct {
	name, opts, keyType string
	plan                func(t *testing.T, o *testOrigin, u string, body []byte) []trackPlan
}

var fmp4EncCases = []encCase{
	{"dash-csf-cenc", "format=mpd-time-csf,encryption=cenc", "commonEncryptionCenc", dashPlan},
	{"dash-cmaf-cenc", "format=mpd-time-cmaf,encryption=cenc", "commonEncryptionCenc", dashPlan},
	{"dash-csf-cbcs", "format=mpd-time-csf,encryption=cbcs", "commonEncryptionCbcs", dashPlan},
	{"dash-cmaf-cbcs", "format=mpd-time-cmaf,encryption=cbcs", "commonEncryptionCbcs", dashPlan},
	{"hls-cmaf-cenc", "format=m3u8-cmaf,encryption=cenc", "commonEncryptionCenc", planHLS},
	{"hls-cmaf-cbcs", "format=m3u8-cmaf,encryption=cbcs", "commonEncryptionCbcs", planHLS},
	{"hls-cmaf-cbcs-aapl", "format=m3u8-cmaf,encryption=cbcs-aapl", "commonEncryptionCbcs", planHLS},
	{"smooth-cenc", "encryption=cenc", "commonEncryptionCenc", smoothPlan},
	{"smooth-piff", "encryption=piff", "commonEncryptionCenc", smoothPlan},
}

func dashPlan(t *testing.T, _ *testOrigin, u string, b []byte) []trackPlan { return planDASH(t, u, b) }
func smoothPlan(t *testing.T, _ *testOrigin, u string, b []byte) []trackPlan {
	return planSmooth(t, u, b)
}

// TestEncryptedDecodeFrameExact: for every allowed (format, encryption)
// pair on the fMP4 formats and Smooth, init + every media segment of every
// track, fetched over HTTP, decrypt with ffmpeg (-decryption_key, reading a
// pipe as quality.md says ffmpeg 5.1 needs) to the frames of the clear
// source; with a wrong key they do not.
func TestEncryptedDecodeFrameExact(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	o.locator("drm", "demo", "Predefined_MultiDrmStreaming", nil)
	keys := o.contentKeys("drm")
	sources := o.sourceTracks("demo")
	want := map[string][]string{}
	for k, f := range sources {
		want[k] = md5s(framemd5(t, f, nil))
	}
	for _, c := range fmp4EncCases {
		t.Run(c.name, func(t *testing.T) {
			key := keyOfType(t, keys, c.keyType)
			raw, _ := base64.StdEncoding.DecodeString(key.Value)
			mu := o.base + "/drm/demo.ism/manifest(" + c.opts + ")"
			r := do(t, "GET", mu, nil)
			if r.status != 200 {
				t.Fatalf("manifest: %s", r)
			}
			plans := c.plan(t, o, mu, r.body)
			if len(plans) != len(sources) {
				t.Fatalf("manifest addresses %d tracks, want %d", len(plans), len(sources))
			}
			for _, p := range plans {
				data := fetchTrack(t, p)
				got := md5s(framemd5Key(t, data, hex.EncodeToString(raw)))
				if !reflect.DeepEqual(got, want[p.key()]) {
					t.Errorf("%s: decrypted %d frames, source %d; %s", p.key(), len(got), len(want[p.key()]), firstDiff(got, want[p.key()]))
				}
				wrong := md5s(framemd5Key(t, data, strings.Repeat("ab", 16)))
				if reflect.DeepEqual(wrong, want[p.key()]) {
					t.Errorf("%s: a wrong key decodes the source frames too: the check proves nothing", p.key())
				}
			}
		})
	}
}

func framemd5Key(t *testing.T, data []byte, keyHex string) []string {
	return framemd5In(t, []string{"-decryption_key", keyHex}, "-", data)
}

// TestHLSAES128 plays HLS AES-128 (encryption=cbc) through ffmpeg's HLS
// demuxer, which fetches the key from the origin's key delivery, and checks
// every segment's IV explicitly: each segment, decrypted with the playlist's
// IV, is the clear segment (ffmpeg would tolerate a wrong IV on fMP4).
func TestHLSAES128(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}}}}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status/100 != 2 {
		t.Fatalf("PUT policy: %s", r)
	}
	o.locator("env", "demo", "Predefined_ClearKey", map[string]any{"defaultContentKeyPolicyName": "open"})
	o.locator("clr", "demo", "Predefined_ClearStreamingOnly", nil)
	key := keyOfType(t, o.contentKeys("env"), "envelopeEncryption")
	raw, _ := base64.StdEncoding.DecodeString(key.Value)
	sources := o.sourceTracks("demo")

	mu := o.base + "/env/demo.ism/manifest(format=m3u8-cmaf,encryption=cbc)"
	r := do(t, "GET", mu, nil)
	if r.status != 200 || !strings.Contains(string(r.body), "#EXT-X-SESSION-KEY:METHOD=AES-128") {
		t.Fatalf("multivariant playlist: %s", r)
	}
	for _, p := range planHLS(t, o, mu, r.body) {
		playlist := p.playlist
		body := do(t, "GET", playlist, nil)
		ivs := segmentIVsOf(t, string(body.body), o.base+"/keys/aes/"+key.ID)
		if len(ivs) != len(p.media) {
			t.Fatalf("%s: %d EXT-X-KEY IVs for %d segments", p.key(), len(ivs), len(p.media))
		}
		block, _ := stdaes.NewCipher(raw)
		for i, u := range p.media {
			enc := do(t, "GET", u, nil).body
			clear := do(t, "GET", strings.Replace(strings.Replace(u, "/env/", "/clr/", 1), ",encryption=cbc", "", 1), nil).body
			if len(enc)%16 != 0 || len(enc) <= len(clear) {
				t.Fatalf("%s segment %d: %d bytes for %d clear", p.key(), i, len(enc), len(clear))
			}
			dec := make([]byte, len(enc))
			cipher.NewCBCDecrypter(block, ivs[i]).CryptBlocks(dec, enc)
			pad := int(dec[len(dec)-1])
			if pad < 1 || pad > 16 || !bytes.Equal(dec[:len(dec)-pad], clear) {
				t.Fatalf("%s segment %d: decrypting with the playlist's IV does not give the clear segment", p.key(), i)
			}
		}
		init := do(t, "GET", p.init, nil).body
		clearInit := do(t, "GET", strings.Replace(strings.Replace(p.init, "/env/", "/clr/", 1), ",encryption=cbc", "", 1), nil).body
		if !bytes.Equal(init, clearInit) {
			t.Errorf("%s: the EXT-X-MAP init segment must stay clear", p.key())
		}
		// ffmpeg's HLS demuxer fetches the key from key delivery itself.
		got := md5s(framemd5(t, playlist, nil))
		if w := md5s(framemd5(t, sources[p.key()], nil)); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: ffmpeg via HLS AES-128 decoded %d frames, source %d", p.key(), len(got), len(w))
		}
	}
}

// segmentIVsOf reads the IV of the EXT-X-KEY before each segment and checks
// that the key URI is keyURL and the init section comes before any key.
func segmentIVsOf(t *testing.T, playlist, keyURL string) [][]byte {
	var ivs [][]byte
	sawMap, sawKey := false, false
	sc := bufio.NewScanner(strings.NewReader(playlist))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "#EXT-X-MAP"):
			if sawKey {
				t.Errorf("EXT-X-MAP after an EXT-X-KEY: the init section would be encrypted")
			}
			sawMap = true
		case strings.HasPrefix(l, "#EXT-X-KEY:"):
			sawKey = true
			if !strings.Contains(l, "METHOD=AES-128") || !strings.Contains(l, `URI="`+keyURL+`"`) {
				t.Errorf("key tag %q: want METHOD=AES-128 and URI=%q", l, keyURL)
			}
			i := strings.Index(l, "IV=0x")
			if i < 0 {
				t.Fatalf("key tag without IV: %q", l)
			}
			iv, err := hex.DecodeString(l[i+5 : i+5+32])
			if err != nil {
				t.Fatalf("IV in %q: %v", l, err)
			}
			ivs = append(ivs, iv)
		}
	}
	if !sawMap {
		t.Errorf("no EXT-X-MAP")
	}
	return ivs
}

// TestEncryptedManifestSignalling spot-checks what the manifests carry for
// the built-in multi-DRM policy (golden files in manifest/ pin the forms).
func TestEncryptedManifestSignalling(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	o.locator("drm", "demo", "Predefined_MultiDrmStreaming", nil)
	keys := o.contentKeys("drm")
	cenc := keyOfType(t, keys, "commonEncryptionCenc")
	for path, wants := range map[string][]string{
		"/drm/demo.ism/manifest(format=mpd-time-csf,encryption=cenc)": {
			`cenc:default_KID="` + cenc.ID + `"`, "urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",
			"urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95", "urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e", "dashif:laurl"},
		"/drm/demo.ism/manifest(format=m3u8-cmaf,encryption=cbcs-aapl)": {
			`METHOD=SAMPLE-AES`, `KEYFORMAT="com.apple.streamingkeydelivery"`, `skd://`},
		"/drm/demo.ism/manifest(encryption=piff)": {`<ProtectionHeader SystemID="9A04F079-9840-4286-AB92-E65BE0885F95">`},
	} {
		r := o.get(path)
		if r.status != 200 {
			t.Errorf("%s: %s", path, r)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(string(r.body), w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
		if bytes.Contains(r.body, []byte("token")) {
			t.Errorf("%s carries a token", path)
		}
	}
	// The ClearKey license URL is this origin's own key delivery.
	r := o.get("/drm/demo.ism/manifest(format=mpd-time-csf,encryption=cenc)")
	if !strings.Contains(string(r.body), o.base+"/keys/clearkey") {
		t.Errorf("DASH cenc does not name the origin's ClearKey license URL")
	}
}
