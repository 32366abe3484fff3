package packager

import (
	"sync"

	"github.com/drmorigin/drmorigin/crypto"
)

// cbcs subsample maps, kept per track for the fragments served last.
//
// A cbcs map leaves each slice header clear, so building it parses every
// slice header of the fragment (codec/h264, codec/hevc): about 4.4 µs of a
// 1080p segment's 50 in-process, the largest part of what cbcs pays beyond
// cenc, whose map needs only the NAL unit lengths. The map depends only on
// the fragment's bytes, which do not change under a Track (a file that
// changes is indexed again into a new Track), and the segments players ask
// for are the same few at a time, so a repeat request copies the map (a few
// hundred bytes) instead of parsing the headers again.
//
// The table is direct-mapped by fragment index: mapSlots entries a track,
// each holding one fragment's map in buffers it reuses, so its memory is
// bounded (about mapSlots × 16 bytes × subsamples a fragment) and a miss
// allocates nothing once the buffers have grown. An entry is used only for
// the same fragment index, byte range and sample count, so a live track's
// fragments or a stale entry cannot be mistaken for another's; a map that
// failed to build is never stored. Each slot has its own mutex, held for a
// copy of the map: requests for different fragments do not contend.
const mapSlots = 32

// useMapCache switches the table off for tests and in-process comparisons
// (SetMapCache).
var useMapCache = true

// mapCache is a track's table of cbcs subsample maps (see above).
type mapCache struct {
	slots [mapSlots]mapSlot
}

// mapSlot holds the map of one fragment: subs, and per sample its entries
// subs[refs[k].sub:][:refs[k].nsub].
type mapSlot struct {
	mu    sync.Mutex
	valid bool
	key   mapKey
	subs  []crypto.Subsample
	refs  []subRef
}

// mapKey identifies a fragment's map: its index, byte range and samples.
type mapKey struct {
	frag         int
	offset, size int64
	samples      int
}

func fragMapKey(t *Track, i, samples int) mapKey {
	f := &t.Fragments[i]
	return mapKey{frag: i, offset: f.Offset, size: f.Size, samples: samples}
}

// load appends the map of key to subs and sets refs (len(refs) ==
// key.samples) to its entries there. It reports false, changing nothing,
// when the table does not hold it.
func (c *mapCache) load(key mapKey, subs []crypto.Subsample, refs []subRef) ([]crypto.Subsample, bool) {
	sl := &c.slots[key.frag%mapSlots]
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if !sl.valid || sl.key != key || len(sl.refs) != len(refs) {
		return subs, false
	}
	base := uint32(len(subs))
	subs = append(subs, sl.subs...)
	for k, r := range sl.refs {
		refs[k] = subRef{sub: base + r.sub, nsub: r.nsub}
	}
	return subs, true
}

// store keeps the map of key: refs index subs.
func (c *mapCache) store(key mapKey, subs []crypto.Subsample, refs []subRef) {
	if len(refs) == 0 {
		return
	}
	// The fragment's entries: from its first sample's to its last's.
	base, end := refs[0].sub, refs[0].sub
	for _, r := range refs {
		base, end = min(base, r.sub), max(end, r.sub+r.nsub)
	}
	used := subs[base:end]
	sl := &c.slots[key.frag%mapSlots]
	sl.mu.Lock()
	defer sl.mu.Unlock()
	sl.key, sl.valid = key, true
	sl.subs = append(sl.subs[:0], used...)
	sl.refs = sl.refs[:0]
	for _, r := range refs {
		sl.refs = append(sl.refs, subRef{sub: r.sub - base, nsub: r.nsub})
	}
}
