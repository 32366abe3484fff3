package origin

import (
	"encoding/binary"
	"testing"
)

// countMoofs is boxCounter's oracle: a walk of the whole stream at once.
func countMoofs(b []byte) uint64 {
	var n uint64
	for len(b) >= 8 {
		size, hdr := uint64(binary.BigEndian.Uint32(b)), uint64(8)
		if size == 1 {
			if len(b) < 16 {
				return n
			}
			size, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size == 0 || size < hdr {
			return n
		}
		if string(b[4:8]) == "moof" {
			n++
		}
		if size >= uint64(len(b)) {
			return n
		}
		b = b[size:]
	}
	return n
}

func testBox(typ string, size int, large bool) []byte {
	if large {
		b := make([]byte, size)
		binary.BigEndian.PutUint32(b, 1)
		copy(b[4:], typ)
		binary.BigEndian.PutUint64(b[8:], uint64(size))
		return b
	}
	b := make([]byte, size)
	binary.BigEndian.PutUint32(b, uint32(size))
	copy(b[4:], typ)
	return b
}

// boxSeeds feed TestBoxCounter and FuzzBoxCounter.
func boxSeeds() [][]byte {
	feed := append(testBox("ftyp", 24, false), testBox("moov", 100, false)...)
	for i := range 3 {
		feed = append(feed, testBox("moof", 40, i == 1)...)
		feed = append(feed, testBox("mdat", 300, i == 2)...)
	}
	return [][]byte{feed, feed[:77], append(testBox("moof", 8, false), 0, 0, 0, 0), testBox("moof", 16, true),
		{0, 0, 0, 1, 'm', 'o', 'o', 'f', 0, 0, 0, 0, 0, 0, 0, 3}, {0, 0, 0, 0, 'm', 'o', 'o', 'f'}, nil}
}

func TestBoxCounter(t *testing.T) {
	feed := boxSeeds()[0]
	for _, step := range []int{1, 3, 7, 8, 16, 1000} {
		var b boxCounter
		for i := 0; i < len(feed); i += step {
			b.feed(feed[i:min(i+step, len(feed))])
		}
		if b.moofs != 3 || b.lost {
			t.Errorf("pieces of %d: %d moofs (lost %v), want 3", step, b.moofs, b.lost)
		}
	}
}

// FuzzBoxCounter: fed in pieces of any size, boxCounter counts what a
// walk of the whole stream counts.
func FuzzBoxCounter(f *testing.F) {
	for _, s := range boxSeeds() {
		f.Add(s, uint8(5))
	}
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		var b boxCounter
		n := int(step%64) + 1
		for i := 0; i < len(data); i += n {
			b.feed(data[i:min(i+n, len(data))])
		}
		if want := countMoofs(data); b.moofs != want {
			t.Fatalf("in pieces of %d: %d moofs, a whole walk %d", n, b.moofs, want)
		}
	})
}

// FuzzIngestPath: the ingest path parser never panics, and a path it
// accepts loses its token in redactIngestPath.
func FuzzIngestPath(f *testing.F) {
	for _, s := range []string{"/ev/tok/ingest.isml/Streams(video)", "/ev/tok/ingest.isml", "/ev/tok/INGEST.ISML/streams(a)/seg-1.m4s",
		"/ev/tok/ingest.isml/Streams()", "/ev//ingest.isml", "//x/ingest.isml", "/ev/tok/ingest.isml/Streams(a b)", "ev"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		event, token, stream, ok := parseIngestPath([]byte(path))
		if !ok {
			return
		}
		if event == "" || token == "" || len(stream) > MaxStreamNameLen {
			t.Fatalf("%q: event %q token %q stream %q", path, event, token, stream)
		}
		red := string(redactIngestPath([]byte(path)))
		if want := "/" + event + "/[token]/"; len(red) < len(want) || red[:len(want)] != want {
			t.Fatalf("%q redacted to %q", path, red)
		}
	})
}
