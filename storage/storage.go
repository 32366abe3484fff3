package storage

// Store is where assets live: a tree of objects under a root, named by
// slash-separated paths relative to it ("demo/video.mp4"). A Store is safe
// for concurrent use.
//
// No method takes a context: the packager, which reads through a Store,
// holds none. An implementation that reaches across a network bounds each
// call (and each Object.ReadAt) with its own timeout.
type Store interface {
	// Open opens the object of that name for reading. Errors: one
	// wrapping ErrInvalidName for a name that is not valid (ValidName),
	// one wrapping ErrNotFound (and so fs.ErrNotExist) when there is no
	// object of that name: nothing there, a directory, or (Local) a file
	// that is not a regular file.
	Open(name string) (Object, error)
	// List returns the entries directly under a directory prefix: "" for
	// the root, else a valid name followed by "/" ("demo/"). Entries are
	// sorted by name; a name that Open would refuse (a leading dot, a
	// backslash) is left out, as is anything that is neither an object
	// nor a directory. Errors: one wrapping ErrInvalidName for a bad
	// prefix, one wrapping ErrNotFound when the prefix names no
	// directory. Stores without directories (object stores, Mem) have a
	// directory exactly where some object's name starts with the prefix.
	List(prefix string) ([]Entry, error)
	// Locate returns where the object or directory of that name lives,
	// for messages and for tools that take a file: the OS path under the
	// root for Local, a URL or the name for other stores. It checks
	// nothing, and its base name (after the last slash or separator) is
	// the name's last element.
	Locate(name string) string
}

// Entry is one entry of a Store.List.
type Entry struct {
	Name string // the entry's name under the prefix: one element, no slash
	Dir  bool   // a directory (a prefix with objects under it) rather than an object
	Size int64  // the object's size in bytes; 0 for a directory
}

// Object is an open object of a Store. ReadAt, Size, Identity and Mapping
// (see Mapper) are safe for concurrent use; Close must come after the
// last of them, once.
type Object interface {
	// ReadAt reads len(p) bytes at off, as io.ReaderAt: fewer only with
	// an error (io.EOF past the end). A Local object reads the file
	// (pread), never its mapping.
	ReadAt(p []byte, off int64) (int, error)
	// Size is the object's size when it was opened.
	Size() int64
	// Identity names the version of the object this Object reads: two
	// Objects of the same name with the same Identity read the same
	// bytes, and a changed object gets a new Identity at its next Open.
	// Local: device, inode, size and modification time, taken at Open
	// (a file rewritten in place under an open Object is not noticed
	// until the next Open); object stores: the ETag or version.
	Identity() string
	// Close releases the object and its mapping: no slice of the
	// mapping may be read afterwards.
	Close() error
}

// Mapper is implemented by Objects that can expose their bytes as a
// read-only mapping: a Local file mapped into memory, a Mem object's
// bytes. A read of a file mapping faults when the file is cut short under
// it; run it under Guard.
type Mapper interface {
	// Mapping returns the object's Size() bytes, or nil when the object
	// is not mapped (mapping switched off or failed, or an empty object).
	// The slice is valid until Close and must not be written.
	Mapping() []byte
}

// MappingOf returns o's mapping, or nil when o does not implement Mapper
// or is not mapped.
func MappingOf(o Object) []byte {
	if m, ok := o.(Mapper); ok {
		return m.Mapping()
	}
	return nil
}
