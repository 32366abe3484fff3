package s3_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/s3"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// TestSuitesCatchBrokenRemotes: the conformance suites fail a Remote that
// breaks its contract on a real store, saying what is wrong. The S3
// Remote is wrapped with faults, and a suite runs on MinIO in a child
// process (storagetest.ExpectFailure).
func TestSuitesCatchBrokenRemotes(t *testing.T) {
	t.Run("Reads", func(t *testing.T) {
		storagetest.ExpectFailure(t, func(t *testing.T) {
			b := backend(t, testservers.MinIO(t), "media")
			b.Remote = brokenReads{b.Remote.(*s3.Remote)}
			storagetest.RemoteReads(t, b)
		}, "want 300000 and an ETag without quotes", "ReadRange of the replaced version at 0")
	})
	t.Run("Writes", func(t *testing.T) {
		storagetest.ExpectFailure(t, func(t *testing.T) {
			b := backend(t, testservers.MinIO(t), "media")
			b.Remote = brokenWrites{b.Remote.(*s3.Remote)}
			storagetest.RemoteWrites(t, b)
		}, "the store saw 2 PUTs, want 1", "removing it again")
	})
}

// brokenReads quotes its ETags and reads whatever version is there.
type brokenReads struct{ *s3.Remote }

func (r brokenReads) Stat(ctx context.Context, name string) (int64, string, error) {
	size, v, err := r.Remote.Stat(ctx, name)
	return size, `"` + v + `"`, err
}

func (r brokenReads) ReadRange(ctx context.Context, name, version string, off, n int64) (io.ReadCloser, error) {
	return r.Remote.ReadRange(ctx, name, "", off, n)
}

// brokenWrites puts each object twice and fails to remove one that is gone.
type brokenWrites struct{ *s3.Remote }

func (r brokenWrites) PutObject(ctx context.Context, name string, b []byte) error {
	if err := r.Remote.PutObject(ctx, name, b); err != nil {
		return err
	}
	return r.Remote.PutObject(ctx, name, b)
}

func (r brokenWrites) RemoveObject(ctx context.Context, name string) error {
	if _, _, err := r.Remote.Stat(ctx, name); errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return r.Remote.RemoveObject(ctx, name)
}
