package live

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
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

// FuzzIngest runs whole feeds through a Hub over a Mem store: the parser's
// state machine (init, live server manifest, moof/mdat pairing, routing by
// traf, decode-time rules) and the archive's checks, from memory. Nothing
// panics, Ingest answers nil or one of the feed errors, and whatever was
// archived is served.
func FuzzIngest(f *testing.F) {
	f.Add([]byte("not mp4 at all"))
	f.Add([]byte{0, 0, 0, 8, 'f', 't', 'y', 'p', 0, 0, 0, 8, 'm', 'o', 'o', 'v', 0, 0, 0, 8, 'm', 'o', 'o', 'f'})
	f.Add([]byte{0, 0, 0, 8, 'm', 'o', 'o', 'f', 0, 0, 0, 8, 'm', 'd', 'a', 't'})
	for _, s := range seedFeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st := storage.NewMem()
		lib := packager.NewLibrary(st, 2)
		defer lib.Close()
		h := NewHub(Config{Store: st, Writer: st, Assets: lib, StallTimeout: time.Second, MaxMdat: 1 << 20,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		defer h.Close()
		h.StartEvent("e")
		if err := h.AddOutput(Output{Event: "e", Name: "o", Asset: "a", Manifest: "a", Window: time.Minute}); err != nil {
			t.Fatal(err)
		}
		err := h.Ingest(context.Background(), "e", "s", bytes.NewReader(b))
		if err != nil && !errors.Is(err, ErrNotFMP4) && !errors.Is(err, ErrRefused) {
			t.Fatalf("unexpected error %v", err)
		}
		if a, err := lib.Asset("a"); err == nil {
			for _, tr := range a.Tracks {
				for i := range tr.Fragments {
					if _, err := tr.AppendSegment(nil, i, packager.CMAF, nil, nil); err != nil {
						t.Fatalf("archived fragment %d of %s not served: %v", i, tr.Name, err)
					}
				}
			}
		}
	})
}

// seedFeeds are the first bytes of a real ismv feed (testdata), when
// present: the fuzzer starts from a well-formed init and fragment.
var seedFeeds = func() [][]byte {
	b, err := os.ReadFile("testdata/seed.ismv")
	if err != nil {
		return nil
	}
	return [][]byte{b}
}()
