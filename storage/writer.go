package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Writer is the smallest writing a store needs for the live archive: whole
// objects put once and removed later. It is an object store's vocabulary
// on purpose (one object per live fragment, since objects cannot be
// appended); a local store implements it with a synced file renamed into
// place, so a reader never sees half an object and an acknowledged object
// survives a crash.
type Writer interface {
	// Put stores b as the object name, replacing any object of that
	// name; when it returns nil the object is durable.
	Put(name string, b []byte) error
	// Remove removes the object name; an object already gone is no error.
	Remove(name string) error
}

var (
	_ Writer = (*Local)(nil)
	_ Writer = (*Mem)(nil)
)

// Put writes b to a hidden temporary file beside name, syncs it, renames it
// into place and syncs the directory: the object is whole and durable, or
// absent. Missing directories are made.
func (l *Local) Put(name string, b []byte) error {
	if !ValidName(name) {
		return invalidName(name)
	}
	p := l.Locate(name)
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("storage: put %s: %w", p, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(p)+".*")
	if err != nil {
		return fmt.Errorf("storage: put %s: %w", p, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("storage: put %s: %w", p, err)
	}
	return syncDir(dir)
}

// Remove removes the file name; a file already gone is no error.
func (l *Local) Remove(name string) error {
	if !ValidName(name) {
		return invalidName(name)
	}
	p := l.Locate(name)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: remove %s: %w", p, err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("storage: sync %s: %w", dir, err)
	}
	err = d.Sync()
	_ = d.Close()
	if err != nil {
		return fmt.Errorf("storage: sync %s: %w", dir, err)
	}
	return nil
}

// Remove removes the object of that name, if any (Writer).
func (m *Mem) Remove(name string) error {
	if !ValidName(name) {
		return invalidName(name)
	}
	m.Delete(name)
	return nil
}
