package storage_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/storage"
)

// TestLocalSweepTemp: SweepTemp removes the temporary files of Puts cut
// short (Put's own name pattern, for the objects match accepts, older
// than the cut-off) and nothing else.
func TestLocalSweepTemp(t *testing.T) {
	root := t.TempDir()
	l := storage.NewLocal(root, storage.LocalOptions{})
	if err := l.Put("a/t.live/0001.m4s", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "a", "t.live")
	old := time.Now().Add(-time.Hour)
	write := func(name string, age time.Time) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, age, age); err != nil {
			t.Fatal(err)
		}
	}
	write(".0002.m4s.123456", old)                                              // a Put cut short: removed
	write(".init.mp4.98", old)                                                  // idem
	write(".0003.m4s.777", time.Now())                                          // a Put maybe in flight elsewhere: kept
	write(".other.txt.5", old)                                                  // not an object match accepts: kept
	write(".0004.m4s.tmp", old)                                                 // not Put's pattern: kept
	write(".0005.m4s.", old)                                                    // idem
	write("..7", old)                                                           // idem (no object)
	write(".keep", old)                                                         // idem
	if err := os.Mkdir(filepath.Join(dir, ".0006.m4s.42"), 0o755); err != nil { // a directory: kept
		t.Fatal(err)
	}
	// What Put's os.CreateTemp makes is the pattern swept.
	f, err := os.CreateTemp(dir, ".0007.m4s.*")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.Chtimes(f.Name(), old, old)
	match := func(o string) bool { return filepath.Ext(o) == ".m4s" || o == "init.mp4" }
	removed, err := l.SweepTemp("a/t.live", match, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if want := []string{".0002.m4s.123456", filepath.Base(f.Name()), ".init.mp4.98"}; !slices.Equal(removed, want) {
		t.Fatalf("removed %q, want %q", removed, want)
	}
	des, _ := os.ReadDir(dir)
	var left []string
	for _, de := range des {
		left = append(left, de.Name())
	}
	want := []string{"..7", ".0003.m4s.777", ".0004.m4s.tmp", ".0005.m4s.", ".0006.m4s.42", ".keep", ".other.txt.5", "0001.m4s"}
	if !slices.Equal(left, want) {
		t.Fatalf("left %q, want %q", left, want)
	}
	if r, err := l.SweepTemp("nothing/here", match, time.Now()); err != nil || r != nil {
		t.Fatalf("missing directory: %q %v", r, err)
	}
	if _, err := l.SweepTemp("../x", match, time.Now()); err == nil {
		t.Fatal("sweep ../x: no error")
	}
}
