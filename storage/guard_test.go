package storage_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
)

// TestGuardTruncatedMapping: reading a page of a mapping past the end of
// the file it maps, once cut short, faults (SIGBUS); under Guard that is
// an error, and the process goes on.
func TestGuardTruncatedMapping(t *testing.T) {
	if !mapsFiles {
		t.Skip("no mappings on this platform")
	}
	root := t.TempDir()
	p := filepath.Join(root, "f")
	if err := os.WriteFile(p, make([]byte, 4*65536), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := storage.NewLocal(root, storage.LocalOptions{}).Open("f")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	m := storage.MappingOf(o)
	if len(m) != 4*65536 {
		t.Fatalf("mapping of %d bytes", len(m))
	}
	var sum byte
	if err := storage.Guard(m, nil, func() { sum += m[len(m)-1] }); err != nil {
		t.Fatalf("intact file: %v", err)
	}
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	for _, ab := range [][2][]byte{{m, nil}, {nil, m}} {
		err := storage.Guard(ab[0], ab[1], func() { sum += m[len(m)-1] })
		if err == nil || !strings.Contains(err.Error(), "changed under its mapping") {
			t.Errorf("read past the cut: %v", err)
		}
	}
	// A buffer copy from the cut mapping, as the packager does.
	dst := make([]byte, 100)
	if err := storage.Guard(m, nil, func() { copy(dst, m[2*65536:]) }); err == nil {
		t.Error("copy past the cut: no error")
	}
	_ = sum
}

// TestGuardOtherPanics: a panic that is not a fault in the guarded
// mappings (a plain panic, a fault elsewhere) goes on.
func TestGuardOtherPanics(t *testing.T) {
	m := make([]byte, 16)
	var nilp *[16]byte
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"panic", func() { panic("bug") }},
		{"fault elsewhere", func() { m[0] = nilp[3] }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: the panic did not go on", c.name)
				}
			}()
			err := storage.Guard(m, nil, c.fn)
			t.Errorf("%s: Guard returned %v", c.name, err)
		}()
	}
}
