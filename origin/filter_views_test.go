package origin

import (
	"testing"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/packager"
)

// TestViewCache: the same asset under the same filters content gets the
// view built once; another snapshot of the asset (a live asset's next
// publish, a re-indexed asset), or a filter whose content changed, gets a
// view of its own, computed from what it is now; a filter that leaves
// nothing is an error every time and is not cached.
func TestViewCache(t *testing.T) {
	frags := func(n int) []packager.Fragment {
		fs := make([]packager.Fragment, n)
		for i := range fs {
			fs[i] = packager.Fragment{Time: uint64(i) * 10, Duration: 10}
		}
		return fs
	}
	asset := func(n int) *packager.Asset {
		return &packager.Asset{Name: "a", Tracks: []*packager.Track{
			{Name: "video", Kind: packager.Video, Bitrate: 600000, Timescale: 10, Fragments: frags(n)},
			{Name: "audio", Kind: packager.Audio, Bitrate: 96000, Timescale: 10, Fragments: frags(n)},
		}}
	}
	from := func(start uint64, sum byte) *keyclient.ResolvedFilter {
		one := uint64(1)
		f := &keyclient.ResolvedFilter{Filter: &keyclient.Filter{
			PresentationTimeRange: &keyclient.PresentationTimeRange{StartTimestamp: &start, Timescale: &one}}}
		f.Sum[0] = sum
		return f
	}
	var c viewCache
	a1 := asset(10)
	f1 := from(3, 1)
	v1, err := c.view(a1, []*keyclient.ResolvedFilter{f1})
	if err != nil || len(v1.tracks) != 2 || v1.tracks[0].from != 3 || v1.tracks[0].to != 10 {
		t.Fatalf("view: %+v, %v", v1, err)
	}
	// The same content under another *ResolvedFilter (the resolver's
	// entry refreshed): the cached view.
	if v, _ := c.view(a1, []*keyclient.ResolvedFilter{from(3, 1)}); v != v1 {
		t.Error("the same asset and filter content built a second view")
	}
	// The asset's next snapshot, with more fragments.
	a2 := asset(12)
	if v, _ := c.view(a2, []*keyclient.ResolvedFilter{f1}); v == v1 || v.tracks[0].to != 12 {
		t.Errorf("next snapshot: %+v, the old view %v", v, v == v1)
	}
	// The filter changed (another content hash).
	if v, _ := c.view(a2, []*keyclient.ResolvedFilter{from(5, 2)}); v.tracks[0].from != 5 {
		t.Errorf("changed filter: kept from %d, want 5", v.tracks[0].from)
	}
	// Two filters are another key than either alone.
	if v, _ := c.view(a2, []*keyclient.ResolvedFilter{f1, from(5, 2)}); v.tracks[0].from != 5 {
		t.Errorf("two filters: kept from %d, want 5", v.tracks[0].from)
	}
	// A filter that leaves nothing: the 400, each time.
	for range 2 {
		if v, err := c.view(a2, []*keyclient.ResolvedFilter{from(1000, 3)}); err == nil || v != nil {
			t.Errorf("a filter that keeps nothing: %v, %v", v, err)
		}
	}
	if n := len(c.items); n != 3 {
		t.Errorf("%d entries, want 3 (the replaced snapshot and the error are not kept)", n)
	}
}

// TestViewCacheBounded: the cache starts over once it holds maxViewEntries.
func TestViewCacheBounded(t *testing.T) {
	var c viewCache
	a := &packager.Asset{Name: "a", Tracks: []*packager.Track{{Name: "video", Kind: packager.Video, Fragments: make([]packager.Fragment, 1)}}}
	for i := range maxViewEntries + 10 {
		f := &keyclient.ResolvedFilter{Filter: &keyclient.Filter{}}
		f.Sum[0], f.Sum[1] = byte(i), byte(i>>8)
		if _, err := c.view(a, []*keyclient.ResolvedFilter{f}); err != nil {
			t.Fatal(err)
		}
		if len(c.items) > maxViewEntries {
			t.Fatalf("%d entries, bound %d", len(c.items), maxViewEntries)
		}
	}
}
