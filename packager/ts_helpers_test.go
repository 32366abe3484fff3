package packager_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/internal/fftest"
	"github.com/drmorigin/drmorigin/packager"
)

// The ffmpeg oracle (internal/fftest), by the names these tests use.
var (
	needTSTools   = fftest.NeedTools
	tsRun         = fftest.Run
	tsFrameHashes = fftest.FrameHashes
	tsCheckLog    = fftest.CheckTSLog
	tsEqualHashes = fftest.EqualHashes
	tsWrite       = fftest.WriteSegments
)

// tsSourceHashes decodes a source track file with its edit list ignored, so
// that every sample is a frame, as in the TS.
func tsSourceHashes(tb testing.TB, tr *packager.Track, stream string) []string {
	tb.Helper()
	return fftest.SourceHashes(tb, tr.Path, stream)
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
