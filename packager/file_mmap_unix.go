//go:build unix

package packager

import (
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f (its size) read-only and shared:
// the page cache's pages themselves. nil for an empty file.
func mapFile(f *os.File, size int64) ([]byte, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, nil
	}
	return syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
}

func unmapFile(b []byte) error { return syscall.Munmap(b) }
