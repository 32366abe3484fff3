package storage

import (
	"context"
	"fmt"
	"path"
)

// A remote Store is a Writer when its Remote is a RemoteWriter (the S3 and
// Azure Blob adapters are): the live archive then goes to the object
// store, one object per fragment, and every origin that reads the store
// serves it.

var _ Writer = (*RemoteStore)(nil)

// CanWrite reports whether the store's Remote can write (RemoteWriter).
func (s *RemoteStore) CanWrite() bool {
	_, ok := s.r.(RemoteWriter)
	return ok
}

// Put stores b as the object name with one request (retried on faults,
// each attempt bounded by the timeout); when it returns nil the object
// is durable. The next Open of name sees the new version: blocks are
// keyed by version, so none of the old bytes are served for it.
func (s *RemoteStore) Put(name string, b []byte) error {
	w, err := s.writer("put", name)
	if err != nil {
		return err
	}
	err = s.retry("put", name, func(ctx context.Context) (int64, error) {
		return 0, w.PutObject(ctx, name, b)
	})
	s.forget(name)
	return err
}

// Remove deletes the object name; an object already gone is no error.
func (s *RemoteStore) Remove(name string) error {
	w, err := s.writer("remove", name)
	if err != nil {
		return err
	}
	err = s.retry("remove", name, func(ctx context.Context) (int64, error) {
		return 0, w.RemoveObject(ctx, name)
	})
	s.forget(name)
	return err
}

func (s *RemoteStore) writer(op, name string) (RemoteWriter, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("storage: %s %q: %w", op, name, ErrInvalidName)
	}
	w, ok := s.r.(RemoteWriter)
	if !ok {
		return nil, fmt.Errorf("storage: %s %s: %w", op, s.r.Locate(name), ErrReadOnly)
	}
	return w, nil
}

// WriterOf returns st as a Writer, or nil when it cannot write: it does
// not implement Writer, or it is a remote Store over a Remote that is
// not a RemoteWriter.
func WriterOf(st Store) Writer {
	if c, ok := st.(interface{ CanWrite() bool }); ok && !c.CanWrite() {
		return nil
	}
	w, _ := st.(Writer)
	return w
}

// ContentType is the media type an object store records for an object
// written under name, by its extension (the live archive's kinds; the
// origin never reads it back).
func ContentType(name string) string {
	switch path.Ext(name) {
	case ".json":
		return "application/json"
	case ".m4s":
		return "video/iso.segment"
	case ".mp4":
		return "video/mp4"
	}
	return "application/octet-stream"
}
