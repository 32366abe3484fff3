package packager

import (
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
