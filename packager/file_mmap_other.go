//go:build !unix

package packager

import "os"

// mapFile does not map on this platform: reads use pread.
func mapFile(*os.File, int64) ([]byte, error) { return nil, nil }

func unmapFile([]byte) error { return nil }
