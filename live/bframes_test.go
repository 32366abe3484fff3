package live_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// bframeFeed is 6 s of H.264 with B-frames (-bf 2), three 2 s fragments,
// pushed as ffmpeg's ismv muxer writes it.
func bframeFeed(t *testing.T) []byte {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatalf("ffmpeg not found (install it: apt-get install ffmpeg): %v", err)
	}
	out := filepath.Join(t.TempDir(), "bframes.ismv")
	cmd := exec.Command(ffmpeg, "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-t", "6",
		"-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-profile:v", "high", "-bf", "2", "-g", "50", "-keyint_min", "50",
		"-f", "ismv", "-movflags", "isml+frag_keyframe", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBFramesBeforeZero: what live.md asks of a video track whose samples
// would start before time 0.
//   - ffmpeg's ismv muxer, fed B-frames, starts the track at decode time 0
//     and states the reordering with negative composition offsets (trun
//     version 1): nothing lies before 0, every fragment is archived.
//   - An encoder that puts its first video fragment at a negative decode
//     time instead has that fragment dropped whole (ingest.go, fragments:
//     the clock is kept and no output can state a negative time, and
//     cutting the samples before 0 would cut the keyframe that the rest
//     of the fragment needs); the next fragment, which starts at a
//     keyframe after 0, begins the archive at the encoder's time.
func TestBFramesBeforeZero(t *testing.T) {
	feed := bframeFeed(t)
	init, fs := splitFeed(t, feed)
	if len(fs) != 3 {
		t.Fatalf("the feed has %d fragments, want 3", len(fs))
	}
	if v := trunVersion(t, fs[0]); v != 1 {
		t.Fatalf("ffmpeg's first fragment has a trun of version %d, want 1 (negative composition offsets)", v)
	}
	ingest := func(frags ...[]byte) []uint64 {
		t.Helper()
		r := newRig(t, t.TempDir())
		start(t, r, out1)
		if err := r.hub.Ingest(context.Background(), "ev", "s1", body(init, frags...)); err != nil {
			t.Fatalf("ingest: %v", err)
		}
		a, err := r.lib.Asset(out1.Asset)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Tracks) != 1 {
			t.Fatalf("%d tracks, want the video", len(a.Tracks))
		}
		var times []uint64
		for _, f := range a.Tracks[0].Fragments {
			times = append(times, f.Time)
		}
		return times
	}
	if got := ingest(fs...); len(got) != 3 || got[0] != 0 {
		t.Fatalf("ffmpeg's B-frame feed archived as fragments at %v, want 3 from 0", got)
	}
	// The same first fragment placed two frames before 0 (tfxd, in the
	// ismv timescale of 10 MHz).
	early := bytes.Clone(fs[0])
	setTfxd(t, early, -2*400000)
	if got := ingest(early, fs[1], fs[2]); len(got) != 2 || got[0] != 20000000 {
		t.Fatalf("a video fragment before 0, then two: archived at %v, want the two from 20000000", got)
	}
}

// trunVersion returns the version of the fragment's (first) trun.
func trunVersion(t *testing.T, frag []byte) byte {
	t.Helper()
	i := bytes.Index(frag, []byte("trun"))
	if i < 0 {
		t.Fatal("no trun")
	}
	return frag[i+4]
}

// setTfxd sets the fragment's tfxd (version 1) absolute time.
func setTfxd(t *testing.T, frag []byte, time int64) {
	t.Helper()
	uuid := []byte{0x6d, 0x1d, 0x9b, 0x05, 0x42, 0xd5, 0x44, 0xe6, 0x80, 0xe2, 0x14, 0x1d, 0xaf, 0xf7, 0x57, 0xb2}
	i := bytes.Index(frag, uuid)
	if i < 0 || frag[i+16] != 1 {
		t.Fatal("no tfxd of version 1")
	}
	binary.BigEndian.PutUint64(frag[i+20:], uint64(time))
}
