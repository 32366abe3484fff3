package live_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/internal/testmedia"
	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// TestStallTimesOut: a feed that stops sending ends with ErrStalled within
// the stall timeout, and what it sent before is archived.
func TestStallTimesOut(t *testing.T) {
	feed, _ := feedBytes(t, 4)
	init, fs := splitFeed(t, feed)
	st := storage.NewLocal(t.TempDir(), storage.LocalOptions{})
	lib := packager.NewLibrary(st, 4)
	hub := live.NewHub(live.Config{Store: st, Writer: st, Assets: lib, StallTimeout: 300 * time.Millisecond})
	defer hub.Close()
	hub.StartEvent("ev")
	hub.AddOutput(out1)
	pr, pw := io.Pipe()
	go pw.Write(append(append([]byte(nil), init...), fs[0]...))
	t0 := time.Now()
	err := hub.Ingest(context.Background(), "ev", "s1", pr)
	if !errors.Is(err, live.ErrStalled) {
		t.Fatalf("stalled feed: %v, want ErrStalled", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("stall noticed after %v", d)
	}
	if _, err := pw.Write([]byte{0}); err == nil {
		t.Error("the stalled body was not closed")
	}
	if a, err := lib.Asset("liveasset"); err != nil || len(a.Tracks) != 1 {
		t.Errorf("the fragment sent before the stall is not archived (%v)", err)
	}
}

// TestCodecChangeRefused: a reconnection whose init describes other media
// for the same tracks is refused, and the archive keeps what it had.
func TestCodecChangeRefused(t *testing.T) {
	feed, _ := feedBytes(t, 4)
	other, _ := testmedia.LiveFeedSized(t, t.TempDir(), 4, "640x360")
	ob, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, t.TempDir())
	start(t, r, out1)
	if err := r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatal(err)
	}
	before := frags(t, r, "liveasset")
	err = r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(ob))
	if !errors.Is(err, live.ErrRefused) || !errors.Is(err, packager.ErrCodecChanged) {
		t.Fatalf("codec change: %v, want ErrRefused and ErrCodecChanged", err)
	}
	after := frags(t, r, "liveasset")
	for k := range before {
		if len(after[k]) != len(before[k]) {
			t.Errorf("%s: %d fragments, %d before", k, len(after[k]), len(before[k]))
		}
	}
	// A restarted origin (no memory of the stream's init) refuses it too,
	// against the archive.
	r.hub.Close()
	r2 := newRig(t, r.root)
	start(t, r2, out1)
	_, ofs := splitFeed(t, ob)
	oinit, _ := splitFeed(t, ob)
	late := shiftTfxd(t, ofs[0], 100_000_000) // after what is archived
	if err := r2.hub.Ingest(context.Background(), "ev", "s1", body(oinit, late)); !errors.Is(err, packager.ErrCodecChanged) {
		t.Fatalf("codec change after a restart: %v", err)
	}
}

// TestCMAFIngest: DASH-IF interface 1, one stream per track, the video in
// one long request, the audio one request per fragment after one with its
// header; decode times from tfdt.
func TestCMAFIngest(t *testing.T) {
	vf, af := testmedia.CMAFFeed(t, t.TempDir(), 6)
	vb, _ := os.ReadFile(vf)
	ab, _ := os.ReadFile(af)
	r := newRig(t, t.TempDir())
	start(t, r, out1)
	if err := r.hub.Ingest(context.Background(), "ev", "video", bytes.NewReader(vb)); err != nil {
		t.Fatalf("video: %v", err)
	}
	ainit, afs := splitFeed(t, ab)
	if err := r.hub.Ingest(context.Background(), "ev", "audio", bytes.NewReader(ainit)); err != nil {
		t.Fatalf("audio header: %v", err)
	}
	for i, f := range afs {
		if err := r.hub.Ingest(context.Background(), "ev", "audio", bytes.NewReader(f)); err != nil {
			t.Fatalf("audio fragment %d: %v", i, err)
		}
	}
	got := frags(t, r, "liveasset")
	if len(got) != 2 {
		t.Fatalf("tracks %v", got)
	}
	for k, fr := range got {
		if len(fr) < 2 {
			t.Errorf("%s: %d fragments", k, len(fr))
		}
	}
	a, _ := r.lib.Asset("liveasset")
	for _, tr := range a.Tracks {
		for i := range tr.Fragments {
			if _, err := tr.AppendSegment(nil, i, packager.CMAF, nil, nil); err != nil {
				t.Fatalf("%s fragment %d: %v", tr.Name, i, err)
			}
		}
	}
	if len(afs) != len(got["audio@"+itoa(a.Tracks[1].Bitrate)]) {
		t.Errorf("audio: %d fragments sent one per request, %d archived", len(afs), len(got["audio@"+itoa(a.Tracks[1].Bitrate)]))
	}
}

// flakyWriter is a storage.Writer that is slow, and fails after n puts.
type flakyWriter struct {
	storage.Writer
	mu    sync.Mutex // the live room stores its tracks in parallel
	delay time.Duration
	n     int
	frags int // fragments stored
}

func (w *flakyWriter) Put(name string, b []byte) error {
	time.Sleep(w.delay)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n == 0 {
		return errors.New("disk full")
	}
	w.n--
	if strings.HasSuffix(name, ".m4s") {
		w.frags++
	}
	return w.Writer.Put(name, b)
}

// TestStorageFaults: a slow store holds the feed back without a stall (a
// queue of 2), and every fragment is archived; a failing store ends the
// feed with an error that is not the encoder's (not ErrRefused), and the
// archive keeps exactly what was acknowledged.
func TestStorageFaults(t *testing.T) {
	feed, _ := feedBytes(t, 6)
	newHub := func(w storage.Writer) (*live.Hub, *packager.Library) {
		st := storage.NewLocal(t.TempDir(), storage.LocalOptions{})
		lib := packager.NewLibrary(st, 4)
		if fw, ok := w.(*flakyWriter); ok {
			fw.Writer = st
		}
		h := live.NewHub(live.Config{Store: st, Writer: w, Assets: lib, StallTimeout: 200 * time.Millisecond, Queue: 2})
		t.Cleanup(func() { h.Close(); lib.Close() })
		h.StartEvent("ev")
		return h, lib
	}
	slow := &flakyWriter{delay: 60 * time.Millisecond, n: 1 << 30}
	h, lib := newHub(slow)
	if err := h.AddOutput(out1); err != nil {
		t.Fatal(err)
	}
	if err := h.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatalf("slow storage: %v", err)
	}
	a, _ := lib.Asset("liveasset")
	n := 0
	for _, tr := range a.Tracks {
		n += len(tr.Fragments)
	}
	if n < 8 {
		t.Errorf("slow storage: %d fragments archived", n)
	}

	failing := &flakyWriter{n: 9} // live.json twice, 2 × (track.json, init.mp4), then fragments

	h, lib = newHub(failing)
	if err := h.AddOutput(out1); err != nil {
		t.Fatal(err)
	}
	err := h.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed))
	if err == nil || errors.Is(err, live.ErrRefused) || errors.Is(err, live.ErrNotFMP4) {
		t.Fatalf("failing storage: %v, want a storage error", err)
	}
	a, err = lib.Asset("liveasset")
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for _, tr := range a.Tracks {
		n += len(tr.Fragments)
	}
	failing.mu.Lock()
	defer failing.mu.Unlock()
	if n != failing.frags || n == 0 {
		t.Errorf("%d fragments indexed, %d were stored", n, failing.frags)
	}
}

// TestStopEventEndsFeed: StopEvent ends a feed in progress (ErrNotRunning)
// and refuses new ones; what was sent before is archived.
func TestStopEventEndsFeed(t *testing.T) {
	feed, _ := feedBytes(t, 4)
	init, fs := splitFeed(t, feed)
	r := newRig(t, t.TempDir())
	start(t, r, out1)
	pr, pw := io.Pipe()
	go pw.Write(append(append([]byte(nil), init...), fs[0]...))
	done := make(chan error, 1)
	go func() { done <- r.hub.Ingest(context.Background(), "ev", "s1", pr) }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := r.lib.Asset("liveasset"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := r.hub.StopEvent("ev"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, live.ErrNotRunning) {
		t.Fatalf("feed of a stopped event: %v, want ErrNotRunning", err)
	}
	if err := r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); !errors.Is(err, live.ErrNotRunning) {
		t.Fatalf("new feed of a stopped event: %v", err)
	}
	if a, err := r.lib.Asset("liveasset"); err != nil || len(a.Tracks) != 1 {
		t.Fatalf("what came before the stop is not archived (%v)", err)
	}
}
