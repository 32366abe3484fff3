package testmedia_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/internal/testmedia"
)

// want is what each generated file must be.
type want struct {
	asset, file string
	moovFirst   bool
	fragmented  bool
	tracks      string // handler/sample entry/language of each track, in order
	editsVideo  bool   // the video track has an edit list with a non-zero media_time
}

var wants = []want{
	{testmedia.Multi, "video_640x360.mp4", true, false, "vide/avc1 soun/mp4a/eng", false},
	{testmedia.Multi, "video_320x180.mp4", true, false, "vide/avc1 soun/mp4a/eng", false},
	{testmedia.Multi, "audio_fra.m4a", true, false, "soun/mp4a/fra", false},
	{testmedia.MoovEnd, "av.mp4", false, false, "vide/avc1 soun/mp4a", false},
	{testmedia.BFrames, "av.mp4", false, false, "vide/avc1 soun/mp4a", true},
	{testmedia.Audio, "audio.mp4", false, false, "soun/mp4a/eng", false},
	{testmedia.HEVC, "av.mp4", true, false, "vide/hvc1 soun/mp4a", true},
	{testmedia.Mixed, "video.mp4", true, false, "vide/avc1", false},
	{testmedia.Mixed, "audio.mp4", true, true, "soun/mp4a/eng", false},
	{".fuzz", "tiny.mp4", true, false, "vide/avc1 soun/mp4a", true},
	{".fuzz", "tiny-moovend.mp4", false, false, "vide/avc1 soun/mp4a", true},
}

// TestGenerate makes the assets (or finds them in the cache) and checks
// their layout: moov position, tracks, edit lists, keyframes every 2 s,
// and, for prog-multi, that the English audio is the same bytes in both
// video files. It logs what it finds.
func TestGenerate(t *testing.T) {
	root := testmedia.Progressive(t)
	t.Logf("assets in %s", root)
	for _, w := range wants {
		p := filepath.Join(root, w.asset, w.file)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := testmedia.Describe(b)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		t.Logf("%s/%s (%d bytes): %v", w.asset, w.file, len(b), fi)
		if fi.MoovFirst() != w.moovFirst {
			t.Errorf("%s/%s: moov first %v, want %v", w.asset, w.file, fi.MoovFirst(), w.moovFirst)
		}
		if fi.Fragmented != w.fragmented {
			t.Errorf("%s/%s: fragmented %v, want %v", w.asset, w.file, fi.Fragmented, w.fragmented)
		}
		var got []string
		for _, tr := range fi.Tracks {
			d := tr.Handler + "/" + tr.SampleEntry
			if tr.Language != "und" {
				d += "/" + tr.Language
			}
			got = append(got, d)
			if !w.fragmented && tr.Handler == "soun" {
				// ffmpeg states the AAC priming as an edit.
				if len(tr.Edits) == 0 || tr.Edits[len(tr.Edits)-1].MediaTime != 1024 {
					t.Errorf("%s/%s: audio edits %v, want media_time 1024", w.asset, w.file, tr.Edits)
				}
			}
			if tr.Handler == "vide" {
				nonZero := len(tr.Edits) > 0 && tr.Edits[len(tr.Edits)-1].MediaTime > 0
				if nonZero != w.editsVideo {
					t.Errorf("%s/%s: video edits %v: B-frame delay edit %v, want %v", w.asset, w.file, tr.Edits, nonZero, w.editsVideo)
				}
				if tr.HasCTTS != w.editsVideo {
					t.Errorf("%s/%s: ctts %v, want %v", w.asset, w.file, tr.HasCTTS, w.editsVideo)
				}
			}
		}
		if strings.Join(got, " ") != w.tracks {
			t.Errorf("%s/%s: tracks %q, want %q", w.asset, w.file, strings.Join(got, " "), w.tracks)
		}
		if strings.HasPrefix(w.tracks, "vide") && w.asset != ".fuzz" {
			checkKeyframes(t, p)
		}
		if !w.fragmented {
			for _, tr := range fi.Tracks {
				checkSamples(t, w.asset+"/"+w.file, b, fi, tr)
			}
		}
	}
	// The same audio, byte for byte, in both prog-multi video files.
	var audio [2]string
	for i, f := range []string{"video_640x360.mp4", "video_320x180.mp4"} {
		out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-i", filepath.Join(root, testmedia.Multi, f),
			"-map", "0:a:0", "-c", "copy", "-f", "md5", "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		audio[i] = strings.TrimSpace(string(out))
	}
	if audio[0] != audio[1] {
		t.Errorf("prog-multi: the English audio differs between the video files: %s vs %s", audio[0], audio[1])
	}
	for _, f := range []string{"prog-multi.ism", "prog-multi.ismc"} {
		if _, err := os.Stat(filepath.Join(root, testmedia.Multi, f)); err != nil {
			t.Error(err)
		}
	}
}

// checkKeyframes checks with ffprobe that the keyframes of the first video
// stream are exactly the frames at multiples of 2 s (presentation time,
// edit list applied).
func checkKeyframes(t *testing.T, p string) {
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags",
		"-of", "csv=p=0", p).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", p, err)
	}
	var keys []string
	frames := 0
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, ",")
		frames++
		if len(f) == 2 && strings.HasPrefix(f[1], "K") {
			keys = append(keys, f[0])
		}
	}
	for i, k := range keys {
		v, err := strconv.ParseFloat(k, 64)
		if err != nil || v != float64(i)*testmedia.GOP {
			t.Errorf("%s: keyframe %d at %s s, want %g", p, i, k, float64(i)*testmedia.GOP)
		}
	}
	t.Logf("  %s: %d frames, keyframes at %v s", filepath.Base(p), frames, keys)
}

// checkSamples reads a track's sample tables with testmedia.Samples and
// checks them against Describe and the file: every sample inside the file,
// and, for video, sync samples exactly at multiples of the GOP on the
// presentation timeline.
func checkSamples(t *testing.T, what string, b []byte, fi testmedia.FileInfo, tr testmedia.TrackInfo) {
	ss, err := testmedia.Samples(b, tr.ID)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(ss) != tr.Samples {
		t.Errorf("%s track %d: %d samples, stsz says %d", what, tr.ID, len(ss), tr.Samples)
	}
	po := tr.PresentationOffset(fi.MovieTimescale)
	var syncAt []float64
	for i, s := range ss {
		if s.Offset+int64(s.Size) > int64(len(b)) {
			t.Fatalf("%s track %d sample %d: past the end of the file", what, tr.ID, i)
		}
		if s.Sync && tr.Handler == "vide" {
			syncAt = append(syncAt, float64(int64(s.DTS)+int64(s.CTO)+po)/float64(tr.Timescale))
		}
	}
	if tr.Handler == "vide" && what != ".fuzz/tiny.mp4" && what != ".fuzz/tiny-moovend.mp4" {
		for i, v := range syncAt {
			if v != float64(i)*testmedia.GOP {
				t.Errorf("%s track %d: sync sample %d at %g s (presentation), want %g", what, tr.ID, i, v, float64(i)*testmedia.GOP)
			}
		}
	}
	t.Logf("  track %d: %d samples from the tables, presentation offset %d/%d, sync samples at %v s", tr.ID, len(ss), po, tr.Timescale, syncAt)
}
