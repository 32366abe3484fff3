//go:build !race

package packager_test

import (
	"testing"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// TestRemoteSegmentAlloc: with the blocks cached, a segment read through
// an object store allocates nothing more than one from local disk: none,
// with a warm buffer and scratch.
func TestRemoteSegmentAlloc(t *testing.T) {
	st := storage.NewRemote(remoteCopy(t), storage.RemoteOptions{})
	lib := packager.NewLibrary(st, 4)
	defer lib.Close()
	for _, name := range []string{"demo", "progressive"} {
		a, err := lib.Asset(name)
		if err != nil {
			t.Fatal(err)
		}
		tr := a.Tracks[0]
		s := packager.AcquireScratch()
		defer packager.ReleaseScratch(s)
		buf, err := tr.AppendSegment(nil, 1, packager.CMAF, nil, s) // warms the cache and buf
		if err != nil {
			t.Fatal(err)
		}
		cenc := testEncryption(t, packager.SchemeCENC)
		buf, _ = tr.AppendSegment(buf[:0], 1, packager.CMAF, cenc, s)
		if n := testing.AllocsPerRun(50, func() { buf, _ = tr.AppendSegment(buf[:0], 1, packager.CMAF, nil, s) }); n != 0 {
			t.Errorf("%s: clear segment from a warm object store: %.1f allocs", name, n)
		}
		if n := testing.AllocsPerRun(50, func() { buf, _ = tr.AppendSegment(buf[:0], 1, packager.CMAF, cenc, s) }); n != 0 {
			t.Errorf("%s: cenc segment from a warm object store: %.1f allocs", name, n)
		}
		runs := make([][]byte, 0, 64)
		head := make([]byte, 0, 4096)
		if n := testing.AllocsPerRun(50, func() {
			ms, err := tr.AppendSegmentMapped(head[:0], runs[:0], 1, packager.CMAF)
			if err != nil {
				t.Fatal(err)
			}
			runs = ms.Payload[:0]
			ms.Release()
		}); n != 0 {
			t.Errorf("%s: lent segment from a warm object store: %.1f allocs", name, n)
		}
	}
}
