package packager_test

import (
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/packager"
)

// FuzzTSSegment feeds a track file to the indexer and, when it is accepted,
// cuts every fragment as a TS segment: alone, with SAMPLE-AES, and for video
// with the demo's English audio muxed in. It must never panic; a segment
// is whole TS packets, and on error nothing is appended. Seeds: the track
// files under testdata/media, whole when at most maxWholeSeed and cut to
// their first 32 KiB.
//
// `make fuzz` runs it. A crasher lands in testdata/fuzz/FuzzTSSegment/ in
// this package (Go's corpus directory, which plain `go test` replays); it
// is committed there with the commit that fixes it, and listed here with
// that commit. None so far.
func FuzzTSSegment(f *testing.F) {
	root := mediaRoot(f)
	addTrackSeeds(f, root, 32768)
	key, err := crypto.NewKey(testKey[:])
	if err != nil {
		f.Fatal(err)
	}
	demo := packager.NewLibrary(localStore(root), 1)
	f.Cleanup(func() { demo.Close() })
	da, err := demo.Asset("demo")
	if err != nil {
		f.Fatal(err)
	}
	var audio *packager.Track
	for _, tr := range da.Tracks {
		if filepath.Base(tr.Path) == "audio_eng.mp4" {
			audio = tr
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzFile {
			t.Skip()
		}
		lib := packager.NewLibrary(memAsset(t, b), 1)
		defer lib.Close()
		a, err := lib.Asset("a")
		if err != nil {
			return
		}
		s := packager.AcquireScratch()
		defer packager.ReleaseScratch(s)
		buf := []byte("prefix")
		for _, tr := range a.Tracks {
			var muxed []*packager.Track
			if tr.Kind == packager.Video {
				muxed = append(muxed, audio)
			}
			for _, au := range append(muxed, nil) {
				for _, o := range []packager.TSOptions{{}, {Encrypter: key, IV: [16]byte{1}}} {
					for i := range tr.Fragments {
						out, err := tr.AppendSegmentTS(buf, i, au, o, s)
						if err != nil {
							if string(out) != "prefix" {
								t.Fatalf("fragment %d: error %v with %d bytes appended", i, err, len(out)-6)
							}
							continue
						}
						if (len(out)-6)%188 != 0 || len(out) == 6 {
							t.Fatalf("fragment %d: %d bytes of TS", i, len(out)-6)
						}
					}
				}
			}
		}
	})
}
