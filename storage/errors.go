package storage

import "io/fs"

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
