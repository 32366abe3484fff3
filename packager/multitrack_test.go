package packager_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// TestFragmentedMultiTrack: a fragmented MP4 holding video and audio (a
// traf of each in every moof, as ffmpeg writes it, with
// default-base-is-moof or with absolute base_data_offsets) gives the asset
// both tracks, each of which decodes, clear and encrypted, to its stream of
// the source.
func TestFragmentedMultiTrack(t *testing.T) {
	ff := needFFmpeg(t)
	for _, flags := range []string{"+frag_keyframe+empty_moov+default_base_moof", "+frag_keyframe+empty_moov"} {
		t.Run(flags, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "mt")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			src := filepath.Join(dir, "av.mp4")
			cmd := exec.Command(ff, "-nostdin", "-loglevel", "error", "-y",
				"-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=6",
				"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=6",
				"-c:v", "libx264", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
				"-x264-params", "threads=1", "-c:a", "aac", "-aac_pns", "0", "-b:a", "96k",
				"-fflags", "+bitexact", "-movflags", flags, src)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg: %v: %s", err, out)
			}
			lib := packager.NewLibrary(localStore(root), 2)
			defer lib.Close()
			a, err := lib.Asset("mt")
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Tracks) != 2 || a.Tracks[0].Kind != packager.Video || a.Tracks[1].Kind != packager.Audio {
				t.Fatalf("%d tracks, want video and audio", len(a.Tracks))
			}
			for _, tr := range a.Tracks {
				if len(tr.Fragments) < 3 || tr.Bitrate <= 0 || tr.Bitrate > 400000 {
					t.Errorf("%s: %d fragments, bitrate %d", tr.Name, len(tr.Fragments), tr.Bitrate)
				}
				want := frameHashes(framemd5Of(t, src, nil, "-map", "0:"+tr.Kind.String()[:1]+":0"))
				for _, sc := range []packager.Scheme{packager.SchemeNone, packager.SchemeCENC, packager.SchemePIFF} {
					out := outputOf(sc)
					var p *packager.Protection
					var key []byte
					if sc != packager.SchemeNone {
						p, key = testEncryption(t, sc), testKey[:]
					}
					t.Run(fmt.Sprintf("%s/%v", tr.Name, sc), func(t *testing.T) {
						stream := clearStream(t, tr, out)
						if p != nil {
							stream = encStream(t, tr, p)
						}
						got, err := frameMD5(t, stream, key)
						if err != nil {
							t.Fatal(err)
						}
						if len(got) != len(want) {
							t.Fatalf("%d frames, want %d", len(got), len(want))
						}
						for i := range want {
							if got[i] != want[i][len(want[i])-32:] { // frameHashes: size,hash
								t.Fatalf("frame %d differs", i)
							}
						}
					})
				}
			}
		})
	}
}
