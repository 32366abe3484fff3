package live_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// TestReplicaPollHealsLostAnnouncements: a replica that misses the
// announcements (lost from the first fragment of the second request on)
// lists the ingesting origin's fragments within its poll period anyway;
// a fragment after a gap in the encoder's timeline within the full
// listing's period; polls that find nothing publish nothing (the cached
// manifests stay); and a replica started after the announcements has the
// window at once.
func TestReplicaPollHealsLostAnnouncements(t *testing.T) {
	const every = 100 * time.Millisecond
	feed, _ := feedBytes(t, 10)
	init, fs := splitFeed(t, feed)
	root := t.TempDir()
	newReplica := func() *rig {
		st := storage.NewLocal(root, storage.LocalOptions{})
		lib := packager.NewLibrary(st, 16)
		hub := live.NewHub(live.Config{Store: st, Writer: st, Assets: lib, RefreshEvery: every})
		t.Cleanup(func() { hub.Close(); lib.Close() })
		r := &rig{root: root, st: st, lib: lib, hub: hub}
		start(t, r, out1)
		return r
	}
	replica := newReplica()
	ing := newRig(t, root)
	var lost atomic.Bool
	st := ing.st
	ing.hub = live.NewHub(live.Config{Store: st, Writer: st, Assets: ing.lib, RefreshEvery: -1, Announce: func(a live.Announcement) {
		if !lost.Load() {
			if err := replica.hub.Refresh(a.Asset); err != nil {
				t.Errorf("refresh: %v", err)
			}
		}
	}})
	t.Cleanup(func() { ing.hub.Close() })
	start(t, ing, out1)

	// caughtUp waits until the replica lists what the ingesting origin
	// does, and says how long that took.
	caughtUp := func(within time.Duration) time.Duration {
		t.Helper()
		t0 := time.Now()
		for {
			want, got := frags(t, ing, "liveasset"), map[string][]packager.Fragment{}
			if _, err := replica.lib.Asset("liveasset"); err == nil {
				got = frags(t, replica, "liveasset")
			}
			if reflect.DeepEqual(got, want) {
				return time.Since(t0)
			}
			if time.Since(t0) > within {
				t.Fatalf("the replica lists %d tracks %v, the ingesting origin %d %v, after %v", len(got), counts(got), len(want), counts(want), within)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if err := ing.hub.Ingest(context.Background(), "ev", "s1", body(init, fs[:4]...)); err != nil {
		t.Fatal(err)
	}
	caughtUp(every / 20) // announced
	lost.Store(true)
	if err := ing.hub.Ingest(context.Background(), "ev", "s1", body(init, fs[4:10]...)); err != nil {
		t.Fatal(err)
	}
	// Bound: one period, and the look; generous for a busy machine.
	d := caughtUp(10 * every)
	t.Logf("lost announcements healed in %v (poll every %v)", d.Round(time.Millisecond), every)

	// Nothing new: the polls publish nothing.
	a1, _ := replica.lib.Asset("liveasset")
	time.Sleep(4 * every)
	if a2, _ := replica.lib.Asset("liveasset"); a2 != a1 {
		t.Error("a poll that found nothing published a new snapshot")
	}

	// A gap in the encoder's timeline: found by the full listing.
	if err := ing.hub.Ingest(context.Background(), "ev", "s1", body(init, fs[13:]...)); err != nil {
		t.Fatal(err)
	}
	d = caughtUp(15*every + 30*every)
	t.Logf("fragments after a gap healed in %v (full listing every %v)", d.Round(time.Millisecond), 15*every)

	// A replica started after every announcement.
	late := newReplica()
	if !reflect.DeepEqual(frags(t, late, "liveasset"), frags(t, ing, "liveasset")) {
		t.Fatal("a replica started late does not list the window")
	}
}

func counts(m map[string][]packager.Fragment) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}

// TestPollRestoresStart: an origin that opened the output at its creation
// may put a live.json without the start over the one the ingesting origin
// stored (a read, then a put); the ingesting origin's poll puts the start
// back, so that a restart or a replica finds the event's
// availabilityStartTime unchanged.
func TestPollRestoresStart(t *testing.T) {
	feed, _ := feedBytes(t, 6)
	root := t.TempDir()
	r := newRig(t, root)
	r.hub = live.NewHub(live.Config{Store: r.st, Writer: r.st, Assets: r.lib, RefreshEvery: 50 * time.Millisecond})
	t.Cleanup(func() { r.hub.Close() })
	start(t, r, out1)
	if err := r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatal(err)
	}
	want, err := packager.ReadLiveInfo(r.st, out1.Asset)
	if err != nil || want.Start.IsZero() {
		t.Fatalf("no start stored after the feed: %+v, %v", want, err)
	}
	stale, _ := json.Marshal(packager.LiveInfo{ManifestName: out1.Manifest, Window: out1.Window})
	if err := r.st.Put(out1.Asset+"/"+packager.LiveInfoName, stale); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := packager.ReadLiveInfo(r.st, out1.Asset)
		if err == nil && got.Start.Equal(want.Start) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the start was not put back: %+v (%v), want %v", got, err, want.Start)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
