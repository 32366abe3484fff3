package packager_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// remoteCopy is a storagetest.Remote holding the files of testdata/media.
func remoteCopy(t testing.TB) *storagetest.Remote {
	t.Helper()
	r := storagetest.NewRemote()
	copyMedia(t, func(name string, b []byte) error { r.Put(name, b); return nil })
	return r
}

// segmentForms are the outputs and protections every track is cut to
// here: clear CMAF, Smooth and TS, and each scheme of its output.
func segmentForms(t testing.TB) []struct {
	name string
	out  packager.Output
	p    *packager.Protection
} {
	aes := testEncryption(t, packager.SchemeAES128)
	return []struct {
		name string
		out  packager.Output
		p    *packager.Protection
	}{
		{"cmaf", packager.CMAF, nil},
		{"smooth", packager.Smooth, nil},
		{"ts", packager.TS, nil},
		{"cenc", packager.CMAF, testEncryption(t, packager.SchemeCENC)},
		{"cbcs", packager.CMAF, testEncryption(t, packager.SchemeCBCS)},
		{"piff", packager.Smooth, testEncryption(t, packager.SchemePIFF)},
		{"aes-128", packager.TS, aes},
		{"sample-aes", packager.TS, testEncryption(t, packager.SchemeSampleAES)},
	}
}

// TestLibraryRemoteStore: every asset of testdata/media read through a
// remote store (block cache, ranged reads) cuts the same bytes in every
// output and scheme as from local disk, and a cold segment costs at most
// one ranged read.
func TestLibraryRemoteStore(t *testing.T) {
	local := packager.NewLibrary(localStore(mediaRoot(t)), 8)
	defer local.Close()
	r := remoteCopy(t)
	// Small blocks, so that indexing leaves most media uncached and the
	// segments below make the reads counted.
	st := storage.NewRemote(r, storage.RemoteOptions{BlockSize: 16 << 10})
	remote := packager.NewLibrary(st, 8)
	defer remote.Close()
	names, err := local.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		la, err := local.Asset(name)
		if err != nil {
			t.Fatal(err)
		}
		ra, err := remote.Asset(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(la.Tracks) != len(ra.Tracks) {
			t.Fatalf("%s: %d tracks, remote %d", name, len(la.Tracks), len(ra.Tracks))
		}
		for i, lt := range la.Tracks {
			rt := ra.Tracks[i]
			for f := range lt.Fragments {
				for k, form := range segmentForms(t) {
					if strings.HasPrefix(lt.Codecs, "hvc1") || strings.HasPrefix(lt.Codecs, "hev1") {
						if form.p != nil && form.p.Scheme == packager.SchemeSampleAES {
							continue // SAMPLE-AES TS is H.264 and AAC only
						}
					}
					before := r.Reads.Load()
					want, werr := lt.AppendSegment(nil, f, form.out, form.p, nil)
					got, gerr := rt.AppendSegment(nil, f, form.out, form.p, nil)
					if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
						t.Fatalf("%s track %s fragment %d %s: local err %v, remote err %v, equal %v", name, lt.Name, f, form.name, werr, gerr, bytes.Equal(got, want))
					}
					if reads := r.Reads.Load() - before; (k == 0 && reads > 1) || (k > 0 && reads > 0) {
						t.Fatalf("%s track %s fragment %d %s: %d ranged reads", name, lt.Name, f, form.name, reads)
					}
				}
			}
			// Clear fMP4 with the payload lent from the cache's blocks.
			for f := range rt.Fragments {
				for _, out := range []packager.Output{packager.CMAF, packager.Smooth} {
					want, err := lt.AppendSegment(nil, f, out, nil, nil)
					if err != nil {
						t.Fatal(err)
					}
					ms, err := rt.AppendSegmentMapped(nil, nil, f, out)
					if err != nil {
						t.Fatal(err)
					}
					got := ms.Head
					for _, r := range ms.Payload {
						got = append(got, r...)
					}
					if len(ms.Payload) == 0 || !bytes.Equal(got, want) {
						t.Fatalf("%s track %s fragment %d %v: lent from the cache in %d runs, equal %v", name, lt.Name, f, out, len(ms.Payload), bytes.Equal(got, want))
					}
					ms.Release()
				}
			}
			for _, form := range segmentForms(t)[3:6] {
				want, werr := lt.AppendInit(nil, form.out, form.p)
				got, gerr := rt.AppendInit(nil, form.out, form.p)
				if werr != nil || gerr != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s track %s init %s: %v %v equal %v", name, lt.Name, form.name, werr, gerr, bytes.Equal(got, want))
				}
			}
		}
	}
}

// TestLibraryRemoteFaults: a store that cannot be read gives errors that
// wrap storage.ErrUnavailable (never ErrCorrupt, never remembered as a
// broken asset), cached segments are still cut, and a replaced object is
// re-indexed, never mixed.
func TestLibraryRemoteFaults(t *testing.T) {
	r := remoteCopy(t)
	st := storage.NewRemote(r, storage.RemoteOptions{BlockSize: 4 << 10, Timeout: 100 * time.Millisecond, Backoff: time.Millisecond})
	lib := packager.NewLibrary(st, 8)
	defer lib.Close()

	r.Down.Store(true)
	if _, err := lib.Asset("demo"); !errors.Is(err, storage.ErrUnavailable) || errors.Is(err, packager.ErrCorrupt) {
		t.Fatalf("index with the store down: %v", err)
	}
	r.Down.Store(false)
	a, err := lib.Asset("demo") // not remembered as a failure
	if err != nil {
		t.Fatal(err)
	}
	tr := a.Tracks[0]
	cached, err := tr.AppendSegment(nil, 0, packager.CMAF, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Down.Store(true)
	if got, err := tr.AppendSegment(nil, 0, packager.CMAF, nil, nil); err != nil || !bytes.Equal(got, cached) {
		t.Fatalf("cached segment with the store down: %v", err)
	}
	last := len(tr.Fragments) - 1
	if _, err := tr.AppendSegment(nil, last, packager.CMAF, nil, nil); !errors.Is(err, storage.ErrUnavailable) || errors.Is(err, packager.ErrCorrupt) {
		t.Fatalf("uncached segment with the store down: %v", err)
	}
	r.Down.Store(false)

	// Replace the track file by another asset's: the old index must not
	// read it.
	other, err := os.ReadFile(filepath.Join(mediaRoot(t), "legacy", filepath.Base(a.Tracks[1].Path)))
	if err != nil {
		other = bytes.Repeat([]byte{0}, 4096)
	}
	r.Put("demo/"+filepath.Base(tr.Path), other)
	if _, err := tr.AppendSegment(nil, last, packager.CMAF, nil, nil); !errors.Is(err, storage.ErrChanged) {
		t.Fatalf("segment of a replaced object: %v, want storage.ErrChanged", err)
	}
	a2, err := lib.Asset("demo")
	if a2 == a {
		t.Fatal("the asset was not built again after its file changed")
	}
	_ = err // the replacement may not index as the same track: that is its own error
}

// TestIndexReadsMoofsAhead: a fragmented file whose sidx or mfra says
// where its moofs are is indexed from an object store with those moofs
// read in parallel, not one round trip after the other.
func TestIndexReadsMoofsAhead(t *testing.T) {
	r := remoteCopy(t)
	r.Delay.Store(int64(5 * time.Millisecond))
	lib := packager.NewLibrary(storage.NewRemote(r, storage.RemoteOptions{BlockSize: 1 << 10}), 4)
	defer lib.Close()
	a, err := lib.Asset("demo") // mfra in every file
	if err != nil {
		t.Fatal(err)
	}
	if got := r.MaxInFlight.Load(); got < 2 {
		t.Fatalf("indexing %d tracks read at most %d moofs at once, want them read ahead in parallel", len(a.Tracks), got)
	}
}
