package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of RemoteOptions.
const (
	DefaultCacheSize = 1 << 30 // storage.cache.size
	// DefaultBlockSize is small: an index walk of a fragmented file reads
	// one moof (a few KiB) per fragment, and a block is what each of
	// those reads fetches and caches (a 2-hour file of 2 s fragments: 58
	// MB at 16 KiB, 900 MB at 256 KiB). A segment's read fetches its
	// blocks in one ranged read whatever their size.
	DefaultBlockSize = 16 << 10
	DefaultTimeout   = 5 * time.Second
	DefaultAttempts  = 3
	DefaultBackoff   = 50 * time.Millisecond
)

// RemoteOptions tune a remote Store. Zero values take the defaults.
type RemoteOptions struct {
	// CacheSize bounds the block cache, in bytes (storage.cache.size).
	CacheSize int64
	// BlockSize is the cache's unit: a read fetches whole blocks.
	BlockSize int64
	// Timeout bounds one attempt of one call to the Remote (a stat, a
	// listing, a ranged read and its body).
	Timeout time.Duration
	// Attempts is how many times a faulted call is tried in all; the
	// n-th retry waits Backoff << (n-1). The worst case a read can take is
	// about Attempts × Timeout plus the backoffs, and then it fails with
	// ErrUnavailable: a bounded wait, never a hang.
	Attempts int
	Backoff  time.Duration
	// Observe, when set, is called after every attempt of every call to
	// the Remote (metrics: latency, bytes, errors). It must not block.
	Observe func(Call)
}

// Call describes one attempt of one call to a Remote, for RemoteOptions.Observe.
type Call struct {
	Op    string        // "stat", "read", "list", "put" or "remove"
	Bytes int64         // bytes read (op "read")
	Took  time.Duration // from the call to the end of the body
	Err   error         // nil, or the attempt's fault
}

// RemoteStats are a remote Store's counters since it was made.
type RemoteStats struct {
	Hits      uint64 // reads answered from the block cache alone
	Misses    uint64 // reads that fetched blocks or waited for another read's fetch
	Fetches   uint64 // ranged reads of the Remote that succeeded
	Bytes     uint64 // bytes those fetches read
	Faults    uint64 // attempts (of any call) that failed with a fault of the store
	Cached    int64  // bytes held in the block cache now
	Evictions uint64 // blocks evicted to stay within CacheSize
}

// RemoteStore is a Store over a Remote: objects are read with ranged reads
// through a bounded block cache (least recently used out) shared by all
// objects of the store. Concurrent reads that miss the same blocks share
// one ranged read, and a read that misses several blocks fetches all of
// them in one: a segment whose bytes are not cached costs one storage
// read, however many requests ask for it at once. Blocks are keyed by
// the object's version, so a replaced object's bytes are never mixed
// with its old ones.
//
// Objects implement Prefetcher: a reader that is about to read a range in
// several ReadAts (a moof, then its samples) fetches it in one read first.
type RemoteStore struct {
	r     Remote
	opt   RemoteOptions
	cache blockCache

	mu      sync.Mutex
	ids     map[string]objectID // by name: the version last opened and the key of its blocks
	lastID  uint64
	sweepAt int // sweep ids when it grows past this

	hits, misses, fetches, bytes, faults atomic.Uint64
}

// Prefetcher is implemented by Objects that can read a range ahead into a
// cache: the following ReadAts inside it are served without another read
// of the store. Prefetch returns the read's error, as ReadAt would.
type Prefetcher interface {
	Prefetch(off, n int64) error
}

// Viewer is implemented by Objects that can lend their bytes without a
// copy: a remote object's cached blocks. View appends to runs the slices
// that hold [off, off+n), in order (split where blocks end), reading what
// is not cached first. The slices are read-only and stay valid for as
// long as they are held (the cache never reuses a block's memory).
type Viewer interface {
	View(off, n int64, runs [][]byte) ([][]byte, error)
}

// Prefetch calls o's Prefetch when o implements Prefetcher; else it does
// nothing and returns nil.
func Prefetch(o Object, off, n int64) error {
	if p, ok := o.(Prefetcher); ok {
		return p.Prefetch(off, n)
	}
	return nil
}

// NewRemote returns a Store that reads r through a block cache.
func NewRemote(r Remote, opt RemoteOptions) *RemoteStore {
	if opt.CacheSize <= 0 {
		opt.CacheSize = DefaultCacheSize
	}
	if opt.BlockSize <= 0 {
		opt.BlockSize = DefaultBlockSize
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Attempts <= 0 {
		opt.Attempts = DefaultAttempts
	}
	if opt.Backoff <= 0 {
		opt.Backoff = DefaultBackoff
	}
	s := &RemoteStore{r: r, opt: opt, ids: map[string]objectID{}, sweepAt: minSweep}
	s.cache.init(opt.CacheSize)
	return s
}

// Stats returns the store's counters.
func (s *RemoteStore) Stats() RemoteStats {
	cached, evictions := s.cache.usage()
	return RemoteStats{
		Hits: s.hits.Load(), Misses: s.misses.Load(),
		Fetches: s.fetches.Load(), Bytes: s.bytes.Load(), Faults: s.faults.Load(),
		Cached: cached, Evictions: evictions,
	}
}

// Locate returns the Remote's URL of the name.
func (s *RemoteStore) Locate(name string) string { return s.r.Locate(name) }

// Open stats the named object: its size and version are fixed from now
// on, and every read of the Object is pinned to that version.
func (s *RemoteStore) Open(name string) (Object, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("storage: open %q: %w", name, ErrInvalidName)
	}
	var size int64
	var version string
	err := s.retry("stat", name, func(ctx context.Context) (int64, error) {
		var err error
		size, version, err = s.r.Stat(ctx, name)
		return 0, err
	})
	if err != nil {
		return nil, err
	}
	if size < 0 {
		return nil, fmt.Errorf("storage: open %s: negative size %d: %w", s.r.Locate(name), size, ErrUnavailable)
	}
	return &remoteObject{s: s, name: name, size: size, version: version, id: s.idOf(name, version)}, nil
}

// List lists the entries directly under prefix, sorted, hidden and
// invalid names left out (see Store.List).
func (s *RemoteStore) List(prefix string) ([]Entry, error) {
	if prefix != "" && (!strings.HasSuffix(prefix, "/") || !ValidName(strings.TrimSuffix(prefix, "/"))) {
		return nil, fmt.Errorf("storage: list %q: %w", prefix, ErrInvalidName)
	}
	var entries []Entry
	err := s.retry("list", prefix, func(ctx context.Context) (int64, error) {
		var err error
		entries, err = s.r.List(ctx, prefix)
		return 0, err
	})
	if err != nil {
		return nil, err
	}
	out := entries[:0]
	for _, e := range entries {
		if ValidName(e.Name) && !strings.Contains(e.Name, "/") {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	out = slices.CompactFunc(out, func(a, b Entry) bool { return a.Name == b.Name })
	if len(out) == 0 && prefix != "" {
		return nil, fmt.Errorf("storage: list %s: %w", s.r.Locate(strings.TrimSuffix(prefix, "/")), ErrNotFound)
	}
	return out, nil
}

// objectID is the key of the blocks of one version of an object.
type objectID struct {
	version string
	id      uint64
}

// minSweep is the size of ids below which it is never swept.
const minSweep = 4096

// idOf returns the key of the blocks of that version of the object. A
// name keeps the key of the version last opened only: an Object of an
// older version keeps its own key (and its blocks), and a new version
// gets a new key, so bytes of two versions never mix.
func (s *RemoteStore) idOf(name, version string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.ids[name]; ok && e.version == version {
		return e.id
	}
	s.lastID++
	s.ids[name] = objectID{version, s.lastID}
	if len(s.ids) > s.sweepAt {
		s.sweepLocked()
	}
	return s.lastID
}

// sweepLocked drops the keys of objects that have no block in the cache.
// Names come and go (a live track's fragments, one object each, opened
// once and deleted a window later): without it ids would grow for as
// long as the origin runs. A key dropped while an Object still reads
// with it costs at most a second copy of its blocks, under a new key,
// when the object is opened again. ids is swept when it doubles, so the
// sweep's cost is shared by the opens that grew it.
func (s *RemoteStore) sweepLocked() {
	held := s.cache.ids()
	for name, e := range s.ids {
		if _, ok := held[e.id]; !ok && e.id != s.lastID {
			delete(s.ids, name)
		}
	}
	s.sweepAt = max(minSweep, 2*len(s.ids))
}

// forget drops name's key: the object was replaced or removed here.
func (s *RemoteStore) forget(name string) {
	s.mu.Lock()
	delete(s.ids, name)
	s.mu.Unlock()
}

// retry runs one call to the Remote with a timeout per attempt, retrying
// faults with backoff. What is not a fault (not found, changed, an
// invalid name) is returned at once; a fault left after the last attempt
// wraps ErrUnavailable. fn returns the bytes it read, for Observe.
func (s *RemoteStore) retry(op, name string, fn func(ctx context.Context) (int64, error)) error {
	var err error
	for a := 0; a < s.opt.Attempts; a++ {
		if a > 0 {
			time.Sleep(s.opt.Backoff << (a - 1))
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.opt.Timeout)
		start := time.Now()
		var n int64
		n, err = fn(ctx)
		if err == nil && ctx.Err() != nil {
			err = ctx.Err() // a body read to the end just as the deadline passed: count it as slow
		}
		cancel()
		if s.opt.Observe != nil {
			s.opt.Observe(Call{Op: op, Bytes: n, Took: time.Since(start), Err: err})
		}
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrChanged) || errors.Is(err, ErrInvalidName) {
			return fmt.Errorf("storage: %s %s: %w", op, s.r.Locate(name), err)
		}
		s.faults.Add(1)
	}
	return fmt.Errorf("storage: %s %s: %w after %d attempts: %v", op, s.r.Locate(name), ErrUnavailable, s.opt.Attempts, err)
}

// remoteObject is an open object of a RemoteStore: a name pinned to the
// version Open saw.
type remoteObject struct {
	s       *RemoteStore
	name    string
	size    int64
	version string
	id      uint64
}

func (o *remoteObject) Size() int64      { return o.size }
func (o *remoteObject) Identity() string { return o.version }
func (o *remoteObject) Close() error     { return nil }

// ReadAt reads len(p) bytes at off through the block cache.
func (o *remoteObject) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("storage: read %s at %d: negative offset", o.s.r.Locate(o.name), off)
	}
	if off >= o.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := min(int64(len(p)), o.size-off)
	if n == 0 {
		return 0, nil
	}
	bp := blockSlices.Get().(*[][]byte)
	defer func() { clear(*bp); blockSlices.Put(bp) }()
	blocks, err := o.blocks(off, n, (*bp)[:0])
	*bp = blocks
	if err != nil {
		return 0, err
	}
	B := o.s.opt.BlockSize
	done := 0
	for i, b := range blocks {
		lo := int64(0)
		if i == 0 {
			lo = off % B
		}
		done += copy(p[done:n], b[lo:])
	}
	if int64(len(p)) > n {
		return done, io.EOF
	}
	return done, nil
}

// Prefetch reads the blocks of [off, off+n) that are not cached, in one
// ranged read.
func (o *remoteObject) Prefetch(off, n int64) error {
	if off < 0 || n <= 0 || off >= o.size {
		return nil
	}
	n = min(n, o.size-off)
	bp := blockSlices.Get().(*[][]byte)
	defer func() { clear(*bp); blockSlices.Put(bp) }()
	var err error
	*bp, err = o.blocks(off, n, (*bp)[:0])
	return err
}

// blockSlices holds the slices of the blocks a ReadAt or Prefetch is
// reading, so that a warm read allocates nothing.
var blockSlices = sync.Pool{New: func() any { s := make([][]byte, 0, 128); return &s }}

// View appends the cached blocks' slices of [off, off+n) to runs.
func (o *remoteObject) View(off, n int64, runs [][]byte) ([][]byte, error) {
	if off < 0 || n < 0 || off+n > o.size {
		return runs, fmt.Errorf("storage: view %s [%d,+%d): outside its %d bytes", o.s.r.Locate(o.name), off, n, o.size)
	}
	if n == 0 {
		return runs, nil
	}
	// The blocks go to the end of runs, then are trimmed in place.
	at := len(runs)
	runs, err := o.blocks(off, n, runs)
	if err != nil {
		return runs[:at], err
	}
	B := o.s.opt.BlockSize
	lo := off % B
	for i, b := range runs[at:] {
		k := min(int64(len(b))-lo, n)
		runs[at+i] = b[lo : lo+k : lo+k]
		n -= k
		lo = 0
	}
	return runs, nil
}

// blocks appends the blocks covering [off, off+n) to out, in order,
// fetching the missing ones. The slices stay valid after the cache drops them (the
// garbage collector keeps them), so callers need no reference counts.
func (o *remoteObject) blocks(off, n int64, out [][]byte) ([][]byte, error) {
	s, B := o.s, o.s.opt.BlockSize
	b0, b1 := off/B, (off+n-1)/B
	at := len(out)
	f, waits, out := s.cache.lookup(o.id, b0, b1, out)
	if f == nil && len(waits) == 0 {
		s.hits.Add(1)
		return out, nil
	}
	s.misses.Add(1)
	if f != nil {
		o.fetch(f)
	}
	for _, w := range waits {
		<-w.f.done
		if w.f.err != nil {
			return out[:at], w.f.err
		}
		out[at+w.i] = w.f.bufs[w.blk-w.f.b0]
	}
	if f != nil {
		if f.err != nil {
			return out[:at], f.err
		}
		for i := range out[at:] {
			if blk := b0 + int64(i); blk >= f.b0 && blk <= f.b1 && out[at+i] == nil {
				out[at+i] = f.bufs[blk-f.b0]
			}
		}
	}
	return out, nil
}

// fetch reads f's blocks with one ranged read (retried on faults), hands
// them to the cache and wakes the readers waiting on f.
func (o *remoteObject) fetch(f *fetch) {
	s, B := o.s, o.s.opt.BlockSize
	lo, hi := f.b0*B, min((f.b1+1)*B, o.size)
	bufs := make([][]byte, f.b1-f.b0+1)
	for i := range bufs {
		bufs[i] = make([]byte, min(B, hi-(f.b0+int64(i))*B))
	}
	err := s.retry("read", o.name, func(ctx context.Context) (int64, error) {
		body, err := s.r.ReadRange(ctx, o.name, o.version, lo, hi-lo)
		if err != nil {
			return 0, err
		}
		defer body.Close()
		var got int64
		for _, b := range bufs {
			n, err := io.ReadFull(body, b)
			got += int64(n)
			if err != nil {
				return got, fmt.Errorf("short read: %d of %d bytes at %d: %w", got, hi-lo, lo, err)
			}
		}
		return got, nil
	})
	if errors.Is(err, ErrNotFound) {
		// Deleted since it was opened: as good as replaced.
		err = fmt.Errorf("%w: %w", ErrChanged, err)
	}
	if err == nil {
		s.fetches.Add(1)
		s.bytes.Add(uint64(hi - lo))
	}
	f.bufs, f.err = bufs, err
	s.cache.complete(o.id, f)
}
