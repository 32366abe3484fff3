package h264_test

import (
	"errors"
	"testing"

	"github.com/drmorigin/drmorigin/codec/h264"
)

type slice struct {
	nalu string // the NAL unit, cut two bytes after its header
	size int    // SliceHeaderSize
}

// clips are parameter sets and slices of the x264 clips that crypto's
// TestSliceHeaderH264FFmpeg checks against ffmpeg's trace_headers (testsrc2,
// 352x288, encoded with the same options; the slices cut short after their
// headers). They hold the header sizes here without ffmpeg.
var clips = []struct {
	name   string
	params []string
	slices []slice
}{
	{"high-cabac-b-slices-weightp", []string{
		"\x67\x64\x00\x0d\xac\xd9\x41\x60\x96\xc0\x44\x00\x00\x03\x00\x04\x00\x00\x03\x00\xc8\x3c\x50\xa6\x58",
		"\x68\xe9\x38\xf2\xc8\xb0",
	}, []slice{
		{"\x65\x88\x84\x00\xdf\xd4\xd4", 5},
		{"\x65\x01\x0a\x22\x10\x00\xdf\xfe\xe1", 7},
		{"\x65\x00\x84\x88\x84\x00\x37\xff\xfe\xe1", 8},
		{"\x41\x9a\x23\x6c\x44\x7f\xb6\xfc", 6},
		{"\x41\x01\x0a\x68\x8d\xb1\x0d\xff\xfe\xa0", 8},
		{"\x41\x00\x84\x9a\x23\x6c\x43\x7f\xfe\x05", 8},
		{"\x41\x9e\x41\x78\x85\xbf\xfd\xde", 6},
		{"\x41\x00\x84\x9e\x41\x78\x85\x7f\x57\x9a", 8},
	}},
	{"baseline-cavlc-poc2", []string{
		"\x67\x42\xc0\x0d\xd9\x01\x60\x96\xc0\x44\x00\x00\x03\x00\x04\x00\x00\x03\x00\xc8\x3c\x50\xa9\x20",
		"\x68\xcb\x83\xcb\x20",
	}, []slice{
		{"\x65\x88\x84\x11\xf1\x08\x8a", 5},
		{"\x65\x01\x8e\x22\x10\x33\xc4\x62\x80", 7},
		{"\x41\x9a\x38\x23\xf8\x66\x2e", 5},
		{"\x41\x01\x8e\x68\xe0\x67\x89\x84\x3f", 7},
		{"\x41\x9a\x54\x08\xff\x0c\x72", 5},
		{"\x41\x01\x8e\x69\x50\x19\xe2\x38\x10", 7},
		{"\x41\x9a\x60\x47\x93\xed", 4},
		{"\x41\x9a\xc0\x47\x33\xaf", 4},
	}},
	{"mbaff-interlaced", []string{
		"\x67\x64\x00\x15\xac\xd9\x41\x61\x2d\x80\x88\x00\x00\x03\x00\x08\x00\x00\x03\x01\x90\xf8\xa1\x4c\xb0",
		"\x68\xfb\xa3\xcb\x22\xc0",
	}, []slice{
		{"\x65\x88\x82\x0b\x0d\xff\xcc\xd4", 6},
		{"\x41\x9a\x21\xde\x45\x7f\xbb\x7d", 6},
		{"\x41\x9e\x40\xdf\x88\x53\xff\xef\x7f", 7},
		{"\x01\x9e\x61\x5e\xa4\x29\xff\xfb\x71", 7},
		{"\x41\x9a\x62\xdb\x4b\x44\xa7\x88\xff\xe1\x62", 9},
		{"\x01\x9e\x82\x5e\xa4\x29\xff\xef\x0c", 7},
		{"\x41\x9a\x84\x5b\xd2\x91\x11\xff\x94\xa1", 8},
		{"\x41\x9e\xa3\x5c\x53\x44\xc2\x5f\xdb\x0d", 8},
	}},
	{"high444-cqm", []string{
		"\x67\xf4\x00\x0d\x91\x9b\x28\x2c\x12\xd8\x08\x80\x00\x00\x03\x00\x80\x00\x00\x19\x07\x8a\x14\xcb",
		"\x68\xeb\xe3\xc4\x4c\x00\x04\x40",
	}, []slice{
		{"\x65\x88\x84\x00\x57\xe9\xd7", 5},
		{"\x41\x9a\x23\x6c\x46\x7f\xc2\xa3", 6},
		{"\x41\x9e\x41\x78\x85\xbf\xfd\xde", 6},
		{"\x01\x9e\x62\x6a\x42\xdf\xbc\x68", 6},
		{"\x41\x9a\x65\x49\xa8\x41\x68\x99\x4c\x14\xf1\x5f\xf1\x9f", 12},
		{"\x01\x9e\x84\x6a\x42\xdf\xbc\x6a", 6},
		{"\x41\x9a\x88\x49\xe1\x0a\x52\x65\x30\x22\xbf\xbc\x0b", 11},
		{"\x41\x9e\xa6\x45\x34\x4c\x29\xff\xb9\xe2", 8},
	}},
}

// TestSliceHeaderSize parses each clip's parameter sets and the header of each
// of its slices.
func TestSliceHeaderSize(t *testing.T) {
	for _, c := range clips {
		nalus := make([][]byte, len(c.params))
		for i, p := range c.params {
			nalus[i] = []byte(p)
		}
		ps, err := h264.NewParamSets(nalus...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, s := range c.slices {
			nalu := []byte(s.nalu)
			if !h264.IsVCL(nalu[0]) {
				t.Fatalf("%s slice %d: not VCL", c.name, i)
			}
			got, err := ps.SliceHeaderSize(nalu)
			if err != nil || got != s.size {
				t.Fatalf("%s slice %d: header size %d (%v), want %d", c.name, i, got, err, s.size)
			}
			// Cut inside the header: an error, never a size.
			if n, err := ps.SliceHeaderSize(nalu[:s.size-1]); !errors.Is(err, h264.ErrSliceHeader) {
				t.Fatalf("%s slice %d cut to %d bytes: %d, %v", c.name, i, s.size-1, n, err)
			}
		}
	}
}

// TestErrors: a slice whose PPS is missing, a data partition, a cut
// parameter set.
func TestErrors(t *testing.T) {
	ps, _ := h264.NewParamSets()
	if _, err := ps.SliceHeaderSize([]byte(clips[0].slices[0].nalu)); !errors.Is(err, h264.ErrParamSet) {
		t.Errorf("no PPS: %v", err)
	}
	if _, err := ps.SliceHeaderSize([]byte{0x22, 0x88, 0x84}); !errors.Is(err, h264.ErrUnsupported) {
		t.Errorf("data partition A: %v", err)
	}
	if _, err := h264.NewParamSets([]byte{0x67}); !errors.Is(err, h264.ErrParamSet) {
		t.Errorf("one-byte SPS: %v", err)
	}
	if h264.IsVCL(0x67) || h264.IsVCL(0x06) || !h264.IsVCL(0x01) {
		t.Error("IsVCL")
	}
}
