package storage

import (
	"errors"
	"io/fs"
)

// ErrNotFound is wrapped by the errors of Store.Open and Store.List when
// there is no object or directory of that name. It matches fs.ErrNotExist
// too: errors.Is(err, fs.ErrNotExist) holds for any error wrapping it.
var ErrNotFound error = sentinel{"storage: not found", fs.ErrNotExist}

// ErrInvalidName is wrapped by the errors of Store.Open and Store.List, and
// Mem.Put, for a name that could leave the store's root or name a hidden
// entry (see ValidName). It matches fs.ErrInvalid too.
var ErrInvalidName error = sentinel{"storage: invalid name", fs.ErrInvalid}

// sentinel is an error that also matches the io/fs error of its meaning.
type sentinel struct {
	msg string
	fs  error
}

func (e sentinel) Error() string        { return e.msg }
func (e sentinel) Is(target error) bool { return target == e.fs }

// ErrUnavailable is wrapped by the errors of a remote Store (NewRemote)
// when the object store cannot be read now: unreachable, throttled, too
// slow, a short read, refused credentials. It is a fault of the store, not
// of the asset: the origin answers 503, and a later read may succeed.
var ErrUnavailable = errors.New("storage: unavailable")

// ErrChanged is wrapped by the errors of an Object's reads when the object
// was replaced after it was opened: its bytes are no longer the version
// that was indexed. Reopen the object (and re-index what was built from
// it); bytes of two versions are never mixed.
var ErrChanged = errors.New("storage: object changed since it was opened")

// ErrReadOnly is wrapped by the errors of a Writer's methods on a store
// that cannot write (a remote Store whose Remote is not a RemoteWriter).
var ErrReadOnly = errors.New("storage: store is read only")
