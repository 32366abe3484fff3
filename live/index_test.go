package live_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// countingOpens is a local store that counts its Opens: one per object
// read (a fragment's head, an index chunk, init.mp4, …).
type countingOpens struct {
	*storage.Local
	n atomic.Int64
}

func (c *countingOpens) Open(name string) (storage.Object, error) {
	c.n.Add(1)
	return c.Local.Open(name)
}

// TestEndedArchiveOpensFromIndex: the live room stores each track's index
// chunks as they complete and the last one when the output ends, so the
// ended archive opens as VOD from its index (packager/live_index.go), not
// a fragment head at a time; and it serves what it served live, byte for
// byte, as it does without the index (an older archive).
func TestEndedArchiveOpensFromIndex(t *testing.T) {
	old := packager.LiveIndexEvery
	packager.LiveIndexEvery = 4
	t.Cleanup(func() { packager.LiveIndexEvery = old })
	feed, _ := feedBytes(t, 20)
	r := newRig(t, t.TempDir())
	start(t, r, out1)
	if err := r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatalf("ingest: %v", err)
	}
	la, err := r.lib.Asset(out1.Asset)
	if err != nil {
		t.Fatal(err)
	}
	segs := func(a *packager.Asset) map[string][][]byte {
		t.Helper()
		m := map[string][][]byte{}
		for _, tr := range a.Tracks {
			for i := range tr.Fragments {
				b, err := tr.AppendSegment(nil, i, packager.CMAF, nil, nil)
				if err != nil {
					t.Fatalf("%s segment %d: %v", tr.Path, i, err)
				}
				m[filepath.Base(tr.Path)] = append(m[filepath.Base(tr.Path)], b)
			}
		}
		return m
	}
	liveSegs, liveFrags := segs(la), fragsOf(la)
	if err := r.hub.EndOutput("ev", "out"); err != nil {
		t.Fatal(err)
	}

	chunks := 0
	for dir, fs := range liveFrags {
		es, err := os.ReadDir(filepath.Join(r.root, out1.Asset, dir))
		if err != nil {
			t.Fatal(err)
		}
		var got, want []string
		for _, e := range es {
			if strings.HasPrefix(e.Name(), "index-") {
				got = append(got, e.Name())
			}
		}
		for first := uint64(0); first < uint64(len(fs)); first += 4 {
			want = append(want, indexName(first))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s, %d fragments: index chunks %v, want %v", dir, len(fs), got, want)
		}
		chunks += len(got)
	}

	open := func(when string) (int64, *packager.Asset) {
		t.Helper()
		st := &countingOpens{Local: storage.NewLocal(r.root, storage.LocalOptions{})}
		lib := packager.NewLibrary(st, 16)
		t.Cleanup(func() { lib.Close() })
		a, err := lib.Asset(out1.Asset)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		opens := st.n.Load() // opening it, before serving any segment
		if a.Live != nil {
			t.Fatalf("%s: the ended archive is still live", when)
		}
		if got := fragsOf(a); !equalFrags(got, liveFrags) {
			t.Fatalf("%s: fragments %v, live %v", when, got, liveFrags)
		}
		if got := segs(a); !equalSegs(got, liveSegs) {
			t.Fatalf("%s: the segments differ from the live ones", when)
		}
		return opens, a
	}
	withIndex, _ := open("with the index")
	for dir := range liveFrags {
		for first := uint64(0); first < 64; first += 4 {
			os.Remove(filepath.Join(r.root, out1.Asset, dir, indexName(first)))
		}
	}
	without, _ := open("without the index")
	n := 0
	for _, fs := range liveFrags {
		n += len(fs)
	}
	t.Logf("%d tracks, %d fragments: the ended archive opened with %d objects read from its %d index chunks, %d without", len(liveFrags), n, withIndex, chunks, without)
	// Without: one head per fragment. With: one read per chunk, and the
	// first fragment's head of each track.
	if without-withIndex != int64(n-len(liveFrags)-chunks) {
		t.Errorf("opened with %d reads with the index (%d chunks), %d without, for %d fragments", withIndex, chunks, without, n)
	}
}

func fragsOf(a *packager.Asset) map[string][]packager.Fragment {
	m := map[string][]packager.Fragment{}
	for _, tr := range a.Tracks {
		m[filepath.Base(tr.Path)] = tr.Fragments
	}
	return m
}

func equalFrags(a, b map[string][]packager.Fragment) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func equalSegs(a, b map[string][][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.EqualFunc(v, b[k], bytes.Equal) {
			return false
		}
	}
	return true
}

// indexName is an index chunk's name in its track's directory.
func indexName(first uint64) string { return fmt.Sprintf("index-%010d.idx", first) }
