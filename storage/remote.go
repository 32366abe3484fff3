package storage

import (
	"context"
	"io"
)

// Remote is an object store's client, as the remote Store (NewRemote)
// needs it: a stat, a ranged read pinned to a version, and a listing. The
// sub-packages storage/s3 and storage/azblob implement it with their
// ecosystems' SDKs; everything an object store shares (the block cache,
// one read for concurrent misses, timeouts, retries, counters) is written
// once, in remote_store.go, above this interface.
//
// Names are Store names ("asset/video.mp4"); the implementation maps them
// to its keys (a prefix, a container per asset). Methods are called
// concurrently. The context bounds one attempt: a Remote does no retries
// of its own (its SDK's are switched off), the remote Store does them.
//
// Errors: wrap ErrNotFound when there is no such object (or prefix, for
// List), ErrChanged when the object is no longer the version asked for
// (an If-Match precondition failed), ErrInvalidName for a name the store
// cannot hold; any other error is a fault of the store or the way to it
// (unreachable, throttled, timed out, a 5xx, refused credentials) that
// the remote Store retries and then reports as ErrUnavailable. An error
// must never carry a credential (a key, a SAS token, a signed URL).
type Remote interface {
	// Stat returns the size of the named object and its version: the
	// ETag, or a version ID where the store has them. The version is
	// what ReadRange pins to and what Object.Identity returns.
	Stat(ctx context.Context, name string) (size int64, version string, err error)
	// ReadRange returns a body of the n bytes at off of the named object
	// at that version (If-Match). The caller reads exactly n bytes and
	// closes it; a body that ends early is a short read (a fault). The
	// range lies inside the object's size as Stat gave it.
	ReadRange(ctx context.Context, name, version string, off, n int64) (io.ReadCloser, error)
	// List returns every entry directly under a directory prefix ("" or
	// "asset/"), in any order (the caller sorts and filters): objects
	// with their size, and directories (common prefixes, or containers).
	List(ctx context.Context, prefix string) ([]Entry, error)
	// Locate returns where the named object lives, as a URL without
	// credentials ("s3://bucket/prefix/asset/video.mp4").
	Locate(name string) string
}

// RemoteWriter is implemented by Remotes that can write: whole objects,
// put once and removed later (a live archive's fragments, its init and
// JSON), which is all a remote Store needs to be a Writer. The context
// bounds one attempt, as for Remote; the remote Store retries (a put of
// the same bytes, or a delete, may be repeated safely).
type RemoteWriter interface {
	// PutObject stores b as the named object in one request, replacing
	// any object of that name. When it returns nil the store has
	// acknowledged the object: it is durable, and a Stat or List that
	// follows sees it (the read-after-write consistency of S3 and Azure
	// Blob).
	PutObject(ctx context.Context, name string, b []byte) error
	// RemoveObject deletes the named object; an object already gone is
	// no error.
	RemoveObject(ctx context.Context, name string) error
}

// RemotePrefixLister is implemented by Remotes that list by any name
// prefix, not only a directory's (S3's and Azure's prefix listings): the
// remote Store's ListPrefix then asks for what it wants alone.
type RemotePrefixLister interface {
	// ListPrefix returns the entries directly under the directory prefix
	// dir ("" or "asset/") whose names start with start (no slash), in
	// any order; nothing there is an empty list, not ErrNotFound.
	ListPrefix(ctx context.Context, dir, start string) ([]Entry, error)
}
