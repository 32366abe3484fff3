package packager

import (
	"hash/crc32"
	"time"

	"github.com/drmorigin/drmorigin/packager/ts"
)

// TSOptions are the SAMPLE-AES settings of AppendSegmentTS: an encrypter
// and an IV of the test's choosing, where AppendSegment derives the IV
// (SegmentIV). The TS tests use them to encrypt a whole playlist under one
// IV and to swap in an encrypter without the batched pattern path.
type TSOptions struct {
	Encrypter ts.CBCEncrypter
	IV        [16]byte
}

// AppendSegmentTS is AppendSegment with TS output (audio muxed in when not
// nil) under the given SAMPLE-AES options.
func (t *Track) AppendSegmentTS(buf []byte, i int, audio *Track, o TSOptions, s *Scratch) ([]byte, error) {
	if s == nil {
		s = AcquireScratch()
		defer ReleaseScratch(s)
	}
	s.Reset()
	return t.appendTS(buf, i, audio, ts.SegmentOptions{Encrypter: o.Encrypter, IV: o.IV}, s)
}

// SetRecheck sets how often a partial asset's skipped files are compared
// with the store's (FailureTTL by default).
func (l *Library) SetRecheck(d time.Duration) {
	l.mu.Lock()
	l.recheck = d
	l.mu.Unlock()
}

// EmbeddedText exposes embeddedText to the fuzz target.
func EmbeddedText(b []byte) (int, bool, error) {
	cues, _, _, ok, err := embeddedText(b)
	return len(cues), ok, err
}

// Plans returns where each fragment's mdat payload starts, as
// (moof size, mdat header size) pairs: what a segment request reads first.
func (t *Track) Plans() [][2]int {
	out := make([][2]int, len(t.plans))
	for i, p := range t.plans {
		out[i] = [2]int{int(p.moofSize), int(p.mdatHdr)}
	}
	return out
}

// LeastCTO is the track's TS decode shift, fixed by its first fragment.
func (t *Track) LeastCTO() int32 { return t.leastCTO }

// LiveIndexName is the name of the index chunk starting at first.
func LiveIndexName(first uint64) string { return liveIndexName(first) }

// CRC32C is the live index chunks' checksum.
func CRC32C(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// SetMapCache turns the table of cbcs subsample maps (subsample_cache.go)
// on or off and returns the previous setting. Not safe while segments are
// being made.
func SetMapCache(on bool) bool {
	old := useMapCache
	useMapCache = on
	return old
}

// MapSlots is the size of a track's table of cbcs subsample maps.
const MapSlots = mapSlots
