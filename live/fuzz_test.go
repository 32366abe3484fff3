package live

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzIngestBoxes feeds arbitrary bytes to the ingest reader and the moof
// walker that route a feed: no panic, every box within its limit, and
// every error one of the feed errors (or the reader's end).
func FuzzIngestBoxes(f *testing.F) {
	moof := []byte{
		0, 0, 0, 0x54, 'm', 'o', 'o', 'f',
		0, 0, 0, 16, 'm', 'f', 'h', 'd', 0, 0, 0, 0, 0, 0, 0, 1,
		0, 0, 0, 0x3c, 't', 'r', 'a', 'f',
		0, 0, 0, 16, 't', 'f', 'h', 'd', 0, 2, 0, 0, 0, 0, 0, 1,
		0, 0, 0, 20, 't', 'f', 'd', 't', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9,
		0, 0, 0, 20, 't', 'r', 'u', 'n', 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 40,
	}
	f.Add(append(append([]byte{0, 0, 0, 16, 'f', 't', 'y', 'p', 'i', 's', 'o', '6', 0, 0, 0, 0}, moof...), 0, 0, 0, 9, 'm', 'd', 'a', 't', 7))
	f.Add([]byte("hello, not mp4"))
	f.Add([]byte{0, 0, 0, 1, 'm', 'd', 'a', 't', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0, 'm', 'o', 'o', 'v'})
	f.Add(moof)
	f.Fuzz(func(t *testing.T, b []byte) {
		br := &boxReader{r: bytes.NewReader(b), maxMdat: 1 << 16}
		for {
			bx, err := br.next()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, ErrNotFMP4) && !errors.Is(err, ErrRefused) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if int64(len(bx.b)) > br.limit(bx.typ) {
				t.Fatalf("box %q of %d bytes over its limit", bx.typ, len(bx.b))
			}
			if bx.is("moof") {
				_, _ = readTrafs(bx.b)
				_ = fragmentDuration(bx.b, 1000)
			}
		}
	})
}
