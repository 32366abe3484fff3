//go:build !unix

package storage

import (
	"io/fs"
	"os"
)

// mapFile does not map on this platform: reads use pread.
func mapFile(*os.File, int64) ([]byte, error) { return nil, nil }

func unmapFile([]byte) error { return nil }

// fileID has no device and inode to give on this platform: a file's
// identity is its size and modification time.
func fileID(fs.FileInfo) (dev, ino uint64) { return 0, 0 }

// throughFile: this platform reports a path through a file as not
// existing (fs.ErrNotExist).
func throughFile(error) bool { return false }
