package keyclient

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when a named resource, a locator or a KID does not
// exist, or (DeliverableKey) when no locator carrying a KID is inside its
// time window. The HTTP layer maps it to 404.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned, wrapped with a message, when a write contradicts
// what the store holds: a changed PUT of an immutable locator, a KID reused
// with another value or another content key policy, or the deletion of a
// policy that a locator still references. The HTTP layer maps it to 409.
var ErrConflict = errors.New("conflict")

// ErrReadOnly is returned when a built-in streaming policy (Predefined_*) is
// written or deleted. It wraps ErrConflict, so it maps to 409 as well.
var ErrReadOnly = fmt.Errorf("read-only built-in resource: %w", ErrConflict)

// ErrUnavailable wraps every store I/O failure: the store is unreachable,
// timed out or answered with an error. The HTTP layer maps it to 503.
var ErrUnavailable = errors.New("store unavailable")

// ErrKEK is returned, wrapped with the KEK ids involved, when a stored
// value cannot be unwrapped with this process's key-encryption keys: it
// was wrapped under a KEK the process does not hold (another replica's,
// or one retired without a rewrap), or it fails authentication. It is a
// configuration error of this process, not of the store: the HTTP layer
// maps it to 503, and CheckKEK reports it before any request does.
var ErrKEK = errors.New("cannot unwrap with this process's key-encryption keys")

// ValidationError is returned for management input that is malformed or
// inconsistent, before anything is written. Target names the offending
// field as a JSON path ("contentKeys[1].value"); the HTTP layer maps it
// to 400.
type ValidationError struct {
	Target  string
	Message string
}

func (e *ValidationError) Error() string {
	if e.Target == "" {
		return "invalid: " + e.Message
	}
	return "invalid " + e.Target + ": " + e.Message
}

func invalid(target, format string, args ...any) *ValidationError {
	return &ValidationError{Target: target, Message: fmt.Sprintf(format, args...)}
}

// unavailable wraps a store I/O failure in ErrUnavailable.
func unavailable(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
}

// errStale is returned by a store when a compare-and-set precondition that
// the Service observed no longer holds; the Service re-reads and retries.
var errStale = errors.New("stale precondition")
