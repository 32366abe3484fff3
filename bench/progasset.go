package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"
)

// ProgSegAssetName is the progressive copy of SegAssetName: the same video
// and audio samples, remuxed (no encoding) into one non-fragmented MP4 with
// both tracks interleaved and the moov first, as encoders write files. The
// origin cuts it into 2 s fragments at its sync samples on the fly; the
// keyframes of SegAssetName are every 2 s, so the cut gives the same
// fragments and the same segment payloads as the fragmented asset.
const ProgSegAssetName = "seg1080p"

// progSegArgs remuxes the fragmented video ({in0}) and audio ({in1}) of
// SegAssetName into one progressive file ({out}). -map_metadata -1 drops
// the audio's language, so it is set again.
var progSegArgs = []string{
	"-nostdin", "-hide_banner", "-loglevel", "error", "-y",
	"-i", "{in0}", "-i", "{in1}", "-map", "0:v:0", "-map", "1:a:0", "-c", "copy",
	"-map_metadata", "-1", "-metadata:s:a:0", "language=eng", "-fflags", "+bitexact",
	"-movflags", "+faststart", "-f", "mp4", "{out}",
}

// longProgArgs makes the two-hour progressive asset: {in0}, a short
// progressive file, read {loops} times over (-stream_loop counts the
// repeats after the first) and written as one progressive file with full
// sample tables, moov first. Copy only: IO-bound, a few seconds.
var longProgArgs = []string{
	"-nostdin", "-hide_banner", "-loglevel", "error", "-y",
	"-stream_loop", "{repeats}", "-i", "{in0}", "-map", "0", "-c", "copy",
	"-map_metadata", "-1", "-fflags", "+bitexact",
	"-movflags", "+faststart", "-f", "mp4", "{out}",
}

// MakeProgSegAsset makes, in dir, the asset of ProgSegAssetName from the
// fragmented video and audio track files in segDir (MakeSegAsset's
// output): one file, dir/ProgSegAssetName.mp4. It reuses dir when it holds
// the output of the same command over the same inputs.
func MakeProgSegAsset(dir, segDir string) error {
	video := filepath.Join(segDir, segAssetVideo)
	audio, _ := filepath.Glob(filepath.Join(segDir, "audio*.mp4"))
	if len(audio) == 0 {
		return fmt.Errorf("no audio track file in %s", segDir)
	}
	return ffmpegOnce(dir, ProgSegAssetName+".mp4", progSegArgs, nil, video, audio[0])
}

// MakeLongProgressive makes, in dir, a progressive asset of at least d
// (dir/name.mp4) by repeating the progressive file src. It returns the
// number of times src is repeated. It reuses dir when it holds the output
// of the same command over the same input.
func MakeLongProgressive(dir, name, src string, d time.Duration) (loops int, err error) {
	dur, err := mp4Duration(src)
	if err != nil {
		return 0, err
	}
	loops = LoopsFor(d, dur)
	return loops, ffmpegOnce(dir, name+".mp4", longProgArgs, map[string]string{"{repeats}": strconv.Itoa(loops - 1)}, src)
}

// LoopsFor is how many times a clip of length clip is repeated to last at
// least d (at least once).
func LoopsFor(d, clip time.Duration) int {
	if clip <= 0 {
		return 1
	}
	return max(1, int(math.Ceil(float64(d)/float64(clip))))
}

// mp4Duration is the movie duration of an MP4 file (mvhd).
func mp4Duration(path string) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	mf, err := mp4.DecodeFile(f, mp4.WithDecodeMode(mp4.DecModeLazyMdat))
	if err != nil {
		return 0, err
	}
	if mf.Moov == nil || mf.Moov.Mvhd == nil || mf.Moov.Mvhd.Timescale == 0 {
		return 0, fmt.Errorf("%s: no mvhd", path)
	}
	h := mf.Moov.Mvhd
	return time.Duration(float64(h.Duration) / float64(h.Timescale) * float64(time.Second)), nil
}

// ffmpegOnce runs ffmpeg with args, in which {in0}, {in1}, … stand for
// inputs, {out} for dir/out and vars for their values, unless dir already
// holds out made by the same command line over inputs of the same content
// (dir/.made-with-OUT records it). An error says how to get ffmpeg.
func ffmpegOnce(dir, out string, args []string, vars map[string]string, inputs ...string) error {
	var key strings.Builder
	key.WriteString(strings.Join(args, " "))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		fmt.Fprintf(&key, "\n%s=%s", k, vars[k])
	}
	for i, in := range inputs {
		sum, err := fileSHA256(in)
		if err != nil {
			return err
		}
		fmt.Fprintf(&key, "\nin%d %s %s", i, filepath.Base(in), sum)
	}
	key.WriteString("\n")
	stamp := filepath.Join(dir, ".made-with-"+out)
	dst := filepath.Join(dir, out)
	if b, err := os.ReadFile(stamp); err == nil && string(b) == key.String() {
		if _, err := os.Stat(dst); err == nil {
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
	os.Remove(stamp)
	tmp := dst + ".tmp"
	argv := make([]string, len(args))
	for i, a := range args {
		switch {
		case a == "{out}":
			a = tmp
		case vars[a] != "":
			a = vars[a]
		case strings.HasPrefix(a, "{in") && strings.HasSuffix(a, "}"):
			n, err := strconv.Atoi(a[3 : len(a)-1])
			if err != nil || n >= len(inputs) {
				return fmt.Errorf("ffmpeg argument %s: no such input", a)
			}
			a = inputs[n]
		}
		argv[i] = a
	}
	if out, err := exec.Command(ffmpeg, argv...).CombinedOutput(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ffmpeg: %v: %s", err, bytes.TrimSpace(out))
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return os.WriteFile(stamp, []byte(key.String()), 0o644)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
