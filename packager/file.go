package packager

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/drmorigin/drmorigin/storage"
)

// trackFile keeps a track file open, and mapped read-only when its store
// maps it (storage.Mapper), while its asset is cached. Readers take a
// reference for the duration of one read (or, for a mapped payload, until
// the response is written); eviction closes the object (and so unmaps it)
// only when no reference is held. A Track still held by a caller after
// eviction reopens its file for each read and closes it after.
//
// The mapping lets a clear segment's sample data go to the socket straight
// from the page cache (one copy, in the kernel, as a static file server's)
// and lets reads skip a syscall. A file that is not mapped (or a range
// past the mapped size) is read with ReadAt (pread).
type trackFile struct {
	store   storage.Store
	name    string // the file's name in the store
	path    string // store.Locate(name), for messages
	mu      sync.Mutex
	f       storage.Object // nil while closed
	data    []byte         // f's mapping, nil when not mapped
	refs    int
	evicted bool
	// changed is set when a read found the object replaced since it was
	// opened (storage.ErrChanged): the index built from it is stale, and
	// Library.Asset builds the asset again.
	changed atomic.Bool
	// reopen, when set, gives the object back after eviction instead of
	// store.Open(name): a live track's object spans many (live.go).
	reopen func() (storage.Object, error)
}

// acquire returns the open file and its mapping (nil when the file is not
// mapped), reopening the file after eviction.
func (tf *trackFile) acquire() (storage.Object, []byte, error) {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if tf.f == nil {
		open := tf.store.Open
		if tf.reopen != nil {
			open = func(string) (storage.Object, error) { return tf.reopen() }
		}
		f, err := open(tf.name)
		if err != nil {
			return nil, nil, fmt.Errorf("packager: reopen %s: %w", tf.path, err)
		}
		tf.f, tf.data = f, storage.MappingOf(f)
	}
	tf.refs++
	return tf.f, tf.data, nil
}

func (tf *trackFile) release() {
	tf.mu.Lock()
	tf.refs--
	if tf.refs == 0 && tf.evicted {
		tf.closeLocked()
	}
	tf.mu.Unlock()
}

// evict closes the file now or, when references are held, after the last.
func (tf *trackFile) evict() {
	tf.mu.Lock()
	tf.evicted = true
	if tf.refs == 0 {
		tf.closeLocked()
	}
	tf.mu.Unlock()
}

func (tf *trackFile) closeLocked() {
	if tf.f != nil {
		_ = tf.f.Close() // unmaps
		tf.f, tf.data = nil, nil
	}
}

// heldFile is a track file's open object and mapping (nil when not
// mapped) while the caller holds a reference (acquire … release).
type heldFile struct {
	f    storage.Object
	data []byte
}

// hold takes a reference to the file; release it with tf.release.
func (tf *trackFile) hold() (heldFile, error) {
	f, data, err := tf.acquire()
	return heldFile{f, data}, err
}

// mapped returns the n bytes at off in the mapping, or nil when the
// mapping does not cover them.
func (h heldFile) mapped(off, n int64) []byte {
	if off < 0 || n < 0 || off+n > int64(len(h.data)) {
		return nil
	}
	return h.data[off : off+n]
}

// readAt reads exactly len(p) bytes at off: from the mapping when it covers
// the range, else with ReadAt (pread).
func (tf *trackFile) readAt(p []byte, off int64) error {
	h, err := tf.hold()
	if err != nil {
		return err
	}
	defer tf.release()
	return tf.readHeld(h, p, off)
}

// readHeld is readAt on a file the caller holds.
func (tf *trackFile) readHeld(h heldFile, p []byte, off int64) error {
	if m := h.mapped(off, int64(len(p))); m != nil {
		if err := copyMapped(p, m); err != nil {
			return corruptf(tf.path, off, "%v", err)
		}
		return nil
	}
	n, err := h.f.ReadAt(p, off)
	if n < len(p) {
		return tf.readError(off, n, len(p), err)
	}
	return nil
}

// readError is readError for a read of this file; a read that found the
// object replaced marks the file changed, so that its asset is built again.
func (tf *trackFile) readError(off int64, n, want int, err error) error {
	if errors.Is(err, storage.ErrChanged) {
		tf.changed.Store(true)
	}
	return readError(tf.path, off, n, want, err)
}

// copyMapped copies src, a slice of a file mapping, to dst. A file
// truncated under its mapping makes the copy fault (SIGBUS); that becomes
// an error here rather than the end of the process.
func copyMapped(dst, src []byte) (err error) {
	return guardMapped(src, nil, func() { copy(dst, src) })
}

// guardMapped runs fn, which reads the file mappings a and b (either may be
// nil), under storage.Guard: a fault inside them (the file was cut short
// under the mapping) is an error, any other panic goes on.
func guardMapped(a, b []byte, fn func()) error { return storage.Guard(a, b, fn) }
