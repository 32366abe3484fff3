package crypto_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	codech264 "github.com/drmorigin/drmorigin/codec/h264"
	codechevc "github.com/drmorigin/drmorigin/codec/hevc"
	"github.com/drmorigin/drmorigin/crypto"
)

// encryptFMP4 encrypts the single video track of a fragmented MP4 with our
// encryptors, IVs and subsample maps, writing sinf/tenc with mp4ff's
// InitProtect and senc/saiz/saio with mp4ff's boxes (as a packager would),
// and returns the encrypted file.
func encryptFMP4(t *testing.T, src string, key []byte, scheme crypto.Scheme, ivSize int) []byte {
	t.Helper()
	f, err := mp4.ReadMP4File(src)
	if err != nil {
		t.Fatal(err)
	}
	k := mustKey(t, key)
	kid, _ := mp4.NewUUIDFromString("00112233445566778899aabbccddeeff")
	stsd := f.Init.Moov.Trak.Mdia.Minf.Stbl.Stsd
	var c codec
	var ps paramSets
	switch {
	case stsd.AvcX != nil:
		c = h264
		ps, err = codech264.NewParamSets(append(stsd.AvcX.AvcC.SPSnalus, stsd.AvcX.AvcC.PPSnalus...)...)
	case stsd.HvcX != nil:
		c = hevc
		var nalus [][]byte
		for _, a := range stsd.HvcX.HvcC.NaluArrays {
			nalus = append(nalus, a.Nalus...)
		}
		ps, err = codechevc.NewParamSets(nalus...)
	}
	if err != nil {
		t.Fatal(err)
	}
	schemeName := "cenc"
	tencIV := make([]byte, ivSize)
	cbcsIV := k.CBCSConstantIV("asset", "video.mp4")
	if scheme == crypto.SchemeCBCS {
		schemeName = "cbcs"
		tencIV = cbcsIV[:]
	}
	ipd, err := mp4.InitProtect(f.Init, key, tencIV, schemeName, kid, nil)
	if err != nil {
		t.Fatal(err)
	}
	var subs []crypto.Subsample
	for _, seg := range f.Segments {
		for _, frag := range seg.Fragments {
			traf := frag.Moof.Traf
			fss, err := frag.GetFullSamples(ipd.Trex)
			if err != nil {
				t.Fatal(err)
			}
			saiz := mp4.NewSaizBox(len(fss))
			saio := mp4.NewSaioBox()
			senc := mp4.NewSencBox(0, len(fss))
			if scheme == crypto.SchemeCENC {
				senc = mp4.NewSencBox(len(fss), len(fss))
			}
			for _, b := range []mp4.Box{saiz, saio, senc} {
				if err := traf.AddChild(b); err != nil {
					t.Fatal(err)
				}
			}
			fiv := k.FragmentIV("asset", "video.mp4", traf.Tfdt.BaseMediaDecodeTime())
			for i, fs := range fss {
				if subs, err = c.subsamples(subs[:0], fs.Data, ps, scheme); err != nil {
					t.Fatal(err)
				}
				var ivField []byte
				if scheme == crypto.SchemeCENC {
					var iv [16]byte
					if ivSize == 8 {
						iv8 := fiv.SampleIV8(uint32(i))
						copy(iv[:], iv8[:])
						ivField = iv8[:]
					} else {
						iv = fiv.SampleIV16(uint32(i))
						ivField = iv[:]
					}
					err = k.EncryptCENC(fs.Data, iv, subs)
				} else {
					err = k.EncryptCBCS(fs.Data, cbcsIV, subs, crypto.PatternVideo)
				}
				if err != nil {
					t.Fatal(err)
				}
				ssp := toMP4ff(subs)
				if err := senc.AddSample(mp4.SencSample{IV: ivField, SubSamples: ssp}); err != nil {
					t.Fatal(err)
				}
				if err := saiz.AddSampleInfo(ivField, ssp); err != nil {
					t.Fatal(err)
				}
			}
			// saio points at the first sample's data in senc, from the moof.
			offset := uint64(8)
			for _, ch := range frag.Moof.Children {
				if ch.Type() != "traf" {
					offset += ch.Size()
					continue
				}
				offset += 8
				for _, tc := range ch.(*mp4.TrafBox).Children {
					if tc.Type() == "senc" {
						saio.Offset[0] = int64(offset + 16)
					}
					offset += tc.Size()
				}
				break
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// framemd5Pipe decodes data, read from a pipe (ffmpeg 5.1 applies the
// encryption data of fragmented MP4 correctly only when it cannot seek), with
// extra input options.
func framemd5Pipe(t *testing.T, data []byte, extra ...string) []string {
	t.Helper()
	args := append([]string{"-hide_banner", "-loglevel", "quiet"}, extra...)
	args = append(args, "-i", "pipe:0", "-map", "0:v:0", "-f", "framemd5", "-")
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stdin = bytes.NewReader(data)
	out, _ := cmd.Output() // a wrong key may make ffmpeg fail: compare what it gave
	var sums []string
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		f := strings.Split(l, ",")
		sums = append(sums, strings.TrimSpace(f[len(f)-1]))
	}
	return sums
}

// TestFMP4FFmpegDecrypt is the independent-decoder proof of quality.md for
// the sample encryptors: fragmented MP4 clips (H.264 with B frames and
// slices, HEVC with slices and WPP) encrypted with cenc (8- and 16-byte
// derived IVs) and cbcs (constant derived IV, slice-header-exact maps), then
// decrypted by ffmpeg with -decryption_key: every frame equals the clear
// clip's, and with a wrong key they do not.
func TestFMP4FFmpegDecrypt(t *testing.T) {
	needFFmpeg(t)
	key := []byte("0123456789abcdef")
	frag := []string{"-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"}
	clips := []struct {
		name string
		args []string
	}{
		{"h264", []string{"-c:v", "libx264", "-profile:v", "high", "-bf", "3", "-slices", "2", "-x264-params", "keyint=12:weightp=2"}},
		{"hevc", []string{"-c:v", "libx265", "-tag:v", "hvc1", "-x265-params", "log-level=error:keyint=12:bframes=3:slices=2:wpp=1"}},
	}
	for _, c := range clips {
		src := filepath.Join(t.TempDir(), c.name+".mp4")
		args := append([]string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
			"-i", "testsrc2=size=352x288:rate=25", "-t", "2"}, c.args...)
		args = append(append(args, frag...), src)
		if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		clear, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		want := framemd5Pipe(t, clear)
		if len(want) < 40 {
			t.Fatalf("%s: clear clip decodes to %d frames", c.name, len(want))
		}
		for _, s := range []struct {
			name   string
			scheme crypto.Scheme
			ivSize int
		}{{"cenc-iv8", crypto.SchemeCENC, 8}, {"cenc-iv16", crypto.SchemeCENC, 16}, {"cbcs", crypto.SchemeCBCS, 0}} {
			t.Run(c.name+"/"+s.name, func(t *testing.T) {
				enc := encryptFMP4(t, src, key, s.scheme, s.ivSize)
				got := framemd5Pipe(t, enc, "-decryption_key", hex.EncodeToString(key))
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("ffmpeg decrypts to %d frames differing from the clear %d", len(got), len(want))
				}
				bad := framemd5Pipe(t, enc, "-decryption_key", hex.EncodeToString([]byte("0123456789abcdeX")))
				if strings.Join(bad, ",") == strings.Join(want, ",") {
					t.Fatal("a wrong key decrypts too")
				}
			})
		}
	}
}
