package origin

import (
	"container/list"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/packager"
)

// manifestCache holds generated manifests under (locator, format, options,
// public base URL). An entry remembers the resolved locator it was built
// from: when the resolver hands out a new one (the locator changed or was
// deleted and recreated), the entry no longer matches and is rebuilt, so a
// manifest is dropped with its locator (urls.md, "Manifest caching"). It
// remembers the asset's index too: an asset indexed again (a track file
// replaced in an object store) gets manifests of its new fragments.
type manifestCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type manifestEntry struct {
	key         string
	resolved    *keyclient.Resolved
	asset       *packager.Asset // the index it was built from: a re-indexed asset (a file replaced in storage) rebuilds it
	body        []byte
	etag        []byte
	contentType []byte
	// cacheControl is the entry's Cache-Control, "" for the configured
	// one: a live manifest's is at most half its shortest segment.
	cacheControl string
}

func newManifestCache(max int) *manifestCache {
	return &manifestCache{max: max, ll: list.New(), items: make(map[string]*list.Element)}
}

// appendManifestKey appends the cache key of a manifest to dst: locator,
// asset, format, encryption, the track of a media playlist, base, the
// base URL its key and license URLs are made from, and the filters that
// apply: the URL's filter= names (the manifest writes them into its URLs)
// and a hash of each filter's content, so that a changed filter is a new
// key on every replica at once. Built in a pooled buffer and looked up as
// string(key), a cache hit allocates nothing.
func appendManifestKey(dst []byte, r *StreamRequest, enc Encryption, base []byte, filters []*keyclient.ResolvedFilter) []byte {
	dst = append(dst, r.Locator...)
	dst = append(dst, 0)
	dst = appendLower(dst, r.Name)
	dst = append(dst, 0)
	dst = append(dst, r.Format.String()...)
	dst = append(dst, 0)
	dst = append(dst, enc.String()...)
	dst = append(dst, 0)
	if r.Kind == KindIFramePlaylist {
		dst = append(dst, "iframes:"...)
	}
	if r.Kind == KindMediaPlaylist || r.Kind == KindIFramePlaylist {
		dst = appendLower(dst, r.Track)
		dst = append(dst, '@')
		dst = strconv.AppendInt(dst, int64(r.Bitrate), 10)
	}
	dst = append(dst, 0)
	dst = append(dst, base...)
	if len(filters) == 0 {
		return dst
	}
	dst = append(dst, 0)
	dst = append(dst, r.Filter...)
	for _, f := range filters {
		dst = append(dst, 0)
		dst = append(dst, f.Sum[:]...)
	}
	return dst
}

// appendLower appends s in lower case (ASCII without allocating).
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return append(dst, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

var keyBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func (c *manifestCache) get(key []byte, res *keyclient.Resolved, asset *packager.Asset) *manifestEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[string(key)]
	if !ok {
		return nil
	}
	e := el.Value.(*manifestEntry)
	if e.resolved != res || e.asset != asset {
		c.ll.Remove(el)
		delete(c.items, e.key)
		return nil
	}
	c.ll.MoveToFront(el)
	return e
}

func (c *manifestCache) put(key string, res *keyclient.Resolved, asset *packager.Asset, body, ctype []byte, cacheControl string) *manifestEntry {
	e := &manifestEntry{key: key, resolved: res, asset: asset, body: body, contentType: ctype,
		etag: appendETag(nil, fnv64a(fnvOffset, body)), cacheControl: cacheControl}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.ll.Remove(el)
	}
	c.items[key] = c.ll.PushFront(e)
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*manifestEntry).key)
	}
	return e
}
