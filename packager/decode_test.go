package packager_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// framemd5 decodes the input (a file path, or stdin when in is not nil)
// with ffmpeg and returns its framemd5 lines without the header.
func framemd5(t *testing.T, path string, in []byte) []string {
	t.Helper()
	return framemd5Of(t, path, in, "-map", "0")
}

// framemd5Of is framemd5 with args (input options, then output options
// such as -map) around the input.
func framemd5Of(t *testing.T, path string, in []byte, args ...string) []string {
	t.Helper()
	ff := needFFmpeg(t)
	src := path
	if in != nil {
		src = "pipe:0"
	}
	var inArgs, outArgs []string
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "-ignore_editlist" {
			inArgs = append(inArgs, args[i], args[i+1])
		} else {
			outArgs = append(outArgs, args[i], args[i+1])
		}
	}
	all := append([]string{"-hide_banner", "-loglevel", "error"}, inArgs...)
	all = append(all, "-i", src)
	all = append(all, outArgs...)
	all = append(all, "-f", "framemd5", "-")
	if in == nil {
		all = append([]string{"-nostdin"}, all...)
	}
	cmd := exec.Command(ff, all...)
	if in != nil {
		cmd.Stdin = bytes.NewReader(in)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg %s: %v: %s", src, err, stderr.String())
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("ffmpeg %s: no frames decoded: %s", src, stderr.String())
	}
	return lines
}

// frameHashes keeps the size and hash of framemd5 lines (stream index and
// timestamps dropped).
func frameHashes(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		f := strings.Split(l, ",")
		out[i] = strings.TrimSpace(f[len(f)-2]) + "," + strings.TrimSpace(f[len(f)-1])
	}
	return out
}

// stream builds the init segment followed by every segment (or the first n).
func stream(t *testing.T, tr *packager.Track, out packager.Output, n int) []byte {
	t.Helper()
	buf, err := tr.AppendInit(nil, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if buf, err = tr.AppendSegment(buf, i, out, nil, nil); err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
	}
	return buf
}

func diffLines(a, b []string) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d frames, want %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return fmt.Sprintf("frame %d: %q, want %q", i, a[i], b[i])
		}
	}
	return ""
}

// TestDecodeMatchesSource decodes the CMAF and Smooth output of every track
// with ffmpeg and compares the frames with the decoded source file.
func TestDecodeMatchesSource(t *testing.T) {
	lib := packager.NewLibrary(localStore(mediaRoot(t)), 4)
	defer lib.Close()
	for _, name := range []string{"demo", "hevc", "legacy", "progressive"} {
		a, err := lib.Asset(name)
		if err != nil {
			t.Fatal(err)
		}
		checkDecode(t, name, a)
	}
}

// TestDecodeWithoutTfdt removes the tfdt boxes of a copy of a track file
// (renamed to free) so that the output must add them.
func TestDecodeWithoutTfdt(t *testing.T) {
	for _, src := range []string{"demo/video_320x180.mp4", "legacy/video_bdo.mp4", "demo/audio_eng.mp4"} {
		dir := t.TempDir()
		b, err := os.ReadFile(filepath.Join(mediaRoot(t), src))
		if err != nil {
			t.Fatal(err)
		}
		n := bytes.Count(b, []byte("tfdt"))
		if n == 0 {
			t.Fatalf("%s has no tfdt", src)
		}
		b = bytes.ReplaceAll(b, []byte("tfdt"), []byte("free"))
		if err := os.MkdirAll(filepath.Join(dir, "notfdt"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "notfdt", "track.mp4"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		lib := packager.NewLibrary(localStore(dir), 1)
		a, err := lib.Asset("notfdt")
		if err != nil {
			t.Fatal(err)
		}
		checkDecode(t, src, a)
		lib.Close()
	}
}

func checkDecode(t *testing.T, name string, a *packager.Asset) {
	t.Helper()
	for _, tr := range a.Tracks {
		var want []string
		progressive := tr.IndexedFrom == "moov"
		if progressive {
			// A progressive file holds several tracks, and ffmpeg applies its
			// edit lists (dropping the AAC priming frame) where it keeps
			// a fragmented output's: compare the track's frames, sizes and
			// hashes, edit lists ignored (assets.md, "Shown by").
			want = frameHashes(framemd5Of(t, tr.Path, nil, "-ignore_editlist", "1", "-map", "0:"+tr.Kind.String()[:1]+":0"))
		} else {
			want = framemd5(t, tr.Path, nil)
		}
		for _, out := range []packager.Output{packager.CMAF, packager.Smooth} {
			t.Run(fmt.Sprintf("%s/%s/%d/%v", name, tr.Name, tr.Bitrate, out), func(t *testing.T) {
				got := framemd5(t, "", stream(t, tr, out, len(tr.Fragments)))
				if progressive {
					got = frameHashes(got)
				}
				if d := diffLines(got, want); d != "" {
					t.Errorf("decoded output differs from the source: %s", d)
				}
				// The comparison can fail: without the last segment it must.
				if len(tr.Fragments) > 1 {
					short := framemd5(t, "", stream(t, tr, out, len(tr.Fragments)-1))
					if progressive {
						short = frameHashes(short)
					}
					if diffLines(short, want) == "" {
						t.Errorf("output without its last segment decodes like the source")
					}
				}
			})
		}
	}
}

// TestDecodeTrunWithoutDataOffset rewrites a copy of the legacy track file
// so that its truns have no data_offset (the samples start at the tfhd
// base_data_offset) and its mfra is gone; the output must make the offsets
// explicit, and decode like the original.
func TestDecodeTrunWithoutDataOffset(t *testing.T) {
	src := filepath.Join(mediaRoot(t), "legacy", "video_bdo.mp4")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for off := 0; off+8 <= len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		typ := string(b[off+4 : off+8])
		bx := b[off : off+size]
		off += size
		switch typ {
		case "mfra":
			continue
		case "moof":
			moof := bytes.Clone(bx)
			tr := childAt(t, moof, 0, "trun")
			th := childAt(t, moof, 0, "tfhd")
			tf := childAt(t, moof, 0, "traf")
			if moof[tr+11]&1 == 0 || moof[th+11]&1 == 0 {
				t.Fatal("legacy file: want trun data_offset and tfhd base_data_offset")
			}
			moof = append(moof[:tr+16], moof[tr+20:]...)
			moof[tr+11] &^= 1
			for _, p := range []int{0, tf, tr} {
				put32(moof, p, binary.BigEndian.Uint32(moof[p:])-4)
			}
			binary.BigEndian.PutUint64(moof[th+16:], uint64(len(out)+len(moof)+8))
			out = append(out, moof...)
			continue
		}
		out = append(out, bx...)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "nodo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nodo", "v.mp4"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	lib := packager.NewLibrary(localStore(dir), 1)
	defer lib.Close()
	a, err := lib.Asset("nodo")
	if err != nil {
		t.Fatal(err)
	}
	tr := a.Tracks[0]
	if tr.IndexedFrom != "walk" {
		t.Errorf("indexed from %s, want walk", tr.IndexedFrom)
	}
	checkStructure(t, "nodo", tr)
	want := framemd5(t, src, nil)
	if d := diffLines(framemd5(t, filepath.Join(dir, "nodo", "v.mp4"), nil), want); d != "" {
		t.Fatalf("the rewritten source itself decodes differently: %s", d)
	}
	for _, o := range []packager.Output{packager.CMAF, packager.Smooth} {
		if d := diffLines(framemd5(t, "", stream(t, tr, o, len(tr.Fragments))), want); d != "" {
			t.Errorf("output %v: %s", o, d)
		}
	}
}
