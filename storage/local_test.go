package storage_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/storage"
)

// mapsFiles: the platforms where Local maps files.
var mapsFiles = runtime.GOOS != "windows" && runtime.GOOS != "plan9" && runtime.GOOS != "js" && runtime.GOOS != "wasip1"

// TestLocalMapping: mapping on gives the file's bytes as a mapping (none
// for an empty file), off gives none; reads are the same either way.
func TestLocalMapping(t *testing.T) {
	root := t.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	if err := os.WriteFile(filepath.Join(root, "f"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "empty"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, noMap := range []bool{false, true} {
		st := storage.NewLocal(root, storage.LocalOptions{NoMapping: noMap})
		o, err := st.Open("f")
		if err != nil {
			t.Fatal(err)
		}
		m := storage.MappingOf(o)
		switch {
		case noMap && m != nil:
			t.Errorf("NoMapping: a mapping of %d bytes", len(m))
		case !noMap && mapsFiles && !bytes.Equal(m, data):
			t.Errorf("mapped: %d bytes, want the file's %d", len(m), len(data))
		}
		p := make([]byte, 100)
		if _, err := o.ReadAt(p, 1000); err != nil || !bytes.Equal(p, data[1000:1100]) {
			t.Errorf("NoMapping %v: ReadAt: %v", noMap, err)
		}
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		e, err := st.Open("empty")
		if err != nil {
			t.Fatal(err)
		}
		if m := storage.MappingOf(e); m != nil || e.Size() != 0 {
			t.Errorf("empty file: mapping %v, size %d", m, e.Size())
		}
		e.Close()
	}
}

// TestLocalIdentity: the same file opened twice has the same Identity; a
// file rewritten in place (other size, or same size and other time) or
// replaced by another file gets a new one.
func TestLocalIdentity(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "f")
	st := storage.NewLocal(root, storage.LocalOptions{})
	id := func() string {
		t.Helper()
		o, err := st.Open("f")
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		return o.Identity()
	}
	if err := os.WriteFile(p, []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := id()
	if again := id(); again != first {
		t.Fatalf("unchanged file: identity %s, then %s", first, again)
	}
	seen := map[string]string{first: "first"}
	check := func(what string) {
		t.Helper()
		got := id()
		if prev, ok := seen[got]; ok {
			t.Errorf("%s: identity %s, as after %s", what, got, prev)
		}
		seen[got] = what
	}
	if err := os.WriteFile(p, []byte("second, longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	check("rewritten longer")
	if err := os.WriteFile(p, []byte("third, longer!"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Same size: a different modification time tells it apart (set, as
	// the file system's clock may not have ticked).
	if err := os.Chtimes(p, time.Time{}, time.Unix(1e9, 0)); err != nil {
		t.Fatal(err)
	}
	check("rewritten, same size")
	tmp := filepath.Join(root, "tmp")
	if err := os.WriteFile(tmp, []byte("third, longer!"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, time.Time{}, time.Unix(1e9, 0)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	if mapsFiles { // device and inode are unix's
		check("replaced, same size and time")
	}
}

// TestLocalLinksAndSpecialFiles: symbolic links are followed (to a file:
// an object; to a directory: a directory); dangling links, hidden entries
// and other kinds of file are left out of List, and Open refuses them.
func TestLocalLinksAndSpecialFiles(t *testing.T) {
	if !mapsFiles {
		t.Skip("symbolic links and FIFOs: unix")
	}
	root := t.TempDir()
	writeTree(t, root)
	a := filepath.Join(root, "a")
	for _, l := range []struct{ target, name string }{
		{"x.mp4", "link.mp4"},
		{"sub", "linkdir"},
		{"nosuch", "dangling.mp4"},
		{"../b", "up"},
	} {
		if err := os.Symlink(l.target, filepath.Join(a, l.name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(a, ".hidden.mp4"), []byte("h"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := mkfifo(filepath.Join(a, "fifo.mp4")); err != nil {
		t.Fatal(err)
	}
	st := storage.NewLocal(root, storage.LocalOptions{})
	got, err := st.List("a/")
	want := []storage.Entry{
		{Name: "link.mp4", Size: 10}, {Name: "linkdir", Dir: true}, {Name: "sub", Dir: true},
		{Name: "up", Dir: true}, {Name: "x.mp4", Size: 10}, {Name: "y.ism", Size: 7},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("List = %v, %v; want %v", got, err, want)
	}
	o, err := st.Open("a/link.mp4")
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	for _, name := range []string{"a/dangling.mp4", "a/fifo.mp4", "a/linkdir"} {
		if _, err := st.Open(name); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Open(%q): %v, want ErrNotFound", name, err)
		}
	}
	if got := st.Locate("a/x.mp4"); got != filepath.Join(root, "a", "x.mp4") {
		t.Errorf("Locate = %s", got)
	}
}
