package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// PrefixLister is implemented by stores that list the entries of a
// directory whose names start with a given string by asking the store for
// those alone (an object store's prefix listing). A reader of a directory
// that grows for hours (a live track: one object per fragment) lists what
// is new in a request of its own size, not the directory's.
type PrefixLister interface {
	// ListPrefix returns the entries directly under the directory
	// prefix dir ("" or "asset/") whose names start with start (no
	// slash), sorted, as List would filter them; nothing there is an
	// empty list. Errors: ErrInvalidName for a bad dir or start, the
	// store's faults.
	ListPrefix(dir, start string) ([]Entry, error)
}

var _ PrefixLister = (*RemoteStore)(nil)

// ListPrefix lists dir's entries whose names start with start: with one
// prefix listing when the Remote is a RemotePrefixLister, else from the
// whole directory's.
func (s *RemoteStore) ListPrefix(dir, start string) ([]Entry, error) {
	if dir != "" && (!strings.HasSuffix(dir, "/") || !ValidName(strings.TrimSuffix(dir, "/"))) || strings.Contains(start, "/") {
		return nil, fmt.Errorf("storage: list %q: %w", dir+start, ErrInvalidName)
	}
	pl, ok := s.r.(RemotePrefixLister)
	if !ok {
		es, err := s.List(dir)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(es, func(e Entry) bool { return !strings.HasPrefix(e.Name, start) }), nil
	}
	var entries []Entry
	err := s.retry("list", dir+start, func(ctx context.Context) (int64, error) {
		var err error
		entries, err = pl.ListPrefix(ctx, dir, start)
		return 0, err
	})
	if err != nil {
		return nil, err
	}
	out := entries[:0]
	for _, e := range entries {
		if ValidName(e.Name) && !strings.Contains(e.Name, "/") && strings.HasPrefix(e.Name, start) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return slices.CompactFunc(out, func(a, b Entry) bool { return a.Name == b.Name }), nil
}
