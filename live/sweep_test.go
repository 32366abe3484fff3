package live_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/packager"
)

// TestRestartSweepsTemp: the temporary files that storage writes cut
// short by a crash left in a live archive (a fragment of each track and
// live.json, named as storage.Local.Put names them) are gone after a
// restart, the archive serves the same window with the same bytes, and
// nothing else is touched: a temporary file young enough to be another
// origin's write in flight, hidden files of other names, anything outside
// the archive's own directories.
func TestRestartSweepsTemp(t *testing.T) {
	feed, _ := feedBytes(t, 6)
	init, fs := splitFeed(t, feed)
	root := t.TempDir()
	r := newRig(t, root)
	start(t, r, out1)
	if err := r.hub.Ingest(context.Background(), "ev", "s1", body(init, fs[:len(fs)-3]...)); err != nil {
		t.Fatal(err)
	}
	before := frags(t, r, "liveasset")
	segs := segments(t, r)
	r.hub.Close()

	// What a crash mid-write leaves, written an hour ago.
	asset := filepath.Join(root, "liveasset")
	dirs, _ := filepath.Glob(filepath.Join(asset, "*.live"))
	if len(dirs) != 3 {
		t.Fatalf("%d track directories", len(dirs))
	}
	old := time.Now().Add(-time.Hour)
	put := func(p string, b []byte, at time.Time) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gone, kept []string
	for i, d := range dirs {
		partial := fs[len(fs)-3+i][:100]
		gone = append(gone, put(filepath.Join(d, ".0000000099-00000000999999999999.m4s.4016523"), partial, old))
	}
	gone = append(gone,
		put(filepath.Join(dirs[0], ".track.json.17"), []byte("{"), old),
		put(filepath.Join(asset, ".live.json.2291"), []byte("{"), old))
	kept = append(kept,
		put(filepath.Join(dirs[1], ".0000000098-00000000999999999999.m4s.51"), fs[0][:100], time.Now()), // in flight elsewhere
		put(filepath.Join(dirs[1], ".notes.txt.3"), nil, old),                                           // not a live object
		put(filepath.Join(dirs[1], ".0000000097-00000000999999999999.m4s.part"), nil, old),              // not Put's pattern
		put(filepath.Join(asset, ".init.mp4.44"), nil, old),                                             // not the asset directory's object
		put(filepath.Join(asset, "extra", ".0000000001-00000000000000000000.m4s.9"), nil, old),          // not a .live directory
		put(filepath.Join(root, ".live.json.8"), nil, old))                                              // not an archive

	r2 := newRig(t, root)
	start(t, r2, out1)
	for _, p := range gone {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: still there after the restart (%v)", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: removed: %v", p, err)
		}
	}
	after := frags(t, r2, "liveasset")
	for k, w := range before {
		if len(after[k]) != len(w) {
			t.Errorf("%s: %d fragments after the restart, %d before", k, len(after[k]), len(w))
		}
	}
	for k, b := range segments(t, r2) {
		if !bytes.Equal(b, segs[k]) {
			t.Errorf("%s: segment bytes differ after the restart", k)
		}
	}
	if len(segments(t, r2)) != len(segs) {
		t.Errorf("%d segments after the restart, %d before", len(segments(t, r2)), len(segs))
	}
	// The encoder's reconnection continues the archive.
	if err := r2.hub.Ingest(context.Background(), "ev", "s1", body(init, fs[len(fs)-3:]...)); err != nil {
		t.Fatalf("reconnection after the restart: %v", err)
	}
}

// segments is every CMAF segment of the live asset, by track and index.
func segments(t *testing.T, r *rig) map[string][]byte {
	t.Helper()
	a, err := r.lib.Asset("liveasset")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, tr := range a.Tracks {
		for i := range tr.Fragments {
			b, err := tr.AppendSegment(nil, i, packager.CMAF, nil, nil)
			if err != nil {
				t.Fatalf("%s segment %d: %v", tr.Name, i, err)
			}
			out[tr.Name+"@"+itoa(tr.Bitrate)+"/"+itoa(i)] = b
		}
	}
	return out
}
