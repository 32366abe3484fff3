// Package storagetest holds test doubles of the storage package's
// interfaces, for the tests of the packages that read through them, and
// the conformance suites every storage backend runs: Reader and Writer for
// a Store (Local, Mem, the remote Store over each object store), and
// RemoteReads and RemoteWrites for an object store's Remote on a real
// server (S3 on MinIO, Azure Blob on Azurite). ExpectFailure shows that a
// suite fails a backend that breaks its contract.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drmorigin/drmorigin/storage"
)

// Remote is a storage.Remote in memory, with versions, a count of ranged
// reads and faults on demand: the remote Store's logic (storage.NewRemote)
// is tested against it from memory, as are the readers above it; the
// sub-packages storage/s3 and storage/azblob are tested against real
// servers.
type Remote struct {
	mu      sync.Mutex
	objects map[string]object
	Reads   atomic.Int64 // ReadRange calls that reached the "server"
	Puts    atomic.Int64 // PutObject calls that reached it
	// Lists and PrefixLists count the List and ListPrefix calls that
	// reached it.
	Lists, PrefixLists atomic.Int64
	Fail               atomic.Int64 // the next n calls fail
	Down               atomic.Bool  // every call fails
	Short              atomic.Int64 // the next n bodies end early
	Delay              atomic.Int64 // each call sleeps this long (ns), honouring ctx
	// InFlight is the ReadRange calls under way now, MaxInFlight the
	// most there have been at once.
	InFlight, MaxInFlight atomic.Int64
}

type object struct {
	data    []byte
	version string
}

// NewRemote returns an empty Remote.
func NewRemote() *Remote { return &Remote{objects: map[string]object{}} }

// Put stores data under name as a new version (v1, v2, …).
func (r *Remote) Put(name string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 1
	if o, ok := r.objects[name]; ok {
		fmt.Sscanf(o.version, "v%d", &n)
		n++
	}
	r.objects[name] = object{data, fmt.Sprintf("v%d", n)}
}

// ErrFault is the error of an injected fault.
var ErrFault = errors.New("storagetest: 503 SlowDown")

func (r *Remote) fault(ctx context.Context) error {
	if d := time.Duration(r.Delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if r.Down.Load() {
		return ErrFault
	}
	if r.Fail.Add(-1) >= 0 {
		return ErrFault
	}
	r.Fail.Store(0)
	return nil
}

func (r *Remote) Stat(ctx context.Context, name string) (int64, string, error) {
	if err := r.fault(ctx); err != nil {
		return 0, "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.objects[name]
	if !ok {
		return 0, "", storage.ErrNotFound
	}
	return int64(len(o.data)), o.version, nil
}

func (r *Remote) ReadRange(ctx context.Context, name, version string, off, n int64) (io.ReadCloser, error) {
	r.Reads.Add(1)
	now := r.InFlight.Add(1)
	defer r.InFlight.Add(-1)
	for m := r.MaxInFlight.Load(); now > m && !r.MaxInFlight.CompareAndSwap(m, now); m = r.MaxInFlight.Load() {
	}
	if err := r.fault(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	o, ok := r.objects[name]
	r.mu.Unlock()
	switch {
	case !ok:
		return nil, storage.ErrNotFound
	case o.version != version:
		return nil, storage.ErrChanged
	case off < 0 || off+n > int64(len(o.data)):
		return nil, fmt.Errorf("storagetest: range [%d,+%d) outside %d bytes", off, n, len(o.data))
	}
	b := o.data[off : off+n]
	if r.Short.Add(-1) >= 0 {
		b = b[:n/2]
	} else {
		r.Short.Store(0)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (r *Remote) List(ctx context.Context, prefix string) ([]storage.Entry, error) {
	r.Lists.Add(1)
	return r.list(ctx, prefix, "")
}

var _ storage.RemotePrefixLister = (*Remote)(nil)

// ListPrefix lists the entries directly under dir whose names start with
// start (storage.RemotePrefixLister).
func (r *Remote) ListPrefix(ctx context.Context, dir, start string) ([]storage.Entry, error) {
	r.PrefixLists.Add(1)
	return r.list(ctx, dir, start)
}

func (r *Remote) list(ctx context.Context, prefix, start string) ([]storage.Entry, error) {
	if err := r.fault(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []storage.Entry
	for name, o := range r.objects {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || !strings.HasPrefix(rest, start) {
			continue
		}
		if dir, _, ok := strings.Cut(rest, "/"); ok {
			out = append(out, storage.Entry{Name: dir, Dir: true})
		} else {
			out = append(out, storage.Entry{Name: rest, Size: int64(len(o.data))})
		}
	}
	return out, nil
}

func (r *Remote) Locate(name string) string { return "mem://" + name }

// Delete removes the named object.
func (r *Remote) Delete(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.objects, name)
}

var _ storage.RemoteWriter = (*Remote)(nil)

// PutObject stores b as a new version of name (storage.RemoteWriter), with
// the faults of any call; Puts counts the calls that reached the "server".
func (r *Remote) PutObject(ctx context.Context, name string, b []byte) error {
	r.Puts.Add(1)
	if err := r.fault(ctx); err != nil {
		return err
	}
	r.Put(name, bytes.Clone(b))
	return nil
}

// RemoveObject deletes name (storage.RemoteWriter); one already gone is no
// error.
func (r *Remote) RemoveObject(ctx context.Context, name string) error {
	if err := r.fault(ctx); err != nil {
		return err
	}
	r.Delete(name)
	return nil
}
