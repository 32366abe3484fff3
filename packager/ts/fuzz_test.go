package ts_test

import (
	"testing"

	"github.com/drmorigin/drmorigin/packager/ts"
)

// FuzzAppendSegment feeds arbitrary sample bytes (as a hostile or corrupt
// track file would) through the muxer: it must return an error or a TS
// that parses, never panic.
func FuzzAppendSegment(f *testing.F) {
	f.Add([]byte{0, 0, 0, 2, 0x65, 1}, []byte{0x21, 0x10}, byte(4), false)
	f.Add([]byte{0, 0, 0, 9, 0x65, 1}, []byte{}, byte(4), true)
	f.Add([]byte{0, 3, 0x41, 0, 0, 0, 1, 0x06}, []byte{1, 2, 3}, byte(2), true)
	f.Add([]byte{2, 0x40, 1, 2, 0x26, 0}, []byte{0xFF}, byte(1), false)
	h264 := ts.StreamConfig{Codec: ts.H264, ParameterSets: [][]byte{{0x67, 0x64}, {0x68, 0xEE}}, Timescale: 90000}
	hevcCfg := ts.StreamConfig{Codec: ts.HEVC, ParameterSets: [][]byte{{0x40, 1}, {0x42, 1}, {0x44, 1}}, Timescale: 25}
	aac := ts.StreamConfig{Codec: ts.AAC, AudioSpecificConfig: []byte{0x11, 0x90}, Timescale: 44100}
	var m ts.Muxer
	var buf []byte
	f.Fuzz(func(t *testing.T, video, audio []byte, lengthSize byte, useHEVC bool) {
		cfg := h264
		if useHEVC {
			cfg = hevcCfg
		}
		cfg.NALULengthSize = int(lengthSize)
		vs := []ts.Sample{{Data: video, Keyframe: true}, {Data: video, DTS: 3000, PTSOffset: 3000}}
		as := []ts.Sample{{Data: audio}, {Data: audio, DTS: 1024}}
		var opts ts.SegmentOptions
		if !useHEVC && len(audio) > 0 && audio[0]&1 == 1 {
			opts.Encrypter = nopCBC{}
		}
		m.Reset(&cfg, &aac)
		out, err := m.AppendSegment(buf[:0], vs, as, opts)
		if err != nil {
			return
		}
		buf = out
		pkts, err := parsePackets(out)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parsePES(pkts); err != nil {
			t.Fatal(err)
		}
	})
}
