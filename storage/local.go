package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Local is a Store over a directory of the OS file system. Symbolic links
// are followed; only regular files are objects. Opened files are mapped
// read-only (shared: the page cache's pages themselves) unless mapping is
// switched off; a file that cannot be mapped is read with pread.
type Local struct {
	root  string
	noMap bool
}

var (
	_ Store  = (*Local)(nil)
	_ Mapper = (*localFile)(nil)
)

// LocalOptions tunes a Local store; the zero value is the default.
type LocalOptions struct {
	// NoMapping switches the read-only mapping of opened files off:
	// every read is a pread. For file systems where a mapped page can
	// fail to load (network file systems), or where mappings are scarce.
	NoMapping bool
}

// NewLocal returns the store of the files under the directory root.
func NewLocal(root string, o LocalOptions) *Local {
	return &Local{root: root, noMap: o.NoMapping}
}

// Locate returns the OS path of name under the root (the root for "").
func (l *Local) Locate(name string) string {
	return filepath.Join(l.root, filepath.FromSlash(name))
}

// Open opens the regular file of that name, mapped unless mapping is off.
func (l *Local) Open(name string) (Object, error) {
	if !ValidName(name) {
		return nil, invalidName(name)
	}
	p := l.Locate(name)
	// Stat before opening: a FIFO would block the open.
	if fi, err := os.Stat(p); err != nil {
		return nil, notFound(err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrNotFound, p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notFound(err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrNotFound, p)
	}
	o := &localFile{f: f, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	o.dev, o.ino = fileID(fi)
	if !l.noMap {
		if d, err := mapFile(f, o.size); err == nil {
			o.data = d
		}
	}
	return o, nil
}

// List lists the directories and regular files (after symbolic links) in
// the directory prefix names.
func (l *Local) List(prefix string) ([]Entry, error) {
	if !validPrefix(prefix) {
		return nil, invalidName(prefix)
	}
	dir := l.Locate(strings.TrimSuffix(prefix, "/"))
	des, err := os.ReadDir(dir)
	if err != nil {
		if fi, serr := os.Stat(dir); errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || serr == nil && !fi.IsDir() {
			return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return nil, err
	}
	out := make([]Entry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if !validElem(name) {
			continue
		}
		var fi fs.FileInfo
		if de.Type()&fs.ModeSymlink != 0 {
			fi, err = os.Stat(filepath.Join(dir, name))
		} else {
			fi, err = de.Info()
		}
		switch {
		case err != nil: // gone since the read, or a dangling link
		case fi.IsDir():
			out = append(out, Entry{Name: name, Dir: true})
		case fi.Mode().IsRegular():
			out = append(out, Entry{Name: name, Size: fi.Size()})
		}
	}
	return out, nil
}

// notFound wraps ErrNotFound around an error that says nothing is there:
// no such file, or a path through a file.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) || throughFile(err) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// localFile is an open file of a Local store.
type localFile struct {
	f        *os.File
	data     []byte // the file mapped read-only, nil when not mapped
	size     int64
	dev, ino uint64
	mtime    int64 // ns since the epoch
}

func (o *localFile) ReadAt(p []byte, off int64) (int, error) { return o.f.ReadAt(p, off) }
func (o *localFile) Size() int64                             { return o.size }
func (o *localFile) Mapping() []byte                         { return o.data }

func (o *localFile) Identity() string {
	b := make([]byte, 0, 64)
	for i, v := range []uint64{o.dev, o.ino, uint64(o.size), uint64(o.mtime)} {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, v, 16)
	}
	return string(b)
}

func (o *localFile) Close() error {
	if o.data != nil {
		_ = unmapFile(o.data)
		o.data = nil
	}
	return o.f.Close()
}
