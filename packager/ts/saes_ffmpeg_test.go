package ts_test

import (
	"crypto/aes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/packager/ts"
)

// writePlaylist writes an HLS media playlist of the segment files with a
// SAMPLE-AES key tag (key file and IV) before each segment. The last
// segment is listed twice: ffmpeg 5.1's HLS demuxer hands out the last
// access unit of a playlist (flushed by its parser after the last segment
// ended) without decrypting it, so the frames of interest must not be the
// playlist's last.
func writePlaylist(tb testing.TB, dir string, names []string, key []byte, iv [16]byte) string {
	tb.Helper()
	kf := filepath.Join(dir, fmt.Sprintf("key%x.bin", key[:2]))
	if err := os.WriteFile(kf, key, 0o600); err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n")
	for _, n := range append(names, names[len(names)-1]) {
		fmt.Fprintf(&b, "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"%s\",IV=0x%x\n#EXTINF:2.0,\n%s\n", filepath.Base(kf), iv, filepath.Base(n))
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	p := filepath.Join(dir, fmt.Sprintf("list%x.m3u8", key[:2]))
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestFFmpegSampleAES encrypts the muxed H.264 + AAC segments with
// SAMPLE-AES and lets ffmpeg's HLS demuxer decrypt them with the key: the
// same frames as the source; with a wrong key, not.
func TestFFmpegSampleAES(t *testing.T) {
	needFFmpeg(t)
	video := demoTrack(t, "demo/video_640x360.mp4")
	audio := demoTrack(t, "demo/audio_eng.mp4")
	key := []byte("0123456789abcdef")
	blk, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	iv := [16]byte{0xA0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xFF}
	opts := ts.SegmentOptions{Encrypter: ts.BlockCBC(blk), IV: iv}

	for _, c := range []struct {
		name   string
		tracks []*track
	}{
		{"video", []*track{video}},
		{"audio", []*track{audio}},
		{"muxed", []*track{video, audio}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var segs [][]byte
			if len(c.tracks) == 1 {
				segs = muxTrack(t, c.tracks[0], opts)
			} else {
				segs = muxV3Opts(t, video, audio, opts)
			}
			clear := muxTrack(t, c.tracks[0], ts.SegmentOptions{})
			if len(c.tracks) == 1 && string(segs[0]) == string(clear[0]) {
				t.Fatal("encrypted segment equals the clear one")
			}
			dir := t.TempDir()
			names, _ := writeSegments(t, dir, segs)
			list := writePlaylist(t, dir, names, key, iv)
			for _, tr := range c.tracks {
				st := "v"
				if tr.cfg.Codec == ts.AAC {
					st = "a"
				}
				got, log := frameHashes(t, list, st, "-allowed_extensions", "ALL")
				// The repeated last segment is discontinuous by design:
				// check the log up to where it is opened.
				if i := strings.LastIndex(log, names[len(names)-1]); i >= 0 {
					log = log[:i]
				}
				checkLog(t, c.name+" "+st, log)
				want := sourceHashes(t, tr.path, st)
				if len(got) < len(want) {
					t.Fatalf("%s %s: %d frames decoded, source has %d", c.name, st, len(got), len(want))
				}
				equalHashes(t, c.name+" "+st, got[:len(want)], want)

				// With a wrong key the frames differ.
				wrong := writePlaylist(t, dir, names, []byte("fedcba9876543210"), iv)
				bad, _ := frameHashesLenient(t, wrong, st, "-allowed_extensions", "ALL")
				same := 0
				for i := range min(len(bad), len(want)) {
					if bad[i] == want[i] {
						same++
					}
				}
				if same > len(want)/2 {
					t.Errorf("%s %s: with a wrong key %d of %d frames still match", c.name, st, same, len(want))
				}
			}
		})
	}
}

// muxV3Opts is muxV3 with segment options.
func muxV3Opts(tb testing.TB, video, audio *track, opts ts.SegmentOptions) [][]byte {
	tb.Helper()
	var m ts.Muxer
	m.Reset(&video.cfg, &audio.cfg)
	var segs [][]byte
	ai := 0
	all := concat(audio.frags)
	for i, f := range video.frags {
		j := ai
		for j < len(all) && (i+1 == len(video.frags) ||
			all[j].DTS*uint64(video.cfg.Timescale) < video.frags[i+1][0].DTS*uint64(audio.cfg.Timescale)) {
			j++
		}
		opts.Sequence = uint32(i)
		seg, err := m.AppendSegment(nil, f, all[ai:j], opts)
		if err != nil {
			tb.Fatalf("segment %d: %v", i, err)
		}
		ai = j
		segs = append(segs, seg)
	}
	return segs
}
