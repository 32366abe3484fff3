package packager_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/packager"
)

// trackFile returns the track of asset a read from the file base.
func trackFile(tb testing.TB, a *packager.Asset, base string) *packager.Track {
	tb.Helper()
	for _, tr := range a.Tracks {
		if filepath.Base(tr.Path) == base {
			return tr
		}
	}
	tb.Fatalf("asset %s has no track file %s", a.Name, base)
	return nil
}

func streamOf(tr *packager.Track) string {
	if tr.Kind == packager.Audio {
		return "a"
	}
	return "v"
}

// TestTSSeparateDecodes cuts every track of demo and hevc into TS segments
// on its own (m3u8-aapl) and decodes their concatenation with ffmpeg: the
// source's frames, no continuity or DTS complaints, DTS increasing across
// segments. Each video segment also decodes on its own.
func TestTSSeparateDecodes(t *testing.T) {
	needTSTools(t)
	for _, name := range []string{"demo", "hevc", "legacy", "progressive"} {
		a := openAsset(t, name)
		for _, tr := range a.Tracks {
			t.Run(name+"/"+filepath.Base(tr.Path), func(t *testing.T) {
				t.Parallel()
				checkTSTrack(t, tr)
			})
		}
	}
}

// checkTSTrack cuts every fragment of tr into a TS segment of its own and
// checks the segments with ffmpeg and ffprobe.
func checkTSTrack(t *testing.T, tr *packager.Track) {
	t.Helper()
	st := streamOf(tr)
	segs := tsSegments(t, tr, nil, nil)
	names, all := tsWrite(t, t.TempDir(), segs)
	want := tsSourceHashes(t, tr, st)
	got, log := tsFrameHashes(t, false, all, st)
	tsCheckLog(t, "concatenated", log)
	tsEqualHashes(t, "concatenated", got, want)
	if n := tsProbe(t, all); len(n) != 1 {
		t.Errorf("ffprobe finds %d streams, want 1", len(n))
	}
	if st == "v" {
		for i, n := range names {
			h, log := tsFrameHashes(t, false, n, st)
			tsCheckLog(t, filepath.Base(n), log)
			if len(h) != tr.Fragments[i].Samples {
				t.Errorf("segment %d alone: %d frames, fragment has %d", i, len(h), tr.Fragments[i].Samples)
			}
		}
	}
}

// TestTSNegativeCompositionOffsets: a track with negative composition
// offsets (trun version 1, as ffmpeg's negative_cts_offsets writes) gets a
// DecodeShift that keeps PTS >= DTS, and decodes frame-exact.
func TestTSNegativeCompositionOffsets(t *testing.T) {
	needTSTools(t)
	root := t.TempDir()
	dir := filepath.Join(root, "neg")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tsRun(t, false, "ffmpeg", "-nostdin", "-loglevel", "error", "-i", filepath.Join(mediaRoot(t), "demo", "video_640x360.mp4"),
		"-c", "copy", "-movflags", "+frag_keyframe+empty_moov+default_base_moof+negative_cts_offsets", filepath.Join(dir, "video.mp4"))
	lib := packager.NewLibrary(localStore(root), 1)
	defer lib.Close()
	a, err := lib.Asset("neg")
	if err != nil {
		t.Fatal(err)
	}
	checkTSTrack(t, a.Tracks[0])
}

// TestTSMuxedDecodes muxes audio into the video segments (m3u8-aapl-v3) and
// checks that the concatenation decodes both streams frame-exact: every
// audio frame exactly once, in order.
func TestTSMuxedDecodes(t *testing.T) {
	needTSTools(t)
	for _, c := range []struct{ asset, video, audio string }{
		{"demo", "video_640x360.mp4", "audio_eng.mp4"},
		{"demo", "video_320x180.mp4", "audio_fra.mp4"},
		{"hevc", "video_hevc.mp4", "audio.mp4"},
	} {
		t.Run(c.asset+"/"+c.video, func(t *testing.T) {
			t.Parallel()
			a := openAsset(t, c.asset)
			v, au := trackFile(t, a, c.video), trackFile(t, a, c.audio)
			segs := tsSegments(t, v, au, nil)
			_, all := tsWrite(t, t.TempDir(), segs)
			for _, tr := range []*packager.Track{v, au} {
				st := streamOf(tr)
				got, log := tsFrameHashes(t, false, all, st)
				tsCheckLog(t, "muxed "+st, log)
				tsEqualHashes(t, "muxed "+st, got, tsSourceHashes(t, tr, st))
			}
			n := tsProbe(t, all)
			if len(n) != 2 {
				t.Errorf("ffprobe finds %d streams, want 2", len(n))
			}
		})
	}
}

// TestTSAudioRange: the audio fragments of consecutive v3 segments cover the
// audio track in order, the first from fragment 0 and the last to the end.
func TestTSAudioRange(t *testing.T) {
	a := openAsset(t, "demo")
	v, au := trackFile(t, a, "video_640x360.mp4"), trackFile(t, a, "audio_eng.mp4")
	prevLast := 0
	for i := range v.Fragments {
		first, last, ok := v.AudioRange(i, au)
		if !ok {
			t.Fatalf("segment %d: no audio", i)
		}
		if i == 0 && first != 0 {
			t.Errorf("segment 0 starts at audio fragment %d", first)
		}
		if first > last || first < prevLast || first > prevLast+1 {
			t.Errorf("segment %d: audio fragments [%d, %d] after [.., %d]", i, first, last, prevLast)
		}
		prevLast = last
	}
	if prevLast != len(au.Fragments)-1 {
		t.Errorf("last segment ends at audio fragment %d of %d", prevLast, len(au.Fragments))
	}
	if _, _, ok := v.AudioRange(len(v.Fragments), au); ok {
		t.Error("AudioRange past the end is ok")
	}
}

// TestTSSampleAES encrypts the H.264 and AAC tracks of demo with SAMPLE-AES,
// alone and muxed, and lets ffmpeg's HLS demuxer decrypt them through
// playlists with the urls.md key tags (METHOD=SAMPLE-AES, URI, IV=0x… before
// every segment): the source's frames. With a wrong key they are not.
//
// ffmpeg 5.1 applies a segment's key and IV when it opens the segment, but
// its H.264 parser hands out the last access unit of a segment only once
// the next segment's data arrived, so that access unit is decrypted under
// the next segment's IV (and the playlist's last one not at all). Hence:
// the whole playlist is decoded with one IV on every segment's tag (it
// checks decryption across segment boundaries), and each segment under its
// own derived IV (urls.md) through a playlist of its own that lists it
// twice (it checks the per-segment IVs, every frame exact).
func TestTSSampleAES(t *testing.T) {
	needTSTools(t)
	a := openAsset(t, "demo")
	key, err := crypto.NewKey(testKey[:])
	if err != nil {
		t.Fatal(err)
	}
	v, au := trackFile(t, a, "video_640x360.mp4"), trackFile(t, a, "audio_eng.mp4")
	hls := []string{"-allowed_extensions", "ALL", "-protocol_whitelist", "file"}
	for _, c := range []struct {
		name  string
		tr    *packager.Track
		audio *packager.Track
	}{
		{"video", v, nil},
		{"audio", au, nil},
		{"muxed", v, au},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tracks := []*packager.Track{c.tr}
			if c.audio != nil {
				tracks = append(tracks, c.audio)
			}
			var derived [][16]byte
			for _, f := range c.tr.Fragments {
				derived = append(derived, key.SegmentIV("demo", filepath.Base(c.tr.Path), f.Time))
			}
			one := [][16]byte{{0xA0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xFF}}
			clear := tsSegments(t, c.tr, c.audio, nil)
			for _, ivs := range [][][16]byte{one, derived} {
				segs := tsSegments(t, c.tr, c.audio, func(i int) packager.TSOptions {
					return packager.TSOptions{Encrypter: key, IV: ivs[min(i, len(ivs)-1)]}
				})
				for i := range segs {
					if bytes.Equal(segs[i], clear[i]) {
						t.Fatalf("segment %d: encrypted equals clear", i)
					}
				}
				dir := t.TempDir()
				names, _ := tsWrite(t, dir, segs)
				for _, tr := range tracks {
					st := streamOf(tr)
					want := tsSourceHashes(t, tr, st)
					if len(ivs) == 1 {
						list := tsKeyPlaylist(t, dir, "all", names, testKey[:], ivs)
						checkDecrypted(t, c.name+" "+st+" all segments", list, names[len(names)-1], st, want, hls)
						wrong := tsKeyPlaylist(t, dir, "wrong", names, wrongKey[:], ivs)
						checkWrongKey(t, c.name+" "+st, wrong, st, want, hls)
						continue
					}
					// Each segment under its derived IV; its frames are
					// the source's frames of its fragment (closed GOPs).
					from := 0
					for i, n := range names {
						frames := tr.Fragments[i].Samples
						if tr != c.tr { // muxed audio: as many frames as the segment holds
							frames = -1
						}
						list := tsKeyPlaylist(t, dir, fmt.Sprintf("seg%d", i), names[i:i+1], testKey[:], ivs[i:i+1])
						from = checkDecryptedSegment(t, fmt.Sprintf("%s %s segment %d", c.name, st, i), list, n, st, want, from, frames, hls)
					}
					if from != len(want) {
						t.Errorf("%s %s: the segments decode %d frames, source has %d", c.name, st, from, len(want))
					}
				}
			}
		})
	}
}

// checkDecrypted decodes a SAMPLE-AES playlist whose last segment, last, is
// listed twice and compares the frames with the source's.
func checkDecrypted(t *testing.T, what, list, last, st string, want, hls []string) {
	t.Helper()
	got, log := tsFrameHashes(t, false, list, st, hls...)
	// The repeated last segment is discontinuous by design: check the log
	// up to where it is opened again.
	if i := strings.LastIndex(log, filepath.Base(last)); i >= 0 {
		log = log[:i]
	}
	tsCheckLog(t, what, log)
	if len(got) < len(want) {
		t.Fatalf("%s: %d frames decoded, source has %d", what, len(got), len(want))
	}
	tsEqualHashes(t, what, got[:len(want)], want)
}

// checkDecryptedSegment decodes the playlist of one segment (listed twice)
// and checks that its first frames are want[from:from+frames] (frames < 0:
// as many as match, at least one; audio after the first segment: the first
// frame, decoded without its predecessor, is not compared). It returns the
// index after them.
func checkDecryptedSegment(t *testing.T, what, list, seg, st string, want []string, from, frames int, hls []string) int {
	t.Helper()
	got, log := tsFrameHashes(t, false, list, st, hls...)
	if i := strings.LastIndex(log, filepath.Base(seg)); i >= 0 {
		log = log[:i]
	}
	tsCheckLog(t, what, log)
	n := 0
	if st == "a" && from > 0 && len(got) > 0 {
		// An AAC decoder started cold at a segment gives a first frame
		// of its own (the overlap with the frame before is missing).
		n = 1
	}
	for n < len(got) && from+n < len(want) && got[n] == want[from+n] && (frames < 0 || n < frames) {
		n++
	}
	if frames >= 0 && n != frames || n == 0 {
		t.Errorf("%s: %d frames match the source from frame %d, want %d", what, n, from, frames)
	}
	return from + n
}

// checkWrongKey decodes a playlist under a wrong key: most frames must
// differ from the source's.
func checkWrongKey(t *testing.T, what, list, st string, want, hls []string) {
	t.Helper()
	bad, _ := tsFrameHashes(t, true, list, st, hls...)
	same := 0
	for i := range min(len(bad), len(want)) {
		if bad[i] == want[i] {
			same++
		}
	}
	if same > len(want)/2 {
		t.Errorf("%s: with a wrong key %d of %d frames still match", what, same, len(want))
	}
}

// TestTSSampleAESHEVC: SAMPLE-AES of HEVC video, alone or muxed, is
// ErrSampleAESHEVC and appends nothing; clear HEVC TS works.
func TestTSSampleAESHEVC(t *testing.T) {
	a := openAsset(t, "hevc")
	key, err := crypto.NewKey(testKey[:])
	if err != nil {
		t.Fatal(err)
	}
	v, au := trackFile(t, a, "video_hevc.mp4"), trackFile(t, a, "audio.mp4")
	s := packager.AcquireScratch()
	defer packager.ReleaseScratch(s)
	buf := []byte("prefix")
	for _, audio := range []*packager.Track{nil, au} {
		out, err := v.AppendSegmentTS(buf, 0, audio, packager.TSOptions{Encrypter: key}, s)
		if !errors.Is(err, packager.ErrSampleAESHEVC) {
			t.Errorf("audio %v: err %v, want ErrSampleAESHEVC", audio != nil, err)
		}
		if string(out) != "prefix" {
			t.Errorf("audio %v: appended %d bytes on error", audio != nil, len(out)-len(buf))
		}
	}
	// The HEVC asset's audio alone encrypts.
	if _, err := au.AppendSegmentTS(nil, 0, nil, packager.TSOptions{Encrypter: key}, s); err != nil {
		t.Errorf("hevc asset audio SAMPLE-AES: %v", err)
	}
}

// TestTSErrors: out-of-range fragments and a muxed segment of two tracks of
// the wrong kinds are refused without appending.
func TestTSErrors(t *testing.T) {
	a := openAsset(t, "demo")
	v, au := trackFile(t, a, "video_640x360.mp4"), trackFile(t, a, "audio_eng.mp4")
	s := packager.AcquireScratch()
	defer packager.ReleaseScratch(s)
	buf := []byte("x")
	for _, i := range []int{-1, len(v.Fragments)} {
		out, err := v.AppendSegmentTS(buf, i, nil, packager.TSOptions{}, s)
		if !errors.Is(err, packager.ErrFragmentNotFound) || len(out) != 1 {
			t.Errorf("fragment %d: err %v, %d bytes", i, err, len(out))
		}
	}
	for _, c := range [][2]*packager.Track{{au, v}, {v, v}, {au, au}} {
		out, err := c[0].AppendSegmentTS(buf, 0, c[1], packager.TSOptions{}, s)
		if err == nil || len(out) != 1 {
			t.Errorf("%s with %s: err %v, %d bytes", c[0].Name, c[1].Name, err, len(out))
		}
	}
}

// TestTSDeterministic: the same (track, i, audio, options) gives the same
// bytes whatever the scratch served before, and from concurrent requests on
// a fresh library (the lazy per-track state is built under concurrency).
func TestTSDeterministic(t *testing.T) {
	key, err := crypto.NewKey(testKey[:])
	if err != nil {
		t.Fatal(err)
	}
	ref := openAsset(t, "demo")
	v, au := trackFile(t, ref, "video_640x360.mp4"), trackFile(t, ref, "audio_eng.mp4")
	opts := []packager.TSOptions{{}, {Encrypter: key, IV: [16]byte{1, 2, 3}}}
	type req struct {
		tr, audio string
		i         int
		o         int
	}
	var reqs []req
	want := map[req][]byte{}
	for i := range v.Fragments {
		for o := range opts {
			for _, r := range []req{{"video_640x360.mp4", "", i, o}, {"video_640x360.mp4", "audio_eng.mp4", i, o}} {
				reqs = append(reqs, r)
			}
		}
	}
	for i := range au.Fragments {
		reqs = append(reqs, req{"audio_eng.mp4", "", i, 1})
	}
	s := packager.AcquireScratch()
	cut := func(a *packager.Asset, r req, s *packager.Scratch) []byte {
		var audio *packager.Track
		if r.audio != "" {
			audio = trackFile(t, a, r.audio)
		}
		b, err := trackFile(t, a, r.tr).AppendSegmentTS(nil, r.i, audio, opts[r.o], s)
		if err != nil {
			t.Errorf("%v: %v", r, err)
		}
		return b
	}
	for _, r := range reqs {
		want[r] = cut(ref, r, s)
	}
	// Again, in reverse order, with the same scratch.
	for k := len(reqs) - 1; k >= 0; k-- {
		if got := cut(ref, reqs[k], s); !bytes.Equal(got, want[reqs[k]]) {
			t.Errorf("%v: bytes differ on a second request", reqs[k])
		}
	}
	packager.ReleaseScratch(s)
	// Concurrently, on a fresh library.
	fresh := openAsset(t, "demo")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			s := packager.AcquireScratch()
			defer packager.ReleaseScratch(s)
			for k := range reqs {
				r := reqs[(k+g*3)%len(reqs)]
				if got := cut(fresh, r, s); !bytes.Equal(got, want[r]) {
					t.Errorf("%v: bytes differ under concurrency", r)
				}
			}
		})
	}
	wg.Wait()
	// Read with pread instead of from the mapping: the same bytes.
	old := setMapFiles(false)
	defer setMapFiles(old)
	unmapped := openAsset(t, "demo")
	s = packager.AcquireScratch()
	defer packager.ReleaseScratch(s)
	for _, r := range reqs {
		if got := cut(unmapped, r, s); !bytes.Equal(got, want[r]) {
			t.Errorf("%v: bytes differ read with pread", r)
		}
	}
}

// cbcOnly hides crypto.Key's EncryptPatternsTo and EncryptCBCRanges, so
// the muxer encrypts one NAL unit and one AAC frame at a time.
type cbcOnly struct{ k *crypto.Key }

func (c cbcOnly) EncryptCBC(buf []byte, iv *[16]byte) { c.k.EncryptCBC(buf, iv) }

// TestTSSampleAESBatched: SAMPLE-AES segments made with the batched
// encryption (four NAL units, or four AAC frames, at a time) are byte for
// byte those made one NAL unit and one frame at a time: video alone, video
// with audio muxed in, and audio alone.
func TestTSSampleAESBatched(t *testing.T) {
	key, err := crypto.NewKey(testKey[:])
	if err != nil {
		t.Fatal(err)
	}
	a := openAsset(t, "demo")
	v, au := trackFile(t, a, "video_640x360.mp4"), trackFile(t, a, "audio_eng.mp4")
	s := packager.AcquireScratch()
	defer packager.ReleaseScratch(s)
	iv := [16]byte{7, 7, 7}
	for _, c := range []struct {
		name      string
		tr, audio *packager.Track
	}{{"video", v, nil}, {"muxed", v, au}, {"audio", au, nil}} {
		for i := range c.tr.Fragments {
			batched, err := c.tr.AppendSegmentTS(nil, i, c.audio, packager.TSOptions{Encrypter: key, IV: iv}, s)
			if err != nil {
				t.Fatal(err)
			}
			serial, err := c.tr.AppendSegmentTS(nil, i, c.audio, packager.TSOptions{Encrypter: cbcOnly{key}, IV: iv}, s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(batched, serial) {
				t.Fatalf("%s segment %d: batched SAMPLE-AES differs from one NAL unit or frame at a time", c.name, i)
			}
			clearSeg, _ := c.tr.AppendSegmentTS(nil, i, c.audio, packager.TSOptions{}, s)
			if bytes.Equal(batched, clearSeg) {
				t.Fatalf("%s segment %d: not encrypted", c.name, i)
			}
		}
	}
}
