package origin

import (
	"crypto/sha256"
	"sync"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/packager"
)

// viewCache keeps the views filterView decides, so that a filtered segment
// or init request (every request of a player under a filter) costs a map
// lookup, not a view: without it each one built the view again, two
// allocations and a pass over the asset's tracks and fragment times. A view
// depends on the asset's index and the filters' content only, and is never
// changed once built, so requests share it.
//
// An entry is keyed like the manifest cache keys a filtered manifest (the
// content hash of each filter, in order) and remembers the *Asset it was
// built from: an asset indexed again, or a live asset's next snapshot, is
// a miss, and the entry is replaced. The cache holds at most
// maxViewEntries and starts over when full, as the resolver's filter cache
// does: a view costs a few microseconds to build again.
type viewCache struct {
	mu    sync.Mutex
	items map[viewKey]viewEntry
}

// maxViewEntries bounds the view cache: (asset, filter combination) pairs
// in use.
const maxViewEntries = 4096

// viewKey names the view of an asset under filters: the asset's name and
// the filters' content hashes, in the order they apply. A comparable value
// built on the stack: a lookup allocates nothing.
type viewKey struct {
	asset string
	n     int
	sums  [maxRequestFilters][sha256.Size]byte
}

type viewEntry struct {
	asset *packager.Asset
	view  *assetView
}

func makeViewKey(a *packager.Asset, filters []*keyclient.ResolvedFilter) viewKey {
	k := viewKey{asset: a.Name, n: len(filters)}
	for i, f := range filters {
		k.sums[i] = f.Sum
	}
	return k
}

// view returns what filters keep of asset a: the cached view, else
// filterView's, cached when it is not an error (a filter that leaves
// nothing is a 400 that names it, built afresh).
func (c *viewCache) view(a *packager.Asset, filters []*keyclient.ResolvedFilter) (*assetView, error) {
	k := makeViewKey(a, filters)
	c.mu.Lock()
	e, ok := c.items[k]
	c.mu.Unlock()
	if ok && e.asset == a {
		return e.view, nil
	}
	v, err := filterView(a, filters)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.items == nil || len(c.items) >= maxViewEntries {
		c.items = make(map[viewKey]viewEntry)
	}
	c.items[k] = viewEntry{asset: a, view: v}
	c.mu.Unlock()
	return v, nil
}
