package packager

import (
	"fmt"
	"os"
	"sync"
)

// trackFile keeps a track file open while its asset is cached. Readers take
// a reference for the duration of one read; eviction closes the file only
// when no read is in flight. A Track still held by a caller after eviction
// reopens its file for each read and closes it after.
type trackFile struct {
	path    string
	mu      sync.Mutex
	f       *os.File
	refs    int
	evicted bool
}

// acquire returns the open file, reopening it after eviction.
func (tf *trackFile) acquire() (*os.File, error) {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if tf.f == nil {
		f, err := os.Open(tf.path)
		if err != nil {
			return nil, fmt.Errorf("packager: reopen %s: %w", tf.path, err)
		}
		tf.f = f
	}
	tf.refs++
	return tf.f, nil
}

func (tf *trackFile) release() {
	tf.mu.Lock()
	tf.refs--
	if tf.refs == 0 && tf.evicted && tf.f != nil {
		_ = tf.f.Close()
		tf.f = nil
	}
	tf.mu.Unlock()
}

// evict closes the file now or, when reads are in flight, after the last.
func (tf *trackFile) evict() {
	tf.mu.Lock()
	tf.evicted = true
	if tf.refs == 0 && tf.f != nil {
		_ = tf.f.Close()
		tf.f = nil
	}
	tf.mu.Unlock()
}
