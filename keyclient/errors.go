package keyclient

import (
	"errors"
	"fmt"
	"strings"
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

// ErrKeyServer wraps every failure of a streaming policy's key server
// (no answer in time, an error status, an answer that is not a complete
// CPIX document): the locator is not created (502).
var ErrKeyServer = errors.New("key server")

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

// MaxInUseNames is how many referencing locators an InUseError names.
const MaxInUseNames = 5

// InUseError is the ErrConflict of a write that streaming locators
// block: deleting a policy they reference, or changing a streaming policy
// they use. It names them, so that the operator knows what to delete
// first.
type InUseError struct {
	Kind Kind   // KindContentKeyPolicies or KindStreamingPolicies
	Name string // the policy
	// Locators are the names of some of the locators that reference it
	// (at most MaxInUseNames, sorted); Count is how many there are.
	Locators []string
	Count    int
	// Change is set for a changed streaming policy, unset for a deletion.
	Change bool
}

func (e *InUseError) Error() string {
	what := kindNoun(e.Kind) + " " + e.Name
	var b strings.Builder
	if e.Change {
		b.WriteString(what + " cannot change while a streaming locator uses it (their keys were made for it): used by ")
	} else {
		b.WriteString(what + " is used by ")
	}
	switch len(e.Locators) {
	case 0:
		b.WriteString("a streaming locator")
	case 1:
		b.WriteString("streaming locator " + e.Locators[0])
	default:
		b.WriteString("streaming locators " + strings.Join(e.Locators, ", "))
	}
	if more := e.Count - len(e.Locators); more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	if e.Change {
		b.WriteString("; create a streaming policy under a new name instead")
	} else if e.Count > 1 {
		b.WriteString("; delete those locators first")
	} else {
		b.WriteString("; delete that locator first")
	}
	return b.String()
}

// Is makes an InUseError an ErrConflict.
func (e *InUseError) Is(target error) bool { return target == ErrConflict }

// kindNoun names one resource of a kind, for messages.
func kindNoun(k Kind) string {
	switch k {
	case KindContentKeyPolicies:
		return "content key policy"
	case KindStreamingPolicies:
		return "streaming policy"
	case KindStreamingLocators:
		return "streaming locator"
	case KindAccountFilters:
		return "account filter"
	case KindAssetFilters:
		return "asset filter"
	case KindCPIXRecipients:
		return "CPIX recipient"
	}
	return string(k)
}
