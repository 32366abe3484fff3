package storage

import (
	"fmt"
	"strings"
)

// ValidName reports whether name may name an object or directory of a
// Store: one or more elements separated by single slashes, each non-empty
// and without a leading dot (no ".", "..", or hidden entries), a
// backslash or a NUL byte. An absolute name ("/x") has an empty first
// element and is not valid.
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for {
		elem, rest, more := strings.Cut(name, "/")
		if !validElem(elem) {
			return false
		}
		if !more {
			return true
		}
		name = rest
	}
}

// validElem reports whether e may be one element of a name.
func validElem(e string) bool {
	return e != "" && e[0] != '.' && !strings.ContainsAny(e, "\\\x00")
}

// validPrefix reports whether p is a List prefix: "" or a valid name and
// a slash.
func validPrefix(p string) bool {
	return p == "" || strings.HasSuffix(p, "/") && ValidName(p[:len(p)-1])
}

func invalidName(name string) error {
	return fmt.Errorf("%w: %q", ErrInvalidName, name)
}
