package storage_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

// FuzzRemoteReads drives a remote Store's block cache with a sequence of
// reads, views and prefetches chosen by the input (offsets, lengths, the
// block and cache sizes, short bodies), against an object in memory:
// every read must give the object's bytes, whole or with io.EOF past the
// end, and the cache must stay within its bound.
func FuzzRemoteReads(f *testing.F) {
	f.Add([]byte{3, 1, 0, 0, 10, 0, 0, 0, 5, 0, 1, 2, 0, 0, 3, 0, 3, 0, 0, 1, 0, 0, 0, 0})
	f.Add([]byte{7, 9, 200, 1, 0, 0, 0, 0, 255, 255, 2, 100, 0, 0, 0, 1, 1, 10, 0, 0, 10, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 {
			return
		}
		data := testBytes(5_000+int(in[0])*40, 11)
		r := storagetest.NewRemote()
		r.Put("a/f", data)
		opt := storage.RemoteOptions{BlockSize: int64(in[1]%64)*16 + 1, CacheSize: 2_000, Attempts: 2, Backoff: 1}
		s := storage.NewRemote(r, opt)
		o, err := s.Open("a/f")
		if err != nil {
			t.Fatal(err)
		}
		size := int64(len(data))
		in = in[2:]
		for len(in) >= 5 && len(in) < 4096 {
			op := in[0] % 4
			off := int64(binary.LittleEndian.Uint16(in[1:])) * 3 % (size + 10)
			n := int64(binary.LittleEndian.Uint16(in[3:])) % 3_000
			in = in[5:]
			switch op {
			case 0, 1:
				if op == 1 {
					r.Short.Store(1) // one short body: retried
				}
				p := make([]byte, n)
				got, err := o.ReadAt(p, off)
				want := max(0, min(n, size-off))
				if int64(got) != want || !bytes.Equal(p[:got], data[min(off, size):min(off, size)+want]) {
					t.Fatalf("ReadAt(%d bytes at %d) = %d, %v", n, off, got, err)
				}
				if (want < n) != (err == io.EOF) && !(n == 0 && err == nil) {
					t.Fatalf("ReadAt(%d bytes at %d): err %v", n, off, err)
				}
			case 2:
				runs, err := o.(storage.Viewer).View(off, n, nil)
				if off+n > size {
					if err == nil {
						t.Fatalf("View(%d, %d) past the end: no error", off, n)
					}
					continue
				}
				var got []byte
				for _, run := range runs {
					got = append(got, run...)
				}
				if err != nil || !bytes.Equal(got, data[off:off+n]) {
					t.Fatalf("View(%d, %d): %v", off, n, err)
				}
			case 3:
				if err := storage.Prefetch(o, off, n); err != nil {
					t.Fatalf("Prefetch(%d, %d): %v", off, n, err)
				}
			}
			if st := s.Stats(); st.Cached > opt.CacheSize {
				t.Fatalf("cache holds %d bytes, bound %d", st.Cached, opt.CacheSize)
			}
		}
	})
}
