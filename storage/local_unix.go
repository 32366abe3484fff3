//go:build unix

package storage

import (
	"errors"
	"io/fs"
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

// fileID returns the device and inode of the file fi describes.
func fileID(fi fs.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}

// throughFile reports whether err says that a path goes through a file
// (ENOTDIR): "a/x" where a is a file.
func throughFile(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
