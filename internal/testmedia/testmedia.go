// Package testmedia makes the progressive (non-fragmented) MP4 assets of the
// tests of issue 14 (spec/assets.md "Track files") with ffmpeg, at test time,
// into a cache directory outside the repository, so that the packager's and
// the origin's tests share them and reruns reuse them.
//
// The assets, each a directory under the root that Progressive returns:
//
//	prog-multi    two H.264 renditions (640x360, 320x180, no B-frames) as two
//	              progressive files with moov first, each holding the same
//	              AAC track (eng, byte-identical: encoded once, then copied
//	              in), an AAC-only audio_fra.m4a (fra), a prog-multi.ism that
//	              picks tracks by trackID and lists the English audio once
//	              per video file, and a prog-multi.ismc (to be ignored)
//	prog-moovend  one H.264+AAC file with moov after mdat, no .ism
//	prog-bframes  H.264 high profile with B-frames (-bf 2) + AAC, moov after
//	              mdat, as ffmpeg writes it: edit lists for the B-frame delay
//	              and the AAC priming
//	prog-audio    one AAC file, no video, no .ism
//	prog-hevc     HEVC (libx265, hvc1) + AAC, moov first
//	prog-mixed    a progressive H.264 file and a fragmented AAC file
//
// Every video is 25 fps with a 2 s closed GOP (-g 50 -keyint_min 50
// -sc_threshold 0), so keyframes fall on every multiple of 2 s of the
// presentation timeline; AAC is 48 kHz stereo encoded without perceptual
// noise substitution (-aac_pns 0), so that a decode that starts mid-stream
// matches the reference (spec/quality.md). The encoders run single-threaded
// with bitexact flags, so the files are reproducible for one ffmpeg build.
//
// The cache directory is os.UserCacheDir()/drmorigin-testmedia/<hash>, the
// hash covering the ffmpeg version line and every command line and file this
// package writes (DRMORIGIN_TESTMEDIA overrides the parent directory). A new
// set is generated in a temporary directory and renamed into place, so test
// binaries running at once (go test ./packager ./origin) never see half an
// asset.
package testmedia

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Asset names.
const (
	Multi   = "prog-multi"
	MoovEnd = "prog-moovend"
	BFrames = "prog-bframes"
	Audio   = "prog-audio"
	HEVC    = "prog-hevc"
	Mixed   = "prog-mixed"
)

// Assets lists every asset Progressive makes.
var Assets = []string{Multi, MoovEnd, BFrames, Audio, HEVC, Mixed}

// GOP is the keyframe interval of every video, in seconds: the default
// packaging.segmentDuration, so every keyframe starts a fragment.
const GOP = 2.0

// FrameRate is the frame rate of every video.
const FrameRate = 25

// SampleRate is the sample rate of every AAC track (1,024 samples a frame).
const SampleRate = 48000

// step is one thing the generator does: an ffmpeg run (args, with {out}
// and {work} standing for the asset root being built and a scratch
// directory) or a file written (file, text).
type step struct {
	args []string
	file string
	text string
}

var (
	common = []string{"-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"}
	// x264 for every H.264 rendition: 2 s closed GOPs on a 25 fps grid.
	x264 = []string{"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
		"-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-x264-params", "threads=1"}
	aac = []string{"-c:a", "aac", "-aac_pns", "0", "-b:a", "96k", "-ar", "48000", "-ac", "2"}
)

func video(w, h int, seconds float64) []string {
	return []string{"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=%d:duration=%g", w, h, FrameRate, seconds)}
}

func tone(freq int, seconds float64) []string {
	return []string{"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=%d:sample_rate=%d:duration=%g,aformat=channel_layouts=stereo", freq, SampleRate, seconds)}
}

func ff(parts ...[]string) []string {
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}
	for _, p := range parts {
		args = append(args, p...)
	}
	return args
}

func s(a ...string) []string { return a }

// steps is the whole recipe; changing anything in it changes the hash and
// so the cache directory.
func steps() []step {
	faststart := s("-movflags", "+faststart")
	return []step{
		// prog-multi: the English audio encoded once, copied into both
		// video files (the same track twice, byte for byte).
		{args: ff(tone(440, 8), aac, common, s("-metadata:s:a:0", "language=eng", "-f", "mp4", "{work}/audio_eng.m4a"))},
		{args: ff(video(640, 360, 8), s("-i", "{work}/audio_eng.m4a", "-map", "0:v", "-map", "1:a"),
			x264, s("-bf", "0", "-b:v", "500k", "-maxrate", "500k", "-bufsize", "1000k", "-c:a", "copy"),
			common, s("-metadata:s:a:0", "language=eng"), faststart, s("-f", "mp4", "{out}/prog-multi/video_640x360.mp4"))},
		{args: ff(video(320, 180, 8), s("-i", "{work}/audio_eng.m4a", "-map", "0:v", "-map", "1:a"),
			x264, s("-bf", "0", "-b:v", "200k", "-maxrate", "200k", "-bufsize", "400k", "-c:a", "copy"),
			common, s("-metadata:s:a:0", "language=eng"), faststart, s("-f", "mp4", "{out}/prog-multi/video_320x180.mp4"))},
		{args: ff(tone(660, 8), aac, common, s("-metadata:s:a:0", "language=fra"), faststart, s("-f", "mp4", "{out}/prog-multi/audio_fra.m4a"))},
		{file: "prog-multi/prog-multi.ism", text: multiISM},
		{file: "prog-multi/prog-multi.ismc", text: multiISMC},

		// prog-moovend: ffmpeg's default layout, moov after mdat.
		{args: ff(video(320, 180, 6), tone(440, 6), s("-map", "0:v", "-map", "1:a"), x264,
			s("-bf", "0", "-b:v", "200k"), aac, common, s("-f", "mp4", "{out}/prog-moovend/av.mp4"))},

		// prog-bframes: B-frames (x264 high profile's default) and AAC,
		// as ffmpeg writes them (edit lists, moov at the end).
		{args: ff(video(320, 180, 7), tone(550, 7), s("-map", "0:v", "-map", "1:a"), x264,
			s("-profile:v", "high", "-bf", "2", "-b:v", "200k"), aac, common, s("-f", "mp4", "{out}/prog-bframes/av.mp4"))},

		// prog-audio: one AAC file (6.5 s: a short last fragment).
		{args: ff(tone(330, 6.5), aac, common, s("-metadata:s:a:0", "language=eng", "-f", "mp4", "{out}/prog-audio/audio.mp4"))},

		// prog-hevc: HEVC in hvc1 + AAC, moov first.
		{args: ff(video(320, 180, 6), tone(440, 6), s("-map", "0:v", "-map", "1:a"),
			s("-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1", "-pix_fmt", "yuv420p", "-b:v", "200k",
				"-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
				"-x265-params", "log-level=error:keyint=50:min-keyint=50:scenecut=0:open-gop=0:pools=1:frame-threads=1"),
			aac, common, faststart, s("-f", "mp4", "{out}/prog-hevc/av.mp4"))},

		// prog-mixed: progressive video, fragmented audio.
		{args: ff(video(320, 180, 6), x264, s("-bf", "0", "-b:v", "200k"), common, faststart,
			s("-f", "mp4", "{out}/prog-mixed/video.mp4"))},
		{args: ff(tone(440, 6), aac, common, s("-metadata:s:a:0", "language=eng",
			"-frag_duration", "2000000", "-movflags", "+frag_keyframe+empty_moov+default_base_moof",
			"-f", "mp4", "{out}/prog-mixed/audio.mp4"))},

		// Fuzz seeds (hidden from the library): tiny H.264+AAC files, whole
		// under 64 KiB, moov first and last, two fragments each.
		{args: ff(video(96, 54, 3), tone(440, 3), s("-map", "0:v", "-map", "1:a"), x264,
			s("-bf", "2", "-g", "25", "-keyint_min", "25", "-b:v", "40k"), aac, s("-b:a", "24k", "-ac", "1"), common, faststart,
			s("-f", "mp4", "{out}/.fuzz/tiny.mp4"))},
		{args: ff(s("-i", "{out}/.fuzz/tiny.mp4", "-map", "0", "-c", "copy"), common, s("-f", "mp4", "{out}/.fuzz/tiny-moovend.mp4"))},
	}
}

// FuzzSeeds returns the paths of the tiny progressive files made for fuzz
// seeds (moov first and moov last), in a hidden directory of the root.
func FuzzSeeds(tb testing.TB) []string {
	tb.Helper()
	dir := filepath.Join(Progressive(tb), ".fuzz")
	return []string{filepath.Join(dir, "tiny.mp4"), filepath.Join(dir, "tiny-moovend.mp4")}
}

// multiISM lists each video file's video track and the English audio of
// each video file (the same track twice: one track of the asset), and the
// French file; trackID picks the track of a multi-track file.
const multiISM = `<?xml version="1.0" encoding="utf-8"?>
<smil xmlns="http://www.w3.org/2001/SMIL20/Language">
  <head>
    <meta name="formats" content="mp4"/>
  </head>
  <body>
    <switch>
      <video src="video_640x360.mp4" systemBitrate="500000">
        <param name="trackID" value="1" valuetype="data"/>
        <param name="trackName" value="video" valuetype="data"/>
      </video>
      <video src="video_320x180.mp4" systemBitrate="200000">
        <param name="trackID" value="1" valuetype="data"/>
        <param name="trackName" value="video" valuetype="data"/>
      </video>
      <audio src="video_640x360.mp4" systemBitrate="96000" systemLanguage="eng">
        <param name="trackID" value="2" valuetype="data"/>
        <param name="trackName" value="audio_eng" valuetype="data"/>
      </audio>
      <audio src="video_320x180.mp4" systemBitrate="96000" systemLanguage="eng">
        <param name="trackID" value="2" valuetype="data"/>
        <param name="trackName" value="audio_eng" valuetype="data"/>
      </audio>
      <audio src="audio_fra.m4a" systemBitrate="96000" systemLanguage="fra">
        <param name="trackID" value="1" valuetype="data"/>
        <param name="trackName" value="audio_fra" valuetype="data"/>
      </audio>
    </switch>
  </body>
</smil>
`

// multiISMC is a client manifest as encoders leave beside the .ism: the
// origin must ignore it (it even disagrees with the files).
const multiISMC = `<?xml version="1.0" encoding="utf-8"?>
<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="80000000" TimeScale="10000000">
  <StreamIndex Chunks="1" Type="video" Url="QualityLevels({bitrate})/Fragments(video={start time})" QualityLevels="1">
    <QualityLevel Index="0" Bitrate="123" FourCC="H264" MaxWidth="16" MaxHeight="16" CodecPrivateData="00"/>
    <c t="0" d="80000000"/>
  </StreamIndex>
</SmoothStreamingMedia>
`

var (
	once    sync.Once
	root    string
	rootErr error
)

// Progressive returns the directory holding every asset, generating them on
// first use (a few seconds) and failing the test, with an install hint, when
// ffmpeg is missing or fails.
func Progressive(tb testing.TB) string {
	tb.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		tb.Fatalf("ffmpeg not found (%v): apt-get install -y ffmpeg", err)
	}
	once.Do(func() { root, rootErr = generate(ffmpeg) })
	if rootErr != nil {
		tb.Fatalf("testmedia: %v", rootErr)
	}
	return root
}

// Path is the path of file in asset under the root Progressive returns.
func Path(tb testing.TB, asset, file string) string {
	tb.Helper()
	return filepath.Join(Progressive(tb), asset, file)
}

// cacheParent is where generated sets live.
func cacheParent() (string, error) {
	if d := os.Getenv("DRMORIGIN_TESTMEDIA"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "drmorigin-testmedia"), nil
}

// Key is the hash naming the cache directory: the ffmpeg version line and
// the recipe.
func key(ffmpeg string) (string, error) {
	out, err := exec.Command(ffmpeg, "-hide_banner", "-version").Output()
	if err != nil {
		return "", fmt.Errorf("ffmpeg -version: %v", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "testmedia v1\n%s\n", bytes.SplitN(out, []byte("\n"), 2)[0])
	for _, st := range steps() {
		fmt.Fprintf(h, "%q %q %q\n", st.args, st.file, st.text)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func generate(ffmpeg string) (string, error) {
	parent, err := cacheParent()
	if err != nil {
		return "", err
	}
	k, err := key(ffmpeg)
	if err != nil {
		return "", err
	}
	final := filepath.Join(parent, k)
	if complete(final) {
		return final, nil
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(parent, k+".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	work := filepath.Join(tmp, ".work")
	for _, d := range append([]string{".work", ".fuzz"}, Assets...) {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return "", err
		}
	}
	start := time.Now()
	for _, st := range steps() {
		if st.file != "" {
			if err := os.WriteFile(filepath.Join(tmp, st.file), []byte(st.text), 0o644); err != nil {
				return "", err
			}
			continue
		}
		args := make([]string, len(st.args))
		for i, a := range st.args {
			args[i] = strings.NewReplacer("{out}", tmp, "{work}", work).Replace(a)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(ffmpeg, args...)
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
	}
	if err := os.RemoveAll(work); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), []byte(time.Since(start).String()+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another test binary got there first.
		if complete(final) {
			return final, nil
		}
		return "", err
	}
	return final, nil
}

func complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ".complete"))
	return err == nil
}
