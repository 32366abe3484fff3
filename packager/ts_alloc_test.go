//go:build !race

package packager_test

import (
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/packager"
)

// TestAllocsAppendSegmentTS: with a warm buffer and Scratch, a TS segment
// allocates nothing: every fragment of every track of demo and hevc alone,
// the demo videos with audio muxed in, clear and SAMPLE-AES (H.264, AAC).
func TestAllocsAppendSegmentTS(t *testing.T) {
	k, err := crypto.NewKey(testKey[:])
	if err != nil {
		t.Fatal(err)
	}
	saes := packager.TSOptions{Encrypter: k, IV: [16]byte{7}}
	type run struct {
		name      string
		tr, audio *packager.Track
		o         packager.TSOptions
	}
	var runs []run
	for _, name := range []string{"demo", "hevc"} {
		a := openAsset(t, name)
		var firstAudio *packager.Track
		for _, tr := range a.Tracks {
			if tr.Kind == packager.Audio && firstAudio == nil {
				firstAudio = tr
			}
		}
		for _, tr := range a.Tracks {
			runs = append(runs, run{name + " " + tr.Name + " clear", tr, nil, packager.TSOptions{}})
			if tr.Codecs[:4] != "hvc1" && tr.Codecs[:4] != "hev1" {
				runs = append(runs, run{name + " " + tr.Name + " sample-aes", tr, nil, saes})
			}
			if tr.Kind == packager.Video {
				runs = append(runs, run{name + " " + tr.Name + " muxed", tr, firstAudio, packager.TSOptions{}})
				if name == "demo" {
					runs = append(runs, run{name + " " + tr.Name + " muxed sample-aes", tr, firstAudio, saes})
				}
			}
		}
	}
	for _, r := range runs {
		s := packager.AcquireScratch()
		var buf []byte
		for i := range r.tr.Fragments { // warm the scratch and the track state
			if buf, err = r.tr.AppendSegmentTS(buf[:0], i, r.audio, r.o, s); err != nil {
				t.Fatalf("%s: %v", r.name, err)
			}
		}
		buf = make([]byte, 0, 2*cap(buf)+1<<20)
		n := testing.AllocsPerRun(20, func() {
			for i := range r.tr.Fragments {
				buf, _ = r.tr.AppendSegmentTS(buf[:0], i, r.audio, r.o, s)
			}
		})
		if n != 0 {
			t.Errorf("%s: %v allocs per run", r.name, n)
		}
		packager.ReleaseScratch(s)
	}
}
