package packager_test

import (
	"bytes"
	stdaes "crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// trickAsset makes, under a new root, the asset "trick": H.264 320x180 at
// 25 fps with a 1 s GOP in 2 s fragments (two key frames a fragment, so
// its segments are written as two chunks), and an AAC track.
func trickAsset(t testing.TB) string {
	t.Helper()
	ff := needFFmpeg(t)
	root := t.TempDir()
	dir := filepath.Join(root, "trick")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	frag := []string{"-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"}
	for _, args := range [][]string{
		append([]string{"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=6", "-c:v", "libx264",
			"-preset", "veryfast", "-pix_fmt", "yuv420p", "-bf", "0", "-g", "25", "-keyint_min", "25",
			"-sc_threshold", "0", "-x264-params", "threads=1", "-min_frag_duration", "1500000"},
			append(frag, filepath.Join(dir, "video.mp4"))...),
		append([]string{"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=6", "-c:a", "aac",
			"-b:a", "96k", "-frag_duration", "2000000"}, append(frag, filepath.Join(dir, "audio.mp4"))...),
	} {
		cmd := exec.Command(ff, append([]string{"-nostdin", "-loglevel", "error", "-y"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
	}
	return root
}

func trickTracks(t testing.TB) (video, audio *packager.Track) {
	t.Helper()
	lib := packager.NewLibrary(localStore(trickAsset(t)), 4)
	t.Cleanup(func() { lib.Close() })
	a, err := lib.Asset("trick")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range a.Tracks {
		if tr.Kind == packager.Video {
			video = tr
		} else {
			audio = tr
		}
	}
	if video == nil || audio == nil || video.KeyCount != 6 || video.KeyBitrate <= 0 || video.KeyPeakBitrate < video.KeyBitrate {
		t.Fatalf("trick asset: video %+v", video)
	}
	return video, audio
}

// topBoxTypes lists the top-level boxes of b.
func topBoxTypes(t *testing.T, b []byte) (types []string, offs []int) {
	t.Helper()
	for off := 0; off < len(b); {
		if len(b)-off < 8 {
			t.Fatalf("%d bytes left at %d", len(b)-off, off)
		}
		n := int(binary.BigEndian.Uint32(b[off:]))
		if n < 8 || off+n > len(b) {
			t.Fatalf("box of %d bytes at %d of %d", n, off, len(b))
		}
		types, offs = append(types, string(b[off+4:off+8])), append(offs, off)
		off += n
	}
	return types, offs
}

// TestKeyFramesCMAFChunks: a fragment with two key frames is written as two
// chunks, the second on a 16-byte boundary after a free box; the I-frame
// entries AppendKeyFrames gives are those chunks' moof, mdat header and key
// sample, inside the segment AppendSegment serves, for every scheme.
func TestKeyFramesCMAFChunks(t *testing.T) {
	video, _ := trickTracks(t)
	schemes := []packager.Scheme{packager.SchemeNone, packager.SchemeCENC, packager.SchemeCBCS, packager.SchemeAES128}
	for _, sc := range schemes {
		var p *packager.Protection
		if sc != packager.SchemeNone {
			p = testEncryption(t, sc)
		}
		for i := range video.Fragments {
			kfs, seg, err := video.AppendKeyFrames(nil, nil, i, packager.CMAF, p, nil)
			if err != nil {
				t.Fatalf("%s fragment %d: %v", sc, i, err)
			}
			served, err := video.AppendSegment(nil, i, packager.CMAF, p, nil)
			if err != nil || !bytes.Equal(served, seg) {
				t.Fatalf("%s fragment %d: the segment AppendKeyFrames wrote is not the one served (%v)", sc, i, err)
			}
			if len(kfs) != 2 {
				t.Fatalf("%s fragment %d: %d entries, want 2", sc, i, len(kfs))
			}
			fr := video.Fragments[i]
			if kfs[0].Time != fr.Time || kfs[1].Time != fr.Time+fr.Duration/2 || kfs[0].Duration+kfs[1].Duration != fr.Duration {
				t.Errorf("%s fragment %d: entry times %d+%d, %d+%d in [%d, +%d)", sc, i, kfs[0].Time, kfs[0].Duration, kfs[1].Time, kfs[1].Duration, fr.Time, fr.Duration)
			}
			for k, kf := range kfs {
				if kf.Offset < 0 || kf.Length <= 0 || kf.Offset+kf.Length > int64(len(seg)) {
					t.Fatalf("%s fragment %d entry %d: %d@%d outside the segment of %d bytes", sc, i, k, kf.Length, kf.Offset, len(seg))
				}
			}
			clearSeg := seg
			if sc == packager.SchemeAES128 {
				clearSeg, _ = video.AppendSegment(nil, i, packager.CMAF, nil, nil)
				blk, _ := stdaes.NewCipher(testKey[:])
				for k, kf := range kfs {
					if kf.Offset%16 != 0 || kf.Length%16 != 0 {
						t.Fatalf("fragment %d entry %d: %d@%d is not whole cipher blocks", i, k, kf.Length, kf.Offset)
					}
					dec := make([]byte, kf.Length)
					cipher.NewCBCDecrypter(blk, kf.IV[:]).CryptBlocks(dec, seg[kf.Offset:kf.Offset+kf.Length])
					n := min(int64(len(dec)), int64(len(clearSeg))-kf.Offset)
					if !bytes.Equal(dec[:n], clearSeg[kf.Offset:kf.Offset+n]) {
						t.Fatalf("fragment %d entry %d: the range does not decrypt alone with its IV", i, k)
					}
				}
			}
			types, offs := topBoxTypes(t, clearSeg)
			want := []string{"styp", "moof", "mdat", "free", "moof", "mdat"}
			if len(types) == 5 && offs[3]%16 == 0 { // aligned already: no free box
				want = []string{"styp", "moof", "mdat", "moof", "mdat"}
			}
			if len(types) != len(want) {
				t.Fatalf("%s fragment %d: boxes %v, want %v", sc, i, types, want)
			}
			for k := range want {
				if types[k] != want[k] {
					t.Fatalf("%s fragment %d: boxes %v, want %v", sc, i, types, want)
				}
			}
			second := offs[len(offs)-2]
			if sc != packager.SchemeAES128 && (kfs[0].Offset != 0 || kfs[1].Offset != int64(second) || second%16 != 0) {
				t.Errorf("%s fragment %d: entries at %d and %d, second moof at %d", sc, i, kfs[0].Offset, kfs[1].Offset, second)
			}
		}
	}
}

// TestKeyFramesOnly: CMAFKeyFrames keeps the key samples, lasting until the
// next, so the trick segment spans the fragment.
func TestKeyFramesOnly(t *testing.T) {
	video, _ := trickTracks(t)
	for i := range video.Fragments {
		seg, err := video.AppendSegment(nil, i, packager.CMAFKeyFrames, testEncryption(t, packager.SchemeCENC), nil)
		if err != nil {
			t.Fatal(err)
		}
		types, offs := topBoxTypes(t, seg)
		if len(types) != 3 || types[1] != "moof" {
			t.Fatalf("fragment %d: %v, want styp moof mdat", i, types)
		}
		// trun sample_count: the moof's traf's trun.
		moof := seg[offs[1]:offs[2]]
		at := bytes.Index(moof, []byte("trun"))
		if n := binary.BigEndian.Uint32(moof[at+8:]); n != 2 {
			t.Errorf("fragment %d: %d samples, want the 2 key samples", i, n)
		}
	}
}

// TestKeyFramesTS: TS entries are whole PES packet runs, the first with
// the PAT and PMT; AppendPSI is those two packets.
func TestKeyFramesTS(t *testing.T) {
	video, audio := trickTracks(t)
	for _, out := range []packager.Output{packager.TS, packager.TSWithAudio(audio)} {
		psi, err := video.AppendPSI(nil, out, nil)
		if err != nil || len(psi) != 376 {
			t.Fatalf("%v: PSI of %d bytes (%v)", out, len(psi), err)
		}
		for i := range video.Fragments {
			kfs, seg, err := video.AppendKeyFrames(nil, nil, i, out, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(kfs) != 2 || kfs[0].Offset != 0 || kfs[1].Offset%188 != 0 || kfs[1].Offset < kfs[0].Length {
				t.Fatalf("%v fragment %d: entries %+v", out, i, kfs)
			}
			if !bytes.Equal(seg[:376], psi[:376]) && i == 0 {
				t.Errorf("%v: AppendPSI is not segment 0's PAT and PMT", out)
			}
			for k, kf := range kfs {
				if kf.Length%188 != 0 || kf.Offset+kf.Length > int64(len(seg)) || seg[kf.Offset] != 0x47 {
					t.Fatalf("%v fragment %d entry %d: %d@%d in %d bytes", out, i, k, kf.Length, kf.Offset, len(seg))
				}
			}
		}
	}
}
