package live_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// stallWriter is a local store whose fragment Puts, after the first
// `after`, stall: each writes its temporary file as storage.Local.Put
// does, then waits for gate; released, it fails with fail or goes on.
// acked holds the fragments whose Put returned nil: the acknowledged ones.
type stallWriter struct {
	*storage.Local
	after int
	gate  chan struct{}
	stuck chan string
	fail  error

	mu    sync.Mutex
	n     int
	acked map[string]int // fragments acknowledged, by track directory
}

func (w *stallWriter) Put(name string, b []byte) error {
	if !strings.HasSuffix(name, ".m4s") {
		return w.Local.Put(name, b)
	}
	w.mu.Lock()
	n := w.n
	w.n++
	w.mu.Unlock()
	if n >= w.after {
		p := w.Locate(name)
		f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*")
		if err != nil {
			return err
		}
		f.Write(b[:len(b)/2])
		f.Close()
		select {
		case w.stuck <- name:
		default:
		}
		<-w.gate
		if w.fail != nil {
			return w.fail // a crash: the temporary file stays
		}
		os.Remove(f.Name())
	}
	if err := w.Local.Put(name, b); err != nil {
		return err
	}
	w.mu.Lock()
	w.acked[filepath.Base(filepath.Dir(name))]++
	w.mu.Unlock()
	return nil
}

// syncBuffer is a log destination safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stallRig is a Hub of queue 3 over a stallWriter, fed one fragment per
// pipe write: sent counts the fragments the Hub read off the "connection".
type stallRig struct {
	w    *stallWriter
	lib  *packager.Library
	hub  *live.Hub
	log  *syncBuffer
	sent atomic.Int64
	done chan error
}

const stallQueue = 3

// feedTracks is the tracks of testmedia.LiveFeed (two video, one audio):
// a stalled store holds one write per track.
const feedTracks = 3

func newStallRig(t *testing.T, root string, after int, init []byte, fs [][]byte) *stallRig {
	t.Helper()
	st := storage.NewLocal(root, storage.LocalOptions{})
	r := &stallRig{w: &stallWriter{Local: st, after: after, gate: make(chan struct{}), stuck: make(chan string, 1), acked: map[string]int{}},
		lib: packager.NewLibrary(st, 16), log: &syncBuffer{}, done: make(chan error, 1)}
	r.hub = live.NewHub(live.Config{Store: st, Writer: r.w, Assets: r.lib, Queue: stallQueue,
		SlowWrite: 100 * time.Millisecond, StallTimeout: 2 * time.Second, RefreshEvery: -1,
		Log: slog.New(slog.NewTextHandler(r.log, nil))})
	t.Cleanup(func() { r.hub.Close(); r.lib.Close() })
	start(t, &rig{hub: r.hub}, out1)
	pr, pw := io.Pipe()
	go func() {
		pw.Write(init)
		for _, f := range fs {
			if _, err := pw.Write(f); err != nil {
				return
			}
			r.sent.Add(1)
		}
		pw.Close()
	}()
	go func() { r.done <- r.hub.Ingest(context.Background(), "ev", "s1", pr) }()
	select {
	case <-r.w.stuck:
	case err := <-r.done:
		t.Fatalf("the feed ended before storage stalled: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("storage never stalled")
	}
	// The feed is read on until the queue is full, then waits.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := r.sent.Load()
		time.Sleep(300 * time.Millisecond)
		if r.sent.Load() == n && r.hub.ArchiveStats().Queued >= stallQueue {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed was not held at the queue's bound: %d fragments read, %+v", r.sent.Load(), r.hub.ArchiveStats())
		}
	}
	return r
}

// TestStorageStall: a storage write that hangs (spec/live.md "Shown by":
// the storage stall fault) is reported while it lasts (log, ArchiveStats), the
// feed is read on up to the queue's bound and no further, and once the
// store answers again every fragment is archived.
func TestStorageStall(t *testing.T) {
	feed, _ := feedBytes(t, 10)
	init, fs := splitFeed(t, feed)
	const after = 2
	r := newStallRig(t, t.TempDir(), after, init, fs)

	sent := int(r.sent.Load())
	// Read: the acknowledged ones, the ones being written (one per track:
	// each track has its archiver), the queue, at most one waiting for
	// room in it and one in the box reader's hands.
	if lo, hi := after+1+stallQueue, after+feedTracks+stallQueue+2; sent < lo || sent > hi || sent >= len(fs) {
		t.Errorf("%d of %d fragments read during the stall, want %d to %d", sent, len(fs), lo, hi)
	}
	s := r.hub.ArchiveStats()
	if s.Stalled < 1 || s.Stalled > feedTracks || s.Stalls < 1 || s.Waits < 1 || s.Queued < stallQueue || s.Queued > stallQueue+1 {
		t.Errorf("during the stall: %+v", s)
	}
	for _, m := range []string{"live archive stalled", "queue is full"} {
		if !strings.Contains(r.log.String(), m) {
			t.Errorf("the stall was not reported (%q): %s", m, r.log)
		}
	}

	close(r.w.gate)
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("after the stall: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the feed did not end after the stall")
	}
	if s := r.hub.ArchiveStats(); s.Stalled != 0 || s.Queued != 0 {
		t.Errorf("after the stall: %+v", s)
	}
	if !strings.Contains(r.log.String(), "live archive resumed") {
		t.Errorf("the end of the stall was not reported: %s", r.log)
	}
	whole := newRig(t, t.TempDir())
	start(t, whole, out1)
	if err := whole.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatal(err)
	}
	got, want := counts(frags(t, &rig{lib: r.lib}, "liveasset")), counts(frags(t, whole, "liveasset"))
	total := 0
	for k, n := range want {
		total += n
		if got[k] != n {
			t.Errorf("%s: %d fragments archived after the stall, %d without one", k, got[k], n)
		}
	}
	if ack := sum(r.w.acked); ack != total {
		t.Errorf("%d fragments acknowledged, %d archived", ack, total)
	}
}

// TestStorageStallRestart: an origin that dies during a storage stall
// (its queued fragments and the write in flight never acknowledged, the
// write's temporary file left behind) restarts with an archive of exactly
// the acknowledged fragments, and nothing of the interrupted write.
func TestStorageStallRestart(t *testing.T) {
	feed, _ := feedBytes(t, 10)
	init, fs := splitFeed(t, feed)
	root := t.TempDir()
	r := newStallRig(t, root, 4, init, fs)
	temps, _ := filepath.Glob(filepath.Join(root, "liveasset", "*.live", ".*.m4s.*"))
	// One stalled write per track at most (each track has its archiver).
	if len(temps) < 1 || len(temps) > feedTracks {
		t.Fatalf("temporary files of the stalled writes: %q", temps)
	}
	r.w.mu.Lock()
	acked := map[string]int{}
	for k, v := range r.w.acked {
		acked[k] = v
	}
	r.w.mu.Unlock()

	// The restart, once the temporary file is older than TempAge.
	time.Sleep(20 * time.Millisecond)
	st := storage.NewLocal(root, storage.LocalOptions{})
	lib := packager.NewLibrary(st, 16)
	hub := live.NewHub(live.Config{Store: st, Writer: st, Assets: lib, TempAge: 10 * time.Millisecond, RefreshEvery: -1})
	t.Cleanup(func() { hub.Close(); lib.Close() })
	start(t, &rig{hub: hub}, out1)
	a, err := lib.Asset("liveasset")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tr := range a.Tracks {
		n += len(tr.Fragments)
		if k := filepath.Base(tr.Path); len(tr.Fragments) != acked[k] {
			t.Errorf("%s: %d fragments after the restart, %d acknowledged", k, len(tr.Fragments), acked[k])
		}
	}
	if n != sum(acked) || n == 0 {
		t.Errorf("%d fragments after the restart, %d acknowledged", n, sum(acked))
	}
	for _, tmp := range temps {
		if _, err := os.Stat(tmp); !os.IsNotExist(err) {
			t.Errorf("an interrupted write's temporary file is still there: %s (%v)", tmp, err)
		}
	}

	// The old origin's store fails for good: its feed ends with a storage
	// error, not the encoder's.
	r.w.fail = errors.New("disk gone")
	close(r.w.gate)
	select {
	case err := <-r.done:
		if err == nil || errors.Is(err, live.ErrRefused) || !strings.Contains(err.Error(), "disk gone") {
			t.Fatalf("feed over a failed store: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the feed did not end")
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
