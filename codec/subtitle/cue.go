package subtitle

import (
	"fmt"
	"time"
)

// MaxFileSize is the largest side file the readers take (16 MiB): far
// beyond any real subtitle file, small enough to hold in memory.
const MaxFileSize = 16 << 20

// MaxCues bounds the cues one file yields, so a hostile file cannot make
// an index of millions of entries.
const MaxCues = 200_000

// Cue is one timed piece of text.
type Cue struct {
	// Start and End are the cue's times on the side file's timeline
	// (End > Start).
	Start, End time.Duration
	// ID is the WebVTT cue identifier or the TTML xml:id ("" when none).
	ID string
	// Settings are the WebVTT cue settings as written ("line:90%
	// align:center"); "" for TTML.
	Settings string
	// Text is the cue payload in WebVTT form: lines separated by "\n",
	// with WebVTT markup (<b>, <i>, &amp; …) kept as written. TTML text
	// is converted to it (markup escaped, <br/> as a line break).
	Text string
}

// ParseError is a problem in a side file: what and on which line.
type ParseError struct {
	Format string // "webvtt" or "ttml"
	Line   int    // 1-based; 0 when the problem is not on one line
	Msg    string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %s", e.Format, e.Line, e.Msg)
	}
	return e.Format + ": " + e.Msg
}

// Overlaps reports whether c is shown at some time in [from, to).
func (c Cue) Overlaps(from, to time.Duration) bool {
	return c.Start < to && c.End > from
}
