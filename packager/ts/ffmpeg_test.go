package ts_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/packager/ts"
)

// muxTrack muxes every fragment of one track into a segment of its own
// (m3u8-aapl).
func muxTrack(tb testing.TB, tr *track, opts ts.SegmentOptions) [][]byte {
	tb.Helper()
	var m ts.Muxer
	var segs [][]byte
	for i, f := range tr.frags {
		var v, a []ts.Sample
		if tr.cfg.Codec == ts.AAC {
			m.Reset(nil, &tr.cfg)
			a = f
		} else {
			m.Reset(&tr.cfg, nil)
			v = f
		}
		opts.Sequence = uint32(i)
		seg, err := m.AppendSegment(nil, v, a, opts)
		if err != nil {
			tb.Fatalf("%s fragment %d: %v", tr.path, i, err)
		}
		segs = append(segs, seg)
	}
	return segs
}

// muxV3 muxes video and audio the m3u8-aapl-v3 way: the video fragments
// define the segments, each audio frame goes to the segment whose time
// range holds its decode time.
func muxV3(tb testing.TB, video, audio *track) [][]byte {
	tb.Helper()
	var m ts.Muxer
	m.Reset(&video.cfg, &audio.cfg)
	var segs [][]byte
	ai := 0
	all := concat(audio.frags)
	for i, f := range video.frags {
		end := ^uint64(0)
		if i+1 < len(video.frags) {
			end = video.frags[i+1][0].DTS
		}
		j := ai
		for j < len(all) && (end == ^uint64(0) ||
			all[j].DTS*uint64(video.cfg.Timescale) < end*uint64(audio.cfg.Timescale)) {
			j++
		}
		seg, err := m.AppendSegment(nil, f, all[ai:j], ts.SegmentOptions{Sequence: uint32(i)})
		if err != nil {
			tb.Fatalf("segment %d: %v", i, err)
		}
		ai = j
		segs = append(segs, seg)
	}
	return segs
}

func concat(f [][]ts.Sample) []ts.Sample {
	var all []ts.Sample
	for _, s := range f {
		all = append(all, s...)
	}
	return all
}

// checkSegmentsStart checks that every segment is whole packets and starts
// with PAT, PMT and, when it has video, a video PES start with the
// random_access_indicator.
func checkSegmentsStart(t *testing.T, segs [][]byte, video bool) {
	t.Helper()
	for i, s := range segs {
		if len(s)%188 != 0 || len(s) < 3*188 {
			t.Fatalf("segment %d: %d bytes", i, len(s))
		}
		for p := 0; p < len(s); p += 188 {
			if s[p] != 0x47 {
				t.Fatalf("segment %d: packet %d has no sync byte", i, p/188)
			}
		}
		pid := func(p int) int { return int(s[p*188+1]&0x1F)<<8 | int(s[p*188+2]) }
		if pid(0) != ts.PIDPAT || pid(1) != ts.PIDPMT {
			t.Errorf("segment %d: starts with PIDs %#x %#x", i, pid(0), pid(1))
		}
		if video {
			p := s[2*188:]
			if pid(2) != ts.PIDVideo || p[1]&0x40 == 0 || p[3]&0x20 == 0 || p[5]&0x40 == 0 {
				t.Errorf("segment %d: third packet is not a keyframe PES start on the video PID: % x", i, p[:12])
			}
		}
	}
}

// checkProbe checks with ffprobe that the DTS of every stream of the
// concatenated segments increase, across segment boundaries too.
func checkProbe(t *testing.T, all string) {
	t.Helper()
	out, errOut := run(t, "ffprobe", "-loglevel", "warning", "-show_entries", "packet=stream_index,dts", "-of", "csv=p=0", all)
	checkLog(t, "ffprobe "+all, errOut)
	last := map[string]int64{}
	n := 0
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 {
			continue
		}
		d, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("ffprobe line %q", line)
		}
		if p, ok := last[f[0]]; ok && d <= p {
			t.Errorf("stream %s: dts %d after %d", f[0], d, p)
		}
		last[f[0]] = d
		n++
	}
	if n == 0 {
		t.Errorf("ffprobe: no packets in %s", all)
	}
}

// TestFFmpegSeparate muxes each demo track on its own (m3u8-aapl) and
// decodes the concatenated segments with ffmpeg: the same frames as the
// source, continuous counters and timestamps.
func TestFFmpegSeparate(t *testing.T) {
	needFFmpeg(t)
	for _, c := range []struct{ name, file, stream string }{
		{"h264", "demo/video_640x360.mp4", "v"},
		{"aac", "demo/audio_eng.mp4", "a"},
		{"hevc", "hevc/video_hevc.mp4", "v"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tr := demoTrack(t, c.file)
			segs := muxTrack(t, tr, ts.SegmentOptions{})
			checkSegmentsStart(t, segs, c.stream == "v")
			names, all := writeSegments(t, t.TempDir(), segs)
			want := sourceHashes(t, tr.path, c.stream)
			got, log := frameHashes(t, all, c.stream)
			checkLog(t, c.name+" concatenated", log)
			equalHashes(t, c.name+" concatenated", got, want)
			checkProbe(t, all)
			// Through ffmpeg's HLS demuxer, as a player reads them.
			list := writeClearPlaylist(t, names)
			got, log = frameHashes(t, list, c.stream, "-allowed_extensions", "ALL")
			checkLog(t, c.name+" playlist", log)
			equalHashes(t, c.name+" playlist", got, want)
			// Each segment on its own is decodable and holds its fragment.
			if c.stream == "v" {
				h, log := frameHashes(t, names[1], c.stream)
				checkLog(t, c.name+" segment 1", log)
				if len(h) != len(tr.frags[1]) {
					t.Errorf("segment 1 alone: %d frames, fragment has %d", len(h), len(tr.frags[1]))
				}
			}
		})
	}
}

// TestFFmpegMuxed muxes video and audio into the same segments
// (m3u8-aapl-v3) and checks both streams frame for frame.
func TestFFmpegMuxed(t *testing.T) {
	needFFmpeg(t)
	video := demoTrack(t, "demo/video_640x360.mp4")
	audio := demoTrack(t, "demo/audio_eng.mp4")
	segs := muxV3(t, video, audio)
	checkSegmentsStart(t, segs, true)
	_, all := writeSegments(t, t.TempDir(), segs)
	for _, st := range []string{"v", "a"} {
		src := video.path
		if st == "a" {
			src = audio.path
		}
		got, log := frameHashes(t, all, st)
		checkLog(t, "muxed "+st, log)
		equalHashes(t, "muxed "+st, got, sourceHashes(t, src, st))
	}
	checkProbe(t, all)
}

// writeClearPlaylist writes an HLS media playlist of the segment files.
func writeClearPlaylist(tb testing.TB, names []string) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n")
	for _, n := range names {
		fmt.Fprintf(&b, "#EXTINF:2.0,\n%s\n", filepath.Base(n))
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	p := filepath.Join(filepath.Dir(names[0]), "clear.m3u8")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
