package live_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// splitFeed cuts an ismv feed into its init (every box before the first
// moof) and its moof+mdat pairs.
func splitFeed(t *testing.T, b []byte) (init []byte, frags [][]byte) {
	t.Helper()
	off := 0
	for off+8 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[off:]))
		typ := string(b[off+4 : off+8])
		switch typ {
		case "moof":
			m := int(binary.BigEndian.Uint32(b[off+n:]))
			frags = append(frags, b[off:off+n+m])
			n += m
		case "mfra":
		default:
			if len(frags) == 0 {
				init = append(init, b[off:off+n]...)
			}
		}
		off += n
	}
	return init, frags
}

func body(init []byte, frags ...[]byte) *bytes.Reader {
	return bytes.NewReader(append(append([]byte(nil), init...), bytes.Join(frags, nil)...))
}

func start(t *testing.T, r *rig, o live.Output) {
	t.Helper()
	if err := r.hub.StartEvent(o.Event); err != nil {
		t.Fatal(err)
	}
	if err := r.hub.AddOutput(o); err != nil {
		t.Fatal(err)
	}
}

func frags(t *testing.T, r *rig, asset string) map[string][]packager.Fragment {
	t.Helper()
	a, err := r.lib.Asset(asset)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]packager.Fragment{}
	for _, tr := range a.Tracks {
		out[tr.Name+"@"+itoa(tr.Bitrate)] = tr.Fragments
	}
	return out
}

func itoa(v int) string { return strconv.Itoa(v) }

// TestReconnectContinues pushes a feed in two requests, the second
// starting again with the init and resending the last fragment: the
// archive holds every fragment once, in order, on the encoder's clock.
func TestReconnectContinues(t *testing.T) {
	feed, _ := feedBytes(t, 10)
	init, fs := splitFeed(t, feed)
	r := newRig(t, t.TempDir())
	start(t, r, out1)
	half := len(fs) / 2
	if err := r.hub.Ingest(context.Background(), "ev", "s1", body(init, fs[:half]...)); err != nil {
		t.Fatal(err)
	}
	if err := r.hub.Ingest(context.Background(), "ev", "s1", body(init, fs[half-1:]...)); err != nil {
		t.Fatalf("reconnection: %v", err)
	}
	whole := newRig(t, t.TempDir())
	start(t, whole, out1)
	if err := whole.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatal(err)
	}
	got, want := frags(t, r, "liveasset"), frags(t, whole, "liveasset")
	if len(got) != 3 {
		t.Fatalf("%d tracks", len(got))
	}
	for k, w := range want {
		g := got[k]
		if len(g) != len(w) {
			t.Fatalf("%s: %d fragments after a reconnection, %d in one go", k, len(g), len(w))
		}
		for i := range w {
			if g[i].Time != w[i].Time || g[i].Duration != w[i].Duration || g[i].Size != w[i].Size {
				t.Errorf("%s fragment %d: %+v, want %+v", k, i, g[i], w[i])
			}
		}
	}
}

// TestBackwardsRefused: a fragment whose decode time goes back before the
// newest (and is none archived) stops the feed; the archive is untouched.
func TestBackwardsRefused(t *testing.T) {
	feed, _ := feedBytes(t, 6)
	init, fs := splitFeed(t, feed)
	r := newRig(t, t.TempDir())
	start(t, r, out1)
	if err := r.hub.Ingest(context.Background(), "ev", "s1", body(init, fs...)); err != nil {
		t.Fatal(err)
	}
	before := frags(t, r, "liveasset")
	// A fragment of track 1 shifted back by half a fragment.
	bad := shiftTfxd(t, fs[len(fs)-3], -10_000_000)
	err := r.hub.Ingest(context.Background(), "ev", "s1", body(init, bad))
	if !errors.Is(err, live.ErrRefused) {
		t.Fatalf("backwards: %v, want ErrRefused", err)
	}
	after := frags(t, r, "liveasset")
	for k := range before {
		if len(before[k]) != len(after[k]) {
			t.Errorf("%s: %d fragments, %d before", k, len(after[k]), len(before[k]))
		}
	}
}

// shiftTfxd returns a copy of a moof+mdat whose tfxd time is moved by d.
func shiftTfxd(t *testing.T, f []byte, d int64) []byte {
	t.Helper()
	b := append([]byte(nil), f...)
	i := bytes.Index(b, []byte{0x6d, 0x1d, 0x9b, 0x05, 0x42, 0xd5, 0x44, 0xe6})
	if i < 0 || b[i+16] != 1 {
		t.Fatal("no tfxd v1 in the fragment")
	}
	p := i + 20
	binary.BigEndian.PutUint64(b[p:], uint64(int64(binary.BigEndian.Uint64(b[p:]))+d))
	return b
}

// TestWindowSlides: with a 4 s window, fragments leave the index, HLS's
// sequence counts them, and their objects are reclaimed.
func TestWindowSlides(t *testing.T) {
	old := packager.ReclaimDelay
	packager.ReclaimDelay = 0
	t.Cleanup(func() { packager.ReclaimDelay = old })
	feed, _ := feedBytes(t, 12)
	root := t.TempDir()
	r := newRig(t, root)
	o := out1
	o.Window = 4 * time.Second
	start(t, r, o)
	if err := r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatal(err)
	}
	a, err := r.lib.Asset("liveasset")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range a.Tracks {
		n := len(tr.Fragments)
		last := tr.Fragments[n-1]
		span := float64(last.Time+last.Duration-tr.Fragments[0].Time) / float64(tr.Timescale)
		if span > 4+2.1 || tr.Sequence == 0 {
			t.Errorf("%s: %d fragments spanning %.2f s from sequence %d", tr.Name, n, span, tr.Sequence)
		}
		files, _ := filepath.Glob(filepath.Join(root, "liveasset", filepath.Base(tr.Path), "*.m4s"))
		if len(files) != n {
			t.Errorf("%s: %d fragment files, %d fragments in the window", tr.Name, len(files), n)
		}
	}
}

// TestRestartServesWindow: a new Hub and Library over the same storage
// (an origin restarted mid-event) serve the same window, and the encoder's
// reconnection continues it.
func TestRestartServesWindow(t *testing.T) {
	feed, _ := feedBytes(t, 10)
	init, fs := splitFeed(t, feed)
	root := t.TempDir()
	r := newRig(t, root)
	start(t, r, out1)
	half := len(fs) / 2
	if err := r.hub.Ingest(context.Background(), "ev", "s1", body(init, fs[:half]...)); err != nil {
		t.Fatal(err)
	}
	before := frags(t, r, "liveasset")
	a1, _ := r.lib.Asset("liveasset")
	seg1, err := a1.Tracks[0].AppendSegment(nil, 1, packager.CMAF, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.hub.Close()

	r2 := newRig(t, root)
	start(t, r2, out1)
	after := frags(t, r2, "liveasset")
	for k, w := range before {
		if len(after[k]) != len(w) {
			t.Fatalf("%s: %d fragments after the restart, %d before", k, len(after[k]), len(w))
		}
	}
	a2, _ := r2.lib.Asset("liveasset")
	if a2.Live == nil || !a2.Live.Start.Equal(a1.Live.Start) {
		t.Fatalf("start %v after the restart, %v before", a2.Live, a1.Live.Start)
	}
	seg2, err := a2.Tracks[0].AppendSegment(nil, 1, packager.CMAF, nil, nil)
	if err != nil || !bytes.Equal(seg1, seg2) {
		t.Fatalf("segment after the restart differs (%v)", err)
	}
	if err := r2.hub.Ingest(context.Background(), "ev", "s1", body(init, fs[half:]...)); err != nil {
		t.Fatalf("reconnection after restart: %v", err)
	}
	whole := newRig(t, t.TempDir())
	start(t, whole, out1)
	if err := whole.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatal(err)
	}
	got, want := frags(t, r2, "liveasset"), frags(t, whole, "liveasset")
	for k := range want {
		if len(got[k]) != len(want[k]) {
			t.Errorf("%s: %d fragments, want %d", k, len(got[k]), len(want[k]))
		}
	}
}

// TestEndOutputServesArchive: after EndOutput the library indexes the
// archive from storage as VOD: not live, the same fragments and bytes.
func TestEndOutputServesArchive(t *testing.T) {
	feed, _ := feedBytes(t, 6)
	r := newRig(t, t.TempDir())
	start(t, r, out1)
	if err := r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatal(err)
	}
	a, _ := r.lib.Asset("liveasset")
	live1, err := a.Tracks[0].AppendSegment(nil, 0, packager.Smooth, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hub.EndOutput("ev", "out"); err != nil {
		t.Fatal(err)
	}
	v, err := r.lib.Asset("liveasset")
	if err != nil {
		t.Fatal(err)
	}
	if v.Live != nil || v.ManifestName != "show" || len(v.Tracks) != 3 {
		t.Fatalf("after the end: live %v, manifest %q, %d tracks", v.Live, v.ManifestName, len(v.Tracks))
	}
	vod1, err := v.Tracks[0].AppendSegment(nil, 0, packager.Smooth, nil, nil)
	if err != nil || !bytes.Equal(live1, vod1) {
		t.Fatalf("segment differs after the end (%v)", err)
	}
	// Ingest goes on (the event runs) but archives into no output.
	if err := r.hub.Ingest(context.Background(), "ev", "s2", bytes.NewReader(feed)); err != nil {
		t.Fatal(err)
	}
	if des, _ := os.ReadDir(filepath.Join(r.root, "liveasset")); len(des) != 4 {
		t.Fatalf("%d entries in the ended archive, want live.json and 3 tracks", len(des))
	}
}

// TestReplicaRefresh: a second Hub and Library over the same storage (a
// replica), told of each announcement, serves the ingesting origin's
// window: same fragments, same sequence, same segment bytes.
func TestReplicaRefresh(t *testing.T) {
	old := packager.ReclaimDelay
	packager.ReclaimDelay = 0
	t.Cleanup(func() { packager.ReclaimDelay = old })
	feed, _ := feedBytes(t, 12)
	root := t.TempDir()
	o := out1
	o.Window = 7 * time.Second // slides, and holds fragments with their look-ahead
	replica := newRig(t, root)
	start(t, replica, o)
	st := storage.NewLocal(root, storage.LocalOptions{})
	lib := packager.NewLibrary(st, 4)
	defer lib.Close()
	var announced atomic.Int64 // the tracks' archivers announce concurrently
	ingester := live.NewHub(live.Config{Store: st, Writer: st, Assets: lib, Announce: func(a live.Announcement) {
		announced.Add(1)
		if err := replica.hub.Refresh(a.Asset); err != nil {
			t.Errorf("refresh: %v", err)
		}
	}})
	defer ingester.Close()
	ingester.StartEvent("ev")
	ingester.AddOutput(o)
	if err := ingester.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatal(err)
	}
	if announced.Load() == 0 {
		t.Fatal("nothing announced")
	}
	a, _ := lib.Asset("liveasset")
	b, err := replica.lib.Asset("liveasset")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Live.Start.Equal(b.Live.Start) || len(a.Tracks) != len(b.Tracks) {
		t.Fatalf("replica: start %v (%v), %d tracks (%d)", b.Live.Start, a.Live.Start, len(b.Tracks), len(a.Tracks))
	}
	for i, ta := range a.Tracks {
		tb := b.Tracks[i]
		if ta.Sequence != tb.Sequence || !reflect.DeepEqual(ta.Fragments, tb.Fragments) {
			t.Fatalf("%s: replica sequence %d fragments %d, ingester %d %d", ta.Name, tb.Sequence, len(tb.Fragments), ta.Sequence, len(ta.Fragments))
		}
		sa, _ := ta.AppendSegment(nil, len(ta.Fragments)-1, packager.CMAF, nil, nil)
		sb, err := tb.AppendSegment(nil, len(tb.Fragments)-1, packager.CMAF, nil, nil)
		if err != nil || !bytes.Equal(sa, sb) {
			t.Fatalf("%s: replica's newest segment differs (%v)", ta.Name, err)
		}
		// Live Smooth's tfrf comes from the shared index: the replica
		// writes the same look-ahead, byte for byte.
		checked := 0
		tfrf := []byte{0xd4, 0x80, 0x7e, 0xf2, 0xca, 0x39, 0x46, 0x95, 0x8e, 0x54, 0x26, 0xcb, 0x9e, 0x46, 0xa7, 0x9f}
		for k := range ta.Fragments {
			if ta.LookAheadKnown(k) != tb.LookAheadKnown(k) {
				t.Fatalf("%s fragment %d: look-ahead known on one origin only", ta.Name, k)
			}
			if !ta.LookAheadKnown(k) {
				continue
			}
			sa, _ := ta.AppendSegment(nil, k, packager.Smooth, nil, nil)
			sb, err := tb.AppendSegment(nil, k, packager.Smooth, nil, nil)
			if err != nil || !bytes.Equal(sa, sb) || !bytes.Contains(sa, tfrf) {
				t.Fatalf("%s fragment %d: replica's Smooth segment differs or has no tfrf (%v)", ta.Name, k, err)
			}
			checked++
		}
		if checked == 0 {
			t.Fatalf("%s: no fragment of %d in the window has its look-ahead", ta.Name, len(ta.Fragments))
		}
	}
}
