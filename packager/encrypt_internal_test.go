package packager

import (
	"bytes"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/storage"
)

// TestEncryptedScratchReuse: a Scratch that served other tracks, schemes
// and fragments, and a buffer with bytes before the segment, give the same
// bytes as fresh ones.
func TestEncryptedScratchReuse(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	lib := NewLibrary(storage.NewLocal(filepath.Join(filepath.Dir(file), "..", "testdata", "media"), storage.LocalOptions{}), 1)
	defer lib.Close()
	a, err := lib.Asset("demo")
	if err != nil {
		t.Fatal(err)
	}
	k, err := crypto.NewKey(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	used := new(Scratch)
	for _, tr := range a.Tracks {
		for _, sc := range []Scheme{SchemeCENC, SchemeCBCS, SchemePIFF} {
			e := &Protection{Scheme: sc, Key: k, Asset: "demo"}
			out := CMAF
			if sc == SchemePIFF {
				out = Smooth
			}
			want, err := tr.AppendSegment(nil, 2, out, e, new(Scratch))
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range []int{0, 3, 2} {
				got, err := tr.AppendSegment([]byte("x"), i, out, e, used)
				if err != nil {
					t.Fatal(err)
				}
				if i == 2 && !bytes.Equal(got[1:], want) {
					t.Fatalf("%s %s: a used scratch changes the bytes", tr.Name, sc)
				}
			}
		}
	}
}
