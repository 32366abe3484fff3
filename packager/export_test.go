package packager

// SetMapFiles switches the mapping of track files opened from now on (on
// by default) and returns the previous setting, so that tests cover the
// pread path too.
func SetMapFiles(on bool) (old bool) {
	old, mapFiles = mapFiles, on
	return old
}
