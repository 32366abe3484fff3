package keyclient

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ResolvedFilter is a filter as the streaming path applies it. It is
// shared by every request that hits the cache: treat it as read-only.
type ResolvedFilter struct {
	Ref    FilterRef
	Filter *Filter
	// Sum is a SHA-256 of the stored JSON: manifests cached under it are
	// rebuilt as soon as the filter changes, on every replica.
	Sum [sha256.Size]byte
}

// filterEntry caches one lookup of (asset, name): the filter found, or
// none (nil).
type filterEntry struct {
	f       *ResolvedFilter
	expires time.Time
}

// maxFilterEntries bounds the filter cache; it starts over when full.
const maxFilterEntries = 1 << 14

// Filter returns the filter that name means for asset (the asset's own
// filter of that name, else the account filter): from the cache without a
// store round trip, or by a store lookup. ErrNotFound when there is none;
// ErrUnavailable when the store cannot answer. A filter written or deleted
// anywhere is dropped from the cache by its invalidation message, so the
// next request sees the change.
func (r *Resolver) Filter(ctx context.Context, asset, name string) (*ResolvedFilter, error) {
	// The key is built on the stack: a cache hit allocates nothing.
	var kb [2*MaxNameLen + 1]byte
	k := append(append(append(kb[:0], asset...), 0), name...)
	now := time.Now()
	r.mu.Lock()
	if e, ok := r.filters[string(k)]; ok && now.Before(e.expires) {
		f := e.f
		r.mu.Unlock()
		if f == nil {
			return nil, fmt.Errorf("filter %s: %w", name, ErrNotFound)
		}
		return f, nil
	}
	gen := r.gen
	r.mu.Unlock()
	key := string(k)
	// The names may alias a buffer the caller reuses (the request path).
	asset, name = strings.Clone(asset), strings.Clone(name)

	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.LookupTimeout)
	ref, doc, err := r.svc.lookupFilter(lctx, asset, name)
	cancel()
	var f *ResolvedFilter
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return nil, err
	default:
		// Stored documents were validated when written; a document that
		// no longer decodes (written by another version) is not served.
		flt, derr := DecodeFilter(doc)
		if derr != nil {
			return nil, fmt.Errorf("stored %s: %w: %w", ref, ErrUnavailable, derr)
		}
		f = &ResolvedFilter{Ref: ref, Filter: flt, Sum: sha256.Sum256(doc)}
	}
	ttl := r.cfg.TTL
	if f == nil {
		ttl = r.cfg.NegativeTTL
	}
	r.mu.Lock()
	if r.gen == gen { // not invalidated while in flight
		if r.filters == nil || len(r.filters) >= maxFilterEntries {
			r.filters = map[string]*filterEntry{}
		}
		r.filters[key] = &filterEntry{f: f, expires: now.Add(ttl)}
	}
	r.mu.Unlock()
	if f == nil {
		return nil, fmt.Errorf("filter %s: %w", name, ErrNotFound)
	}
	return f, nil
}

// invalidateFilterLocked drops the cached lookups that a change of the
// filter stored as name of kind may answer differently. Called with r.mu.
func (r *Resolver) invalidateFilterLocked(kind Kind, name string) {
	r.gen++
	if kind == KindAccountFilters {
		// Every asset's lookup of this name may fall through to it.
		for k := range r.filters {
			if _, n, _ := strings.Cut(k, "\x00"); n == name {
				delete(r.filters, k)
			}
		}
		return
	}
	asset, n, _ := strings.Cut(name, "/")
	delete(r.filters, asset+"\x00"+n)
}

// InvalidateFilter drops the cached lookups that filter r's change may
// answer differently. The store's invalidation message does the same on
// every replica; the replica that made the change calls this too, so that
// its own next request sees the change without waiting for the message.
func (r *Resolver) InvalidateFilter(ref FilterRef) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invalidateFilterLocked(ref.Kind, ref.storeName())
}
