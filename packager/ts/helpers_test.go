package ts_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/hevc"
	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/drmorigin/drmorigin/packager/ts"
)

// track is a demo track file read with mp4ff: its configuration and its
// samples, fragment by fragment.
type track struct {
	path  string
	cfg   ts.StreamConfig
	frags [][]ts.Sample
}

// mediaDir is the repository's demo media.
const mediaDir = "../../testdata/media"

// loadTrack reads the one track of a fragmented MP4 file.
func loadTrack(tb testing.TB, path string) *track {
	tb.Helper()
	f, err := mp4.ReadMP4File(path)
	if err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	if f.Init == nil {
		tb.Fatalf("%s: no init segment", path)
	}
	trak := f.Init.Moov.Trak
	tr := &track{path: path}
	tr.cfg.Timescale = trak.Mdia.Mdhd.Timescale
	stsd := trak.Mdia.Minf.Stbl.Stsd
	switch {
	case stsd.AvcX != nil:
		c := stsd.AvcX.AvcC
		tr.cfg.Codec = ts.H264
		tr.cfg.NALULengthSize = 4
		tr.cfg.ParameterSets = append(append([][]byte{}, c.SPSnalus...), c.PPSnalus...)
	case stsd.HvcX != nil:
		c := stsd.HvcX.HvcC
		tr.cfg.Codec = ts.HEVC
		tr.cfg.NALULengthSize = int(c.LengthSizeMinusOne) + 1
		for _, t := range []hevc.NaluType{hevc.NALU_VPS, hevc.NALU_SPS, hevc.NALU_PPS} {
			tr.cfg.ParameterSets = append(tr.cfg.ParameterSets, c.GetNalusForType(t)...)
		}
	case stsd.Mp4a != nil:
		tr.cfg.Codec = ts.AAC
		tr.cfg.AudioSpecificConfig = stsd.Mp4a.Esds.DecConfigDescriptor.DecSpecificInfo.DecConfig
	default:
		tb.Fatalf("%s: no H.264, HEVC or AAC sample entry", path)
	}
	trex := f.Init.Moov.Mvex.Trex
	for _, seg := range f.Segments {
		for _, frag := range seg.Fragments {
			fs, err := frag.GetFullSamples(trex)
			if err != nil {
				tb.Fatalf("%s: samples: %v", path, err)
			}
			ss := make([]ts.Sample, len(fs))
			for i, s := range fs {
				ss[i] = ts.Sample{Data: s.Data, DTS: s.DecodeTime, PTSOffset: s.CompositionTimeOffset, Keyframe: s.IsSync()}
			}
			tr.frags = append(tr.frags, ss)
		}
	}
	if len(tr.frags) == 0 {
		tb.Fatalf("%s: no fragments", path)
	}
	return tr
}

// demoTrack loads a track of testdata/media, or, when the demo media are
// missing, generates an equivalent clip with ffmpeg into a temporary
// directory.
func demoTrack(tb testing.TB, rel string) *track {
	tb.Helper()
	p := filepath.Join(mediaDir, rel)
	if _, err := os.Stat(p); err == nil {
		return loadTrack(tb, p)
	}
	needFFmpeg(tb)
	out := filepath.Join(tb.TempDir(), filepath.Base(rel))
	frag := []string{"-movflags", "+frag_keyframe+empty_moov+default_base_moof"}
	var args []string
	switch {
	case strings.Contains(rel, "hevc"):
		args = []string{"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=4", "-c:v", "libx265", "-tag:v", "hvc1",
			"-pix_fmt", "yuv420p", "-x265-params", "keyint=50:min-keyint=50:scenecut=0:open-gop=0:log-level=error"}
	case strings.Contains(rel, "audio"):
		args = []string{"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=8", "-c:a", "aac", "-aac_pns", "0", "-ac", "2"}
		frag = []string{"-frag_duration", "2000000", "-movflags", "+empty_moov+default_base_moof"}
	default:
		args = []string{"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=8", "-c:v", "libx264", "-profile:v", "high",
			"-pix_fmt", "yuv420p", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0"}
	}
	args = append(append(append([]string{"-nostdin", "-y", "-loglevel", "error"}, args...), frag...), "-f", "mp4", out)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		tb.Fatalf("generate %s: %v\n%s", rel, err, b)
	}
	return loadTrack(tb, out)
}

// needFFmpeg fails the test (never skips it) when ffmpeg or ffprobe is
// missing.
func needFFmpeg(tb testing.TB) {
	tb.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("%s not found (%v): apt-get install -y ffmpeg", tool, err)
		}
	}
}

// run runs a command and returns its stdout and stderr.
func run(tb testing.TB, name string, args ...string) (stdout, stderr string) {
	tb.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(e.String()))
	}
	return o.String(), e.String()
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

// frameHashes decodes the first stream of the given type ("v" or "a") of
// input with ffmpeg and returns the MD5 of every decoded frame, in order,
// with ffmpeg's log (at level debug when debug is set).
func frameHashes(tb testing.TB, input, stream string, extra ...string) (hashes []string, log string) {
	tb.Helper()
	args := append([]string{"-nostdin", "-hide_banner", "-loglevel", "debug"}, extra...)
	args = append(args, "-i", input, "-map", "0:"+stream+":0", "-f", "framemd5", "-")
	out, errOut := run(tb, "ffmpeg", args...)
	for line := range strings.SplitSeq(out, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		hashes = append(hashes, strings.TrimSpace(f[len(f)-1]))
	}
	return hashes, errOut
}

// frameHashesLenient is frameHashes that tolerates ffmpeg failing (as it
// may on undecryptable input).
func frameHashesLenient(tb testing.TB, input, stream string, extra ...string) (hashes []string, log string) {
	tb.Helper()
	args := append([]string{"-nostdin", "-hide_banner", "-loglevel", "warning"}, extra...)
	args = append(args, "-i", input, "-map", "0:"+stream+":0", "-f", "framemd5", "-")
	var o, e bytes.Buffer
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	_ = cmd.Run()
	for line := range strings.SplitSeq(o.String(), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		hashes = append(hashes, strings.TrimSpace(f[len(f)-1]))
	}
	return hashes, e.String()
}

// sourceHashes decodes a source track file with its edit list ignored, so
// that every sample is a frame, as in the TS.
func sourceHashes(tb testing.TB, path, stream string) []string {
	tb.Helper()
	h, _ := frameHashes(tb, path, stream, "-ignore_editlist", "1")
	if len(h) == 0 {
		tb.Fatalf("%s: no frames decoded", path)
	}
	return h
}

// checkLog fails on the demuxer warnings that betray a broken TS.
func checkLog(tb testing.TB, what, log string) {
	tb.Helper()
	for _, bad := range []string{"Continuity check failed", "non-monotonous DTS", "non monotonically increasing dts",
		"Packet corrupt", "PES packet size mismatch", "invalid dts", "Invalid timestamps", "corrupt input packet"} {
		if i := strings.Index(log, bad); i >= 0 {
			j := max(0, i-200)
			tb.Errorf("%s: ffmpeg says %q: …%s", what, bad, log[j:min(len(log), i+200)])
		}
	}
}

func equalHashes(tb testing.TB, what string, got, want []string) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Errorf("%s: %d frames decoded, source has %d", what, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			tb.Errorf("%s: frame %d hash %s, source %s", what, i, got[i], want[i])
			return
		}
	}
}

// writeSegments writes the segments into dir as seg%03d.ts and all.ts (their
// concatenation), returning the file names.
func writeSegments(tb testing.TB, dir string, segs [][]byte) (names []string, all string) {
	tb.Helper()
	var cat []byte
	for i, s := range segs {
		n := filepath.Join(dir, fmt.Sprintf("seg%03d.ts", i))
		if err := os.WriteFile(n, s, 0o644); err != nil {
			tb.Fatal(err)
		}
		names = append(names, n)
		cat = append(cat, s...)
	}
	all = filepath.Join(dir, "all.ts")
	if err := os.WriteFile(all, cat, 0o644); err != nil {
		tb.Fatal(err)
	}
	return names, all
}
