package azblob_test

import (
	"errors"
	"testing"

	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// TestWrite runs the Remote's writes against Azurite
// (storagetest.RemoteWrites) in both layouts: blobs under a prefix in a
// container, and a container per asset, where an asset's first put
// creates its container.
func TestWrite(t *testing.T) {
	srv := testservers.Azurite(t)
	t.Run("container", func(t *testing.T) { storagetest.RemoteWrites(t, backend(t, srv, "media")) })
	t.Run("per-asset", func(t *testing.T) { storagetest.RemoteWrites(t, backend(t, srv, "")) })

	t.Run("Missing", func(t *testing.T) {
		perAsset := newRemote(t, srv, "", "")
		if err := perAsset.RemoveObject(ctx(t), "no-such-asset/x.m4s"); err != nil {
			t.Errorf("removing from an asset (container) that is gone: %v", err)
		}
		if err := perAsset.PutObject(ctx(t), "Not_A_Container/x.m4s", []byte("x")); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("put into an asset that cannot be a container: %v, want ErrInvalidName", err)
		}
		if _, err := perAsset.ListPrefix(ctx(t), "", "lpa"); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("ListPrefix of containers: %v, want ErrInvalidName", err)
		}
	})
}
