package manifest

import (
	"errors"
	"fmt"
)

// ErrInvalidPresentation is returned (wrapped, with the track and the field
// at fault) by every builder when the Presentation cannot be expressed in the
// requested format: no tracks, a zero timescale, a track without segments,
// overlapping segments, a missing codec string and the like.
var ErrInvalidPresentation = errors.New("invalid presentation")

// invalid wraps ErrInvalidPresentation with a message naming what is wrong.
func invalid(format string, args ...any) error {
	return fmt.Errorf("manifest: %s: %w", fmt.Sprintf(format, args...), ErrInvalidPresentation)
}
