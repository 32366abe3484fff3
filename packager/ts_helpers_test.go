package packager_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// needTSTools fails the test (never skips it) when ffmpeg or ffprobe is
// missing: decoding is the proof that the TS output is right.
func needTSTools(tb testing.TB) {
	tb.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("%s not found (%v): apt-get install -y ffmpeg", tool, err)
		}
	}
}

// tsRun runs a command and returns its stdout and stderr; with lenient a
// failing command is not an error (undecryptable input).
func tsRun(tb testing.TB, lenient bool, name string, args ...string) (stdout, stderr string) {
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

// tsFrameHashes decodes the first stream of type stream ("v" or "a") of
// input with ffmpeg -f framemd5 and returns every frame's MD5 (the last
// column) in order, with ffmpeg's log at level debug.
func tsFrameHashes(tb testing.TB, lenient bool, input, stream string, extra ...string) (hashes []string, log string) {
	tb.Helper()
	args := append([]string{"-nostdin", "-hide_banner", "-loglevel", "debug"}, extra...)
	args = append(args, "-i", input, "-map", "0:"+stream+":0", "-f", "framemd5", "-")
	out, log := tsRun(tb, lenient, "ffmpeg", args...)
	for line := range strings.SplitSeq(out, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		hashes = append(hashes, strings.TrimSpace(f[len(f)-1]))
	}
	return hashes, log
}

// tsSourceHashes decodes a source track file with its edit list ignored, so
// that every sample is a frame, as in the TS.
func tsSourceHashes(tb testing.TB, tr *packager.Track, stream string) []string {
	tb.Helper()
	h, _ := tsFrameHashes(tb, false, tr.Path, stream, "-ignore_editlist", "1")
	if len(h) == 0 {
		tb.Fatalf("%s: no frames decoded", tr.Path)
	}
	return h
}

// tsCheckLog fails on the demuxer messages that betray a broken TS.
func tsCheckLog(tb testing.TB, what, log string) {
	tb.Helper()
	for _, bad := range []string{"Continuity check failed", "non-monotonous DTS", "non monotonically increasing dts",
		"Packet corrupt", "PES packet size mismatch", "invalid dts", "Invalid timestamps", "corrupt input packet"} {
		if i := strings.Index(log, bad); i >= 0 {
			j := max(0, i-200)
			tb.Errorf("%s: ffmpeg says %q: …%s", what, bad, log[j:min(len(log), i+200)])
		}
	}
}

// tsEqualHashes compares decoded frame hashes with the source's.
func tsEqualHashes(tb testing.TB, what string, got, want []string) {
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

// tsProbe checks with ffprobe (log level debug) that the concatenated
// segments demux without continuity or timestamp complaints and that the DTS
// of every stream increase, across segment boundaries too. It returns the
// number of packets per stream index.
func tsProbe(tb testing.TB, all string) map[string]int {
	tb.Helper()
	out, log := tsRun(tb, false, "ffprobe", "-loglevel", "debug", "-show_entries", "packet=stream_index,dts", "-of", "csv=p=0", all)
	tsCheckLog(tb, "ffprobe "+all, log)
	last := map[string]int64{}
	n := map[string]int{}
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 {
			continue
		}
		d, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			tb.Fatalf("ffprobe line %q", line)
		}
		if p, ok := last[f[0]]; ok && d <= p {
			tb.Errorf("%s: stream %s: dts %d after %d", all, f[0], d, p)
		}
		last[f[0]] = d
		n[f[0]]++
	}
	if len(n) == 0 {
		tb.Errorf("ffprobe: no packets in %s", all)
	}
	return n
}

// tsSegments cuts every fragment of tr (with audio muxed in when not nil) as
// a TS segment; iv gives each segment's options.
func tsSegments(tb testing.TB, tr, audio *packager.Track, opts func(i int) packager.TSOptions) [][]byte {
	tb.Helper()
	s := packager.AcquireScratch()
	defer packager.ReleaseScratch(s)
	var segs [][]byte
	for i := range tr.Fragments {
		var o packager.TSOptions
		if opts != nil {
			o = opts(i)
		}
		seg, err := tr.AppendSegmentTS(nil, i, audio, o, s)
		if err != nil {
			tb.Fatalf("%s segment %d: %v", tr.Path, i, err)
		}
		if len(seg)%188 != 0 || len(seg) == 0 {
			tb.Fatalf("%s segment %d: %d bytes, not whole TS packets", tr.Path, i, len(seg))
		}
		segs = append(segs, seg)
	}
	return segs
}

// tsWrite writes the segments into dir as seg%03d.ts and all.ts (their
// concatenation) and returns the file names.
func tsWrite(tb testing.TB, dir string, segs [][]byte) (names []string, all string) {
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

// tsKeyPlaylist writes an HLS media playlist of the segment files with the
// urls.md SAMPLE-AES key tag before each segment: METHOD=SAMPLE-AES, the
// key (a local file here, skd:// in production) and the segment's IV. The
// last segment is listed twice: ffmpeg 5.1's HLS demuxer hands out the last
// access unit of a playlist (flushed after the last segment ended) without
// decrypting it, so the frames compared must not be the playlist's last.
func tsKeyPlaylist(tb testing.TB, dir, tag string, names []string, key []byte, ivs [][16]byte) string {
	tb.Helper()
	kf := filepath.Join(dir, "key-"+tag+".bin")
	if err := os.WriteFile(kf, key, 0o600); err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:5\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n")
	for i, n := range append(names[:len(names):len(names)], names[len(names)-1]) {
		iv := ivs[min(i, len(ivs)-1)]
		fmt.Fprintf(&b, "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"file://%s\",IV=0x%x\n#EXTINF:2.0,\n%s\n", kf, iv, filepath.Base(n))
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	p := filepath.Join(dir, "list-"+tag+".m3u8")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
