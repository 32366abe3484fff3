package ts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/hevc"
	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/drmorigin/drmorigin/internal/fftest"
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

// The ffmpeg oracle (internal/fftest), by the names these tests use.
var (
	needFFmpeg    = fftest.NeedTools
	sourceHashes  = fftest.SourceHashes
	checkLog      = fftest.CheckTSLog
	equalHashes   = fftest.EqualHashes
	writeSegments = fftest.WriteSegments
)

// run runs a command and returns its stdout and stderr.
func run(tb testing.TB, name string, args ...string) (stdout, stderr string) {
	tb.Helper()
	return fftest.Run(tb, false, name, args...)
}

// frameHashes decodes the first stream of the given type ("v" or "a") of
// input with ffmpeg and returns the MD5 of every decoded frame, in order,
// with ffmpeg's log at level debug.
func frameHashes(tb testing.TB, input, stream string, extra ...string) (hashes []string, log string) {
	tb.Helper()
	return fftest.FrameHashes(tb, false, input, stream, extra...)
}

// frameHashesLenient is frameHashes that tolerates ffmpeg failing (as it
// may on undecryptable input), with its log at level warning.
func frameHashesLenient(tb testing.TB, input, stream string, extra ...string) (hashes []string, log string) {
	tb.Helper()
	args := append([]string{"-nostdin", "-hide_banner", "-loglevel", "warning"}, extra...)
	args = append(args, "-i", input, "-map", "0:"+stream+":0", "-f", "framemd5", "-")
	out, log := fftest.Run(tb, true, "ffmpeg", args...)
	return fftest.Hashes(out), log
}
