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
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		tb.Fatalf("ffmpeg not found (install it: apt-get install ffmpeg): %v", err)
	}
	feed, copy = filepath.Join(dir, "feed.ismv"), filepath.Join(dir, "copy.mkv")
	d := strconv.Itoa(seconds)
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=" + d,
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
