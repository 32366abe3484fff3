package packager_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

type wantTrack struct {
	name        string
	kind        packager.Kind
	bitrate     int // 0: measured, checked to be within 25% of approx
	approx      int
	codecs      string
	fourCC      string
	cpdPrefix   string
	w, h        int
	fpsN, fpsD  int
	rate, chans int
	lang        string
	frags       int
	from        string
}

func TestAssetIndex(t *testing.T) {
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 2)
	defer lib.Close()
	cases := []struct {
		asset, manifest string
		tracks          []wantTrack
	}{
		{"demo", "demo", []wantTrack{
			{"video", packager.Video, 600000, 0, "avc1.64001E", "H264", "000000016764001E", 640, 360, 25, 1, 0, 0, "und", 4, "mfra"},
			{"video", packager.Video, 250000, 0, "avc1.64000C", "H264", "000000016764000C", 320, 180, 25, 1, 0, 0, "und", 4, "mfra"},
			{"audio_eng", packager.Audio, 96000, 0, "mp4a.40.2", "AACL", "1190", 0, 0, 0, 0, 48000, 2, "eng", 4, "mfra"},
			{"audio_fra", packager.Audio, 96000, 0, "mp4a.40.2", "AACL", "1190", 0, 0, 0, 0, 48000, 2, "fra", 4, "mfra"},
		}},
		{"hevc", "hevc", []wantTrack{
			{"video", packager.Video, 0, 200000, "hvc1.1.6.L60.90", "HEVC", "0000000140010C01", 320, 180, 25, 1, 0, 0, "und", 2, "sidx"},
			{"audio", packager.Audio, 0, 96000, "mp4a.40.2", "AACL", "1190", 0, 0, 0, 0, 48000, 2, "eng", 3, "walk"},
		}},
	}
	for _, c := range cases {
		a, err := lib.Asset(c.asset)
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != c.asset || a.ManifestName != c.manifest || len(a.Tracks) != len(c.tracks) {
			t.Fatalf("%s: name %q manifest %q, %d tracks", c.asset, a.Name, a.ManifestName, len(a.Tracks))
		}
		for i, w := range c.tracks {
			tr := a.Tracks[i]
			got := wantTrack{tr.Name, tr.Kind, tr.Bitrate, w.approx, tr.Codecs, tr.FourCC, w.cpdPrefix,
				tr.Width, tr.Height, tr.FrameRateNum, tr.FrameRateDen, tr.SampleRate, tr.Channels, tr.Language, len(tr.Fragments), tr.IndexedFrom}
			if w.bitrate == 0 {
				got.bitrate = 0
				if d := tr.Bitrate - w.approx; d < -w.approx/4 || d > w.approx/4 {
					t.Errorf("%s track %d: measured bitrate %d, want about %d", c.asset, i, tr.Bitrate, w.approx)
				}
			}
			if got != w {
				t.Errorf("%s track %d:\n got %+v\nwant %+v", c.asset, i, got, w)
			}
			if !strings.HasPrefix(tr.CodecPrivateData, w.cpdPrefix) {
				t.Errorf("%s track %d: CodecPrivateData %s", c.asset, i, tr.CodecPrivateData)
			}
			if tr.PeakBitrate < tr.Bitrate*9/10 || tr.TrackID != 1 || len(tr.Init) == 0 {
				t.Errorf("%s track %d: peak %d bitrate %d id %d", c.asset, i, tr.PeakBitrate, tr.Bitrate, tr.TrackID)
			}
			var next uint64
			for j, f := range tr.Fragments {
				if f.Time != next || f.Duration == 0 || f.Samples == 0 || f.Size <= 0 {
					t.Errorf("%s track %d fragment %d: %+v", c.asset, i, j, f)
				}
				next = f.Time + f.Duration
				if k, ok := tr.FragmentAt(f.Time); !ok || k != j {
					t.Errorf("FragmentAt(%d) = %d, %v", f.Time, k, ok)
				}
				if _, ok := tr.FragmentAt(f.Time + 1); ok {
					t.Errorf("FragmentAt(%d) found an inexact time", f.Time+1)
				}
			}
		}
		if tr := a.Track(strings.ToUpper(c.tracks[0].name), a.Tracks[0].Bitrate); tr != a.Tracks[0] {
			t.Errorf("%s: Track(%q, %d) did not find the first track", c.asset, c.tracks[0].name, a.Tracks[0].Bitrate)
		}
		if a.Track(c.tracks[0].name, 1) != nil {
			t.Errorf("%s: Track with a wrong bitrate found one", c.asset)
		}
	}
	// HEVC parameter sets: VPS, SPS, PPS and no SEI.
	a, _ := lib.Asset("hevc")
	cpd := a.Tracks[0].CodecPrivateData
	if !strings.Contains(cpd, "0000000142") || !strings.Contains(cpd, "0000000144") || strings.Contains(cpd, "000000014E") {
		t.Errorf("HEVC CodecPrivateData %s", cpd)
	}
}

func TestAssetNames(t *testing.T) {
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 2)
	defer lib.Close()
	for _, n := range []string{"", ".", "..", "../media", "demo/..", "a\\b", "a\x00b", ".hidden", strings.Repeat("a", 300)} {
		if _, err := lib.Asset(n); !errors.Is(err, packager.ErrInvalidName) {
			t.Errorf("Asset(%q): %v, want ErrInvalidName", n, err)
		}
	}
	for _, n := range []string{"nosuch", "demo.ism"} {
		if _, err := lib.Asset(n); !errors.Is(err, packager.ErrAssetNotFound) {
			t.Errorf("Asset(%q): %v, want ErrAssetNotFound", n, err)
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNamingWithoutISM: the demo's files without demo.ism get measured
// bitrates, video first by descending bitrate, audio_{lang} names; two audio
// tracks with one language and one bitrate get distinct bitrates.
func TestNamingWithoutISM(t *testing.T) {
	root := t.TempDir()
	demo := filepath.Join(mediaRoot(t), "demo")
	for _, f := range []string{"video_320x180.mp4", "video_640x360.mp4", "audio_fra.mp4", "audio_eng.mp4"} {
		copyFile(t, filepath.Join(demo, f), filepath.Join(root, "noism", f))
	}
	copyFile(t, filepath.Join(demo, "audio_eng.mp4"), filepath.Join(root, "twins", "a.cmfa"))
	copyFile(t, filepath.Join(demo, "audio_eng.mp4"), filepath.Join(root, "twins", "b.isma"))
	copyFile(t, filepath.Join(demo, "demo.ism"), filepath.Join(root, "twoism", "a.ism"))
	copyFile(t, filepath.Join(demo, "demo.ism"), filepath.Join(root, "twoism", "b.ism"))
	lib := packager.NewLibrary(localStore(root), 8)
	defer lib.Close()

	a, err := lib.Asset("noism")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tr := range a.Tracks {
		names = append(names, tr.Name)
	}
	if got := strings.Join(names, ","); got != "video,video,audio_eng,audio_fra" || a.ManifestName != "noism" {
		t.Errorf("names %s, manifest name %s", got, a.ManifestName)
	}
	if a.Tracks[0].Width != 640 || a.Tracks[0].Bitrate <= a.Tracks[1].Bitrate {
		t.Errorf("video not by descending bitrate: %d, %d", a.Tracks[0].Bitrate, a.Tracks[1].Bitrate)
	}

	a, err = lib.Asset("twins")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Tracks) != 2 || a.Tracks[0].Name != "audio" || a.Tracks[1].Name != "audio" ||
		a.Tracks[1].Bitrate != a.Tracks[0].Bitrate+1 {
		t.Errorf("twins: %s %d, %s %d", a.Tracks[0].Name, a.Tracks[0].Bitrate, a.Tracks[1].Name, a.Tracks[1].Bitrate)
	}

	if _, err := lib.Asset("twoism"); !errors.Is(err, packager.ErrCorrupt) {
		t.Errorf("two .ism: %v, want ErrCorrupt", err)
	}
}

func TestISMTraversal(t *testing.T) {
	root := t.TempDir()
	copyFile(t, filepath.Join(mediaRoot(t), "demo", "audio_eng.mp4"), filepath.Join(root, "secret.mp4"))
	for _, src := range []string{"../secret.mp4", "/etc/passwd", "sub/x.mp4", "..\\secret.mp4", "missing.mp4", "x.txt"} {
		ism := `<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><body><switch><audio src="` + src + `" systemBitrate="1"/></switch></body></smil>`
		if err := os.MkdirAll(filepath.Join(root, "bad"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "bad", "bad.ism"), []byte(ism), 0o644); err != nil {
			t.Fatal(err)
		}
		lib := packager.NewLibrary(localStore(root), 1)
		if a, err := lib.Asset("bad"); err == nil {
			t.Errorf("src %q: asset with %d tracks, want an error", src, len(a.Tracks))
		}
		lib.Close()
	}
}

// TestLibraryConcurrent loads assets from many goroutines through a cache
// smaller than the set, so that assets are evicted while segments are read.
func TestLibraryConcurrent(t *testing.T) {
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 1)
	defer lib.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var buf []byte
			for i := 0; i < 30; i++ {
				name := []string{"demo", "hevc", "legacy", "progressive"}[(g+i)%4]
				a, err := lib.Asset(name)
				if err != nil {
					t.Error(err)
					return
				}
				for _, tr := range a.Tracks {
					for j := range tr.Fragments {
						if buf, err = tr.AppendSegment(buf[:0], j, []packager.Output{packager.CMAF, packager.Smooth}[j%2], nil, nil); err != nil {
							t.Error(err)
							return
						}
					}
				}
			}
		}(g)
	}
	wg.Wait()
	if err := lib.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Asset("demo"); !errors.Is(err, packager.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// TestEvictedTrackStillReads: a Track held across its asset's eviction
// reopens its file for each read, and a library can rebuild the asset.
func TestEvictedTrackStillReads(t *testing.T) {
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 1)
	defer lib.Close()
	a, err := lib.Asset("demo")
	if err != nil {
		t.Fatal(err)
	}
	tr := a.Tracks[2]
	before, err := tr.AppendSegment(nil, 1, packager.Smooth, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Asset("hevc"); err != nil { // evicts demo
		t.Fatal(err)
	}
	after, err := tr.AppendSegment(nil, 1, packager.Smooth, nil, nil)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("after eviction: %v, equal %v", err, bytes.Equal(before, after))
	}
	b, err := lib.Asset("demo")
	if err != nil || b == a {
		t.Fatalf("rebuilt demo: %v, same object %v", err, b == a)
	}
}

// TestLibraryStats: Stats counts cached answers as hits (an indexed asset,
// a remembered failure) and store reads as misses (an index built, a
// missing asset).
func TestLibraryStats(t *testing.T) {
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 4)
	defer lib.Close()
	for range 3 {
		if _, err := lib.Asset("demo"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lib.Asset("no-such-asset"); !errors.Is(err, packager.ErrAssetNotFound) {
		t.Fatal(err)
	}
	if got, want := lib.Stats(), (packager.LibraryStats{Hits: 2, Misses: 2}); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}
