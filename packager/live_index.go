package packager

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// A live track's fragment index, kept in its archive beside the fragments
// so that opening a long archive (an ended output served as VOD, a
// restart, a replica joining) does not read every fragment's head: 25
// hours of 2 s fragments is 45,000 fragments a track, over an object
// store two requests each. Indexing needs, of each fragment, only what
// its moof says (duration, sample count, payload size, where the mdat's
// payload starts) besides what its name and the listing say (sequence
// number, decode time, size).
//
// Object stores cannot append, and rewriting one growing index object
// at every checkpoint would write O(n²) bytes over a long event. So the
// index is a series of immutable chunks, one per LiveIndexEvery
// fragments, each written once, when the last fragment of its range is
// archived ("index-{first:010}.idx", first a multiple of LiveIndexEvery):
// opening an archive costs its listing plus one read per chunk. The
// chunk in progress is written when the output ends (LiveTrack.StoreIndex),
// so an ended archive is indexed whole; after a crash its fragments (at
// most LiveIndexEvery-1) are read head by head, as are those of archives
// written before the index existed. A chunk leaves storage with the last
// fragment of its range (reclaim).
//
// The index is never trusted over the fragments: a chunk that does not
// parse or fails its checksum is ignored, an entry is used only when the
// listing holds its fragment under the same sequence number and decode
// time with the same size, and the first fragment's head is always read
// and compared with its entry (a mismatch drops the whole index). A
// fragment the index does not vouch for is read head by head.
//
// A chunk (big-endian):
//
//	magic   "DRMLIX01"                 8 bytes
//	count   uint32                     entries, sequence numbers ascending
//	entry × count                      liveIndexEntrySize bytes each:
//	  seq, time, duration   uint64 × 3
//	  size, dataSize        int64 × 2   the object's size; the samples' (bitrate)
//	  samples, moofSize     uint32 × 2
//	  mdatHdr               uint8       8, or 16 for a 64-bit mdat size
//	crc     uint32                     CRC-32C of everything before it

// LiveIndexEvery is how many fragments one index chunk covers: opening an
// archive of n fragments reads n/LiveIndexEvery chunks, and at most
// LiveIndexEvery-1 fragment heads after a crash. A variable for tests.
var LiveIndexEvery uint64 = 256

const (
	liveIndexMagic     = "DRMLIX01"
	liveIndexEntrySize = 3*8 + 2*8 + 2*4 + 1
	liveIndexPrefix    = "index-"
	liveIndexExt       = ".idx"
	// maxLiveIndexEntries bounds a chunk read from storage (and its
	// allocation): far over any LiveIndexEvery.
	maxLiveIndexEntries = 1 << 16
	maxLiveIndexSize    = len(liveIndexMagic) + 4 + maxLiveIndexEntries*liveIndexEntrySize + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// liveIndexEntry is what indexing one fragment needs beyond its name.
type liveIndexEntry struct {
	seq, time, duration uint64
	size, dataSize      int64
	samples, moofSize   uint32
	mdatHdr             uint8
}

// liveIndexName is the name, in its track's directory, of the chunk
// starting at sequence number first.
func liveIndexName(first uint64) string {
	return fmt.Sprintf("%s%010d%s", liveIndexPrefix, first, liveIndexExt)
}

// isLiveIndexName reports whether n (one element) names an index chunk.
func isLiveIndexName(n string) bool {
	d, ok := strings.CutPrefix(n, liveIndexPrefix)
	if !ok {
		return false
	}
	d, ok = strings.CutSuffix(d, liveIndexExt)
	if !ok || d == "" {
		return false
	}
	_, err := strconv.ParseUint(d, 10, 64)
	return err == nil
}

// appendLiveIndex appends the chunk of entries es to b.
func appendLiveIndex(b []byte, es []liveIndexEntry) []byte {
	start := len(b)
	b = append(b, liveIndexMagic...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(es)))
	for _, e := range es {
		b = binary.BigEndian.AppendUint64(b, e.seq)
		b = binary.BigEndian.AppendUint64(b, e.time)
		b = binary.BigEndian.AppendUint64(b, e.duration)
		b = binary.BigEndian.AppendUint64(b, uint64(e.size))
		b = binary.BigEndian.AppendUint64(b, uint64(e.dataSize))
		b = binary.BigEndian.AppendUint32(b, e.samples)
		b = binary.BigEndian.AppendUint32(b, e.moofSize)
		b = append(b, e.mdatHdr)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// parseLiveIndex parses a chunk read from storage: outside bytes, checked
// whole (length, checksum) and entry by entry (each must describe a
// fragment that validate could have accepted, in ascending sequence
// numbers and decode times) before any entry is used.
func parseLiveIndex(b []byte) ([]liveIndexEntry, error) {
	const head = len(liveIndexMagic) + 4
	if len(b) < head+4 || string(b[:len(liveIndexMagic)]) != liveIndexMagic {
		return nil, fmt.Errorf("not a live index chunk (%d bytes)", len(b))
	}
	n := binary.BigEndian.Uint32(b[len(liveIndexMagic):])
	if n > maxLiveIndexEntries || len(b) != head+int(n)*liveIndexEntrySize+4 {
		return nil, fmt.Errorf("%d entries in %d bytes", n, len(b))
	}
	body := b[:len(b)-4]
	if got, want := crc32.Checksum(body, castagnoli), binary.BigEndian.Uint32(b[len(body):]); got != want {
		return nil, fmt.Errorf("checksum %08x, stored %08x", got, want)
	}
	es := make([]liveIndexEntry, n)
	p := body[head:]
	for i := range es {
		e := &es[i]
		e.seq = binary.BigEndian.Uint64(p)
		e.time = binary.BigEndian.Uint64(p[8:])
		e.duration = binary.BigEndian.Uint64(p[16:])
		e.size = int64(binary.BigEndian.Uint64(p[24:]))
		e.dataSize = int64(binary.BigEndian.Uint64(p[32:]))
		e.samples = binary.BigEndian.Uint32(p[40:])
		e.moofSize = binary.BigEndian.Uint32(p[44:])
		e.mdatHdr = p[48]
		p = p[liveIndexEntrySize:]
		if reason := e.check(); reason != "" {
			return nil, fmt.Errorf("entry %d: %s", i, reason)
		}
		if i > 0 && (e.seq <= es[i-1].seq || e.time < es[i-1].time+es[i-1].duration) {
			return nil, fmt.Errorf("entry %d: sequence %d at %d after %d at %d+%d", i, e.seq, e.time, es[i-1].seq, es[i-1].time, es[i-1].duration)
		}
	}
	return es, nil
}

// check returns why e cannot describe a fragment validate accepts, or "".
func (e *liveIndexEntry) check() string {
	switch {
	case e.mdatHdr != 8 && e.mdatHdr != 16:
		return fmt.Sprintf("mdat header of %d bytes", e.mdatHdr)
	case e.moofSize < 8 || e.moofSize > MaxMoofSize:
		return fmt.Sprintf("moof of %d bytes", e.moofSize)
	case e.size < 16 || e.size > MaxFragmentSize || int64(e.moofSize)+int64(e.mdatHdr) > e.size:
		return fmt.Sprintf("fragment of %d bytes, moof %d", e.size, e.moofSize)
	case e.dataSize < 0 || e.dataSize > e.size:
		return fmt.Sprintf("%d bytes of samples in %d", e.dataSize, e.size)
	case e.time+e.duration < e.time:
		return "duration overflows"
	case e.seq >= 1<<(63-liveOffsetShift):
		return fmt.Sprintf("sequence number %d", e.seq)
	}
	return ""
}
