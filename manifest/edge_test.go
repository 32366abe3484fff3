package manifest_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/manifest"
)

func videoTrack(bitrate, w, h, num, den int, ts uint32, segs []manifest.Segment) manifest.Track {
	return manifest.Track{
		Name: "video", Kind: manifest.Video, TrackID: 1, Bitrate: bitrate,
		Codecs: "avc1.64001f", FourCC: "H264", CodecPrivateData: "0000000167",
		Timescale: ts, Width: w, Height: h, FrameRateNum: num, FrameRateDen: den,
		Segments: segs,
	}
}

func audioTrack(name, lang string, bitrate int, segs []manifest.Segment) manifest.Track {
	return manifest.Track{
		Name: name, Kind: manifest.Audio, TrackID: 2, Bitrate: bitrate,
		Codecs: "mp4a.40.2", FourCC: "AACL", CodecPrivateData: "1190",
		Timescale: 48000, SampleRate: 48000, Channels: 2, Language: lang,
		Segments: segs,
	}
}

// buildAll builds every format of p and runs the checks that parse them.
func buildAll(t *testing.T, p *manifest.Presentation) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	csf := manifest.Options{URLOptions: "format=mpd-time-csf"}
	hls := manifest.Options{URLOptions: "format=m3u8-cmaf,encryption=cenc"}
	var err error
	if out["mpd"], err = manifest.DASH(p, csf); err != nil {
		t.Fatalf("DASH: %v", err)
	}
	checkDASH(t, p, csf, out["mpd"])
	if out["m3u8"], err = manifest.HLSMultivariant(p, hls); err != nil {
		t.Fatalf("HLSMultivariant: %v", err)
	}
	checkMultivariant(t, p, hls, out["m3u8"])
	for i := range p.Tracks {
		b, err := manifest.HLSMedia(p, &p.Tracks[i], hls)
		if err != nil {
			t.Fatalf("HLSMedia %d: %v", i, err)
		}
		checkMedia(t, &p.Tracks[i], hls, b)
		out["media"+itoa(i)] = b
	}
	return out
}

func TestEdgeCases(t *testing.T) {
	ntsc := segments(0, 1000, 5, 60060, 60060, 45045) // 2.002 s, 2.002 s, 1.5015 s at 30000/1001
	cases := []struct {
		name    string
		p       manifest.Presentation
		smooth  bool     // Smooth can express it
		want    []string // substrings of "kind:text" outputs
		notWant []string
	}{
		{
			name:    "one video track",
			p:       manifest.Presentation{Name: "one", Tracks: []manifest.Track{videoTrack(500000, 640, 360, 25, 1, 12800, segments(0, 1, 3, 25600))}},
			smooth:  true,
			want:    []string{`m3u8:CODECS="avc1.64001f",RESOLUTION=640x360,FRAME-RATE=25.000` + "\n", `mpd:frameRate="25"`},
			notWant: []string{"m3u8:EXT-X-MEDIA", "m3u8:AUDIO=", "mpd:Role"},
		},
		{
			name: "audio only",
			p: manifest.Presentation{Name: "radio", Tracks: []manifest.Track{
				audioTrack("audio_eng", "eng", 128000, audioSegments()),
				audioTrack("audio_deu", "deu", 64000, audioSegments()),
			}},
			smooth:  true,
			want:    []string{`m3u8:#EXT-X-STREAM-INF:BANDWIDTH=128000,AVERAGE-BANDWIDTH=128000,CODECS="mp4a.40.2"` + "\n" + "QualityLevels(128000)/Manifest(audio_eng,format=m3u8-cmaf,encryption=cenc)", `mpd:lang="deu"`},
			notWant: []string{"m3u8:EXT-X-MEDIA", "m3u8:RESOLUTION"},
		},
		{
			name:   "30000/1001 frame rate",
			p:      manifest.Presentation{Name: "ntsc", Tracks: []manifest.Track{videoTrack(2000000, 1280, 720, 30000, 1001, 30000, ntsc), audioTrack("audio", "und", 96000, audioSegments())}},
			smooth: true,
			want: []string{"m3u8:FRAME-RATE=29.970,", `mpd:frameRate="30000/1001"`, "media0:#EXTINF:2.002,\n", "media0:#EXTINF:1.5015,\n",
				"media0:#EXT-X-TARGETDURATION:3\n", `mpd:<S t="0" d="60060" r="1"></S>`},
		},
		{
			name: "renditions with different timelines",
			p: manifest.Presentation{Name: "unaligned", Tracks: []manifest.Track{
				videoTrack(800000, 640, 360, 25, 1, 12800, segments(0, 1, 4, 25600)),
				videoTrack(400000, 320, 180, 25, 1, 12800, segments(0, 1, 2, 51200)),
			}},
			smooth: false,
			want:   []string{`mpd:<Representation sar="1:1" bandwidth="800000" codecs="avc1.64001f" frameRate="25" height="360" id="video_800000" width="640">` + "\n        <SegmentTemplate"},
		},
		{
			name: "gap and late start",
			p: manifest.Presentation{Name: "gap", Tracks: []manifest.Track{
				videoTrack(800000, 640, 360, 25, 1, 12800, []manifest.Segment{{Time: 128000, Duration: 25600}, {Time: 153600, Duration: 25600}, {Time: 204800, Duration: 25600}}),
			}},
			smooth: true,
			want:   []string{`mpd:presentationTimeOffset="128000"`, `mpd:<S t="128000" d="25600" r="1"></S>`, `mpd:<S t="204800" d="25600"></S>`, `mpd:mediaPresentationDuration="PT8S"`, `ismc:<c t="204800" d="25600"/>`, `ismc:Duration="80000000"`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := buildAll(t, &c.p)
			ismc, err := manifest.Smooth(&c.p, manifest.Options{})
			if c.smooth {
				if err != nil {
					t.Fatalf("Smooth: %v", err)
				}
				checkSmooth(t, &c.p, manifest.Options{}, ismc)
				out["ismc"] = ismc
			} else if !errors.Is(err, manifest.ErrInvalidPresentation) {
				t.Fatalf("Smooth: err = %v, want ErrInvalidPresentation", err)
			}
			for _, w := range c.want {
				kind, text, _ := strings.Cut(w, ":")
				if !bytes.Contains(out[kind], []byte(text)) {
					t.Errorf("%s lacks %q:\n%s", kind, text, out[kind])
				}
			}
			for _, w := range c.notWant {
				kind, text, _ := strings.Cut(w, ":")
				if bytes.Contains(out[kind], []byte(text)) {
					t.Errorf("%s has %q:\n%s", kind, text, out[kind])
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	ok := func() *manifest.Presentation { return demo() }
	cases := []struct {
		name string
		p    func() *manifest.Presentation
		o    manifest.Options
		want string
	}{
		{"nil", func() *manifest.Presentation { return nil }, manifest.Options{}, "presentation is nil"},
		{"no tracks", func() *manifest.Presentation { return &manifest.Presentation{Name: "empty"} }, manifest.Options{}, `"empty" has no tracks`},
		{"zero timescale", func() *manifest.Presentation { p := ok(); p.Tracks[2].Timescale = 0; return p }, manifest.Options{}, "audio_eng/128000: timescale is 0"},
		{"no segments", func() *manifest.Presentation { p := ok(); p.Tracks[0].Segments = nil; return p }, manifest.Options{}, "video/640000: no segments"},
		{"zero duration", func() *manifest.Presentation { p := ok(); p.Tracks[1].Segments[2].Duration = 0; return p }, manifest.Options{}, "segment 2 at 51200 has duration 0"},
		{"overlap", func() *manifest.Presentation { p := ok(); p.Tracks[3].Segments[1].Time = 1000; return p }, manifest.Options{}, "starts before the previous one ends"},
		{"bad options", func() *manifest.Presentation { return ok() }, manifest.Options{URLOptions: `format="x"`}, "url options"},
		{"bad name", func() *manifest.Presentation { p := ok(); p.Tracks[0].Name = "vid eo"; return p }, manifest.Options{}, `track name "vid eo"`},
		{"duplicate", func() *manifest.Presentation { p := ok(); p.Tracks[1].Bitrate = 640000; return p }, manifest.Options{}, "share name and bitrate"},
		{"no codecs", func() *manifest.Presentation { p := ok(); p.Tracks[2].Codecs = ""; return p }, manifest.Options{}, "codecs"},
		{"zero bitrate", func() *manifest.Presentation { p := ok(); p.Tracks[2].Bitrate = 0; return p }, manifest.Options{}, "bitrate is 0"},
		{"no size", func() *manifest.Presentation { p := ok(); p.Tracks[0].Width = 0; return p }, manifest.Options{}, "size 0x360"},
		{"half frame rate", func() *manifest.Presentation { p := ok(); p.Tracks[0].FrameRateDen = 0; return p }, manifest.Options{}, "frame rate 25/0"},
		{"no sample rate", func() *manifest.Presentation { p := ok(); p.Tracks[3].SampleRate = 0; return p }, manifest.Options{}, "sample rate 0"},
	}
	builders := map[string]func(*manifest.Presentation, manifest.Options) ([]byte, error){
		"DASH":            manifest.DASH,
		"HLSMultivariant": manifest.HLSMultivariant,
		"Smooth":          manifest.Smooth,
		"HLSMedia": func(p *manifest.Presentation, o manifest.Options) ([]byte, error) {
			var tr *manifest.Track
			if p != nil && len(p.Tracks) > 0 {
				tr = &p.Tracks[0]
			}
			return manifest.HLSMedia(p, tr, o)
		},
	}
	for _, c := range cases {
		for name, build := range builders {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				out, err := build(c.p(), c.o)
				if !errors.Is(err, manifest.ErrInvalidPresentation) || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err = %v, want ErrInvalidPresentation naming %q", err, c.want)
				}
				if out != nil {
					t.Error("output with an error")
				}
			})
		}
	}

	t.Run("Smooth/no FourCC", func(t *testing.T) {
		p := ok()
		p.Tracks[2].FourCC = ""
		if _, err := manifest.Smooth(p, manifest.Options{}); err == nil || !strings.Contains(err.Error(), "FourCC") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("HLSMedia/nil track", func(t *testing.T) {
		if _, err := manifest.HLSMedia(ok(), nil, manifest.Options{}); !errors.Is(err, manifest.ErrInvalidPresentation) {
			t.Fatalf("err = %v", err)
		}
	})
}
