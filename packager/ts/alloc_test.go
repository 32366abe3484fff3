//go:build !race

package ts_test

import (
	"crypto/aes"
	"testing"

	"github.com/drmorigin/drmorigin/packager/ts"
)

// TestAllocations asserts that a warm Muxer writes a segment into a warm
// buffer without allocating: Reset and AppendSegment, muxed, video-only and
// audio-only, clear and SAMPLE-AES.
func TestAllocations(t *testing.T) {
	in := loadBenchInput(t)
	blk, err := aes.NewCipher(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	var m ts.Muxer
	var buf []byte
	for _, c := range []struct {
		name         string
		video, audio *ts.StreamConfig
		v, a         []ts.Sample
		opts         ts.SegmentOptions
	}{
		{"muxed", &in.video.cfg, &in.audio.cfg, in.v, in.a, ts.SegmentOptions{Sequence: 7}},
		{"video", &in.video.cfg, nil, in.v, nil, ts.SegmentOptions{}},
		{"audio", nil, &in.audio.cfg, nil, in.a, ts.SegmentOptions{}},
		{"muxed sample-aes", &in.video.cfg, &in.audio.cfg, in.v, in.a, ts.SegmentOptions{Encrypter: ts.BlockCBC(blk), IV: [16]byte{9}}},
		{"one frame", &in.video.cfg, &in.audio.cfg, in.v[:1], in.a[:1], ts.SegmentOptions{}},
	} {
		allocs := testing.AllocsPerRun(20, func() {
			m.Reset(c.video, c.audio)
			var err error
			buf, err = m.AppendSegment(buf[:0], c.v, c.a, c.opts)
			if err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per segment, want 0", c.name, allocs)
		}
	}
}
