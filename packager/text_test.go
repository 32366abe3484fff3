package packager_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/drmorigin/drmorigin/codec/subtitle"
	"github.com/drmorigin/drmorigin/packager"
)

// textTrack is a text track on a 12800 Hz timeline of four 2 s segments,
// whose frame of presentation time 0 has composition time 1024 (0.08 s).
func textTrack(src packager.TextSource) *packager.TextTrack {
	t := &packager.TextTrack{Name: "textstream_swe", Language: "swe", Bitrate: 1000, File: "x.vtt", Source: src,
		TrackID: 3, Timescale: 12800, Shift: 1024, TSZero: 900000}
	for i := range 4 {
		t.Fragments = append(t.Fragments, packager.Fragment{Time: uint64(i) * 25600, Duration: 25600})
	}
	t.Cues = []subtitle.Cue{
		{Start: time.Second, End: 3 * time.Second, Text: "Hej världen", ID: "c1"},
		{Start: 4 * time.Second, End: 4500 * time.Millisecond, Text: "kort", Settings: "align:start"},
	}
	return t
}

// TestTextHLSSegments: every cue is in each WebVTT segment it overlaps,
// with the map onto the TS PTS (presentation 0 at TSZero) or the fMP4
// timeline (players apply the video's edit list: presentation 0 at 0).
func TestTextHLSSegments(t *testing.T) {
	tt := textTrack(packager.WebVTT)
	for _, c := range []struct {
		form packager.TextForm
		hdr  string
	}{{packager.TextHLSTS, "X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000"}, {packager.TextHLSCMAF, "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000"}} {
		var segs []string
		for i := range tt.Fragments {
			b, err := tt.AppendSegment(nil, i, c.form)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), "WEBVTT\n"+c.hdr+"\n") {
				t.Fatalf("segment %d header:\n%s", i, b)
			}
			segs = append(segs, string(b))
		}
		// Hej världen: 1-3 s (TS: composition 1.08-3.08 s): segments 0
		// and 1; kort: 4-4.5 s: segment 2; segment 3 has no cue.
		for i, want := range [][]string{{"Hej"}, {"Hej"}, {"kort"}, nil} {
			n := strings.Count(segs[i], " --> ")
			if n != len(want) || (len(want) > 0 && !strings.Contains(segs[i], want[0])) {
				t.Errorf("segment %d: %d cues, want %v:\n%s", i, n, want, segs[i])
			}
		}
		if !strings.Contains(segs[2], "00:00:04.000 --> 00:00:04.500 align:start\nkort") {
			t.Errorf("cue times or settings changed:\n%s", segs[2])
		}
	}
}

// TestTextWVTT: DASH wvtt segments start at the video segment's decode
// time, cover it with samples (vtte for gaps), and split a cue at the
// segment boundary; cue time t is media time t (the video's edit list
// applies to the video).
func TestTextWVTT(t *testing.T) {
	tt := textTrack(packager.WebVTT)
	init, err := tt.AppendInit(nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := mp4.DecodeFile(bytes.NewReader(init))
	if err != nil {
		t.Fatal(err)
	}
	trak := f.Init.Moov.Trak
	if trak.Tkhd.TrackID != 3 || trak.Mdia.Hdlr.HandlerType != "text" || trak.Mdia.Mdhd.Timescale != 12800 ||
		trak.Mdia.Minf.Stbl.Stsd.Children[0].Type() != "wvtt" || trak.Edts != nil {
		t.Fatalf("init: track %d handler %s timescale %d entry %s", trak.Tkhd.TrackID, trak.Mdia.Hdlr.HandlerType,
			trak.Mdia.Mdhd.Timescale, trak.Mdia.Minf.Stbl.Stsd.Children[0].Type())
	}
	type smp struct {
		dur  uint32
		text string // "" for vtte
	}
	want := [][]smp{
		{{12800, ""}, {12800, "Hej världen"}}, // 0-1 gap, 1-2 cue
		{{12800, "Hej världen"}, {12800, ""}}, // 2-3 cue, then gap
		{{6400, "kort"}, {19200, ""}},         // 4-4.5, rest
		{{25600, ""}},                         // nothing
	}
	for i := range tt.Fragments {
		b, err := tt.AppendSegment(nil, i, packager.TextFMP4)
		if err != nil {
			t.Fatal(err)
		}
		f, err := mp4.DecodeFile(bytes.NewReader(append(append([]byte{}, init...), b...)))
		if err != nil {
			t.Fatal(err)
		}
		fr := f.Segments[0].Fragments[0]
		if fr.Moof.Traf.Tfdt.BaseMediaDecodeTime() != tt.Fragments[i].Time || fr.Moof.Traf.Tfhd.TrackID != 3 {
			t.Errorf("segment %d: tfdt %d track %d", i, fr.Moof.Traf.Tfdt.BaseMediaDecodeTime(), fr.Moof.Traf.Tfhd.TrackID)
		}
		ss, err := fr.GetFullSamples(f.Init.Moov.Mvex.Trex)
		if err != nil {
			t.Fatal(err)
		}
		var got []smp
		for _, s := range ss {
			box, err := mp4.DecodeBox(0, bytes.NewReader(s.Data))
			if err != nil {
				t.Fatal(err)
			}
			text := ""
			if c, ok := box.(*mp4.VttcBox); ok {
				text = c.Payl.CueText
			}
			got = append(got, smp{s.Dur, text})
		}
		if len(got) != len(want[i]) {
			t.Fatalf("segment %d: samples %v, want %v", i, got, want[i])
		}
		for k := range got {
			if got[k] != want[i][k] {
				t.Errorf("segment %d sample %d: %v, want %v", i, k, got[k], want[i][k])
			}
		}
	}
}

// TestTextTTML: DASH stpp samples hold TTML on the media timeline (cut to
// the segment); Smooth fragments hold TTML relative to the fragment's
// start on the composition timeline (cue time plus the 0.08 s shift: Smooth
// clients know no edit list), with tfxd.
func TestTextTTML(t *testing.T) {
	tt := textTrack(packager.TTML)
	init, err := tt.AppendInit(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(init, []byte("stpp")) || !bytes.Contains(init, []byte("http://www.w3.org/ns/ttml")) {
		t.Fatal("init has no stpp sample entry")
	}
	for _, c := range []struct {
		form packager.TextForm
		seg  int
		want string
	}{
		{packager.TextFMP4, 0, `<p begin="00:00:01.000" end="00:00:02.000">Hej världen</p>`},
		{packager.TextFMP4, 1, `<p begin="00:00:02.000" end="00:00:03.000">Hej världen</p>`},
		{packager.TextSmooth, 1, `<p begin="00:00:00.000" end="00:00:01.080">Hej världen</p>`},
		{packager.TextSmooth, 2, `<p begin="00:00:00.080" end="00:00:00.580">kort</p>`},
	} {
		b, err := tt.AppendSegment(nil, c.seg, c.form)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(c.want)) || !bytes.Contains(b, []byte(`xml:lang="sv"`)) {
			t.Errorf("form %d segment %d lacks %s:\n%s", c.form, c.seg, c.want, b)
		}
		if c.form == packager.TextSmooth && !bytes.Contains(b, []byte{0x6d, 0x1d, 0x9b, 0x05}) {
			t.Errorf("Smooth fragment %d has no tfxd", c.seg)
		}
		cues, err := subtitle.ParseTTML(b[bytes.Index(b, []byte("<?xml")):])
		if err != nil || len(cues) != 1 {
			t.Errorf("form %d segment %d: TTML does not parse back: %v %v", c.form, c.seg, cues, err)
		}
	}
}

// TestTextSideFiles: side files are found by name (language from the
// name) when the .ism lists no textstream, cut at the first video track's
// fragments; a malformed one is served as far as it parses, with the
// problem naming the file.
func TestTextSideFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"demo.ism", "video_640x360.mp4", "video_320x180.mp4", "audio_eng.mp4", "audio_fra.mp4"} {
		if err := os.Symlink(filepath.Join(mediaRoot(t), "demo", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"demo_sv.vtt":    "WEBVTT\n\n00:01.000 --> 00:02.000\nhej\n",
		"demo.deu.ttml":  `<tt xmlns="http://www.w3.org/ns/ttml"><body><p begin="1s" end="2s">hallo</p></body></tt>`,
		"broken_sv.vtt":  "WEBVTT\n\n00:01.000 --> 00:02.000\nett\n\nbad --> line\nx\n",
		"nolanguage.vtt": "WEBVTT\n",
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lib := packager.NewLibrary(localStore(root), 4)
	defer lib.Close()
	a, err := lib.Asset("a")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*packager.TextTrack{}
	for _, x := range a.Texts {
		got[x.File] = x
	}
	if len(got) != 4 {
		t.Fatalf("%d text tracks: %v", len(a.Texts), a.Texts)
	}
	video := a.Tracks[0]
	for f, want := range map[string]struct {
		name    string
		lang    string
		bitrate int
	}{
		"demo_sv.vtt": {"textstream_swe", "swe", 1001}, "broken_sv.vtt": {"textstream_swe", "swe", 1000},
		"demo.deu.ttml": {"textstream_deu", "deu", 1000}, "nolanguage.vtt": {"textstream_und", "und", 1000},
	} {
		x := got[f]
		if x.Name != want.name || x.Language != want.lang || x.Bitrate != want.bitrate || len(x.Fragments) != len(video.Fragments) ||
			x.Timescale != video.Timescale || x.TrackID <= video.TrackID {
			t.Errorf("%s: %s %s %d, %d segments, timescale %d, track %d", f, x.Name, x.Language, x.Bitrate, len(x.Fragments), x.Timescale, x.TrackID)
		}
	}
	if b := got["broken_sv.vtt"]; len(b.Cues) != 1 || b.Problem == nil || !errors.Is(b.Problem, packager.ErrCorrupt) ||
		!strings.Contains(b.Problem.Error(), "broken_sv.vtt") || !strings.Contains(b.Problem.Error(), "line 6") {
		t.Errorf("broken file: %d cues, problem %v", len(b.Cues), b.Problem)
	}
	if got["demo.deu.ttml"].Source != packager.TTML || got["demo.deu.ttml"].Codecs() != "stpp.ttml.im1t" || got["demo_sv.vtt"].Codecs() != "wvtt" {
		t.Error("sources or codecs")
	}
}

// TestTextEmbedded: fragmented MP4 files holding a wvtt or an stpp track
// (here the ones this package writes) are text tracks of their asset,
// with the cues they carry: a cue split over samples and segments is one
// cue again; their media times less the video's shift are the cue times.
func TestTextEmbedded(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"video_640x360.mp4", "audio_eng.mp4"} {
		if err := os.Symlink(filepath.Join(mediaRoot(t), "demo", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	for name, src := range map[string]packager.TextSource{"subs_sv.mp4": packager.WebVTT, "subs_de.mp4": packager.TTML} {
		tt := textTrack(src)
		b, err := tt.AppendInit(nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range tt.Fragments {
			if b, err = tt.AppendSegment(b, i, packager.TextFMP4); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lib := packager.NewLibrary(localStore(root), 4)
	defer lib.Close()
	a, err := lib.Asset("a")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Skipped) != 0 || len(a.Texts) != 2 || len(a.Tracks) != 2 {
		t.Fatalf("%d tracks, %d texts, skipped %v", len(a.Tracks), len(a.Texts), a.Skipped)
	}
	for _, x := range a.Texts {
		want := textTrack(x.Source).Cues
		if len(x.Cues) != len(want) || x.Problem != nil {
			t.Fatalf("%s: cues %+v, problem %v", x.File, x.Cues, x.Problem)
		}
		for i, c := range x.Cues {
			if c.Start != want[i].Start || c.End != want[i].End || subtitle.PlainText(c.Text) != want[i].Text {
				t.Errorf("%s cue %d = %+v, want %+v", x.File, i, c, want[i])
			}
		}
	}
}

// FuzzEmbeddedText: any bytes taken for an MP4 text track give cues or an
// error, never a panic (mp4ff's own panics included).
func FuzzEmbeddedText(f *testing.F) {
	for _, src := range []packager.TextSource{packager.WebVTT, packager.TTML} {
		tt := textTrack(src)
		b, _ := tt.AppendInit(nil)
		b, _ = tt.AppendSegment(b, 0, packager.TextFMP4)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, ok, _ := packager.EmbeddedText(b)
		if !ok && n != 0 {
			t.Fatalf("%d cues from a file that is not a text track", n)
		}
	})
}
