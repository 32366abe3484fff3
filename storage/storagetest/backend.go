package storagetest

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/storage"
)

// Backend is an object store's storage.Remote on a real server (MinIO,
// Azurite), with what the conformance suites RemoteReads and RemoteWrites
// need around it: a way to set the bucket up behind the Remote's back, and
// the counting, fault-injecting proxy the Remote talks to.
//
// Keys are the bucket's (or, with a container per asset, the account's)
// object keys: the Remote's object name is stored under the key
// Root+name.
type Backend struct {
	// Remote is the Remote under test. For RemoteWrites it must be a
	// storage.RemoteWriter and a storage.RemotePrefixLister.
	Remote storage.Remote
	// Root is the Remote's key prefix, ending in a slash ("root/"), or ""
	// for a Remote at the top of its store. RemoteReads needs one.
	Root string
	// Top is a Remote on the same bucket without a prefix (RemoteReads).
	Top storage.Remote
	// Put and Delete write and delete the object of that key on the
	// server directly, not through the proxy (RemoteReads' set-up).
	Put    func(key string, data []byte)
	Delete func(key string)
	// Path is the request path at which the proxy receives the object of
	// that key ("/media/root/demo/video.mp4").
	Path func(key string) string
	// Server is the proxy in front of the store.
	Server Server
	// Busy is the code of the store's 503 ("SlowDown", "ServerBusy"):
	// the Remote's error must say "503 "+Busy.
	Busy string
	// Missing is a Remote on a bucket (container) that does not exist;
	// MissingCode is the store's code for that ("NoSuchBucket"), which
	// an error of a put into it must say, with where.
	Missing     storage.Remote
	MissingCode string
	// Refused are Remotes on the same store every call of which fails:
	// wrong credentials, nothing listening. Secrets are what no error
	// may show (keys, signatures, the server's own secret).
	Refused []storage.Remote
	Secrets []string
	// Locate is what Remote.Locate("demo/video.mp4") returns.
	Locate string
	// MissingAtVersion412 says that a read pinned to a version of an
	// object that does not exist may say ErrChanged rather than
	// ErrNotFound: Azurite answers 412 there, as RFC 7232 has it (RFC
	// 9110 and S3 say 404). The version read is gone either way.
	MissingAtVersion412 bool
}

// Server is the proxy in front of a real store, as the suites drive it
// (internal/testservers' servers give one: Proxy.Conformance).
type Server interface {
	// ResetCounts forgets the requests received so far.
	ResetCounts()
	// Requests returns the requests received since, in order.
	Requests() []Request
	// SetFail answers every request with that status instead of
	// forwarding it, in the store's dialect; 0 switches it off.
	SetFail(status int)
	// SetShortBody cuts the body of every successful GET to half its
	// length and drops the connection; false switches it off.
	SetShortBody(on bool)
}

// Request is one request a Server received.
type Request struct {
	Method string
	Path   string // unescaped
	Range  string // the Range header (or Azure's x-ms-range), if any
}

// count returns how many requests of that method and path s received.
func count(s Server, method, path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// Media is a test object: every byte differs from its neighbours, so a
// misplaced range shows.
func Media(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ byte(i>>8) ^ seed
	}
	return b
}

// bounded bounds one call of the Remote.
func bounded(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// ReadRange reads the n bytes at off of name at version through r, whole.
func ReadRange(t *testing.T, r storage.Remote, name, version string, off, n int64) ([]byte, error) {
	t.Helper()
	body, err := r.ReadRange(bounded(t), name, version, off, n)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b := make([]byte, n)
	_, err = io.ReadFull(body, b)
	return b, err
}

// SameEntries compares listings in any order.
func SameEntries(got, want []storage.Entry) bool {
	cmp := func(a, b storage.Entry) int { return strings.Compare(a.Name, b.Name) }
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, cmp)
	slices.SortFunc(want, cmp)
	return slices.Equal(got, want)
}
