package packager_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// maxFuzzFile caps the inputs FuzzIndex accepts, and with them what one
// iteration can allocate: every allocation of the indexer is bounded by the
// file size or by the named limits.
const maxFuzzFile = 1 << 20

// maxWholeSeed: larger track files seed only with their first 4 and 32 KiB,
// which keeps the fuzzer's mutations fast.
const maxWholeSeed = 128 << 10

// addSeeds adds b to f's seeds whole when it is at most maxWholeSeed, and
// its first cuts bytes.
func addSeeds(f *testing.F, b []byte, cuts ...int) {
	if len(b) <= maxWholeSeed {
		f.Add(b)
	}
	for _, n := range cuts {
		f.Add(b[:min(len(b), n)])
	}
}

// addTrackSeeds seeds f, with addSeeds, from every track file under root
// (the .ism manifests left out).
func addTrackSeeds(f *testing.F, root string, cuts ...int) {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".ism") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		addSeeds(f, b, cuts...)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

// FuzzIndex feeds a track file to the indexer (from memory: a
// storage.Mem, mapped as a local file is) and, when it is accepted, cuts
// every fragment in both outputs. It must never panic. Seeds: every
// track file under testdata/media, cut to its first 4 and 32 KiB, and
// whole when it is at most maxWholeSeed.
// Crashers go to testdata/fuzz/FuzzIndex/ (none so far).
func FuzzIndex(f *testing.F) {
	addTrackSeeds(f, mediaRoot(f), 4096, 32768)
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
		var buf []byte
		for _, tr := range a.Tracks {
			for _, out := range []packager.Output{packager.CMAF, packager.Smooth} {
				if buf, err = tr.AppendInit(buf[:0], out, nil); err != nil {
					t.Fatal(err)
				}
				for i, fr := range tr.Fragments {
					buf, err = tr.AppendSegment(buf[:0], i, out, nil, nil)
					if err != nil {
						t.Fatalf("fragment %d of an indexed file: %v", i, err)
					}
					if !tiles(buf, "moof", "mdat") || !bytes.Contains(buf[:min(len(buf), 64)], []byte("moof")) {
						t.Fatalf("fragment %d: %d bytes output for %d are not boxes ending in moof, mdat", i, len(buf), fr.Size)
					}
				}
			}
		}
	})
}

// tiles reports whether b is a run of top-level boxes with 32-bit sizes
// that ends exactly at len(b), the last two of types last.
func tiles(b []byte, last ...string) bool {
	var types []string
	for p := 0; p < len(b); {
		if len(b)-p < 8 {
			return false
		}
		n := int(uint32(b[p])<<24 | uint32(b[p+1])<<16 | uint32(b[p+2])<<8 | uint32(b[p+3]))
		if n < 8 || n > len(b)-p {
			return false
		}
		types = append(types, string(b[p+4:p+8]))
		p += n
	}
	return len(types) >= len(last) && strings.Join(types[len(types)-len(last):], ",") == strings.Join(last, ",")
}

// memAsset is a store in memory whose asset "a" is the track file b.
func memAsset(t *testing.T, b []byte) storage.Store {
	m := storage.NewMem()
	if err := m.Put("a/t.mp4", b); err != nil {
		t.Fatal(err)
	}
	return m
}
