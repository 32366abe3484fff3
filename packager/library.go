package packager

import (
	"container/list"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drmorigin/drmorigin/storage"
)

// FailureTTL is how long Library.Asset remembers that an asset directory
// holds a corrupt or unsupported track file: long enough that a burst of
// requests for a broken asset costs one build, short enough that a fixed
// asset is picked up. Missing assets are not remembered (finding out costs
// one directory read).
const FailureTTL = 5 * time.Second

// maxFailures bounds the remembered failures, apart from the LRU so that
// requests for broken assets cannot push working ones out.
const maxFailures = 1024

// Library opens the assets of a store (each a directory at its root) and
// keeps a bounded cache of their indexes (least recently used first out).
// It is safe for concurrent use; concurrent requests for an uncached asset
// share one build.
type Library struct {
	store   storage.Store
	max     int
	fragDur time.Duration // the target duration progressive tracks are cut to

	mu       sync.Mutex
	entries  map[string]*entry
	lru      *list.List // of *entry, most recent at the front; built entries only
	failures map[string]failure
	closed   bool
	recheck  time.Duration     // how often a partial asset's skipped files are looked at
	observe  func(BuildReport) // nil: none
	live     map[string]*LiveAsset

	hits, misses atomic.Uint64
}

// LibraryStats counts a Library's answers since it was made.
type LibraryStats struct {
	// Hits are answers from the cache: an indexed asset, or a failure
	// remembered for FailureTTL.
	Hits uint64
	// Misses are answers that read the store: an index built (or waited
	// for while another request built it), an asset found missing.
	Misses uint64
}

// Stats returns the counts of answers so far.
func (l *Library) Stats() LibraryStats {
	return LibraryStats{Hits: l.hits.Load(), Misses: l.misses.Load()}
}

type entry struct {
	name  string
	ready chan struct{} // closed when asset or err is set
	asset *Asset
	err   error
	elem  *list.Element // nil while building
	// recheck is when the skipped files of a partial asset are next
	// compared with the store's.
	recheck time.Time
}

// BuildReport is what one build of an asset's index gave: the asset
// (Asset.Skipped says what it left out) or the error. Library.Observe
// delivers one per build, so that the caller can log what is left out
// once, not per request.
type BuildReport struct {
	Name  string
	Asset *Asset // nil when Err is set
	Err   error
}

type failure struct {
	err   error
	until time.Time
}

// NewLibrary returns a library of the assets in store that keeps at most
// maxAssets indexed assets (and their open files); maxAssets < 1 means 1.
// Whether track files are mapped is the store's choice (see
// storage.LocalOptions).
func NewLibrary(store storage.Store, maxAssets int) *Library {
	return &Library{
		store: store, max: max(maxAssets, 1), fragDur: DefaultFragmentDuration,
		entries: map[string]*entry{}, lru: list.New(), failures: map[string]failure{},
		recheck: FailureTTL,
	}
}

// Observe sets f to be called after each build of an asset's index,
// successful or not, outside the library's lock; f must not block for long.
// Call it before the first Asset.
func (l *Library) Observe(f func(BuildReport)) {
	l.mu.Lock()
	l.observe = f
	l.mu.Unlock()
}

// SetFragmentDuration sets the target duration that progressive tracks are
// cut to (packaging.segmentDuration; DefaultFragmentDuration when d <= 0)
// for assets indexed from now on. Call it before the first Asset.
func (l *Library) SetFragmentDuration(d time.Duration) {
	if d <= 0 {
		d = DefaultFragmentDuration
	}
	l.mu.Lock()
	l.fragDur = d
	l.mu.Unlock()
}

// List returns the names of the assets in the store, sorted: the
// directories at its root, hidden ones (a leading dot) left out. A name
// may still fail in Asset (ErrInvalidName, ErrCorrupt…).
func (l *Library) List() ([]string, error) {
	entries, err := l.store.List("")
	if err != nil {
		return nil, fmt.Errorf("packager: list assets: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Dir && !strings.HasPrefix(e.Name, ".") {
			names = append(names, e.Name)
		}
	}
	return names, nil
}

// Asset returns the indexed asset of that name, building its index on first
// use. A damaged or unsupported track file (or track) is left out and
// listed in Asset.Skipped; such a partial asset is built again when a file
// it left out is replaced (looked at every FailureTTL while it is asked
// for). Errors: ErrInvalidName, ErrAssetNotFound (ErrNoTrackFiles for a
// directory without track files), an *UnservableError wrapping ErrCorrupt
// or ErrUnsupported when no track can be served and errors wrapping them
// for a damaged server manifest (both remembered for FailureTTL), errors
// wrapping storage.ErrUnavailable or storage.ErrChanged, ErrClosed.
func (l *Library) Asset(name string) (*Asset, error) {
	if !validName(name) {
		return nil, ErrInvalidName
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	if la, ok := l.live[name]; ok {
		a, err := l.liveAsset(la)
		l.mu.Unlock()
		l.hits.Add(1)
		return a, err
	}
	if e, ok := l.entries[name]; ok {
		if e.elem == nil { // being built
			l.mu.Unlock()
			l.misses.Add(1)
			<-e.ready
			return e.asset, e.err
		}
		if !e.asset.changed() {
			l.lru.MoveToFront(e.elem)
			look := len(e.asset.Skipped) > 0 && time.Now().After(e.recheck)
			if look {
				e.recheck = time.Now().Add(l.recheck)
			}
			l.mu.Unlock()
			if look && l.skippedChanged(e.asset) {
				// A left-out file was replaced (repaired, say): build
				// the asset again, as for a changed file.
				l.mu.Lock()
				if l.entries[name] == e && e.elem != nil {
					l.drop(e)
				}
				l.mu.Unlock()
				return l.Asset(name)
			}
			l.hits.Add(1)
			return e.asset, nil
		}
		// A file was replaced under the index: build it again (requests
		// holding the old Asset finish on its version, or fail with
		// storage.ErrChanged; bytes of two versions are never mixed).
		l.drop(e)
	}
	if f, ok := l.failures[name]; ok {
		if time.Now().Before(f.until) {
			l.mu.Unlock()
			l.hits.Add(1)
			return nil, f.err
		}
		delete(l.failures, name)
	}
	e := &entry{name: name, ready: make(chan struct{}), recheck: time.Now().Add(l.recheck)}
	l.entries[name] = e
	target, observe := l.fragDur, l.observe
	l.mu.Unlock()
	l.misses.Add(1)

	a, err := loadAsset(l.store, name, target)

	l.mu.Lock()
	e.asset, e.err = a, err
	switch {
	case err != nil:
		delete(l.entries, name)
		if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnsupported) {
			l.remember(name, err)
		}
	case l.closed:
		delete(l.entries, name)
		a.evict()
	default:
		e.elem = l.lru.PushFront(e)
		for l.lru.Len() > l.max {
			l.drop(l.lru.Back().Value.(*entry))
		}
	}
	closed := l.closed
	l.mu.Unlock()
	close(e.ready)
	if observe != nil && !closed {
		observe(BuildReport{Name: name, Asset: a, Err: err})
	}
	return a, err
}

// skippedChanged reports whether a file that the asset left out is now
// another (storage.Object Identity): replaced, gone, or there when it was
// missing. A store that cannot tell changes nothing: the asset goes on
// being served as it is.
func (l *Library) skippedChanged(a *Asset) bool {
	for _, s := range a.Skipped {
		if v, ok := versionOf(l.store, a.Name, s.File); ok && v != s.version {
			return true
		}
	}
	return false
}

// remember records a failed build; l.mu is held.
func (l *Library) remember(name string, err error) {
	now := time.Now()
	if len(l.failures) >= maxFailures {
		for n, f := range l.failures {
			if now.After(f.until) {
				delete(l.failures, n)
			}
		}
		if len(l.failures) >= maxFailures {
			return
		}
	}
	l.failures[name] = failure{err: err, until: now.Add(FailureTTL)}
}

// Close drops every cached asset; their files close once in-flight reads
// end. Asset returns ErrClosed afterwards.
func (l *Library) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for l.lru.Len() > 0 {
		l.drop(l.lru.Back().Value.(*entry))
	}
	clear(l.failures)
	return nil
}

// drop removes a built entry from the cache and releases its files.
func (l *Library) drop(e *entry) {
	l.lru.Remove(e.elem)
	delete(l.entries, e.name)
	e.asset.evict()
}
