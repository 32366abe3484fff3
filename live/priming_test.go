package live_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"
)

// TestPrimedAudioKeptFromZero: ffmpeg's ismv muxer puts the AAC encoder's
// priming unit at a negative decode time (the first audio fragment's tfxd
// is -1024 samples). The archive keeps that fragment from time 0 on: its
// first sample (the one before 0) is cut, every other sample is archived
// with its own bytes and the encoder's times, and the audio track starts
// at 0 with no gap before its second fragment.
func TestPrimedAudioKeptFromZero(t *testing.T) {
	feed, _ := feedBytes(t, 6)
	_, fs := splitFeed(t, feed)
	r := newRig(t, t.TempDir())
	start(t, r, out1)
	if err := r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatal(err)
	}
	// The feed's first audio fragment, as ffmpeg wrote it.
	var orig *mp4.Fragment
	for _, b := range fs {
		f := decodeFragment(t, b)
		if f.Moof.Traf.Tfhd.TrackID == 3 {
			orig = f
			break
		}
	}
	x := tfxdOf(orig)
	if x == nil || int64(x.FragmentAbsoluteTime) >= 0 || int64(x.FragmentAbsoluteTime)+int64(orig.Moof.Traf.Trun.Samples[0].Dur) != 0 {
		t.Fatalf("the feed's first audio fragment: tfxd %+v, first sample %d: want one sample before 0 (the AAC priming)", x, orig.Moof.Traf.Trun.Samples[0].Dur)
	}

	a, err := r.lib.Asset("liveasset")
	if err != nil {
		t.Fatal(err)
	}
	var audio = a.Tracks[len(a.Tracks)-1]
	if audio.Name != "audio" {
		t.Fatalf("last track %s, want audio", audio.Name)
	}
	n := len(orig.Moof.Traf.Trun.Samples)
	f0 := audio.Fragments[0]
	if f0.Time != 0 || f0.Samples != n-1 || audio.Fragments[1].Time != f0.Time+f0.Duration ||
		f0.Duration != x.FragmentAbsoluteDuration-uint64(orig.Moof.Traf.Trun.Samples[0].Dur) {
		t.Fatalf("archived first audio fragment %+v (next at %d): want time 0, %d samples, ending where the next starts",
			f0, audio.Fragments[1].Time, n-1)
	}
	// The stored object: the same samples but the first, byte for byte.
	objs, _ := filepath.Glob(filepath.Join(r.root, "liveasset", "s1-3.live", "*.m4s"))
	slices.Sort(objs)
	if len(objs) == 0 {
		t.Fatal("no archived audio fragment")
	}
	b, err := os.ReadFile(objs[0])
	if err != nil {
		t.Fatal(err)
	}
	kept := decodeFragment(t, b)
	if x := tfxdOf(kept); x == nil || x.FragmentAbsoluteTime != 0 || x.FragmentAbsoluteDuration != f0.Duration {
		t.Errorf("archived tfxd %+v, want time 0 duration %d", x, f0.Duration)
	}
	want, got := samples(t, orig)[1:], samples(t, kept)
	if len(got) != len(want) {
		t.Fatalf("archived %d samples, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("archived sample %d differs from the feed's sample %d", i, i+1)
		}
	}
}

func decodeFragment(t *testing.T, b []byte) *mp4.Fragment {
	t.Helper()
	f, err := mp4.DecodeFile(bytes.NewReader(b))
	if err != nil || len(f.Segments) != 1 || len(f.Segments[0].Fragments) != 1 {
		t.Fatalf("mp4ff reads the fragment as %v, %v", f, err)
	}
	return f.Segments[0].Fragments[0]
}

func tfxdOf(f *mp4.Fragment) *mp4.TfxdData {
	for _, c := range f.Moof.Traf.Children {
		if u, ok := c.(*mp4.UUIDBox); ok && u.Tfxd != nil {
			return u.Tfxd
		}
	}
	return nil
}

// samples cuts a single-traf fragment's mdat by its trun's sample sizes.
func samples(t *testing.T, f *mp4.Fragment) [][]byte {
	t.Helper()
	tr := f.Moof.Traf.Trun
	off := int(tr.DataOffset) - int(f.Moof.Size()) - int(f.Mdat.HeaderSize())
	var out [][]byte
	for _, s := range tr.Samples {
		if off < 0 || off+int(s.Size) > len(f.Mdat.Data) {
			t.Fatalf("sample at %d+%d outside the mdat of %d bytes", off, s.Size, len(f.Mdat.Data))
		}
		out = append(out, f.Mdat.Data[off:off+int(s.Size)])
		off += int(s.Size)
	}
	return out
}
