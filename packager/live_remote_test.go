package packager_test

import (
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// TestLiveRefreshListsWhatIsNew: a replica's live track over an object
// store (a remote Store of its own over the ingesting origin's bucket)
// indexes what the ingesting origin archived with prefix listings of the
// sequence numbers from its next one on, ten at a time, never a listing
// of the whole track: the same fragments, offsets and sequence numbers,
// whether one or many arrived since its last look, across decades.
func TestLiveRefreshListsWhatIsNew(t *testing.T) {
	f := readISMVFeed(t)
	r := storagetest.NewRemote()
	opt := storage.RemoteOptions{Timeout: time.Second, Attempts: 1}
	a, b := storage.NewRemote(r, opt), storage.NewRemote(r, opt)
	const dir = "show/video.live"
	ing, err := packager.OpenLiveTrack(a, a, dir, &f.init, packager.LiveTrackMeta{Name: "video", Bitrate: 400000})
	if err != nil {
		t.Fatal(err)
	}
	d := f.times[1] - f.times[0]
	next := f.times[0]
	appendN := func(n int) {
		t.Helper()
		for range n {
			// The first fragment again and again: one duration each,
			// what the index and the listing need.
			if err := ing.Append(f.frags[0], next, 0, time.Now()); err != nil {
				t.Fatal(err)
			}
			next += d
		}
	}
	appendN(1)
	rep, err := packager.OpenLiveTrack(b, nil, dir, nil, packager.LiveTrackMeta{})
	if err != nil {
		t.Fatal(err)
	}
	same := func(when string) {
		t.Helper()
		got, want := rep.Track(), ing.Track()
		if len(got.Fragments) != len(want.Fragments) || got.Sequence != want.Sequence {
			t.Fatalf("%s: the replica has %d fragments from %d, the ingesting origin %d from %d",
				when, len(got.Fragments), got.Sequence, len(want.Fragments), want.Sequence)
		}
		for i := range want.Fragments {
			if got.Fragments[i] != want.Fragments[i] {
				t.Fatalf("%s: fragment %d: %+v, want %+v", when, i, got.Fragments[i], want.Fragments[i])
			}
		}
	}
	for _, c := range []struct {
		n, lists int // fragments archived since the last refresh; prefix listings it takes
	}{{0, 1}, {24, 3}, {1, 1}, {4, 2}, {1, 1}} {
		appendN(c.n)
		l0, p0 := r.Lists.Load(), r.PrefixLists.Load()
		if err := rep.Refresh(0, time.Now()); err != nil {
			t.Fatal(err)
		}
		if l, p := r.Lists.Load()-l0, r.PrefixLists.Load()-p0; l != 0 || p != int64(c.lists) {
			t.Errorf("after %d new fragments (%d in all): %d listings of the track and %d prefix listings, want 0 and %d",
				c.n, len(ing.Track().Fragments), l, p, c.lists)
		}
		same("after a refresh")
	}
}
