package packager

import (
	"bytes"
	"testing"
)

// FuzzLiveIndex feeds parseLiveIndex the bytes of an index chunk read from
// storage (outside bytes: a damaged object, another program's, a store's
// error page). It must never panic nor allocate beyond the chunk's size;
// what it accepts must be entries that check() passes, in ascending
// sequence numbers and decode times, and must encode back to exactly the
// bytes it was parsed from (so nothing in a chunk goes unchecked).
func FuzzLiveIndex(f *testing.F) {
	es := []liveIndexEntry{
		{seq: 256, time: 1000, duration: 20000, size: 5000, dataSize: 4000, samples: 48, moofSize: 900, mdatHdr: 8},
		{seq: 257, time: 21000, duration: 20000, size: 6000, dataSize: 5100, samples: 48, moofSize: 892, mdatHdr: 16},
		{seq: 300, time: 90000, duration: 1, size: 16, dataSize: 0, samples: 0, moofSize: 8, mdatHdr: 8},
	}
	valid := appendLiveIndex(nil, es)
	f.Add(valid)
	f.Add(appendLiveIndex(nil, nil))
	f.Add(valid[:len(valid)-1])
	f.Add(append(bytes.Clone(valid), 0))
	f.Add([]byte(liveIndexMagic + "\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseLiveIndex(b)
		if err != nil {
			if got != nil {
				t.Fatalf("entries with an error: %v", err)
			}
			return
		}
		if len(got) > len(b)/liveIndexEntrySize {
			t.Fatalf("%d entries from %d bytes", len(got), len(b))
		}
		for i := range got {
			if r := got[i].check(); r != "" {
				t.Fatalf("entry %d accepted: %s", i, r)
			}
			if i > 0 && (got[i].seq <= got[i-1].seq || got[i].time < got[i-1].time+got[i-1].duration) {
				t.Fatalf("entry %d out of order: %+v after %+v", i, got[i], got[i-1])
			}
		}
		if again := appendLiveIndex(nil, got); !bytes.Equal(again, b) {
			t.Fatalf("parsed %d entries that encode to other bytes", len(got))
		}
	})
}

// TestLiveIndexRoundTrip: a chunk parses to the entries it was made of,
// and a chunk cut, extended or changed anywhere does not parse.
func TestLiveIndexRoundTrip(t *testing.T) {
	es := []liveIndexEntry{
		{seq: 0, time: 0, duration: 20000, size: 5000, dataSize: 4000, samples: 48, moofSize: 900, mdatHdr: 8},
		{seq: 1, time: 20000, duration: 20000, size: 6000, dataSize: 5100, samples: 48, moofSize: 892, mdatHdr: 16},
	}
	b := appendLiveIndex(nil, es)
	got, err := parseLiveIndex(b)
	if err != nil || len(got) != 2 || got[0] != es[0] || got[1] != es[1] {
		t.Fatalf("parsed %+v, %v; want %+v", got, err, es)
	}
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x10
		if _, err := parseLiveIndex(c); err == nil {
			t.Errorf("byte %d changed: parsed", i)
		}
		if _, err := parseLiveIndex(b[:i]); err == nil {
			t.Errorf("cut to %d bytes: parsed", i)
		}
	}
	if _, err := parseLiveIndex(append(bytes.Clone(b), 0)); err == nil {
		t.Error("a byte added: parsed")
	}
	for _, n := range []string{"index-0000000256.idx", "index-1.idx"} {
		if !isLiveIndexName(n) || !IsLiveTrackObject(n) {
			t.Errorf("%s: not an index chunk's name", n)
		}
	}
	for _, n := range []string{"index-.idx", "index-12.m4s", "0000000001-00000000000000000000.idx", "index-x.idx"} {
		if isLiveIndexName(n) {
			t.Errorf("%s: an index chunk's name", n)
		}
	}
}
