package testmedia

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// LiveFeed makes an encoder's live feed as ffmpeg's ismv muxer sends it
// (spec/live.md, "Ingest"): lavfi testsrc2 as two H.264 renditions
// (320x180 at 400 kb/s, 160x90 at 200 kb/s, 25 fps, a 2 s closed GOP) and
// a 48 kHz AAC sine, seconds long, with -movflags isml+frag_keyframe, in
// one stream, written to dir/feed.ismv (global headers: the tee muxer
// does not ask the encoder for them, and the moov's avcC needs them). ffmpeg's tee muxer writes the same
// packets to dir/copy.mkv: the local copy that the archive must decode to.
// It returns both paths. The test fails when ffmpeg is missing.
func LiveFeed(tb testing.TB, dir string, seconds int) (feed, copy string) {
	tb.Helper()
	return liveFeed(tb, dir, seconds, "320x180")
}

// LiveFeedSized is LiveFeed with the first rendition at size (WxH): another
// codec configuration (SPS) for the same tracks.
func LiveFeedSized(tb testing.TB, dir string, seconds int, size string) (feed, copy string) {
	tb.Helper()
	return liveFeed(tb, dir, seconds, size)
}

// CMAFFeed makes CMAF ingest streams (DASH-IF Live Media Ingest, interface
// 1: one stream per track) as ffmpeg's mp4 muxer writes them with
// -movflags cmaf: dir/video.cmfv (H.264, 320x180, 2 s fragments) and
// dir/audio.cmfa (AAC), each a CMAF header then CMAF fragments with tfdt.
func CMAFFeed(tb testing.TB, dir string, seconds int) (video, audio string) {
	tb.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		tb.Fatalf("ffmpeg not found (install it: apt-get install ffmpeg): %v", err)
	}
	video, audio = filepath.Join(dir, "video.cmfv"), filepath.Join(dir, "audio.cmfa")
	d := strconv.Itoa(seconds)
	mov := []string{"-movflags", "cmaf+frag_keyframe+empty_moov+default_base_moof+separate_moof", "-f", "mp4"}
	args := append([]string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=" + d,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=" + d,
		"-map", "0:v", "-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-bf", "0",
		"-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-b:v", "300k"}, mov...)
	args = append(args, video, "-map", "1:a", "-c:a", "aac", "-b:a", "64k", "-frag_duration", "2000000")
	args = append(args, mov...)
	args = append(args, audio)
	if out, err := exec.Command(ffmpeg, args...).CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg CMAF feed: %v\n%s", err, out)
	}
	return video, audio
}

func liveFeed(tb testing.TB, dir string, seconds int, size string) (feed, copy string) {
	tb.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		tb.Fatalf("ffmpeg not found (install it: apt-get install ffmpeg): %v", err)
	}
	feed, copy = filepath.Join(dir, "feed.ismv"), filepath.Join(dir, "copy.mkv")
	d := strconv.Itoa(seconds)
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=25:duration=" + d,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=" + d,
		"-map", "0:v", "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-bf", "0",
		"-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
		"-b:v:0", "400k", "-b:v:1", "200k", "-s:v:1", "160x90",
		"-c:a", "aac", "-b:a", "64k", "-aac_pns", "0",
		"-flags", "+bitexact+global_header", "-fflags", "+bitexact",
		"-f", "tee",
		fmt.Sprintf("[f=ismv:movflags=isml+frag_keyframe]%s|[f=matroska]%s", feed, copy)}
	out, err := exec.Command(ffmpeg, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("ffmpeg live feed: %v\n%s", err, out)
	}
	return feed, copy
}
