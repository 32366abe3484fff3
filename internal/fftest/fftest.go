// Package fftest is ffmpeg as the decoder oracle of the MPEG-TS tests
// (packager and packager/ts): it decodes what the muxer wrote to frame
// hashes, compares them with the source's, and fails on the demuxer's
// complaints that betray a broken TS. The tools must be installed: a test
// that lacks them fails, saying how to install them.
package fftest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// NeedTools fails the test (never skips it) when ffmpeg or ffprobe is
// missing: decoding is the proof that the TS output is right.
func NeedTools(tb testing.TB) {
	tb.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("%s not found (%v): apt-get install -y ffmpeg", tool, err)
		}
	}
}

// Run runs a command and returns its stdout and stderr; with lenient a
// failing command is not an error (undecryptable input).
func Run(tb testing.TB, lenient bool, name string, args ...string) (stdout, stderr string) {
	tb.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil && !lenient {
		s := e.String()
		if len(s) > 4000 {
			s = "…" + s[len(s)-4000:]
		}
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, s)
	}
	return o.String(), e.String()
}

// FrameHashes decodes the first stream of type stream ("v" or "a") of input
// with ffmpeg -f framemd5 and returns every frame's MD5 (the last column)
// in order, with ffmpeg's log at level debug. extra are input options.
func FrameHashes(tb testing.TB, lenient bool, input, stream string, extra ...string) (hashes []string, log string) {
	tb.Helper()
	args := append([]string{"-nostdin", "-hide_banner", "-loglevel", "debug"}, extra...)
	args = append(args, "-i", input, "-map", "0:"+stream+":0", "-f", "framemd5", "-")
	out, log := Run(tb, lenient, "ffmpeg", args...)
	return Hashes(out), log
}

// Hashes returns the MD5s (the last column) of ffmpeg's framemd5 lines.
func Hashes(framemd5 string) []string {
	var hashes []string
	for line := range strings.SplitSeq(framemd5, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		hashes = append(hashes, strings.TrimSpace(f[len(f)-1]))
	}
	return hashes
}

// SourceHashes decodes a source track file with its edit list ignored, so
// that every sample is a frame, as in the TS.
func SourceHashes(tb testing.TB, path, stream string) []string {
	tb.Helper()
	h, _ := FrameHashes(tb, false, path, stream, "-ignore_editlist", "1")
	if len(h) == 0 {
		tb.Fatalf("%s: no frames decoded", path)
	}
	return h
}

// CheckTSLog fails on the demuxer messages that betray a broken TS.
func CheckTSLog(tb testing.TB, what, log string) {
	tb.Helper()
	for _, bad := range []string{"Continuity check failed", "non-monotonous DTS", "non monotonically increasing dts",
		"Packet corrupt", "PES packet size mismatch", "invalid dts", "Invalid timestamps", "corrupt input packet"} {
		if i := strings.Index(log, bad); i >= 0 {
			j := max(0, i-200)
			tb.Errorf("%s: ffmpeg says %q: …%s", what, bad, log[j:min(len(log), i+200)])
		}
	}
}

// EqualHashes compares decoded frame hashes with the source's.
func EqualHashes(tb testing.TB, what string, got, want []string) {
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

// WriteSegments writes the segments into dir as seg%03d.ts and all.ts
// (their concatenation) and returns the file names.
func WriteSegments(tb testing.TB, dir string, segs [][]byte) (names []string, all string) {
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
