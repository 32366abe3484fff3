package keyclient

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ResolverConfig configures a Resolver; zero fields take the defaults.
type ResolverConfig struct {
	// MaxEntries bounds the cache (LRU); default 10000.
	MaxEntries int
	// TTL is how long a resolved locator is fresh; default 5m. Changes are
	// normally seen through invalidation messages, the TTL is the fallback.
	TTL time.Duration
	// NegativeTTL is how long "no such locator" is cached; default 5s.
	NegativeTTL time.Duration
	// LookupTimeout bounds one store lookup; default 2s.
	LookupTimeout time.Duration
}

func (c *ResolverConfig) fillDefaults() {
	if c.MaxEntries <= 0 {
		c.MaxEntries = 10000
	}
	if c.TTL <= 0 {
		c.TTL = 5 * time.Minute
	}
	if c.NegativeTTL <= 0 {
		c.NegativeTTL = 5 * time.Second
	}
	if c.LookupTimeout <= 0 {
		c.LookupTimeout = 2 * time.Second
	}
}

// staleRetry is how often an expired entry whose refresh failed (store
// unreachable) is retried while it keeps being served.
const staleRetry = time.Second

// Resolver caches resolved locators in-process: bounded LRU, TTL, negative
// caching, one lookup in flight per name, invalidation by change messages.
//
// Store outages: an entry past its TTL is served stale while a background
// refresh runs (stale-while-revalidate); if the store is unreachable the
// entry stays and is retried every second, so cached locators keep
// streaming through an outage and pick up changes when it ends. A locator
// that is not cached gets ErrUnavailable. A refresh that finds the locator
// gone drops it.
type Resolver struct {
	svc *Service
	cfg ResolverConfig

	mu       sync.Mutex
	entries  map[string]*entry
	lru      list.List // of *entry, most recent first
	inflight map[string]*call
	gen      uint64                  // bumped by every invalidation
	filters  map[string]*filterEntry // filter_resolver.go, by asset "\x00" name

	hits, misses, stale atomic.Uint64
}

// ResolverStats counts a Resolver's answers since it was made.
type ResolverStats struct {
	// Hits are answers from the cache: fresh, stale (served while a
	// refresh runs) or a cached "no such locator".
	Hits uint64
	// Misses are answers that waited for a store lookup (their own or
	// one already in flight).
	Misses uint64
	// Stale are the hits served past their TTL.
	Stale uint64
}

// Stats returns the counts of answers so far.
func (r *Resolver) Stats() ResolverStats {
	return ResolverStats{Hits: r.hits.Load(), Misses: r.misses.Load(), Stale: r.stale.Load()}
}

type entry struct {
	name       string
	res        *Resolved // nil: negative entry
	expires    time.Time
	elem       *list.Element
	refreshing bool
}

type call struct {
	done chan struct{}
	res  *Resolved
	err  error
}

// NewResolver returns a Resolver over s. Call Run to receive
// invalidations.
func NewResolver(s *Service, cfg ResolverConfig) *Resolver {
	cfg.fillDefaults()
	return &Resolver{svc: s, cfg: cfg, entries: map[string]*entry{}, inflight: map[string]*call{}}
}

// Resolve returns the locator name with its policy and keys: from the cache
// without a store round trip or an allocation, or by one store lookup
// shared with concurrent callers. Errors: ErrNotFound, ErrUnavailable,
// ErrKEK (a key is wrapped under a KEK this process does not hold).
func (r *Resolver) Resolve(ctx context.Context, name string) (*Resolved, error) {
	return r.ResolveAt(ctx, name, time.Now())
}

// ResolveAt is Resolve for a request that arrived at now: the cache's
// expiry is judged at that time, read once per request by its caller (a
// clock read costs about 110 ns on a virtual machine's kvm-clock, more
// than the cache hit).
func (r *Resolver) ResolveAt(ctx context.Context, name string, now time.Time) (*Resolved, error) {
	r.mu.Lock()
	if e, ok := r.entries[name]; ok {
		r.lru.MoveToFront(e.elem)
		if now.Before(e.expires) {
			res := e.res
			r.mu.Unlock()
			r.hits.Add(1)
			if res == nil {
				return nil, ErrNotFound
			}
			return res, nil
		}
		if e.res != nil {
			if !e.refreshing {
				e.refreshing = true
				go r.refresh(strings.Clone(name), r.gen)
			}
			res := e.res
			r.mu.Unlock()
			r.hits.Add(1)
			r.stale.Add(1)
			return res, nil
		}
		r.removeLocked(e)
	}
	r.misses.Add(1)
	if c, ok := r.inflight[name]; ok {
		r.mu.Unlock()
		select {
		case <-c.done:
			return c.res, c.err
		case <-ctx.Done():
			return nil, fmt.Errorf("streaming locator %s: %w: %w", name, ErrUnavailable, ctx.Err())
		}
	}
	// name may alias a buffer the caller reuses (the origin passes a view
	// of fasthttp's request path): copy it before it becomes a map key.
	name = strings.Clone(name)
	c := &call{done: make(chan struct{})}
	r.inflight[name] = c
	gen := r.gen
	r.mu.Unlock()

	// The lookup serves every waiter, so it outlives a caller that gives
	// up, but never the lookup timeout; the context does not escape.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.LookupTimeout)
	res, err := r.svc.resolve(lctx, name)
	cancel()
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrKEK) {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if errors.Is(err, ErrNotFound) {
		err = ErrNotFound
	}
	c.res, c.err = res, err

	r.mu.Lock()
	delete(r.inflight, name)
	switch {
	case err == nil:
		// Invalidated while in flight: keep it, but stale, so it is
		// refreshed on its next use (and still served if the store fails).
		exp := time.Now().Add(r.cfg.TTL)
		if r.gen != gen {
			exp = time.Time{}
		}
		r.storeLocked(name, res, exp)
	case errors.Is(err, ErrNotFound) && r.gen == gen:
		r.storeLocked(name, nil, time.Now().Add(r.cfg.NegativeTTL))
	}
	r.mu.Unlock()
	close(c.done)
	return res, err
}

// refresh re-resolves an expired entry in the background.
func (r *Resolver) refresh(name string, gen uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.LookupTimeout)
	res, err := r.svc.resolve(ctx, name)
	cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[name]
	if !ok || e.res == nil {
		return
	}
	e.refreshing = false
	if r.gen != gen {
		return // invalidated meanwhile: the entry is stale anyway
	}
	switch {
	case err == nil:
		e.res, e.expires = res, time.Now().Add(r.cfg.TTL)
	case errors.Is(err, ErrNotFound):
		r.removeLocked(e)
	default:
		e.expires = time.Now().Add(staleRetry)
	}
}

func (r *Resolver) storeLocked(name string, res *Resolved, expires time.Time) {
	if e, ok := r.entries[name]; ok {
		e.res, e.expires, e.refreshing = res, expires, false
		r.lru.MoveToFront(e.elem)
		return
	}
	e := &entry{name: name, res: res, expires: expires}
	e.elem = r.lru.PushFront(e)
	r.entries[name] = e
	for len(r.entries) > r.cfg.MaxEntries {
		r.removeLocked(r.lru.Back().Value.(*entry))
	}
}

func (r *Resolver) removeLocked(e *entry) {
	r.lru.Remove(e.elem)
	delete(r.entries, e.name)
}

// Invalidate drops a locator from the cache (a cached "no such locator"
// too), so the next Resolve asks the store.
func (r *Resolver) Invalidate(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	if e, ok := r.entries[name]; ok {
		r.removeLocked(e)
	}
}

func (r *Resolver) invalidate(inv Invalidation) {
	switch inv.Kind {
	case KindStreamingLocators:
		r.Invalidate(inv.Name)
	case KindStreamingPolicies:
		r.mu.Lock()
		r.gen++
		for _, e := range r.entries {
			if e.res != nil && e.res.Policy.Name == inv.Name {
				r.removeLocked(e)
			}
		}
		r.mu.Unlock()
	case KindAccountFilters, KindAssetFilters:
		r.mu.Lock()
		r.invalidateFilterLocked(inv.Kind, inv.Name)
		r.mu.Unlock()
	case "":
		// Messages may have been lost: everything is stale. Positive
		// entries stay (served while refreshed), negative ones go.
		// Filters are cheap to look up again: they all go.
		r.mu.Lock()
		r.gen++
		r.filters = nil
		for _, e := range r.entries {
			if e.res == nil {
				r.removeLocked(e)
			} else {
				e.expires = time.Time{}
			}
		}
		r.mu.Unlock()
	}
}

// Len returns the number of cached entries (negative ones included).
func (r *Resolver) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

// Run applies invalidations from the store until ctx is done.
func (r *Resolver) Run(ctx context.Context) {
	for inv := range r.svc.store.Subscribe(ctx) {
		r.invalidate(inv)
	}
}
