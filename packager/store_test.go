package packager_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// memCopy is a storage.Mem holding the files of testdata/media.
func memCopy(t testing.TB) *storage.Mem {
	t.Helper()
	m := storage.NewMem()
	copyMedia(t, m.Put)
	return m
}

// copyMedia puts each file of testdata/media, by its name under the root.
func copyMedia(t testing.TB, put func(name string, b []byte) error) {
	t.Helper()
	root := mediaRoot(t)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		return put(filepath.ToSlash(rel), b)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLibraryStores: a library over the memory copy of testdata/media
// lists and indexes the same assets, with the same track names and base
// names, and cuts the same segments as one over the directory.
func TestLibraryStores(t *testing.T) {
	local := packager.NewLibrary(localStore(mediaRoot(t)), 4)
	defer local.Close()
	mem := packager.NewLibrary(memCopy(t), 4)
	defer mem.Close()
	names, err := local.List()
	if err != nil || !slices.Equal(names, []string{"demo", "hevc", "legacy", "progressive"}) {
		t.Fatalf("local List = %v, %v", names, err)
	}
	if got, err := mem.List(); err != nil || !slices.Equal(got, names) {
		t.Fatalf("mem List = %v, %v", got, err)
	}
	for _, name := range names {
		la, err := local.Asset(name)
		if err != nil {
			t.Fatal(err)
		}
		ma, err := mem.Asset(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(la.Tracks) != len(ma.Tracks) || la.ManifestName != ma.ManifestName {
			t.Fatalf("%s: %d tracks (%s), in memory %d (%s)", name, len(la.Tracks), la.ManifestName, len(ma.Tracks), ma.ManifestName)
		}
		for i, lt := range la.Tracks {
			mt := ma.Tracks[i]
			if lt.Name != mt.Name || lt.Bitrate != mt.Bitrate || filepath.Base(lt.Path) != filepath.Base(mt.Path) ||
				lt.Path != filepath.Join(mediaRoot(t), name, filepath.Base(lt.Path)) {
				t.Errorf("%s track %d: %s %d %s, in memory %s %d %s", name, i, lt.Name, lt.Bitrate, lt.Path, mt.Name, mt.Bitrate, mt.Path)
			}
			for f := range lt.Fragments {
				want, err := lt.AppendSegment(nil, f, packager.CMAF, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				got, err := mt.AppendSegment(nil, f, packager.CMAF, nil, nil)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s track %d fragment %d: in memory %v, equal %v", name, i, f, err, bytes.Equal(got, want))
				}
			}
		}
	}
	if _, err := mem.Asset("nosuch"); !errors.Is(err, packager.ErrAssetNotFound) {
		t.Errorf("missing asset in memory: %v", err)
	}
}
