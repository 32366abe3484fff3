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
		if _, err := rep.Refresh(0, time.Now()); err != nil {
			t.Fatal(err)
		}
		if l, p := r.Lists.Load()-l0, r.PrefixLists.Load()-p0; l != 0 || p != int64(c.lists) {
			t.Errorf("after %d new fragments (%d in all): %d listings of the track and %d prefix listings, want 0 and %d",
				c.n, len(ing.Track().Fragments), l, p, c.lists)
		}
		same("after a refresh")
	}
}

// TestLiveResumeReadsAtOnce: resuming a live track over an object store
// (a restart, a replica joining mid-event) reads its fragments' heads
// several at once, not one round trip after another, and indexes the
// same track; a fragment removed between the listing and its read (the
// ingesting origin sliding its window) is left out, not the whole track.
func TestLiveResumeReadsAtOnce(t *testing.T) {
	f := readISMVFeed(t)
	r := storagetest.NewRemote()
	opt := storage.RemoteOptions{Timeout: time.Second, Attempts: 1}
	a := storage.NewRemote(r, opt)
	const dir = "show/video.live"
	ing, err := packager.OpenLiveTrack(a, a, dir, &f.init, packager.LiveTrackMeta{Name: "video", Bitrate: 400000})
	if err != nil {
		t.Fatal(err)
	}
	d := f.times[1] - f.times[0]
	for k := range 100 {
		if err := ing.Append(f.frags[0], f.times[0]+uint64(k)*d, 0, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	r.Delay.Store(int64(5 * time.Millisecond))
	r.MaxInFlight.Store(0)
	start := time.Now()
	rep, err := packager.OpenLiveTrack(storage.NewRemote(r, opt), nil, dir, nil, packager.LiveTrackMeta{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("100 fragments resumed in %v, %d reads at once at most", time.Since(start), r.MaxInFlight.Load())
	if n := r.MaxInFlight.Load(); n < 4 {
		t.Errorf("at most %d reads at once while resuming 100 fragments", n)
	}
	got, want := rep.Track(), ing.Track()
	if len(got.Fragments) != len(want.Fragments) || got.Fragments[99] != want.Fragments[99] {
		t.Fatalf("resumed %d fragments, want %d", len(got.Fragments), len(want.Fragments))
	}
	r.Delay.Store(0)
	// The first fragment goes between the listing and its read.
	gone := storage.NewRemote(r, opt)
	listing, err := gone.List(dir + "/")
	if err != nil {
		t.Fatal(err)
	}
	r.Delete(dir + "/" + listing[0].Name)
	rep2, err := packager.OpenLiveTrack(listedBefore{gone, dir + "/", listing}, nil, dir, nil, packager.LiveTrackMeta{})
	if err != nil {
		t.Fatalf("a fragment reclaimed during the resume: %v", err)
	}
	if n := len(rep2.Track().Fragments); n != 99 || rep2.Track().Sequence != 1 {
		t.Fatalf("resumed %d fragments from %d, want 99 from 1", n, rep2.Track().Sequence)
	}
}

// listedBefore is a store whose listing of prefix is an older one: the
// listing raced a removal.
type listedBefore struct {
	*storage.RemoteStore
	prefix  string
	listing []storage.Entry
}

func (l listedBefore) List(prefix string) ([]storage.Entry, error) {
	if prefix == l.prefix {
		return l.listing, nil
	}
	return l.RemoteStore.List(prefix)
}
