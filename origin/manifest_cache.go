package origin

import (
	"container/list"
	"strings"
	"sync"

	"github.com/drmorigin/drmorigin/keyclient"
)

// manifestCache holds generated manifests under (locator, format, options,
// public base URL). An entry remembers the resolved locator it was built
// from: when the resolver hands out a new one (the locator changed or was
// deleted and recreated), the entry no longer matches and is rebuilt, so a
// manifest is dropped with its locator (urls.md, "Manifest caching").
type manifestCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type manifestEntry struct {
	key         string
	resolved    *keyclient.Resolved
	body        []byte
	etag        []byte
	contentType []byte
}

func newManifestCache(max int) *manifestCache {
	return &manifestCache{max: max, ll: list.New(), items: make(map[string]*list.Element)}
}

func manifestKey(r *StreamRequest, enc Encryption, baseURL string) string {
	var b strings.Builder
	b.WriteString(r.Locator)
	b.WriteByte(0)
	b.WriteString(strings.ToLower(r.Name))
	b.WriteByte(0)
	b.WriteString(r.Format.String())
	b.WriteByte(0)
	b.WriteString(enc.String())
	b.WriteByte(0)
	if r.Kind == KindMediaPlaylist {
		b.WriteString(strings.ToLower(r.Track))
		b.WriteByte('@')
		b.WriteString(itoa(r.Bitrate))
	}
	b.WriteByte(0)
	b.WriteString(baseURL)
	return b.String()
}

func (c *manifestCache) get(key string, res *keyclient.Resolved) *manifestEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil
	}
	e := el.Value.(*manifestEntry)
	if e.resolved != res {
		c.ll.Remove(el)
		delete(c.items, key)
		return nil
	}
	c.ll.MoveToFront(el)
	return e
}

func (c *manifestCache) put(key string, res *keyclient.Resolved, body, ctype []byte) *manifestEntry {
	e := &manifestEntry{key: key, resolved: res, body: body, contentType: ctype,
		etag: appendETag(nil, fnv64a(fnvOffset, body))}
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
