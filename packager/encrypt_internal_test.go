package packager

import (
	"bytes"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
)

// TestEncryptedLayoutHints: whatever the layout hint says (unknown, right,
// too small, too large), AppendSegmentEncrypted gives the same bytes; a wrong
// hint only costs a move of the mdat.
func TestEncryptedLayoutHints(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	lib := NewLibrary(filepath.Join(filepath.Dir(file), "..", "testdata", "media"), 1)
	defer lib.Close()
	a, err := lib.Asset("demo")
	if err != nil {
		t.Fatal(err)
	}
	k, err := crypto.NewKey(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range a.Tracks {
		for _, sc := range []Scheme{SchemeCENC, SchemeCBCS, SchemePIFF} {
			e := &Encryption{Scheme: sc, Key: k, Asset: "demo"}
			out := CMAF
			if sc == SchemePIFF {
				out = Smooth
			}
			s := new(Scratch)
			want, err := tr.AppendSegmentEncrypted(nil, 2, out, e, s)
			if err != nil {
				t.Fatal(err)
			}
			tc, _ := tr.crypto()
			h := &tc.hints[sc-1][2]
			right := h.Load()
			for _, hint := range []int32{0, right, 1, right - 7, right + 4096} {
				h.Store(hint)
				got, err := tr.AppendSegmentEncrypted([]byte("x"), 2, out, e, s)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got[1:], want) {
					t.Fatalf("%s %s: hint %d (right %d) changes the bytes", tr.Name, sc, hint, right)
				}
				if h.Load() != right {
					t.Fatalf("%s %s: hint %d not corrected to %d", tr.Name, sc, h.Load(), right)
				}
			}
		}
	}
}
