package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TempSweeper is a Writer whose Put can leave a temporary object behind
// when its process dies between creating it and renaming it into place
// (Local). Object stores put whole objects and leave none, so they do not
// implement it.
type TempSweeper interface {
	// SweepTemp removes, in the directory dir ("" for the root), the
	// temporary files of Puts of objects whose name (one element)
	// satisfies match, last modified before before; it returns the
	// names it removed. Nothing else is touched: not the objects, not a
	// hidden file of another pattern, not a directory.
	SweepTemp(dir string, match func(object string) bool, before time.Time) ([]string, error)
}

var _ TempSweeper = (*Local)(nil)

// SweepTemp removes the temporary files that Put left in dir: hidden
// regular files named "."+object+"."+digits (Put's os.CreateTemp pattern)
// whose object is a valid element that match accepts, modified before
// before. A Put in flight on another process sharing the directory
// writes a file newer than before (the caller picks it well past any
// Put's duration), so it is left alone. A directory that is not there is
// no error.
func (l *Local) SweepTemp(dir string, match func(object string) bool, before time.Time) ([]string, error) {
	if dir != "" && !ValidName(dir) {
		return nil, invalidName(dir)
	}
	p := l.Locate(dir)
	des, err := os.ReadDir(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("storage: sweep %s: %w", p, err)
	}
	var removed []string
	var errs []error
	for _, de := range des {
		obj, ok := tempObject(de.Name())
		if !ok || !de.Type().IsRegular() || !match(obj) {
			continue
		}
		fi, err := de.Info()
		if err != nil || !fi.ModTime().Before(before) {
			continue // gone since the read, or maybe a Put in flight
		}
		fp := filepath.Join(p, de.Name())
		if err := os.Remove(fp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("storage: sweep %s: %w", fp, err))
			continue
		}
		removed = append(removed, de.Name())
	}
	return removed, errors.Join(errs...)
}

// tempObject returns the object whose Put made the temporary file name
// ("."+object+"."+digits), and whether name is one.
func tempObject(name string) (string, bool) {
	if !strings.HasPrefix(name, ".") {
		return "", false
	}
	i := strings.LastIndexByte(name, '.')
	if i <= 1 || i == len(name)-1 {
		return "", false
	}
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	obj := name[1:i]
	return obj, validElem(obj)
}
