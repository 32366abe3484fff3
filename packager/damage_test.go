package packager_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// damage is a way to break a copy of demo/video_320x180.mp4 (ftyp, moov,
// four moof+mdat pairs, mfra).
type damage struct {
	name string
	fn   func(t *testing.T, b []byte) []byte
}

// boxAt returns the offset of the n-th top-level box of that type.
func boxAt(t *testing.T, b []byte, typ string, n int) int {
	t.Helper()
	for off := 0; off+8 <= len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		if string(b[off+4:off+8]) == typ {
			if n == 0 {
				return off
			}
			n--
		}
		if size < 8 {
			break
		}
		off += size
	}
	t.Fatalf("no %s #%d", typ, n)
	return 0
}

// childAt returns the offset of the first box of that type inside b[from:].
func childAt(t *testing.T, b []byte, from int, typ string) int {
	t.Helper()
	i := bytes.Index(b[from:], []byte(typ))
	if i < 4 {
		t.Fatalf("no %s after %d", typ, from)
	}
	return from + i - 4
}

func put32(b []byte, off int, v uint32) []byte {
	binary.BigEndian.PutUint32(b[off:], v)
	return b
}

var damages = []damage{
	{"empty", func(t *testing.T, b []byte) []byte { return nil }},
	{"garbage", func(t *testing.T, b []byte) []byte {
		r := rand.New(rand.NewPCG(1, 2))
		g := make([]byte, 10000)
		for i := range g {
			g[i] = byte(r.Uint32())
		}
		return g
	}},
	{"truncated in moov", func(t *testing.T, b []byte) []byte { return b[:boxAt(t, b, "moov", 0)+300] }},
	{"truncated in moof", func(t *testing.T, b []byte) []byte { return b[:boxAt(t, b, "moof", 2)+200] }},
	{"truncated in mdat", func(t *testing.T, b []byte) []byte { return b[:boxAt(t, b, "mdat", 3)+1000] }},
	{"moov size huge", func(t *testing.T, b []byte) []byte { return put32(b, boxAt(t, b, "moov", 0), 0xfffffff0) }},
	{"moov size small", func(t *testing.T, b []byte) []byte { return put32(b, boxAt(t, b, "moov", 0), 9) }},
	{"moof size huge", func(t *testing.T, b []byte) []byte { return put32(b, boxAt(t, b, "moof", 1), 0xfffffff0) }},
	{"moof size zero", func(t *testing.T, b []byte) []byte { return put32(b, boxAt(t, b, "moof", 1), 0) }},
	{"moof size 4", func(t *testing.T, b []byte) []byte { return put32(b, boxAt(t, b, "moof", 1), 4) }},
	{"mdat size huge", func(t *testing.T, b []byte) []byte { return put32(b, boxAt(t, b, "mdat", 1), 0xfffffff0) }},
	{"mdat large size huge", func(t *testing.T, b []byte) []byte {
		off := boxAt(t, b, "mdat", 3)
		put32(b, off, 1)
		binary.BigEndian.PutUint64(b[off+8:], 1<<50)
		return b
	}},
	{"traf size lies", func(t *testing.T, b []byte) []byte {
		m := boxAt(t, b, "moof", 1)
		return put32(b, childAt(t, b, m, "traf"), 0x10000)
	}},
	{"trun sample count huge", func(t *testing.T, b []byte) []byte {
		tr := childAt(t, b, boxAt(t, b, "moof", 2), "trun")
		return put32(b, tr+12, 0x7fffffff)
	}},
	{"trun data offset outside mdat", func(t *testing.T, b []byte) []byte {
		tr := childAt(t, b, boxAt(t, b, "moof", 2), "trun")
		return put32(b, tr+16, 0x7ffffff0)
	}},
	{"sample size lies", func(t *testing.T, b []byte) []byte {
		tr := childAt(t, b, boxAt(t, b, "moof", 3), "trun")
		// flags 0xa05: data offset, first sample flags, then (size, cto) entries.
		return put32(b, tr+24, 0x00ffffff)
	}},
	{"decode time goes back", func(t *testing.T, b []byte) []byte {
		tf := childAt(t, b, boxAt(t, b, "moof", 3), "tfdt")
		binary.BigEndian.PutUint64(b[tf+12:], 0)
		return b
	}},
	{"tfhd of another track", func(t *testing.T, b []byte) []byte {
		th := childAt(t, b, boxAt(t, b, "moof", 0), "tfhd")
		return put32(b, th+12, 9)
	}},
}

// TestDamagedFiles: every damage gives a clean error that wraps ErrCorrupt
// (or ErrUnsupported) and names the file, and a healthy asset in the same
// library keeps working.
func TestDamagedFiles(t *testing.T) {
	root := t.TempDir()
	src, err := os.ReadFile(filepath.Join(mediaRoot(t), "demo", "video_320x180.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(mediaRoot(t), "hevc", "audio.mp4"), filepath.Join(root, "good", "audio.mp4"))
	lib := packager.NewLibrary(localStore(root), 2)
	defer lib.Close()
	for i, d := range damages {
		name := "broken" + string(rune('a'+i))
		path := filepath.Join(root, name, "video.mp4")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, d.fn(t, bytes.Clone(src)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := lib.Asset(name)
		switch {
		case err == nil:
			t.Errorf("%s: no error", d.name)
		case !errors.Is(err, packager.ErrCorrupt) && !errors.Is(err, packager.ErrUnsupported):
			t.Errorf("%s: %v, want ErrCorrupt", d.name, err)
		case !strings.Contains(err.Error(), path):
			t.Errorf("%s: %v does not name the file", d.name, err)
		default:
			t.Logf("%s: %v", d.name, err)
		}
		a, err := lib.Asset("good")
		if err != nil {
			t.Fatalf("after %s: good asset: %v", d.name, err)
		}
		if _, err := a.Tracks[0].AppendSegment(nil, 0, packager.CMAF, nil, nil); err != nil {
			t.Fatalf("after %s: good asset segment: %v", d.name, err)
		}
	}
}

// TestFileChangedAfterIndex: a track file cut short or overwritten after it
// was indexed (and mapped: the first segment maps it) gives ErrCorrupt from
// AppendSegment and AppendSegmentMapped, not a bad segment, and the
// mapping's page past the new end (SIGBUS) does not end the process.
func TestFileChangedAfterIndex(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "a", "v.mp4")
	copyFile(t, filepath.Join(mediaRoot(t), "demo", "video_320x180.mp4"), path)
	lib := packager.NewLibrary(localStore(root), 1)
	defer lib.Close()
	a, err := lib.Asset("a")
	if err != nil {
		t.Fatal(err)
	}
	tr := a.Tracks[0]
	last := len(tr.Fragments) - 1
	if _, err := tr.AppendSegment(nil, 0, packager.CMAF, nil, nil); err != nil {
		t.Fatal(err)
	}
	held, err := tr.AppendSegmentMapped(nil, nil, last, packager.CMAF)
	if err != nil || len(held.Payload) == 0 {
		t.Fatalf("mapped segment: %v", err)
	}
	// Cut the file at the page boundary before the last fragment: its
	// first byte is then on a mapped page wholly past the end (SIGBUS).
	if err := os.Truncate(path, tr.Fragments[last].Offset&^4095); err != nil {
		t.Fatal(err)
	}
	// A payload taken before the cut: writing it faults, and that is an
	// error for the response, not a crash.
	var sink bytes.Buffer
	if _, err := held.WriteTo(&sink); err == nil {
		t.Error("writing a payload cut short under its mapping: no error")
	} else {
		t.Logf("write: %v", err)
	}
	held.Release()
	// Encrypted and TS segments read the mapping too.
	for _, sc := range allSchems {
		b, err := tr.AppendSegment([]byte("keep"), last, outputOf(sc), testEncryption(t, sc), new(packager.Scratch))
		if !errors.Is(err, packager.ErrCorrupt) || string(b) != "keep" {
			t.Errorf("%s, truncated: %v, buffer %q", sc, err, b)
		}
	}
	ts := packager.AcquireScratch()
	if b, err := tr.AppendSegmentTS([]byte("keep"), last, nil, packager.TSOptions{}, ts); !errors.Is(err, packager.ErrCorrupt) || string(b) != "keep" {
		t.Errorf("TS, truncated: %v, buffer %q", err, b)
	}
	packager.ReleaseScratch(ts)
	buf := []byte("keep")
	buf, err = tr.AppendSegment(buf, last, packager.CMAF, nil, nil)
	if !errors.Is(err, packager.ErrCorrupt) || string(buf) != "keep" {
		t.Errorf("truncated: %v, buffer %q", err, buf)
	}
	ms, err := tr.AppendSegmentMapped([]byte("keep"), nil, last, packager.CMAF)
	if !errors.Is(err, packager.ErrCorrupt) || string(ms.Head) != "keep" || len(ms.Payload) != 0 {
		t.Errorf("truncated, mapped: %v, head %q, payload of %d runs", err, ms.Head, len(ms.Payload))
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("XXXXXXXX"), tr.Fragments[1].Offset); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := tr.AppendSegment(nil, 1, packager.Smooth, nil, nil); !errors.Is(err, packager.ErrCorrupt) {
		t.Errorf("overwritten: %v", err)
	}
}
