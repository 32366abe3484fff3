package packager

import (
	"slices"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
)

// TestMapCacheKeys: an entry answers only its own fragment index, byte
// range and sample count (a live track's fragment, a fragment sharing the
// slot, a trick-mode table of fewer samples miss); a hit appends the map
// after what subs holds and points refs there; a slot taken by another
// fragment forgets the first; and a hit allocates nothing.
func TestMapCacheKeys(t *testing.T) {
	var c mapCache
	subs := []crypto.Subsample{{Clear: 9}, {Clear: 20, Protected: 100}, {Clear: 5, Protected: 48}, {Clear: 7, Protected: 32}}
	// Fragment 3's map, stored from a Scratch that held one entry before it.
	refs := []subRef{{sub: 1, nsub: 2}, {sub: 3, nsub: 1}}
	key := mapKey{frag: 3, offset: 1000, size: 500, samples: 2}
	c.store(key, subs, refs)

	for _, miss := range []mapKey{
		{frag: 3 + mapSlots, offset: 1000, size: 500, samples: 2},
		{frag: 3, offset: 1001, size: 500, samples: 2},
		{frag: 3, offset: 1000, size: 501, samples: 2},
		{frag: 3, offset: 1000, size: 500, samples: 1},
	} {
		got := make([]subRef, miss.samples)
		if out, ok := c.load(miss, nil, got); ok || len(out) != 0 {
			t.Errorf("%+v: hit on the entry of %+v", miss, key)
		}
	}

	prefix := []crypto.Subsample{{Clear: 1}, {Clear: 2}}
	got := make([]subRef, 2)
	out, ok := c.load(key, prefix, got)
	if !ok {
		t.Fatal("miss on the stored key")
	}
	want := append(slices.Clone(prefix), subs[1:]...)
	if !slices.Equal(out, want) {
		t.Errorf("subs %v, want %v", out, want)
	}
	if wr := []subRef{{sub: 2, nsub: 2}, {sub: 4, nsub: 1}}; !slices.Equal(got, wr) {
		t.Errorf("refs %v, want %v", got, wr)
	}

	buf := make([]crypto.Subsample, 0, 16)
	if n := testing.AllocsPerRun(100, func() { c.load(key, buf, got) }); n != 0 {
		t.Errorf("a hit allocates %v", n)
	}

	// Another fragment in the same slot replaces it.
	other := mapKey{frag: 3 + mapSlots, offset: 9000, size: 100, samples: 1}
	c.store(other, subs, []subRef{{sub: 0, nsub: 1}})
	if _, ok := c.load(key, nil, got); ok {
		t.Error("the replaced entry still answers")
	}
	one := make([]subRef, 1)
	if out, ok := c.load(other, nil, one); !ok || !slices.Equal(out, subs[:1]) || one[0] != (subRef{sub: 0, nsub: 1}) {
		t.Errorf("the new entry: %v %v %v", ok, out, one)
	}
}
