package manifest_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/grafov/m3u8"

	"github.com/drmorigin/drmorigin/manifest"
)

// tsCase is one golden file of the TS formats (m3u8-aapl, m3u8-aapl-v3).
type tsCase struct {
	file   string
	format manifest.HLSFormat
	method manifest.Method // 0: clear
	oneKey bool
	track  int // -1: the multivariant playlist
}

func tsCases() []tsCase {
	const mv, video640, audioEng = -1, 0, 2
	v4, v3 := manifest.HLSTSv4, manifest.HLSTSv3
	aes, sa := manifest.MethodAES128, manifest.MethodSampleAES
	return []tsCase{
		{"demo-ts.m3u8", v4, 0, false, mv},
		{"demo-ts_video_640000.m3u8", v4, 0, false, video640},
		{"demo-ts_audio_eng_128000.m3u8", v4, 0, false, audioEng},
		{"demo-ts-v3.m3u8", v3, 0, false, mv},
		{"demo-ts-v3_video_640000.m3u8", v3, 0, false, video640},
		{"demo-ts-cbc.m3u8", v4, aes, false, mv},
		{"demo-ts-cbc_video_640000.m3u8", v4, aes, false, video640},
		{"demo-ts-cbc_audio_eng_128000.m3u8", v4, aes, false, audioEng},
		// v3 cbc: the muxed segment is under the video key, whatever the
		// audio's key is (the fixture's audio has a key of its own).
		{"demo-ts-v3-cbc.m3u8", v3, aes, false, mv},
		{"demo-ts-v3-cbc_video_640000.m3u8", v3, aes, false, video640},
		{"demo-ts-sample-aes.m3u8", v4, sa, false, mv},
		{"demo-ts-sample-aes_video_640000.m3u8", v4, sa, false, video640},
		{"demo-ts-sample-aes_audio_eng_128000.m3u8", v4, sa, false, audioEng},
		// v3 SAMPLE-AES: one key tag for video and muxed audio, so one key.
		{"demo-ts-v3-sample-aes.m3u8", v3, sa, true, mv},
		{"demo-ts-v3-sample-aes_video_640000.m3u8", v3, sa, true, video640},
	}
}

// tsOptions returns the options the origin sets for format f and method m.
func tsOptions(f manifest.HLSFormat, m manifest.Method) manifest.Options {
	o := manifest.Options{URLOptions: "format=" + f.String(), HLSFormat: f}
	if m != 0 {
		o.URLOptions += ",encryption=" + m.String()
	}
	return o
}

// protectTS is protect with a per-segment IV for every track, as the origin
// gives TS formats for both cbc and cbcs-aapl.
func protectTS(t *testing.T, p *manifest.Presentation, m manifest.Method, oneKey bool) *manifest.Protection {
	t.Helper()
	pr := protect(t, p, m, oneKey)
	for i := range pr.Tracks {
		pr.Tracks[i].IV = testIV(pr.Tracks[i].KID, p.Tracks[i].Bitrate)
	}
	return pr
}

func TestTSGolden(t *testing.T) {
	for _, c := range tsCases() {
		t.Run(c.file, func(t *testing.T) {
			build := func(p *manifest.Presentation) ([]byte, error) {
				o := tsOptions(c.format, c.method)
				if c.method != 0 {
					o.Protection = protectTS(t, p, c.method, c.oneKey)
				}
				if c.track < 0 {
					return manifest.HLSMultivariant(p, o)
				}
				return manifest.HLSMedia(p, &p.Tracks[c.track], o)
			}
			p := demo()
			out, err := build(p)
			if err != nil {
				t.Fatal(err)
			}
			again, err := build(demo())
			if err != nil || !bytes.Equal(out, again) {
				t.Fatalf("second build differs (%v)", err)
			}
			compareOrUpdate(t, c.file, out)
			o := tsOptions(c.format, c.method)
			if c.method != 0 {
				o.Protection = protectTS(t, p, c.method, c.oneKey)
			}
			if c.track < 0 {
				checkTSMultivariant(t, p, o, out)
			} else {
				checkTSMedia(t, p, c.track, o, out)
			}
			noKeys(t, out)
		})
	}
}

// wantTSVersion is the version urls.md and RFC 8216 section 7 give: 4 for
// m3u8-aapl, 3 for m3u8-aapl-v3, 5 when KEYFORMAT (cbcs-aapl) is written.
func wantTSVersion(o manifest.Options) int {
	if o.Protection != nil && o.Protection.Method == manifest.MethodSampleAES {
		return 5
	}
	if o.HLSFormat == manifest.HLSTSv3 {
		return 3
	}
	return 4
}

// lines returns the lines of out that start with prefix.
func linesWith(out []byte, prefix string) []string {
	var got []string
	for l := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(l, prefix) {
			got = append(got, l)
		}
	}
	return got
}

// checkTSMultivariant checks a TS multivariant playlist against p, with
// grafov/m3u8 and, for what grafov does not read, the text.
func checkTSMultivariant(t *testing.T, p *manifest.Presentation, o manifest.Options, out []byte) {
	t.Helper()
	pl, typ, err := m3u8.DecodeFrom(bytes.NewReader(out), true)
	if err != nil || typ != m3u8.MASTER {
		t.Fatalf("m3u8: %v (type %v)", err, typ)
	}
	if v := hlsVersion(t, out); v != wantTSVersion(o) {
		t.Errorf("EXT-X-VERSION %d, want %d", v, wantTSVersion(o))
	}
	if bytes.Contains(out, []byte(".m4s")) || bytes.Contains(out, []byte("=i")) || bytes.Contains(out, []byte("EXT-X-MAP")) {
		t.Error("fMP4 references in a TS multivariant playlist")
	}
	master := pl.(*m3u8.MasterPlaylist)
	var video, audio []*manifest.Track
	var videoIdx, audioIdx []int
	audioPeak, audioAvg := 0, 0
	for i := range p.Tracks {
		if tr := &p.Tracks[i]; tr.Kind == manifest.Video {
			video, videoIdx = append(video, tr), append(videoIdx, i)
		} else {
			audio, audioIdx = append(audio, tr), append(audioIdx, i)
			audioPeak, audioAvg = max(audioPeak, peak(tr)), max(audioAvg, tr.Bitrate)
		}
	}
	v3 := o.HLSFormat == manifest.HLSTSv3
	// Session keys: those of the referenced media playlists, in order,
	// without IV; in v3 those of the video tracks only.
	referenced := append(slices.Clone(videoIdx), audioIdx...)
	slices.Sort(referenced)
	if v3 && len(video) > 0 {
		referenced = videoIdx
	}
	var wantSession []string
	if o.Protection != nil {
		for _, i := range referenced {
			for _, l := range wantKeyLines(o.Protection.Method, &o.Protection.Tracks[i], "#EXT-X-SESSION-KEY:", nil) {
				if !slices.Contains(wantSession, l) {
					wantSession = append(wantSession, l)
				}
			}
		}
	}
	if got := linesWith(out, "#EXT-X-SESSION-KEY:"); !slices.Equal(got, wantSession) {
		t.Errorf("session keys\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantSession, "\n"))
	}
	if bytes.Contains(out, []byte("IV=")) {
		t.Error("IV in a multivariant playlist")
	}
	if len(video) == 0 {
		if len(master.Variants) != len(audio) || bytes.Contains(out, []byte("#EXT-X-MEDIA:")) {
			t.Fatalf("%d variants, want one per audio track (%d), no EXT-X-MEDIA", len(master.Variants), len(audio))
		}
		return
	}
	if len(master.Variants) != len(video) {
		t.Fatalf("%d variants, want %d", len(master.Variants), len(video))
	}
	if v3 {
		if bytes.Contains(out, []byte("#EXT-X-MEDIA:")) || bytes.Contains(out, []byte("AUDIO=")) {
			t.Error("m3u8-aapl-v3 has EXT-X-MEDIA or AUDIO")
		}
	} else if n := len(linesWith(out, "#EXT-X-MEDIA:TYPE=AUDIO,")); n != len(audio) {
		t.Errorf("%d EXT-X-MEDIA, want %d", n, len(audio))
	}
	for i, v := range master.Variants {
		tr := video[i]
		if want := "QualityLevels(" + itoa(tr.Bitrate) + ")/Manifest(" + tr.Name + opts(o) + ")"; v.URI != want {
			t.Errorf("variant %d: URI %q, want %q", i, v.URI, want)
		}
		wantBW, wantAvg, wantCodecs := peak(tr)+audioPeak, tr.Bitrate+audioAvg, tr.Codecs
		if v3 && len(audio) > 0 {
			// The default (first) audio track is muxed in.
			wantBW, wantAvg = peak(tr)+peak(audio[0]), tr.Bitrate+audio[0].Bitrate
		}
		if len(audio) > 0 {
			wantCodecs += "," + audio[0].Codecs
		}
		if int(v.Bandwidth) != wantBW || int(v.AverageBandwidth) != wantAvg {
			t.Errorf("variant %d: BANDWIDTH %d AVERAGE-BANDWIDTH %d, want %d %d", i, v.Bandwidth, v.AverageBandwidth, wantBW, wantAvg)
		}
		if v.Codecs != wantCodecs || v.Resolution != itoa(tr.Width)+"x"+itoa(tr.Height) {
			t.Errorf("variant %d: CODECS %q RESOLUTION %s, want %q", i, v.Codecs, v.Resolution, wantCodecs)
		}
		if want := float64(tr.FrameRateNum) / float64(tr.FrameRateDen); math.Abs(v.FrameRate-want) > 0.0005 {
			t.Errorf("variant %d: FRAME-RATE %v, want %v", i, v.FrameRate, want)
		}
		if v3 {
			if v.Audio != "" || len(v.Alternatives) != 0 {
				t.Errorf("variant %d: AUDIO %q, %d renditions in v3", i, v.Audio, len(v.Alternatives))
			}
			continue
		}
		if len(audio) == 0 {
			continue
		}
		if v.Audio != "audio" {
			t.Errorf("variant %d: AUDIO %q", i, v.Audio)
		}
		checkRenditions(t, i, v, audio, o)
	}
}

// checkTSMedia checks the TS media playlist of p.Tracks[ti].
func checkTSMedia(t *testing.T, p *manifest.Presentation, ti int, o manifest.Options, out []byte) {
	t.Helper()
	tr := &p.Tracks[ti]
	pl, typ, err := m3u8.DecodeFrom(bytes.NewReader(out), true)
	if err != nil || typ != m3u8.MEDIA {
		t.Fatalf("m3u8: %v (type %v)", err, typ)
	}
	media := pl.(*m3u8.MediaPlaylist)
	if !media.Closed || media.MediaType != m3u8.VOD || media.SeqNo != 0 {
		t.Errorf("closed %v type %v seq %d", media.Closed, media.MediaType, media.SeqNo)
	}
	if v := hlsVersion(t, out); v != wantTSVersion(o) {
		t.Errorf("EXT-X-VERSION %d, want %d", v, wantTSVersion(o))
	}
	if media.Map != nil || bytes.Contains(out, []byte("#EXT-X-MAP")) || bytes.Contains(out, []byte(".m4s")) || bytes.Contains(out, []byte(".mp4")) {
		t.Error("EXT-X-MAP or fMP4 segments in a TS media playlist")
	}
	if n := len(extinf.FindAll(out, -1)); n != len(tr.Segments) || int(media.Count()) != len(tr.Segments) {
		t.Fatalf("%d EXTINF lines, %d segments, want %d", n, media.Count(), len(tr.Segments))
	}
	var longest float64
	for i, s := range media.Segments[:media.Count()] {
		ts := tr.Segments[i]
		if want := "Fragments(" + tr.Name + "=" + strconv.FormatUint(ts.Time, 10) + opts(o) + ").ts"; s.URI != want {
			t.Errorf("segment %d: URI %q, want %q", i, s.URI, want)
		}
		exact := float64(ts.Duration) / float64(tr.Timescale)
		if math.Abs(s.Duration-exact) > 5e-7 {
			t.Errorf("segment %d: EXTINF %v, want %v", i, s.Duration, exact)
		}
		longest = max(longest, exact)
		if o.Protection == nil {
			if s.Key != nil {
				t.Errorf("segment %d: key %+v in clear output", i, s.Key)
			}
			continue
		}
		// grafov's view: a key with this segment's IV on every segment.
		iv := o.Protection.Tracks[ti].IV(i)
		wantIV := "0x" + strings.ToUpper(hex.EncodeToString(iv[:]))
		if s.Key == nil || s.Key.IV != wantIV {
			t.Errorf("segment %d: key %+v, want IV %s", i, s.Key, wantIV)
		}
	}
	if want := math.Ceil(longest); media.TargetDuration != max(want, 1) {
		t.Errorf("TARGETDURATION %v, want %v", media.TargetDuration, want)
	}
	if o.Protection == nil {
		if bytes.Contains(out, []byte("#EXT-X-KEY")) {
			t.Error("EXT-X-KEY in clear output")
		}
		return
	}
	// The text: exactly the key tags of urls.md, with the segment's IV,
	// right before each EXTINF.
	lines := strings.Split(string(out), "\n")
	seg := 0
	var cur []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "#EXT-X-KEY:"):
			cur = append(cur, l)
		case strings.HasPrefix(l, "#EXTINF:"):
			iv := o.Protection.Tracks[ti].IV(seg)
			want := wantKeyLines(o.Protection.Method, &o.Protection.Tracks[ti], "#EXT-X-KEY:", &iv)
			if !slices.Equal(cur, want) {
				t.Errorf("segment %d: key tags\n%s\nwant\n%s", seg, strings.Join(cur, "\n"), strings.Join(want, "\n"))
			}
			seg++
			cur = nil
		case cur != nil:
			t.Errorf("line %q between key tags and EXTINF", l)
		}
	}
}

// TestTSv3Muxing: a v3 variant carries the default (first) audio track even
// when it is not the highest, and a v3 cbc playlist shows no audio key.
func TestTSv3Muxing(t *testing.T) {
	p := demo()
	p.Tracks[2], p.Tracks[3] = p.Tracks[3], p.Tracks[2] // audio_fra (96k) first
	o := tsOptions(manifest.HLSTSv3, manifest.MethodAES128)
	o.Protection = protectTS(t, p, manifest.MethodAES128, false)
	out, err := manifest.HLSMultivariant(p, o)
	if err != nil {
		t.Fatal(err)
	}
	checkTSMultivariant(t, p, o, out)
	if !bytes.Contains(out, []byte("BANDWIDTH=841000,AVERAGE-BANDWIDTH=736000,")) {
		t.Errorf("v3 variant does not add audio_fra's bitrates:\n%s", out)
	}
	if bytes.Contains(out, []byte(aesURL(audioKID))) {
		t.Error("v3 multivariant signals the audio key")
	}
	_, err = manifest.HLSMedia(p, &p.Tracks[2], o)
	if !errors.Is(err, manifest.ErrNoMediaPlaylist) {
		t.Errorf("v3 audio media playlist with video: %v, want ErrNoMediaPlaylist", err)
	}
}

// TestTSAudioOnly: without video, both TS formats give one variant per
// audio track, and its own media playlist.
func TestTSAudioOnly(t *testing.T) {
	for _, f := range []manifest.HLSFormat{manifest.HLSTSv4, manifest.HLSTSv3} {
		for _, m := range []manifest.Method{0, manifest.MethodAES128, manifest.MethodSampleAES} {
			t.Run(f.String()+"/"+strconv.Itoa(int(m)), func(t *testing.T) {
				p := demo()
				p.Tracks = p.Tracks[2:]
				o := tsOptions(f, m)
				if m != 0 {
					o.Protection = protectTS(t, p, m, false)
				}
				out, err := manifest.HLSMultivariant(p, o)
				if err != nil {
					t.Fatal(err)
				}
				checkTSMultivariant(t, p, o, out)
				if !bytes.Contains(out, []byte(`CODECS="mp4a.40.2"`+"\n")) {
					t.Errorf("audio-only variant CODECS:\n%s", out)
				}
				for i := range p.Tracks {
					out, err := manifest.HLSMedia(p, &p.Tracks[i], o)
					if err != nil {
						t.Fatal(err)
					}
					checkTSMedia(t, p, i, o, out)
				}
			})
		}
	}
}

// TestTSv3NoAudio: v3 without audio lists the video codec only.
func TestTSv3NoAudio(t *testing.T) {
	p := demo()
	p.Tracks = p.Tracks[:2]
	o := tsOptions(manifest.HLSTSv3, 0)
	out, err := manifest.HLSMultivariant(p, o)
	if err != nil {
		t.Fatal(err)
	}
	checkTSMultivariant(t, p, o, out)
}

// TestTSHEVCClear: HEVC is carried in TS clear and with cbc.
func TestTSHEVCClear(t *testing.T) {
	for _, m := range []manifest.Method{0, manifest.MethodAES128} {
		p := demo()
		p.Tracks[0].Codecs = "hvc1.1.6.L93.B0"
		o := tsOptions(manifest.HLSTSv4, m)
		if m != 0 {
			o.Protection = protectTS(t, p, m, false)
		}
		if _, err := manifest.HLSMultivariant(p, o); err != nil {
			t.Errorf("%v: %v", m, err)
		}
		if _, err := manifest.HLSMedia(p, &p.Tracks[0], o); err != nil {
			t.Errorf("%v: %v", m, err)
		}
	}
}

func TestTSErrors(t *testing.T) {
	v4, v3 := manifest.HLSTSv4, manifest.HLSTSv3
	cases := []struct {
		name   string
		format manifest.HLSFormat
		method manifest.Method
		oneKey bool
		edit   func(p *manifest.Presentation, pr *manifest.Protection)
		want   error
		msg    string
	}{
		{"cenc on ts", v4, manifest.MethodCENC, false, nil, manifest.ErrUnsupportedProtection, "encryption cenc cannot be carried in MPEG-2 TS"},
		{"cbcs on ts v3", v3, manifest.MethodCBCS, false, nil, manifest.ErrUnsupportedProtection, "m3u8-aapl-v3 takes cbc and cbcs-aapl"},
		{"v3 sample-aes with two keys", v3, manifest.MethodSampleAES, false, nil, manifest.ErrUnsupportedProtection, "need one key"},
		{"hevc sample-aes", v4, manifest.MethodSampleAES, false, func(p *manifest.Presentation, _ *manifest.Protection) {
			p.Tracks[1].Codecs = "hvc1.1.6.L93.B0"
		}, manifest.ErrUnsupportedProtection, "use format=m3u8-cmaf"},
		{"cbc without IV", v4, manifest.MethodAES128, false, func(_ *manifest.Presentation, pr *manifest.Protection) {
			pr.Tracks[0].IV = nil
		}, manifest.ErrUnsupportedProtection, "needs TrackProtection.IV"},
		{"sample-aes without IV", v3, manifest.MethodSampleAES, true, func(_ *manifest.Presentation, pr *manifest.Protection) {
			pr.Tracks[0].IV = nil
		}, manifest.ErrUnsupportedProtection, "track video/640000: cbcs-aapl in MPEG-2 TS states an IV"},
		{"unknown format", manifest.HLSFormat(9), 0, false, nil, manifest.ErrInvalidPresentation, "unknown HLS format 9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, which := range []string{"multivariant", "media"} {
				p := demo()
				o := tsOptions(manifest.HLSTSv4, c.method)
				o.HLSFormat = c.format
				if c.method != 0 {
					o.Protection = protectTS(t, p, c.method, c.oneKey)
				}
				if c.edit != nil {
					c.edit(p, o.Protection)
				}
				var out []byte
				var err error
				if which == "media" {
					out, err = manifest.HLSMedia(p, &p.Tracks[0], o)
				} else {
					out, err = manifest.HLSMultivariant(p, o)
				}
				if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("%s: err = %v, want %v containing %q", which, err, c.want, c.msg)
				}
				if out != nil {
					t.Errorf("%s: output with an error", which)
				}
			}
		})
	}
}

// TestTSv4TwoKeys: m3u8-aapl signals video and audio keys apart, so
// SAMPLE-AES with two keys is fine there.
func TestTSv4TwoKeys(t *testing.T) {
	p := demo()
	o := tsOptions(manifest.HLSTSv4, manifest.MethodSampleAES)
	o.Protection = protectTS(t, p, manifest.MethodSampleAES, false)
	out, err := manifest.HLSMultivariant(p, o)
	if err != nil || bytes.Count(out, []byte("#EXT-X-SESSION-KEY:")) != 2 {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestParseHLSFormat(t *testing.T) {
	for in, want := range map[string]manifest.HLSFormat{
		"m3u8-cmaf": manifest.HLSCMAF, "m3u8-aapl": manifest.HLSTSv4, "M3U8-AAPL-V4": manifest.HLSTSv4, "m3u8-aapl-v3": manifest.HLSTSv3,
	} {
		if got, ok := manifest.ParseHLSFormat(in); !ok || got != want {
			t.Errorf("ParseHLSFormat(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "mpd-time-csf", "m3u8-aapl-v5"} {
		if _, ok := manifest.ParseHLSFormat(in); ok {
			t.Errorf("ParseHLSFormat(%q) ok", in)
		}
	}
	if manifest.HLSCMAF != (manifest.Options{}).HLSFormat {
		t.Error("the zero Options are not m3u8-cmaf")
	}
}
