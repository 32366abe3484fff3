package live

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/drmorigin/drmorigin/packager"
)

// TestFragmentReadOnce: a moof followed by its mdat becomes one fragment
// whose bytes are the buffer the reader read the samples into (the mdat
// is not copied again), and a box between them (the rare case) still
// gives the right bytes, through a copy.
func TestFragmentReadOnce(t *testing.T) {
	moof := []byte{
		0, 0, 0, 0x58, 'm', 'o', 'o', 'f',
		0, 0, 0, 16, 'm', 'f', 'h', 'd', 0, 0, 0, 0, 0, 0, 0, 1,
		0, 0, 0, 0x40, 't', 'r', 'a', 'f',
		0, 0, 0, 16, 't', 'f', 'h', 'd', 0, 2, 0, 0, 0, 0, 0, 1,
		0, 0, 0, 20, 't', 'f', 'd', 't', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9,
		0, 0, 0, 20, 't', 'r', 'u', 'n', 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 40,
	}
	mdat := append([]byte{0, 0, 0, 48, 'm', 'd', 'a', 't'}, bytes.Repeat([]byte{7}, 40)...)
	free := []byte{0, 0, 0, 8, 'f', 'r', 'e', 'e'}
	for _, tc := range []struct {
		name    string
		between []byte
		shared  bool
	}{{"adjacent", nil, true}, {"free box between", free, false}} {
		t.Run(tc.name, func(t *testing.T) {
			feed := append(append(append(append([]byte(nil), moof...), tc.between...), mdat...), moof...) // a second moof: the reader's state resets
			br := &boxReader{r: bytes.NewReader(feed), maxMdat: DefaultMaxMdat}
			m, err := br.next()
			if err != nil || !m.is("moof") {
				t.Fatalf("first box: %q, %v", m.typ, err)
			}
			if tc.between != nil {
				if _, err := br.next(); err != nil {
					t.Fatal(err)
				}
			}
			d, err := br.next()
			if err != nil || !d.is("mdat") {
				t.Fatalf("mdat: %q, %v", d.typ, err)
			}
			if got := d.frag != nil; got != tc.shared {
				t.Fatalf("mdat read after its moof in one buffer: %v, want %v", got, tc.shared)
			}
			s := &stream{inits: map[uint32]*packager.LiveInit{1: {}}, last: map[uint32]int64{}}
			p := parser{h: &Hub{log: slog.New(slog.DiscardHandler)}, s: s, moof: m.b}
			frags, err := p.fragments(d)
			if err != nil || len(frags) != 1 {
				t.Fatalf("fragments: %d, %v", len(frags), err)
			}
			b := frags[0].b
			if want := append(append([]byte(nil), moof...), mdat...); !bytes.Equal(b, want) {
				t.Fatalf("fragment bytes differ")
			}
			if shared := &b[len(moof)] == &d.b[0]; shared != tc.shared {
				t.Fatalf("the fragment's samples are the mdat read: %v, want %v", shared, tc.shared)
			}
			if next, err := br.next(); err != nil || !next.is("moof") || next.frag != nil {
				t.Fatalf("next box: %q, %v", next.typ, err)
			}
		})
	}
}
