package packager

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/drmorigin/drmorigin/storage"
)

// liveObject is a live track's fragments, one object each in the archive
// (live.go), seen as one storage.Object: fragment k lies at a virtual
// offset, and a read at that offset reads its object. The packager's
// segment path reads a live track through it exactly as it reads a track
// file, so every output and scheme serves a live track unchanged.
//
// Its part list is replaced whole (copy on write) as fragments arrive and
// leave: a read loads it once, without a lock or an allocation.
type liveObject struct {
	store storage.Store
	id    string
	parts atomic.Pointer[[]*livePart]
}

// livePart is one fragment's object. It is opened on first read and kept
// open until the fragment is reclaimed (or the asset evicted).
type livePart struct {
	off, size int64
	name      string // the object's name in the store
	seq       uint64 // its sequence number in the track
	mu        sync.Mutex
	obj       storage.Object
	closed    bool
}

var _ storage.Object = (*liveObject)(nil)

func newLiveObject(st storage.Store, id string) *liveObject {
	o := &liveObject{store: st, id: id}
	o.parts.Store(new([]*livePart))
	return o
}

// find returns the part holding off, or nil.
func (o *liveObject) find(off int64) *livePart {
	ps := *o.parts.Load()
	lo, hi := 0, len(ps)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ps[m].off+ps[m].size <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(ps) && ps[lo].off <= off {
		return ps[lo]
	}
	return nil
}

// ReadAt reads within one fragment: a read never spans two (the packager
// reads one moof+mdat at a time).
func (o *liveObject) ReadAt(p []byte, off int64) (int, error) {
	part := o.find(off)
	if part == nil {
		return 0, fmt.Errorf("%w: %s: no fragment at offset %d (reclaimed)", storage.ErrNotFound, o.id, off)
	}
	rel := off - part.off
	n := int64(len(p))
	short := rel+n > part.size
	if short {
		n = part.size - rel
	}
	obj, err := part.open(o.store)
	if err != nil {
		return 0, err
	}
	k, err := obj.ReadAt(p[:n], rel)
	if err == nil && short {
		err = io.EOF
	}
	return k, err
}

func (p *livePart) open(st storage.Store) (storage.Object, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.obj == nil {
		if p.closed {
			return nil, fmt.Errorf("%w: %s reclaimed", storage.ErrNotFound, p.name)
		}
		o, err := st.Open(p.name)
		if err != nil {
			return nil, err
		}
		p.obj = o
	}
	return p.obj, nil
}

// close closes the part's object; reclaim makes it final.
func (p *livePart) close(final bool) {
	p.mu.Lock()
	if p.obj != nil {
		_ = p.obj.Close()
		p.obj = nil
	}
	p.closed = p.closed || final
	p.mu.Unlock()
}

// Size is the end of the newest fragment.
func (o *liveObject) Size() int64 {
	ps := *o.parts.Load()
	if len(ps) == 0 {
		return 0
	}
	last := ps[len(ps)-1]
	return last.off + last.size
}

// Identity names the track directory: fragments are immutable once put.
func (o *liveObject) Identity() string { return "live:" + o.id }

// Close closes the fragments' objects (an evicted asset); they reopen on
// the next read.
func (o *liveObject) Close() error {
	for _, p := range *o.parts.Load() {
		p.close(false)
	}
	return nil
}
