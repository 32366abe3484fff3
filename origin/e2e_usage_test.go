package origin_test

import (
	"bytes"
	stdaes "crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"reflect"
	"strings"
	"testing"

	"github.com/zencoder/go-dash/v3/mpd"
)

// tierKey is one content key of the usage-rule tests, as the test made it.
type tierKey struct {
	tier  string // "sd", "hd", "audio"
	id    string // GUID
	value []byte
}

// Usage rules of the tier tests over the demo asset (video 320x180 and
// 640x360, two audio tracks): SD is the 180-line rendition, HD the
// 360-line one, audio every audio track.
var tierTracks = map[string][]map[string]any{
	"sd":    {{"trackType": "video", "maxHeight": 200}},
	"hd":    {{"trackType": "video", "minHeight": 201}},
	"audio": {{"trackType": "audio"}},
}

// tierOf is the tier of a demo track (name@bitrate, as sourceTracks keys
// them) from its source file.
func tierOf(t *testing.T, sources map[string]string, key string) string {
	f := sources[key]
	switch {
	case strings.HasSuffix(f, "video_320x180.mp4"):
		return "sd"
	case strings.HasSuffix(f, "video_640x360.mp4"):
		return "hd"
	case strings.Contains(f, "audio_"):
		return "audio"
	}
	t.Fatalf("track %s (%s) has no tier", key, f)
	return ""
}

// newTierKeys makes an SD, an HD and an audio key for each key type.
func newTierKeys(t *testing.T) map[string]map[string]tierKey {
	out := map[string]map[string]tierKey{}
	for _, typ := range []string{"envelopeEncryption", "commonEncryptionCenc", "commonEncryptionCbcs"} {
		out[typ] = map[string]tierKey{}
		for _, tier := range []string{"sd", "hd", "audio"} {
			var id, v [16]byte
			rand.Read(id[:])
			rand.Read(v[:])
			h := hex.EncodeToString(id[:])
			out[typ][tier] = tierKey{tier: tier, id: h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], value: v[:]}
		}
	}
	return out
}

func tierBody(keys map[string]map[string]tierKey) []map[string]any {
	var out []map[string]any
	for typ, tiers := range keys {
		for tier, k := range tiers {
			out = append(out, map[string]any{"id": k.id, "value": b64(k.value), "type": typ, "tracks": tierTracks[tier]})
		}
	}
	return out
}

// startTierOrigin runs an origin with a streaming policy that enables
// every scheme, an open content key policy, the clear locator "clr" and
// the locator "fps" (the TS helpers' names) whose keys are SD, HD and
// audio keys of every type.
func startTierOrigin(t *testing.T) (*testOrigin, map[string]map[string]tierKey) {
	return startTierOriginWith(t, nil)
}

// startTierOriginWith is startTierOrigin with a hook on the Config.
func startTierOriginWith(t *testing.T, adjust func(*originConfig)) (*testOrigin, map[string]map[string]tierKey) {
	o := startOriginWith(t, mediaRoot(t), "", adjust)
	open := map[string]any{"name": "open", "options": []any{
		map[string]any{"configuration": map[string]any{"type": "aesEnvelope"}, "restriction": map[string]any{"type": "open"}},
		map[string]any{"configuration": map[string]any{"type": "clearKey"}, "restriction": map[string]any{"type": "open"}}}}
	if r := o.api("PUT", "/api/v1/contentKeyPolicies/open", open); r.status/100 != 2 {
		t.Fatalf("PUT content key policy: %s", r)
	}
	all := `{"envelopeEncryption":{"protocols":["hls"]},` +
		`"commonEncryptionCenc":{"protocols":["dash","hls","smooth"],"drm":{"clearKey":{"licenseUrlTemplate":"/keys/clearkey"},"widevine":{},"playReady":{}}},` +
		`"commonEncryptionCbcs":{"protocols":["dash","hls"],"drm":{"fairPlay":{},"widevine":{}}}}`
	if r := o.api("PUT", "/api/v1/streamingPolicies/all", all); r.status/100 != 2 {
		t.Fatalf("PUT streaming policy: %s", r)
	}
	keys := newTierKeys(t)
	o.locator("fps", "demo", "all", map[string]any{"defaultContentKeyPolicyName": "open", "contentKeys": tierBody(keys)})
	o.locator("clr", "demo", "Predefined_ClearStreamingOnly", nil)
	return o, keys
}

// TestUsageRulesDecrypt: with SD, HD and audio keys for every scheme,
// every track of the fMP4 formats (DASH and HLS, cenc and cbcs) decrypts
// with its own key (ffmpeg -decryption_key) to the source frames and with
// neither of the others; its init segment's tenc and pssh name its KID,
// and the DASH AdaptationSet that lists it signals that KID.
func TestUsageRulesDecrypt(t *testing.T) {
	o, keys := startTierOrigin(t)
	sources := o.sourceTracks("demo")
	want := map[string][]string{}
	for k, f := range sources {
		want[k] = md5s(framemd5(t, f, nil))
	}
	for _, c := range []struct{ name, opts, keyType string }{
		{"dash-cenc", "format=mpd-time-csf,encryption=cenc", "commonEncryptionCenc"},
		{"dash-cbcs", "format=mpd-time-cmaf,encryption=cbcs", "commonEncryptionCbcs"},
		{"hls-cenc", "format=m3u8-cmaf,encryption=cenc", "commonEncryptionCenc"},
		{"hls-cbcs", "format=m3u8-cmaf,encryption=cbcs", "commonEncryptionCbcs"},
		{"hls-cbcs-aapl", "format=m3u8-cmaf,encryption=cbcs-aapl", "commonEncryptionCbcs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			mu := o.base + "/fps/demo.ism/manifest(" + c.opts + ")"
			r := do(t, "GET", mu, nil)
			if r.status != 200 {
				t.Fatalf("manifest: %s", r)
			}
			var plans []trackPlan
			if strings.HasPrefix(c.name, "dash") {
				plans = planDASH(t, mu, r.body)
				checkDASHKIDs(t, r.body, sources, keys[c.keyType])
			} else {
				plans = planHLS(t, o, mu, r.body)
				checkSessionKeys(t, r.body, keys[c.keyType])
			}
			if len(plans) != len(sources) {
				t.Fatalf("manifest addresses %d tracks, want %d", len(plans), len(sources))
			}
			for _, p := range plans {
				tier := tierOf(t, sources, p.key())
				own := keys[c.keyType][tier]
				init := do(t, "GET", p.init, nil).body
				if got := tencKID(init); got != strings.ReplaceAll(own.id, "-", "") {
					t.Errorf("%s (%s): tenc KID %s, want %s", p.key(), tier, got, own.id)
				}
				if c.name != "hls-cbcs-aapl" && !bytes.Contains(psshBoxes(init), mustHex(t, own.id)) {
					t.Errorf("%s (%s): no pssh in the init segment names KID %s", p.key(), tier, own.id)
				}
				data := fetchTrack(t, p)
				for _, k := range keys[c.keyType] {
					got := md5s(framemd5Key(t, data, hex.EncodeToString(k.value)))
					match := reflect.DeepEqual(got, want[p.key()])
					switch {
					case k.tier == tier && !match:
						t.Errorf("%s (%s): its own key decrypts %d frames, source %d; %s", p.key(), tier, len(got), len(want[p.key()]), firstDiff(got, want[p.key()]))
					case k.tier != tier && match:
						t.Errorf("%s (%s): the %s key decrypts it too", p.key(), tier, k.tier)
					}
				}
			}
		})
	}
}

// checkDASHKIDs: each AdaptationSet's cenc:default_KID is the key of the
// tier of every Representation in it.
func checkDASHKIDs(t *testing.T, body []byte, sources map[string]string, keys map[string]tierKey) {
	t.Helper()
	m, err := mpd.ReadFromString(string(body))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sets []struct {
			CP []struct {
				KID string `xml:"urn:mpeg:cenc:2013 default_KID,attr"`
			} `xml:"ContentProtection"`
		} `xml:"Period>AdaptationSet"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	kidOf := func(i int) string {
		kid := ""
		for _, cp := range doc.Sets[i].CP {
			if cp.KID != "" {
				kid = cp.KID
			}
		}
		return kid
	}
	for i, as := range m.Periods[0].AdaptationSets {
		kid := kidOf(i)
		if trickMode(as) {
			// A trick-mode set is encrypted as the set it names.
			for j, main := range m.Periods[0].AdaptationSets {
				for _, ep := range as.EssentialProperty {
					if main.ID != nil && ep.Value != nil && *main.ID == *ep.Value && kidOf(j) != kid {
						t.Errorf("trick-mode AdaptationSet %d: default_KID %s, want its main set's %s", i, kid, kidOf(j))
					}
				}
			}
			continue
		}
		for _, rep := range as.Representations {
			key := strings.TrimSuffix(*rep.ID, "_"+itoa(int(*rep.Bandwidth))) + "@" + itoa(int(*rep.Bandwidth))
			if k := keys[tierOf(t, sources, key)]; k.id != kid {
				t.Errorf("AdaptationSet %d, representation %s: default_KID %s, want the %s key %s", i, *rep.ID, kid, k.tier, k.id)
			}
		}
		seen[kid] = true
	}
	if len(seen) != 3 {
		t.Errorf("the MPD signals %d KIDs, want 3 (SD, HD, audio)", len(seen))
	}
}

// checkSessionKeys: the multivariant playlist's EXT-X-SESSION-KEYs name
// every key (in their Widevine PSSH or skd:// URI).
func checkSessionKeys(t *testing.T, body []byte, keys map[string]tierKey) {
	t.Helper()
	var session []byte
	for _, l := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(l, "#EXT-X-SESSION-KEY:") {
			continue
		}
		session = append(session, l...)
		if _, rest, ok := strings.Cut(l, "base64,"); ok {
			data, _, _ := strings.Cut(rest, `"`)
			b, _ := base64.StdEncoding.DecodeString(data)
			session = append(session, b...)
		}
	}
	for _, k := range keys {
		if !bytes.Contains(session, mustHex(t, k.id)) && !bytes.Contains(session, []byte(k.id)) {
			t.Errorf("no EXT-X-SESSION-KEY names the %s key %s", k.tier, k.id)
		}
	}
}

func mustHex(t *testing.T, guid string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(guid, "-", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tencKID is the default KID of the first tenc box of an init segment,
// as hex ("" without one).
func tencKID(init []byte) string {
	i := bytes.Index(init, []byte("tenc"))
	if i < 0 || len(init) < i+28 {
		return ""
	}
	return hex.EncodeToString(init[i+12 : i+28])
}

// psshBoxes returns the bytes of every pssh box of an init segment.
func psshBoxes(init []byte) []byte {
	var out []byte
	for off := 0; ; {
		i := bytes.Index(init[off:], []byte("pssh"))
		if i < 4 {
			return out
		}
		start := off + i - 4
		n := int(init[start])<<24 | int(init[start+1])<<16 | int(init[start+2])<<8 | int(init[start+3])
		if n < 8 || start+n > len(init) {
			return out
		}
		out = append(out, init[start:start+n]...)
		off = start + n
	}
}

// TestUsageRulesAES128: HLS AES-128 (whole segments, fMP4 and TS) names
// each track's own key in its media playlist; key delivery serves it, and
// every segment decrypts with it (crypto/cipher, the playlist's IV) to the
// clear segment and with neither of the other keys.
func TestUsageRulesAES128(t *testing.T) {
	o, keys := startTierOrigin(t)
	sources := o.sourceTracks("demo")
	env := keys["envelopeEncryption"]
	for _, format := range []string{"m3u8-cmaf", "m3u8-aapl"} {
		t.Run(format, func(t *testing.T) {
			mu := o.base + "/fps/demo.ism/manifest(format=" + format + ",encryption=cbc)"
			mv := do(t, "GET", mu, nil)
			for _, k := range env {
				if !strings.Contains(string(mv.body), "/keys/aes/"+k.id) {
					t.Errorf("the multivariant playlist's session keys lack the %s key %s", k.tier, k.id)
				}
			}
			playlists := tsPlaylists(t, mu)
			if len(playlists) != 4 {
				t.Fatalf("%d media playlists, want 4", len(playlists))
			}
			for _, u := range playlists {
				name := playlistTrack(t, u) + "@" + itoa(bitrateOf(t, u))
				own := env[tierOf(t, sources, name)]
				body := string(do(t, "GET", u, nil).body)
				keyURL := o.base + "/keys/aes/" + own.id
				ivs := keyTagIVs(t, body, keyURL)
				if got := do(t, "GET", keyURL, nil); got.status != 200 || !bytes.Equal(got.body, own.value) {
					t.Fatalf("%s: key delivery of %s: %d, %d bytes", name, own.id, got.status, len(got.body))
				}
				var segs []string
				for _, l := range strings.Split(body, "\n") {
					if l != "" && !strings.HasPrefix(l, "#") {
						segs = append(segs, resolve(t, u, l))
					}
				}
				if len(segs) != len(ivs) || len(segs) == 0 {
					t.Fatalf("%s: %d segments, %d IVs", name, len(segs), len(ivs))
				}
				for i, s := range segs {
					enc := do(t, "GET", s, nil).body
					clear := do(t, "GET", strings.Replace(strings.Replace(s, "/fps/", "/clr/", 1), ",encryption=cbc", "", 1), nil).body
					for _, k := range env {
						ok := cbcDecryptsTo(k.value, ivs[i], enc, clear)
						if k.id == own.id && !ok {
							t.Fatalf("%s segment %d: its own %s key does not decrypt it to the clear segment", name, i, k.tier)
						}
						if k.id != own.id && ok {
							t.Fatalf("%s segment %d: the %s key decrypts it too", name, i, k.tier)
						}
					}
				}
			}
		})
	}
}

// keyTagIVs returns the IV of every EXT-X-KEY of a media playlist (one
// per segment), checking that each names keyURL.
func keyTagIVs(t *testing.T, playlist, keyURL string) [][]byte {
	t.Helper()
	var ivs [][]byte
	for _, l := range strings.Split(playlist, "\n") {
		if !strings.HasPrefix(l, "#EXT-X-KEY:") {
			continue
		}
		if !strings.Contains(l, "METHOD=AES-128") || !strings.Contains(l, `URI="`+keyURL+`"`) {
			t.Errorf("key tag %q: want METHOD=AES-128 and URI=%q", l, keyURL)
		}
		_, iv, ok := strings.Cut(l, "IV=0x")
		b, err := hex.DecodeString(iv[:min(32, len(iv))])
		if !ok || err != nil || len(b) != 16 {
			t.Fatalf("key tag without a 16-byte IV: %q", l)
		}
		ivs = append(ivs, b)
	}
	return ivs
}

func cbcDecryptsTo(key, iv, enc, clear []byte) bool {
	if len(enc) == 0 || len(enc)%16 != 0 {
		return false
	}
	block, _ := stdaes.NewCipher(key)
	dec := make([]byte, len(enc))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(dec, enc)
	pad := int(dec[len(dec)-1])
	return pad >= 1 && pad <= 16 && bytes.Equal(dec[:len(dec)-pad], clear)
}

// TestUsageRulesSampleAES: TS SAMPLE-AES (m3u8-aapl, encryption=cbcs-aapl)
// names each track's own key (skd:// KID), and ffmpeg's HLS demuxer
// decrypts each rendition with that key (fetched from key delivery) and
// not with the others.
func TestUsageRulesSampleAES(t *testing.T) {
	o, keys := startTierOrigin(t)
	sources := o.sourceTracks("demo")
	cbcs := keys["commonEncryptionCbcs"]
	mu := o.base + "/fps/demo.ism/manifest(format=m3u8-aapl,encryption=cbcs-aapl)"
	playlists := tsPlaylists(t, mu)
	if len(playlists) != 4 {
		t.Fatalf("%d media playlists, want 4", len(playlists))
	}
	for _, u := range playlists {
		name := playlistTrack(t, u) + "@" + itoa(bitrateOf(t, u))
		own := cbcs[tierOf(t, sources, name)]
		if body := do(t, "GET", u, nil).body; !bytes.Contains(body, []byte("skd://"+own.id)) {
			t.Errorf("%s: the media playlist does not name its %s key %s", name, own.tier, own.id)
		}
		got, clear := sampleAESFrames(t, u, o.base+"/keys/aes/"+own.id, "0:0")
		if len(got) == 0 || !reflect.DeepEqual(got, clear) {
			t.Errorf("%s: its own %s key: %d frames, clear %d; %s", name, own.tier, len(got), len(clear), firstDiff(got, clear))
		}
		// Another key's continuous decode differs from the own key's.
		right := hlsFrames(t, localPlaylist(t, u, o.base+"/keys/aes/"+own.id), "0:0")
		if len(right) == 0 {
			t.Fatalf("%s: nothing decoded with its own key", name)
		}
		for _, k := range cbcs {
			if k.id == own.id {
				continue
			}
			wrong := localPlaylist(t, u, o.base+"/keys/aes/"+k.id)
			if got := hlsFrames(t, wrong, "0:0"); reflect.DeepEqual(got, right) {
				t.Errorf("%s: the %s key decrypts it too", name, k.tier)
			}
		}
	}
}

// TestUsageRulesMuxed: m3u8-aapl-v3 muxes the default audio into the
// video's TS segments (one segment, one key): with separate audio and
// video keys it is a 400 naming the audio KID, rather than audio under
// the video key.
func TestUsageRulesMuxed(t *testing.T) {
	o, keys := startTierOrigin(t)
	r := o.get("/fps/demo.ism/manifest(format=m3u8-aapl-v3,encryption=cbcs-aapl)")
	if r.status != 400 || !strings.Contains(string(r.body), keys["commonEncryptionCbcs"]["audio"].id) {
		t.Errorf("m3u8-aapl-v3 with separate audio and video keys: %s, want 400 naming the audio KID", r)
	}
}

// TestUsageRulesSmooth: Smooth has one ProtectionHeader, so with SD, HD
// and audio keys it carries one PlayReady object listing the three KIDs
// (WRMHEADER 4.2, each with its checksum), which the PIFF init segments
// carry too; every track decrypts with its own key and not the others.
func TestUsageRulesSmooth(t *testing.T) {
	o, keys := startTierOrigin(t)
	sources := o.sourceTracks("demo")
	cenc := keys["commonEncryptionCenc"]
	mu := o.base + "/fps/demo.ism/manifest(encryption=piff)"
	r := do(t, "GET", mu, nil)
	if r.status != 200 {
		t.Fatalf("Smooth manifest: %s", r)
	}
	var m struct {
		Header string `xml:"Protection>ProtectionHeader"`
	}
	if err := xml.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	pro, err := base64.StdEncoding.DecodeString(m.Header)
	if err != nil || len(pro) < 10 {
		t.Fatalf("ProtectionHeader: %v", err)
	}
	header := utf16le(pro[10:])
	if !strings.Contains(header, `version="4.2.0.0"`) || strings.Count(header, `ALGID="AESCTR"`) != 3 || strings.Count(header, "CHECKSUM=") != 3 {
		t.Errorf("ProtectionHeader WRMHEADER %s: want version 4.2.0.0 with three AESCTR KIDs and checksums", header)
	}
	for _, k := range cenc {
		kid := mustHex(t, k.id)
		le := []byte{kid[3], kid[2], kid[1], kid[0], kid[5], kid[4], kid[7], kid[6]}
		le = append(le, kid[8:]...)
		if !strings.Contains(header, base64.StdEncoding.EncodeToString(le)) {
			t.Errorf("the ProtectionHeader does not list the %s key %s", k.tier, k.id)
		}
	}
	want := map[string][]string{}
	for k, f := range sources {
		want[k] = md5s(framemd5(t, f, nil))
	}
	plans := planSmooth(t, mu, r.body)
	if len(plans) != len(sources) {
		t.Fatalf("%d tracks, want %d", len(plans), len(sources))
	}
	for _, p := range plans {
		tier := tierOf(t, sources, p.key())
		init := do(t, "GET", p.init, nil).body
		if !bytes.Contains(init, pro) {
			t.Errorf("%s: the init segment does not carry the ProtectionHeader's PlayReady object", p.key())
		}
		data := fetchTrack(t, p)
		for _, k := range cenc {
			got := md5s(framemd5Key(t, data, hex.EncodeToString(k.value)))
			match := reflect.DeepEqual(got, want[p.key()])
			if k.tier == tier && !match {
				t.Errorf("%s (%s): its own key decrypts %d frames, source %d", p.key(), tier, len(got), len(want[p.key()]))
			}
			if k.tier != tier && match {
				t.Errorf("%s (%s): the %s key decrypts it too", p.key(), tier, k.tier)
			}
		}
	}
}

// utf16le decodes UTF-16LE text (ASCII is all a WRMHEADER needs here).
func utf16le(b []byte) string {
	var s strings.Builder
	for i := 0; i+1 < len(b); i += 2 {
		s.WriteByte(b[i])
	}
	return s.String()
}

// TestUsageRulesClearKey: one ClearKey license request for the three cenc
// KIDs answers each with its own value.
func TestUsageRulesClearKey(t *testing.T) {
	o, keys := startTierOrigin(t)
	cenc := keys["commonEncryptionCenc"]
	var kids []string
	byKID := map[string][]byte{}
	for _, k := range cenc {
		kid := base64.RawURLEncoding.EncodeToString(mustHex(t, k.id))
		kids = append(kids, kid)
		byKID[kid] = k.value
	}
	req, _ := json.Marshal(map[string]any{"kids": kids, "type": "temporary"})
	r := do(t, "POST", o.base+"/keys/clearkey", req, "Content-Type", "application/json")
	var lic struct {
		Keys []struct{ Kid, K string }
	}
	if r.status != 200 || json.Unmarshal(r.body, &lic) != nil || len(lic.Keys) != 3 {
		t.Fatalf("ClearKey license: %s", r)
	}
	for _, k := range lic.Keys {
		v, err := base64.RawURLEncoding.DecodeString(k.K)
		if err != nil || !bytes.Equal(v, byKID[k.Kid]) {
			t.Errorf("license key for %s is not its value", k.Kid)
		}
	}
}

// TestUsageRulesRefused: rules that overlap, and rules that leave a track
// of the asset without a key, are refused with 400 naming the keys or the
// track; nothing is created.
func TestUsageRulesRefused(t *testing.T) {
	o := startOrigin(t, mediaRoot(t), "")
	key := func(id string, tracks ...map[string]any) map[string]any {
		return map[string]any{"id": id, "type": "commonEncryptionCenc", "tracks": tracks}
	}
	const (
		kSD = "10000000-0000-0000-0000-000000000001"
		kHD = "10000000-0000-0000-0000-000000000002"
		kAu = "10000000-0000-0000-0000-000000000003"
	)
	sd, hd, audio := map[string]any{"trackType": "video", "maxHeight": 360}, map[string]any{"trackType": "video", "minHeight": 360},
		map[string]any{"trackType": "audio"}
	for _, c := range []struct {
		name   string
		keys   []map[string]any
		target string
		words  []string
	}{
		{"overlap", []map[string]any{key(kSD, sd), key(kHD, hd), key(kAu, audio)}, "contentKeys[1].tracks",
			[]string{kSD, kHD, "maxHeight=360", "minHeight=360"}},
		{"uncovered-video", []map[string]any{key(kSD, map[string]any{"trackType": "video", "maxHeight": 200}), key(kAu, audio)}, "contentKeys",
			[]string{"video track video 640x360"}},
		{"uncovered-audio", []map[string]any{key(kSD, sd)}, "contentKeys", []string{"audio track audio_eng"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := map[string]any{"name": c.name, "assetName": "demo", "streamingPolicyName": "Predefined_MultiDrmCencStreaming", "contentKeys": c.keys}
			r := o.api("PUT", "/api/v1/streamingLocators/"+c.name, body)
			var e struct {
				Error struct{ Code, Message, Target string }
			}
			if r.status != 400 || json.Unmarshal(r.body, &e) != nil || e.Error.Target != c.target {
				t.Fatalf("PUT: %s, want 400 with target %s", r, c.target)
			}
			for _, w := range c.words {
				if !strings.Contains(e.Error.Message, w) {
					t.Errorf("message %q does not name %q", e.Error.Message, w)
				}
			}
			if g := o.api("GET", "/api/v1/streamingLocators/"+c.name, nil); g.status != 404 {
				t.Errorf("refused locator: GET %d", g.status)
			}
		})
	}
}

// TestBrowserPlaysTieredKeys: with SD, HD and audio keys, shaka-player
// plays DASH cenc (an AdaptationSet per key, one ClearKey license request
// per key from key delivery) and hls.js plays HLS AES-128 (a key URL per
// media playlist) in headless Chromium, video and audio decoded.
func TestBrowserPlaysTieredKeys(t *testing.T) {
	web := webDir(t)
	o, _ := startTierOriginWith(t, func(c *originConfig) { c.PlayerDir = web })
	for _, c := range []struct{ name, url, player string }{
		{"shaka DASH cenc ClearKey", "/fps/demo.ism/manifest(format=mpd-time-csf,encryption=cenc)", "shaka"},
		{"hls.js HLS AES-128", "/fps/demo.ism/manifest(format=m3u8-cmaf,encryption=cbc)", "hls"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := play(t, o, web, o.base+c.url, "--player", c.player, "--seconds", "3")
			if !r.OK {
				t.Fatalf("%s did not play %s: %+v", c.player, c.url, r)
			}
			t.Logf("%s: reached %.2fs, decoded %v", c.player, r.CurrentTime, r.Decoded)
		})
	}
}
