package storage

import (
	"container/list"
	"sync"
)

// blockCache is the remote Store's bounded cache of object blocks, least
// recently used out, with the reads in flight: a block being fetched is
// waited for, never fetched twice.
//
// Block memory is never reused: an evicted block's slice stays valid for
// a reader that still holds it (the garbage collector frees it after), so
// readers need no reference counts and a response never sees bytes
// change under it.
type blockCache struct {
	mu        sync.Mutex
	max, size int64
	evictions uint64
	blocks    map[blockKey]*list.Element // of *cachedBlock
	lru       list.List                  // most recent at the front
	inflight  map[blockKey]*fetch
}

type blockKey struct {
	id  uint64 // the object version's key (RemoteStore.idOf)
	blk int64  // block number: offset / BlockSize
}

type cachedBlock struct {
	key  blockKey
	data []byte
}

// fetch is one ranged read of blocks b0…b1 of an object: the reader that
// registered it does the read; others wait on done.
type fetch struct {
	b0, b1 int64
	done   chan struct{}
	bufs   [][]byte // b1-b0+1 blocks, set before done is closed
	err    error
}

// wait is a block of a read that another reader's fetch is bringing.
type wait struct {
	i   int // index of the block in the read
	blk int64
	f   *fetch
}

func (c *blockCache) init(max int64) {
	c.max = max
	c.blocks = map[blockKey]*list.Element{}
	c.inflight = map[blockKey]*fetch{}
}

func (c *blockCache) usage() (size int64, evictions uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size, c.evictions
}

// ids returns the set of object keys that have blocks in the cache.
func (c *blockCache) ids() map[uint64]struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[uint64]struct{})
	for k := range c.blocks {
		out[k.id] = struct{}{}
	}
	return out
}

// lookup returns blocks b0…b1 of object id in out: the cached ones set,
// the others nil. Blocks another read is fetching are returned as waits.
// When some block is neither, lookup registers a fetch of the span from
// the first such block to the last (one read, even across blocks that
// are cached or in flight in between) and returns it: the caller must
// do it (remoteObject.fetch), so that waiters are woken.
func (c *blockCache) lookup(id uint64, b0, b1 int64, out [][]byte) (*fetch, []wait, [][]byte) {
	var waits []wait
	m0, m1 := int64(-1), int64(-1)
	c.mu.Lock()
	defer c.mu.Unlock()
	for blk := b0; blk <= b1; blk++ {
		k := blockKey{id, blk}
		if e, ok := c.blocks[k]; ok {
			c.lru.MoveToFront(e)
			out = append(out, e.Value.(*cachedBlock).data)
			continue
		}
		out = append(out, nil)
		if f, ok := c.inflight[k]; ok {
			waits = append(waits, wait{int(blk - b0), blk, f})
			continue
		}
		if m0 < 0 {
			m0 = blk
		}
		m1 = blk
	}
	if m0 < 0 {
		return nil, waits, out
	}
	f := &fetch{b0: m0, b1: m1, done: make(chan struct{})}
	for blk := m0; blk <= m1; blk++ {
		k := blockKey{id, blk}
		if _, ok := c.blocks[k]; ok {
			continue
		}
		if _, ok := c.inflight[k]; ok {
			continue // another fetch brings it; ours reads it too, and the waiters keep theirs
		}
		c.inflight[k] = f
	}
	// Blocks between m0 and m1 that were to be waited for come with our
	// read too: drop those waits.
	kept := waits[:0]
	for _, w := range waits {
		if w.blk < m0 || w.blk > m1 {
			kept = append(kept, w)
		}
	}
	return f, kept, out
}

// complete hands f's blocks to the cache (when it succeeded), drops its
// in-flight marks and wakes its waiters.
func (c *blockCache) complete(id uint64, f *fetch) {
	c.mu.Lock()
	for blk := f.b0; blk <= f.b1; blk++ {
		k := blockKey{id, blk}
		if c.inflight[k] == f {
			delete(c.inflight, k)
		}
		if f.err != nil {
			continue
		}
		if e, ok := c.blocks[k]; ok {
			c.lru.MoveToFront(e)
			continue
		}
		data := f.bufs[blk-f.b0]
		c.blocks[k] = c.lru.PushFront(&cachedBlock{k, data})
		c.size += int64(len(data))
	}
	for c.size > c.max && c.lru.Len() > 0 {
		e := c.lru.Back()
		b := c.lru.Remove(e).(*cachedBlock)
		delete(c.blocks, b.key)
		c.size -= int64(len(b.data))
		c.evictions++
	}
	c.mu.Unlock()
	close(f.done)
}
