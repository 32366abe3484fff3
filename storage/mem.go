package storage

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Mem is a Store that holds its objects in memory, with an object store's
// directories: a directory is any prefix of an object's name. Its objects
// are mapped (Mapper): the mapping is the bytes themselves. For tests and
// fuzzing, which feed the readers without files.
type Mem struct {
	mu   sync.RWMutex
	objs map[string]memObject
	gen  uint64
}

var (
	_ Store  = (*Mem)(nil)
	_ Mapper = (*memObject)(nil)
)

// NewMem returns an empty Mem.
func NewMem() *Mem { return &Mem{objs: map[string]memObject{}} }

// Put stores b under name, replacing any object of that name (with a new
// Identity). Mem keeps b: the caller must not change it afterwards.
func (m *Mem) Put(name string, b []byte) error {
	if !ValidName(name) {
		return invalidName(name)
	}
	m.mu.Lock()
	m.gen++
	m.objs[name] = memObject{data: b[:len(b):len(b)], gen: m.gen}
	m.mu.Unlock()
	return nil
}

// Delete removes the object of that name, if any.
func (m *Mem) Delete(name string) {
	m.mu.Lock()
	delete(m.objs, name)
	m.mu.Unlock()
}

// Locate returns name: a Mem object has no other place.
func (m *Mem) Locate(name string) string { return name }

// Open returns the object of that name. Objects are never closed: Close
// does nothing, and a replaced object stays readable through its Objects.
func (m *Mem) Open(name string) (Object, error) {
	if !ValidName(name) {
		return nil, invalidName(name)
	}
	m.mu.RLock()
	o, ok := m.objs[name]
	m.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return &o, nil
}

// List lists the objects and directories directly under prefix. A name
// can be both an object and a directory (as in object stores); List then
// gives the object first.
func (m *Mem) List(prefix string) ([]Entry, error) {
	if !validPrefix(prefix) {
		return nil, invalidName(prefix)
	}
	var out []Entry
	dirs := map[string]bool{}
	m.mu.RLock()
	for name, o := range m.objs {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		if dir, _, isDir := strings.Cut(rest, "/"); !isDir {
			out = append(out, Entry{Name: rest, Size: int64(len(o.data))})
		} else if !dirs[dir] {
			dirs[dir] = true
			out = append(out, Entry{Name: dir, Dir: true})
		}
	}
	m.mu.RUnlock()
	if len(out) == 0 && prefix != "" {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, prefix)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 || a.Dir == b.Dir {
			return c
		}
		if a.Dir {
			return 1
		}
		return -1
	})
	return out, nil
}

// memObject is an object of a Mem.
type memObject struct {
	data []byte
	gen  uint64
}

func (o *memObject) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("storage: negative offset")
	}
	if off >= int64(len(o.data)) {
		return 0, io.EOF
	}
	n := copy(p, o.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (o *memObject) Size() int64      { return int64(len(o.data)) }
func (o *memObject) Identity() string { return strconv.FormatUint(o.gen, 10) }
func (o *memObject) Close() error     { return nil }

func (o *memObject) Mapping() []byte {
	if len(o.data) == 0 {
		return nil
	}
	return o.data
}
