package crypto_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// framemd5s decodes in with ffmpeg and returns one MD5 per video frame.
func framemd5s(t *testing.T, in string, extra ...string) []string {
	t.Helper()
	args := append([]string{"-hide_banner", "-loglevel", "quiet"}, extra...)
	args = append(args, "-i", in, "-map", "0:v:0", "-f", "framemd5", "-")
	out, err := exec.Command("ffmpeg", args...).Output()
	if err != nil {
		t.Fatalf("ffmpeg framemd5 %s: %v", in, err)
	}
	var sums []string
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		f := strings.Split(l, ",")
		sums = append(sums, strings.TrimSpace(f[len(f)-1]))
	}
	return sums
}

// TestSampleAESFFmpegHLS encrypts every NAL unit of H.264 clips with
// AppendSampleAESNAL, muxes them into two TS segments and has ffmpeg's HLS
// demuxer decrypt them (METHOD=SAMPLE-AES, key file, IV=0x…): the frames
// must equal the clear clip's, and with a wrong key they must not.
// ffmpeg 5.1's HLS demuxer leaves the last two packets of a playlist
// undecrypted (observed with any content: the packets it flushes at the end
// of the stream), so the last two frames are not compared.
func TestSampleAESFFmpegHLS(t *testing.T) {
	needFFmpeg(t)
	key := []byte("0123456789abcdef")
	k := mustKey(t, key)
	iv := k.SegmentIV("asset", "video.mp4", 0)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"baseline", []string{"-c:v", "libx264", "-profile:v", "baseline", "-slices", "2", "-x264-params", "keyint=10"}},
		// CABAC, weighted P prediction; no B frames, since ffmpeg cannot mux
		// a raw H.264 stream with B frames into TS (no timestamps).
		{"high-cabac", []string{"-c:v", "libx264", "-profile:v", "high", "-bf", "0", "-x264-params", "keyint=10:weightp=2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			clear := encodeClip(t, h264, c.name, append([]string{"-t", "2.4"}, c.args...)...)
			raw, err := os.ReadFile(clear)
			if err != nil {
				t.Fatal(err)
			}
			var enc []byte
			for _, n := range splitAnnexB(raw) {
				enc = append(enc, 0, 0, 0, 1)
				enc = k.AppendSampleAESNAL(enc, n, iv)
			}
			encFile := filepath.Join(dir, "enc.h264")
			if err := os.WriteFile(encFile, enc, 0o644); err != nil {
				t.Fatal(err)
			}
			seg := filepath.Join(dir, "s%d.ts")
			if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-fflags", "+genpts", "-r", "25", "-i", encFile,
				"-c", "copy", "-f", "segment", "-segment_time", "1.2", "-segment_format", "mpegts", seg).CombinedOutput(); err != nil {
				t.Fatalf("mux: %v\n%s", err, out)
			}
			segs, _ := filepath.Glob(filepath.Join(dir, "s*.ts"))
			if len(segs) < 2 {
				t.Fatalf("%d segments", len(segs))
			}
			for _, kf := range []struct {
				name string
				key  []byte
			}{{"key.bin", key}, {"wrong.bin", []byte("0123456789abcdeX")}} {
				if err := os.WriteFile(filepath.Join(dir, kf.name), kf.key, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			playlist := func(keyFile string) string {
				var b strings.Builder
				fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n")
				fmt.Fprintf(&b, "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"%s\",IV=0x%x\n", keyFile, iv)
				for _, s := range segs {
					fmt.Fprintf(&b, "#EXTINF:1.2,\n%s\n", filepath.Base(s))
				}
				b.WriteString("#EXT-X-ENDLIST\n")
				p := filepath.Join(dir, strings.TrimSuffix(keyFile, ".bin")+".m3u8")
				if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}
			want := framemd5s(t, clear)
			got := framemd5s(t, playlist("key.bin"), "-allowed_extensions", "ALL")
			if len(got) != len(want) || len(want) < 50 {
				t.Fatalf("%d frames decoded, clear clip has %d", len(got), len(want))
			}
			for i := range len(want) - 2 {
				if got[i] != want[i] {
					t.Fatalf("frame %d differs from the clear clip", i)
				}
			}
			bad := framemd5s(t, playlist("wrong.bin"), "-allowed_extensions", "ALL")
			same := 0
			for i := range min(len(bad), len(want)) {
				if bad[i] == want[i] {
					same++
				}
			}
			if same > len(want)/4 {
				t.Fatalf("wrong key: %d of %d frames still equal", same, len(want))
			}
		})
	}
}
