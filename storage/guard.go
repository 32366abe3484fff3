package storage

import (
	"fmt"
	"runtime/debug"
	"unsafe"
)

// Guard runs fn, which reads the mappings a and b (either may be nil), and
// turns a memory fault at an address inside one of them (the file was cut
// short under the mapping: SIGBUS) into an error. Any other panic, a fault
// anywhere else included, goes on: it is a bug, not a changed file.
func Guard(a, b []byte, fn func()) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if f, ok := r.(interface{ Addr() uintptr }); ok && (inside(a, f.Addr()) || inside(b, f.Addr())) {
				err = fmt.Errorf("the file changed under its mapping: %v", r)
				return
			}
			panic(r)
		}
	}()
	fn()
	return nil
}

// inside reports whether addr is in the memory of m.
func inside(m []byte, addr uintptr) bool {
	if len(m) == 0 {
		return false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(m)))
	return addr >= base && addr-base < uintptr(len(m))
}
