package live_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/internal/testmedia"
	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// rig is a Hub over a local store, with the packager Library that serves it.
type rig struct {
	root string
	st   *storage.Local
	lib  *packager.Library
	hub  *live.Hub
}

func newRig(t *testing.T, root string) *rig {
	t.Helper()
	st := storage.NewLocal(root, storage.LocalOptions{})
	lib := packager.NewLibrary(st, 16)
	hub := live.NewHub(live.Config{Store: st, Writer: st, Assets: lib, StallTimeout: 2 * time.Second})
	t.Cleanup(func() { hub.Close(); lib.Close() })
	return &rig{root: root, st: st, lib: lib, hub: hub}
}

var out1 = live.Output{Event: "ev", Name: "out", Asset: "liveasset", Manifest: "show", Window: time.Hour}

func feedBytes(t *testing.T, seconds int) ([]byte, string) {
	t.Helper()
	feed, cp := testmedia.LiveFeed(t, t.TempDir(), seconds)
	b, err := os.ReadFile(feed)
	if err != nil {
		t.Fatal(err)
	}
	return b, cp
}

func TestIngestIsmvFeed(t *testing.T) {
	feed, _ := feedBytes(t, 6)
	r := newRig(t, t.TempDir())
	if err := r.hub.StartEvent("ev"); err != nil {
		t.Fatal(err)
	}
	if err := r.hub.AddOutput(out1); err != nil {
		t.Fatal(err)
	}
	if err := r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader(feed)); err != nil {
		t.Fatalf("ingest: %v", err)
	}
	a, err := r.lib.Asset("liveasset")
	if err != nil {
		t.Fatal(err)
	}
	if a.Live == nil || a.ManifestName != "show" {
		t.Fatalf("live %v, manifest name %q", a.Live, a.ManifestName)
	}
	if len(a.Tracks) != 3 {
		t.Fatalf("%d tracks, want 3", len(a.Tracks))
	}
	for _, tr := range a.Tracks {
		t.Logf("%s %d %s frags=%d first=%d seq=%d", tr.Name, tr.Bitrate, tr.Codecs, len(tr.Fragments), tr.Fragments[0].Time, tr.Sequence)
		seg, err := tr.AppendSegment(nil, 0, packager.CMAF, nil, nil)
		if err != nil || len(seg) == 0 {
			t.Fatalf("segment: %v", err)
		}
	}
	ss := r.hub.Streams("ev")
	if len(ss) != 1 || ss[0].Bitrate == 0 {
		t.Fatalf("streams %+v", ss)
	}
}

func TestIngestGarbage(t *testing.T) {
	r := newRig(t, t.TempDir())
	r.hub.StartEvent("ev")
	err := r.hub.Ingest(context.Background(), "ev", "s1", bytes.NewReader([]byte("hello, this is not an mp4 file at all")))
	if !errors.Is(err, live.ErrNotFMP4) {
		t.Fatalf("garbage: %v, want ErrNotFMP4", err)
	}
	err = r.hub.Ingest(context.Background(), "nope", "s1", bytes.NewReader(nil))
	if !errors.Is(err, live.ErrNotRunning) {
		t.Fatalf("stopped event: %v, want ErrNotRunning", err)
	}
}
