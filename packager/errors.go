package packager

import (
	"errors"
	"fmt"

	"github.com/drmorigin/drmorigin/storage"
)

// ErrAssetNotFound is returned by Library.Asset when the asset root holds no
// directory of that name.
var ErrAssetNotFound = errors.New("packager: asset not found")

// ErrNoTrackFiles is returned by Library.Asset when the asset directory
// exists but holds neither a track file nor a server manifest. It wraps
// ErrAssetNotFound: to a player the asset does not exist.
var ErrNoTrackFiles error = &sentinel{"packager: no track files", ErrAssetNotFound}

// sentinel is an error value that wraps a broader one.
type sentinel struct {
	msg    string
	parent error
}

func (e *sentinel) Error() string { return e.msg }
func (e *sentinel) Unwrap() error { return e.parent }

// ErrInvalidName is returned by Library.Asset when the asset name could leave
// the asset root or name a hidden entry: empty, ".", "..", a leading dot, a
// path separator ("/" or "\"), a NUL byte, or longer than MaxNameLen.
var ErrInvalidName = errors.New("packager: invalid asset name")

// ErrCorrupt is wrapped by every error about a damaged track file or server
// manifest: bad or lying box sizes, a truncated file, a short read, missing
// mandatory boxes. The message names the file and the byte offset.
var ErrCorrupt = errors.New("packager: corrupt media")

// ErrUnsupported is wrapped when a track file is well formed but uses a
// feature the packager does not serve: several tracks in one file or
// fragment, a protected (encv/enca) or unknown sample entry.
var ErrUnsupported = errors.New("packager: unsupported media")

// ErrFragmentNotFound is returned by AppendSegment when the fragment index is
// out of range.
var ErrFragmentNotFound = errors.New("packager: fragment not found")

// ErrClosed is returned by Library.Asset after Library.Close.
var ErrClosed = errors.New("packager: library closed")

// Limits on what a track file may ask the packager to read or allocate. Every
// size is checked against the file size first; these bound what a file that
// is large but hostile can cost.
const (
	// MaxNameLen is the longest asset name: a file name on common file systems.
	MaxNameLen = 255
	// MaxInitSize bounds ftyp+moov. A fragmented file's moov holds sample
	// descriptions only (a few KiB, hvcC with SEI under 4 KiB); 4 MiB leaves
	// room for large pssh sets.
	MaxInitSize = 4 << 20
	// MaxMoovSize bounds the moov of a progressive file, which holds the
	// sample tables: a day of 1080p25 video with 48 kHz AAC is about 6
	// million samples, some 40 MiB of tables.
	MaxMoovSize = 64 << 20
	// MaxMoofSize bounds one moof: a 10 s fragment of 120 fps video needs
	// 1,200 trun entries of 16 bytes; 4 MiB holds 260,000.
	MaxMoofSize = 4 << 20
	// MaxFragmentSize bounds moof+mdat, which AppendSegment reads into the
	// caller's buffer in one go: 256 MiB is a 10 s fragment at 200 Mb/s.
	MaxFragmentSize = 256 << 20
	// MaxFragments bounds the index of one track: a day of 0.1 s fragments.
	MaxFragments = 1 << 20
	// MaxMfraSize bounds the mfra read at the end of a file: 24 bytes per
	// entry for MaxFragments entries.
	MaxMfraSize = 24 << 20
	// MaxManifestSize bounds a .ism server manifest.
	MaxManifestSize = 1 << 20
	// MaxBoxSize is the largest top-level box the walker accepts (mdat
	// included): a 64-bit size beyond this is taken for corruption.
	MaxBoxSize = 1 << 40
)

// corruptError builds the error for damaged media: file, offset, what.
func corruptf(path string, off int64, format string, args ...any) error {
	return fmt.Errorf("index %s: at %d: %s: %w", path, off, fmt.Sprintf(format, args...), ErrCorrupt)
}

func unsupportedf(path string, format string, args ...any) error {
	return fmt.Errorf("index %s: %s: %w", path, fmt.Sprintf(format, args...), ErrUnsupported)
}

// readError is the error of a short read of path at off: the store's own
// fault (storage.ErrUnavailable: the origin answers 503 and nothing is
// remembered) or a replaced object (storage.ErrChanged: the asset is
// re-indexed) passes through; anything else means the file is shorter
// than its boxes say, ErrCorrupt.
func readError(path string, off int64, n, want int, err error) error {
	if errors.Is(err, storage.ErrUnavailable) || errors.Is(err, storage.ErrChanged) {
		return fmt.Errorf("packager: read %s at %d: %w", path, off, err)
	}
	return corruptf(path, off, "short read (%d of %d bytes): %v", n, want, err)
}
