package packager_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/drm"
	"github.com/drmorigin/drmorigin/packager"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

var (
	testKey   = [16]byte{0x3c, 0x1a, 0x55, 0x0e, 0x81, 0x7f, 0x22, 0x94, 0xd6, 0x0b, 0xaa, 0x13, 0x5e, 0x77, 0xc2, 0x48}
	wrongKey  = [16]byte{0x3c, 0x1a, 0x55, 0x0e, 0x81, 0x7f, 0x22, 0x94, 0xd6, 0x0b, 0xaa, 0x13, 0x5e, 0x77, 0xc2, 0x49}
	testKID   = [16]byte{0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02, 0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2, 0xfb, 0x4b}
	allSchems = []packager.Scheme{packager.SchemeCENC, packager.SchemeCBCS, packager.SchemePIFF}
)

// testEncryption is the Encryption of the tests: testKey, testKID and a
// common-system pssh.
func testEncryption(t testing.TB, s packager.Scheme) *packager.Protection {
	t.Helper()
	k, err := crypto.NewKey(testKey[:])
	if err != nil {
		t.Fatal(err)
	}
	return &packager.Protection{
		Scheme: s, KID: testKID, Key: k, Asset: "demo",
		PSSH: [][]byte{drm.CommonPSSH([][16]byte{testKID})},
	}
}

func outputOf(s packager.Scheme) packager.Output {
	if s == packager.SchemePIFF {
		return packager.Smooth
	}
	return packager.CMAF
}

// openAsset returns an indexed testdata asset.
func openAsset(t testing.TB, name string) *packager.Asset {
	t.Helper()
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 4)
	t.Cleanup(func() { lib.Close() })
	a, err := lib.Asset(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// clearStream is the track's clear init and all its segments in form out.
func clearStream(t testing.TB, tr *packager.Track, out packager.Output) []byte {
	t.Helper()
	b, err := tr.AppendInit(nil, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tr.Fragments {
		if b, err = tr.AppendSegment(b, i, out, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// encStream is the track's encrypted init and all its segments.
func encStream(t testing.TB, tr *packager.Track, e *packager.Protection) []byte {
	t.Helper()
	out := outputOf(e.Scheme)
	b, err := tr.AppendInit(nil, out, e)
	if err != nil {
		t.Fatal(err)
	}
	s := packager.AcquireScratch()
	defer packager.ReleaseScratch(s)
	for i := range tr.Fragments {
		if b, err = tr.AppendSegment(b, i, out, e, s); err != nil {
			t.Fatalf("%s fragment %d: %v", tr.Path, i, err)
		}
	}
	return b
}

// frameMD5 decodes stream from a pipe (ffmpeg decrypts fMP4 only when it
// reads non-seekable input) and returns the per-frame MD5s. key is empty
// for clear input.
func frameMD5(t *testing.T, stream []byte, key []byte) ([]string, error) {
	t.Helper()
	args := []string{"-hide_banner", "-v", "error"}
	if key != nil {
		args = append(args, "-decryption_key", hex.EncodeToString(key))
	}
	args = append(args, "-i", "pipe:0", "-f", "framemd5", "-")
	cmd := exec.Command(needFFmpeg(t), args...)
	cmd.Stdin = bytes.NewReader(stream)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ffmpeg: %v: %s", err, stderr.String())
	}
	var md5s []string
	for _, line := range strings.Split(string(outb), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		md5s = append(md5s, strings.TrimSpace(f[len(f)-1]))
	}
	return md5s, nil
}

// TestEncryptedDecodesWithFFmpeg: for every track of the demo (H.264, AAC),
// hevc and legacy (absolute base_data_offset: the moof shrinks in the
// rewrite) assets and every scheme, ffmpeg decrypts our init and segments
// to the frames of the clear source, and with a wrong key it does not.
func TestEncryptedDecodesWithFFmpeg(t *testing.T) {
	for _, name := range []string{"demo", "hevc", "legacy"} {
		a := openAsset(t, name)
		for _, tr := range a.Tracks {
			for _, sc := range allSchems {
				t.Run(fmt.Sprintf("%s/%s/%s", name, filepath.Base(tr.Path), sc), func(t *testing.T) {
					t.Parallel()
					out := outputOf(sc)
					want, err := frameMD5(t, clearStream(t, tr, out), nil)
					if err != nil {
						t.Fatal(err)
					}
					if len(want) < len(tr.Fragments) {
						t.Fatalf("clear decode gave %d frames", len(want))
					}
					enc := encStream(t, tr, testEncryption(t, sc))
					got, err := frameMD5(t, enc, testKey[:])
					if err != nil {
						t.Fatal(err)
					}
					if !slicesEqual(got, want) {
						t.Fatalf("decrypted frames differ from the clear source (%d vs %d frames, first diff at %d)",
							len(got), len(want), firstDiff(got, want))
					}
					bad, err := frameMD5(t, enc, wrongKey[:])
					if err == nil && slicesEqual(bad, want) {
						t.Fatal("a wrong key decodes to the clear frames")
					}
				})
			}
		}
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// mdatPayload returns the payload of the last top-level box (the mdat) of a
// segment.
func mdatPayload(t *testing.T, seg []byte) []byte {
	t.Helper()
	boxes := topBoxes(t, seg)
	m, ok := boxes[len(boxes)-1].(*mp4.MdatBox)
	if !ok {
		t.Fatal("segment does not end with mdat")
	}
	return m.Data
}

// TestEncryptedMP4ffDecrypt decrypts our cenc and cbcs output with mp4ff
// (an independent implementation) and compares the mdat bytes with the
// clear segments.
func TestEncryptedMP4ffDecrypt(t *testing.T) {
	for _, name := range []string{"demo", "hevc", "legacy"} {
		a := openAsset(t, name)
		for _, tr := range a.Tracks {
			for _, sc := range []packager.Scheme{packager.SchemeCENC, packager.SchemeCBCS} {
				e := testEncryption(t, sc)
				enc := encStream(t, tr, e)
				f, err := mp4.DecodeFile(bytes.NewReader(enc))
				if err != nil {
					t.Fatal(err)
				}
				di, err := mp4.DecryptInit(f.Init)
				if err != nil {
					t.Fatal(err)
				}
				if len(f.Segments) != len(tr.Fragments) {
					t.Fatalf("%d segments, want %d", len(f.Segments), len(tr.Fragments))
				}
				for i, seg := range f.Segments {
					encMdat := append([]byte(nil), seg.Fragments[0].Mdat.Data...)
					if err := mp4.DecryptSegment(seg, di, testKey[:]); err != nil {
						t.Fatalf("%s %s fragment %d: %v", tr.Path, sc, i, err)
					}
					clearSeg, err := tr.AppendSegment(nil, i, packager.CMAF, nil, nil)
					if err != nil {
						t.Fatal(err)
					}
					want := mdatPayload(t, clearSeg)
					if !bytes.Equal(seg.Fragments[0].Mdat.Data, want) {
						t.Fatalf("%s %s fragment %d: mp4ff-decrypted samples differ from the source", tr.Path, sc, i)
					}
					if bytes.Equal(encMdat, want) {
						t.Fatalf("%s %s fragment %d: mdat not encrypted", tr.Path, sc, i)
					}
				}
			}
		}
	}
}

// encInfo is what the property checks read from one encrypted segment.
func sencOf(t *testing.T, seg []byte, ivSize byte) (*mp4.TrafBox, *mp4.SencBox) {
	t.Helper()
	var moof *mp4.MoofBox
	for _, b := range topBoxes(t, seg) {
		if m, ok := b.(*mp4.MoofBox); ok {
			moof = m
		}
	}
	if moof == nil || moof.Traf == nil {
		t.Fatal("no moof/traf")
	}
	traf := moof.Traf
	if has, parsed := traf.ContainsSencBox(); has && !parsed {
		if err := traf.ParseReadSenc(ivSize, moof.StartPos); err != nil {
			t.Fatal(err)
		}
	}
	if traf.Senc != nil {
		return traf, traf.Senc
	}
	if traf.UUIDSenc != nil {
		return traf, traf.UUIDSenc.Senc
	}
	t.Fatal("no senc")
	return nil, nil
}

// TestEncryptedProperties checks the sample auxiliary information: box
// order, saiz sizes and the saio offset pointing at the first senc entry,
// subsample maps covering each sample, whole 16-byte blocks protected in
// cenc video, and cenc IVs unique over every sample of every fragment of
// every track sharing the key (the demo's tracks, and the hevc asset's under
// the same key and asset name).
func TestEncryptedProperties(t *testing.T) {
	seen := map[[8]byte]string{}
	for _, name := range []string{"demo", "hevc", "legacy"} {
		a := openAsset(t, name)
		for _, tr := range a.Tracks {
			for _, sc := range allSchems {
				e := testEncryption(t, sc)
				out := outputOf(sc)
				s := packager.AcquireScratch()
				for i := range tr.Fragments {
					seg, err := tr.AppendSegment(nil, i, out, e, s)
					if err != nil {
						t.Fatal(err)
					}
					ivs := byte(8)
					if sc == packager.SchemeCBCS {
						ivs = 0
						if tr.Kind == packager.Audio {
							checkNoAux(t, seg)
							continue
						}
					}
					traf, senc := sencOf(t, seg, ivs)
					checkTrafOrder(t, traf, sc)
					if sc == packager.SchemePIFF {
						checkPIFFCopy(t, traf)
					}
					clearSeg, _ := tr.AppendSegment(nil, i, out, nil, nil)
					moofStart := 0
					if out == packager.CMAF {
						moofStart = 28
					}
					checkAux(t, seg[moofStart:], traf, senc, ivs)
					sizes := sampleSizes(t, clearSeg)
					if int(senc.SampleCount) != len(sizes) {
						t.Fatalf("senc has %d samples, trun %d", senc.SampleCount, len(sizes))
					}
					for k, sz := range sizes {
						if len(senc.SubSamples) > 0 {
							tot := 0
							for _, ss := range senc.SubSamples[k] {
								tot += int(ss.BytesOfClearData) + int(ss.BytesOfProtectedData)
								if sc != packager.SchemeCBCS && ss.BytesOfProtectedData%16 != 0 {
									t.Fatalf("%s %s frag %d sample %d: protected range of %d bytes", tr.Path, sc, i, k, ss.BytesOfProtectedData)
								}
							}
							if tot != int(sz) {
								t.Fatalf("%s %s frag %d sample %d: subsamples cover %d of %d bytes", tr.Path, sc, i, k, tot, sz)
							}
						} else if tr.Kind == packager.Video {
							t.Fatalf("%s %s: video sample without subsamples", tr.Path, sc)
						}
						if sc == packager.SchemeCENC {
							var iv [8]byte
							copy(iv[:], senc.IVs[k])
							where := fmt.Sprintf("%s frag %d sample %d", tr.Path, i, k)
							if prev, dup := seen[iv]; dup {
								t.Fatalf("IV %x of %s repeats that of %s", iv, where, prev)
							}
							seen[iv] = where
						}
					}
				}
				packager.ReleaseScratch(s)
			}
		}
	}
	if len(seen) < 1000 {
		t.Fatalf("only %d IVs checked", len(seen))
	}
	// cbcs: one constant IV per track, different for every track under
	// the key.
	constIVs := map[string]string{}
	for _, name := range []string{"demo", "hevc"} {
		for _, tr := range openAsset(t, name).Tracks {
			init, err := tr.AppendInit(nil, packager.CMAF, testEncryption(t, packager.SchemeCBCS))
			if err != nil {
				t.Fatal(err)
			}
			f, err := mp4.DecodeFile(bytes.NewReader(init))
			if err != nil {
				t.Fatal(err)
			}
			sinf := f.Init.Moov.GetSinf(tr.TrackID)
			if sinf == nil || sinf.Schi == nil || sinf.Schi.Tenc == nil {
				t.Fatalf("%s: no tenc", tr.Path)
			}
			iv := hex.EncodeToString(sinf.Schi.Tenc.DefaultConstantIV)
			if len(iv) != 32 {
				t.Fatalf("%s: constant IV %s", tr.Path, iv)
			}
			if prev, dup := constIVs[iv]; dup {
				t.Fatalf("cbcs constant IV of %s repeats that of %s", tr.Path, prev)
			}
			constIVs[iv] = tr.Path
		}
	}
}

// checkPIFFCopy checks that the PIFF sample encryption box holds exactly the
// entries of senc.
func checkPIFFCopy(t *testing.T, traf *mp4.TrafBox) {
	t.Helper()
	var sencB, piffB bytes.Buffer
	if err := traf.Senc.Encode(&sencB); err != nil {
		t.Fatal(err)
	}
	for _, c := range traf.Children {
		if u, ok := c.(*mp4.UUIDBox); ok && u.SubType() == "senc" {
			if err := u.Encode(&piffB); err != nil {
				t.Fatal(err)
			}
		}
	}
	if piffB.Len() != sencB.Len()+16 || !bytes.Equal(piffB.Bytes()[24:], sencB.Bytes()[8:]) {
		t.Fatal("PIFF box does not repeat senc")
	}
}

// checkNoAux checks that a cbcs audio segment has no sample auxiliary
// information: whole samples under the constant IV need none.
func checkNoAux(t *testing.T, seg []byte) {
	t.Helper()
	for _, b := range topBoxes(t, seg) {
		if m, ok := b.(*mp4.MoofBox); ok {
			for _, c := range m.Traf.Children {
				if typ := c.Type(); typ == "senc" || typ == "saiz" || typ == "saio" || typ == "uuid" {
					t.Fatalf("cbcs audio traf has %s", typ)
				}
			}
		}
	}
}

// checkTrafOrder checks tfhd, tfdt, trun, senc (or PIFF uuid), saiz, saio.
func checkTrafOrder(t *testing.T, traf *mp4.TrafBox, sc packager.Scheme) {
	t.Helper()
	var got []string
	for _, c := range traf.Children {
		typ := c.Type()
		if u, ok := c.(*mp4.UUIDBox); ok {
			typ = "uuid:" + u.SubType()
		}
		got = append(got, typ)
	}
	want := "tfhd tfdt trun senc saiz saio"
	if sc == packager.SchemePIFF {
		want = "tfhd tfdt trun senc saiz saio uuid:senc uuid:tfxd"
	}
	if strings.Join(got, " ") != want {
		t.Fatalf("traf children %v, want %s", got, want)
	}
}

// checkAux checks saiz against the senc entries and that saio points at the
// first entry (moof-relative).
func checkAux(t *testing.T, seg []byte, traf *mp4.TrafBox, senc *mp4.SencBox, ivs byte) {
	t.Helper()
	if traf.Saiz == nil || traf.Saio == nil || len(traf.Saio.Offset) != 1 {
		t.Fatal("saiz/saio missing")
	}
	// Walk the senc entries from the saio offset, with the saiz sizes.
	pos := int(traf.Saio.Offset[0])
	for k := range int(traf.Saiz.SampleCount) {
		sz := int(traf.Saiz.DefaultSampleInfoSize)
		if sz == 0 {
			sz = int(traf.Saiz.SampleInfo[k])
		}
		want := int(ivs)
		if len(senc.SubSamples) > 0 {
			want += 2 + 6*len(senc.SubSamples[k])
			n := int(seg[pos+int(ivs)])<<8 | int(seg[pos+int(ivs)+1])
			if n != len(senc.SubSamples[k]) {
				t.Fatalf("saio: sample %d entry has subsample count %d, want %d", k, n, len(senc.SubSamples[k]))
			}
		}
		if ivs > 0 && !bytes.Equal(seg[pos:pos+int(ivs)], senc.IVs[k]) {
			t.Fatalf("saio: sample %d IV does not match senc", k)
		}
		if sz != want {
			t.Fatalf("saiz: sample %d size %d, want %d", k, sz, want)
		}
		pos += sz
	}
}

// sampleSizes reads the trun sample sizes of a (clear) segment.
func sampleSizes(t *testing.T, seg []byte) []uint32 {
	t.Helper()
	var out []uint32
	for _, b := range topBoxes(t, seg) {
		if m, ok := b.(*mp4.MoofBox); ok {
			for _, tr := range m.Traf.Truns {
				for _, s := range tr.Samples {
					out = append(out, s.Size)
				}
			}
		}
	}
	return out
}

// TestEncryptedDeterministic: the same request gives the same bytes, whether
// the Scratch and the track's layout hints are cold or warm; the prefix of
// buf is kept.
func TestEncryptedDeterministic(t *testing.T) {
	for _, sc := range allSchems {
		a := openAsset(t, "demo") // fresh tracks: cold hints
		tr := a.Tracks[0]
		e := testEncryption(t, sc)
		out := outputOf(sc)
		first, err := tr.AppendSegment([]byte("prefix"), 1, out, e, new(packager.Scratch))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(first, []byte("prefix")) {
			t.Fatal("prefix overwritten")
		}
		s := new(packager.Scratch)
		for range 3 {
			again, err := tr.AppendSegment([]byte("prefix"), 1, out, e, s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, first) {
				t.Fatalf("%s: second request differs", sc)
			}
		}
		// Concurrent requests on one track (cold hints on a fresh track)
		// give the same bytes too.
		tr2 := openAsset(t, "demo").Tracks[0]
		var wg sync.WaitGroup
		results := make([][]byte, 8)
		for g := range results {
			wg.Go(func() {
				results[g], _ = tr2.AppendSegment([]byte("prefix"), 1, out, e, new(packager.Scratch))
			})
		}
		wg.Wait()
		for _, r := range results {
			if !bytes.Equal(r, first) {
				t.Fatalf("%s: concurrent request differs", sc)
			}
		}
		i1, _ := tr.AppendInit(nil, out, e)
		i2, _ := tr.AppendInit(nil, out, e)
		if !bytes.Equal(i1, i2) {
			t.Fatalf("%s: init differs", sc)
		}
	}
}

// TestEncryptedFailsClosed: unusable Encryption values give an error and
// nothing appended.
func TestEncryptedFailsClosed(t *testing.T) {
	a := openAsset(t, "demo")
	tr := a.Tracks[0]
	good := testEncryption(t, packager.SchemeCENC)
	cases := []struct {
		name string
		out  packager.Output
		e    *packager.Protection
		i    int
	}{
		// A nil Protection is clear output (the one entry point serves
		// both); what must fail is a protection the output cannot carry.
		{"sample-aes on cmaf", packager.CMAF, &packager.Protection{Scheme: packager.SchemeSampleAES, Key: good.Key, Asset: "demo"}, 0},
		{"aes-128 on smooth", packager.Smooth, &packager.Protection{Scheme: packager.SchemeAES128, Key: good.Key, Asset: "demo"}, 0},
		{"nil key", packager.CMAF, &packager.Protection{Scheme: packager.SchemeCENC}, 0},
		{"cenc on smooth", packager.Smooth, good, 0},
		{"piff on cmaf", packager.CMAF, testEncryption(t, packager.SchemePIFF), 0},
		{"unknown scheme", packager.CMAF, &packager.Protection{Scheme: 9, Key: good.Key, Asset: "demo"}, 0},
		{"no asset", packager.CMAF, &packager.Protection{Scheme: packager.SchemeCENC, Key: good.Key}, 0},
		{"no fragment", packager.CMAF, good, len(tr.Fragments)},
	}
	for _, c := range cases {
		buf := make([]byte, 3, 1<<20)
		got, err := tr.AppendSegment(buf, c.i, c.out, c.e, new(packager.Scratch))
		if err == nil || len(got) != 3 {
			t.Errorf("%s: err %v, %d bytes", c.name, err, len(got))
		}
		if c.i == 0 {
			if got, err := tr.AppendInit(buf, c.out, c.e); err == nil || len(got) != 3 {
				t.Errorf("%s init: err %v, %d bytes", c.name, err, len(got))
			}
		}
	}
}

// TestEncryptedGolden pins the box tree (mp4ff Info) of one encrypted init
// and one encrypted segment per scheme; -update rewrites the files.
func TestEncryptedGolden(t *testing.T) {
	a := openAsset(t, "demo")
	for _, tr := range a.Tracks {
		if filepath.Base(tr.Path) != "video_320x180.mp4" && filepath.Base(tr.Path) != "audio_eng.mp4" {
			continue
		}
		for _, sc := range allSchems {
			e := testEncryption(t, sc)
			out := outputOf(sc)
			init, err := tr.AppendInit(nil, out, e)
			if err != nil {
				t.Fatal(err)
			}
			seg, err := tr.AppendSegment(nil, 1, out, e, new(packager.Scratch))
			if err != nil {
				t.Fatal(err)
			}
			var w bytes.Buffer
			fmt.Fprintf(&w, "# %s %s: init\n", filepath.Base(tr.Path), sc)
			ivs := byte(8)
			if sc == packager.SchemeCBCS {
				ivs = 0
			}
			dumpBoxes(t, &w, init, "all:1", ivs)
			fmt.Fprintf(&w, "# %s %s: segment 1 (mdat payload elided)\n", filepath.Base(tr.Path), sc)
			dumpBoxes(t, &w, seg, "all:1,mdat:0", ivs)
			golden := filepath.Join(mediaRoot(t), "..", "golden",
				fmt.Sprintf("encrypted_%s_%s.txt", strings.TrimSuffix(filepath.Base(tr.Path), ".mp4"), sc))
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, w.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./packager -run TestEncryptedGolden -update)", err)
			}
			if !bytes.Equal(w.Bytes(), want) {
				t.Errorf("%s differs from the output:\n%s", golden, lineDiff(string(want), w.String()))
			}
		}
	}
}

// dumpBoxes writes the mp4ff Info of the top-level boxes of b, with the
// sample encryption boxes parsed (IVs of ivSize bytes, subsamples).
func dumpBoxes(t *testing.T, w *bytes.Buffer, b []byte, levels string, ivSize byte) {
	t.Helper()
	sr := bits.NewFixedSliceReader(b)
	for pos := uint64(0); sr.NrRemainingBytes() > 0; {
		bx, err := mp4.DecodeBoxSR(pos, sr)
		if err != nil {
			t.Fatal(err)
		}
		pos += bx.Size()
		if m, ok := bx.(*mp4.MoofBox); ok && m.Traf != nil {
			if m.Traf.Senc != nil && m.Traf.Senc.ReadButNotParsed() {
				if err := m.Traf.Senc.ParseReadBox(ivSize, m.Traf.Saiz); err != nil {
					t.Fatal(err)
				}
			}
			if u := m.Traf.UUIDSenc; u != nil && u.Senc != nil && u.Senc.ReadButNotParsed() {
				if err := u.Senc.ParseReadBox(ivSize, m.Traf.Saiz); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := bx.Info(w, levels, "", "  "); err != nil {
			t.Fatal(err)
		}
	}
}

// lineDiff lists the lines that differ.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var sb strings.Builder
	for i := range max(len(wl), len(gl)) {
		var a, b string
		if i < len(wl) {
			a = wl[i]
		}
		if i < len(gl) {
			b = gl[i]
		}
		if a != b {
			fmt.Fprintf(&sb, "line %d:\n  want %s\n  got  %s\n", i+1, a, b)
		}
	}
	return sb.String()
}

// TestEncryptedFailsClosedOnBadSample: a sample whose NAL units do not parse
// (a NAL length running past the sample) makes every scheme fail with
// ErrEncryption, append nothing and leave no clear media in the buffer's
// spare capacity; the other fragments are still served.
func TestEncryptedFailsClosedOnBadSample(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(mediaRoot(t), "demo", "video_320x180.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	good := openAsset(t, "demo").Tracks
	var fr packager.Fragment
	for _, tr := range good {
		if filepath.Base(tr.Path) == "video_320x180.mp4" {
			fr = tr.Fragments[0]
		}
	}
	moof := int(fr.Offset) + int(uint32(src[fr.Offset])<<24|uint32(src[fr.Offset+1])<<16|uint32(src[fr.Offset+2])<<8|uint32(src[fr.Offset+3]))
	copy(src[moof+8:], []byte{0x7f, 0xff, 0xff, 0xff}) // first NAL length of sample 0
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "bad"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bad", "video.mp4"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	lib := packager.NewLibrary(localStore(root), 1)
	defer lib.Close()
	a, err := lib.Asset("bad")
	if err != nil {
		t.Fatal(err)
	}
	tr := a.Tracks[0]
	for _, sc := range allSchems {
		e := testEncryption(t, sc)
		buf := make([]byte, 3, 4<<20)
		got, err := tr.AppendSegment(buf, 0, outputOf(sc), e, new(packager.Scratch))
		if !errors.Is(err, packager.ErrEncryption) || len(got) != 3 {
			t.Fatalf("%s: err %v, %d bytes", sc, err, len(got))
		}
		if rest := got[3:cap(got)]; bytes.Count(rest, []byte{0}) != len(rest) {
			t.Fatalf("%s: clear bytes left in the buffer after the error", sc)
		}
		if _, err := tr.AppendSegment(nil, 1, outputOf(sc), e, new(packager.Scratch)); err != nil {
			t.Fatalf("%s: fragment 1: %v", sc, err)
		}
	}
}

// TestEncryptedMappedEqualsPread: encrypting from the file's mapping
// (sample data straight into the output) gives the bytes of the pread
// path (whole fragment read, encrypted in place), for every fragment of
// every track of every asset, each scheme, with warm and cold hints.
func TestEncryptedMappedEqualsPread(t *testing.T) {
	want := map[string][]byte{}
	key := func(asset string, tr, i int, sc packager.Scheme) string {
		return fmt.Sprint(asset, "/", tr, "/", i, "/", sc)
	}
	for _, mapped := range []bool{false, true} {
		old := setMapFiles(mapped)
		for _, name := range []string{"demo", "hevc", "legacy"} {
			a := openAsset(t, name)
			for ti, tr := range a.Tracks {
				for _, sc := range allSchems {
					e := testEncryption(t, sc)
					s := new(packager.Scratch)
					for i := range tr.Fragments {
						for round := range 2 { // cold, then warm hints
							b, err := tr.AppendSegment([]byte("p"), i, outputOf(sc), e, s)
							if err != nil {
								t.Fatalf("%s track %d fragment %d %s mapped=%v: %v", name, ti, i, sc, mapped, err)
							}
							k := key(name, ti, i, sc)
							if !mapped && round == 0 {
								want[k] = b
							} else if !bytes.Equal(b, want[k]) {
								t.Fatalf("%s track %d fragment %d %s mapped=%v round %d: differs from pread", name, ti, i, sc, mapped, round)
							}
						}
					}
				}
			}
		}
		setMapFiles(old)
	}
	if len(want) == 0 {
		t.Fatal("nothing compared")
	}
}
