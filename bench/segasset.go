package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// SegAssetName is the asset the CPU-per-segment figures are measured on.
//
// quality.md's peer multiples (nginx-vod-module against plain nginx) were
// measured on 720p/1080p H.264 segments of 1.13 MB. What an origin spends
// per request (parsing, wake-ups, headers) is a fixed cost, so on the
// demo's 157 KB segments it weighs seven times as much against the copy
// floor as it does there: the multiples are only comparable at the same
// segment size. No encoder can be asked for an exact byte count, so the
// asset is encoded the way such a rendition is (1080p25, 2 s GOPs, a
// 4.5 Mbit/s constrained rate) with film-grain-like noise, so that x264
// spends the budget instead of undershooting on a synthetic pattern.
const SegAssetName = "seg1080"

// segAssetArgs is the ffmpeg command line that makes the video. It is also
// the cache key: a cached asset made with other arguments is remade.
var segAssetArgs = []string{
	"-nostdin", "-hide_banner", "-loglevel", "error", "-y",
	"-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25:duration=8",
	"-vf", "noise=alls=12:allf=t",
	"-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
	"-b:v", "4500k", "-maxrate", "4500k", "-bufsize", "4500k",
	"-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
	"-map_metadata", "-1", "-fflags", "+bitexact",
	"-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4",
}

const segAssetVideo = "video_1920x1080.mp4"

// MakeSegAsset makes, in dir, the asset of SegAssetName: four 2 s
// fragments of 1080p H.264 of about 1.13 MB each, and audioSrc (a
// fragmented AAC track file) linked beside them. It reuses dir when it
// holds the output of the same ffmpeg command; otherwise it runs ffmpeg
// (about 6 s on two cores). An error says how to get ffmpeg.
func MakeSegAsset(dir, audioSrc string) error {
	stamp := filepath.Join(dir, ".made-with")
	key := []byte(strings.Join(segAssetArgs, " ") + "\n")
	if b, err := os.ReadFile(stamp); err == nil && bytes.Equal(b, key) {
		if _, err := os.Stat(filepath.Join(dir, segAssetVideo)); err == nil {
			return nil
		}
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return errors.New("ffmpeg not found (install it: apt-get install -y ffmpeg)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, segAssetVideo+".tmp")
	cmd := exec.Command(ffmpeg, append(segAssetArgs, tmp)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ffmpeg: %v: %s", err, bytes.TrimSpace(out))
	}
	if err := os.Rename(tmp, filepath.Join(dir, segAssetVideo)); err != nil {
		return err
	}
	audio := filepath.Join(dir, filepath.Base(audioSrc))
	os.Remove(audio)
	if err := os.Link(audioSrc, audio); err != nil {
		if err := copyFile(audioSrc, audio); err != nil {
			return err
		}
	}
	return os.WriteFile(stamp, key, 0o644)
}
