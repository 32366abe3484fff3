package ts_test

import (
	"crypto/aes"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/packager/ts"
)

// benchInput is the second demo segment (2 s of 640x360 H.264 and its AAC),
// split the m3u8-aapl-v3 way.
type benchInput struct {
	video, audio *track
	v, a         []ts.Sample
	bytes        int64
}

func loadBenchInput(tb testing.TB) *benchInput {
	tb.Helper()
	in := &benchInput{video: demoTrack(tb, "demo/video_640x360.mp4"), audio: demoTrack(tb, "demo/audio_eng.mp4")}
	in.v = in.video.frags[1]
	start, end := in.v[0].DTS, in.video.frags[2][0].DTS
	vs, as := uint64(in.video.cfg.Timescale), uint64(in.audio.cfg.Timescale)
	for _, s := range concat(in.audio.frags) {
		if s.DTS*vs >= start*as && s.DTS*vs < end*as {
			in.a = append(in.a, s)
		}
	}
	for _, s := range in.v {
		in.bytes += int64(len(s.Data))
	}
	for _, s := range in.a {
		in.bytes += int64(len(s.Data))
	}
	return in
}

// BenchmarkAppendSegmentTS times one TS segment from warm buffers: muxed
// (m3u8-aapl-v3), video alone and audio alone (m3u8-aapl), clear. The bytes
// are the samples' bytes.
func BenchmarkAppendSegmentTS(b *testing.B) {
	in := loadBenchInput(b)
	run := func(b *testing.B, video, audio *ts.StreamConfig, v, a []ts.Sample, opts ts.SegmentOptions) {
		var m ts.Muxer
		var buf []byte
		n := int64(0)
		for _, s := range v {
			n += int64(len(s.Data))
		}
		for _, s := range a {
			n += int64(len(s.Data))
		}
		b.ReportAllocs()
		b.SetBytes(n)
		for b.Loop() {
			m.Reset(video, audio)
			var err error
			buf, err = m.AppendSegment(buf[:0], v, a, opts)
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(buf)), "ts-bytes")
	}
	b.Run("muxed", func(b *testing.B) { run(b, &in.video.cfg, &in.audio.cfg, in.v, in.a, ts.SegmentOptions{}) })
	b.Run("video", func(b *testing.B) { run(b, &in.video.cfg, nil, in.v, nil, ts.SegmentOptions{}) })
	b.Run("audio", func(b *testing.B) { run(b, nil, &in.audio.cfg, nil, in.a, ts.SegmentOptions{}) })
	blk, err := aes.NewCipher(make([]byte, 16))
	if err != nil {
		b.Fatal(err)
	}
	enc := ts.SegmentOptions{Encrypter: ts.BlockCBC(blk), IV: [16]byte{1}}
	b.Run("muxed-EncryptSampleAES", func(b *testing.B) { run(b, &in.video.cfg, &in.audio.cfg, in.v, in.a, enc) })
}

// BenchmarkAppendSegmentTSEncryptSampleAES times a SAMPLE-AES video segment
// of every demo video sample (about 600 kB) under crypto.Key, escaped by
// reference ("ref", the muxer's path) and by a copy into the muxer's buffer
// ("copy", the path before), and the clear segment, in one run: the
// ratios hold where the absolute times do not.
func BenchmarkAppendSegmentTSEncryptSampleAES(b *testing.B) {
	v := demoTrack(b, "demo/video_640x360.mp4")
	all := concat(v.frags)
	k, err := crypto.NewKey(make([]byte, 16))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, s := range all {
		n += len(s.Data)
	}
	for _, c := range []struct {
		name   string
		enc    ts.CBCEncrypter
		byCopy bool
	}{{"ref", k, false}, {"copy", k, true}, {"clear", nil, false}} {
		b.Run(c.name, func(b *testing.B) {
			var m ts.Muxer
			m.SetEscapeByCopy(c.byCopy)
			var buf []byte
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				m.Reset(&v.cfg, nil)
				var err error
				if buf, err = m.AppendSegment(buf[:0], all, nil, ts.SegmentOptions{Encrypter: c.enc, IV: [16]byte{1}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawCopySegment is the floor: copying the same sample bytes.
func BenchmarkRawCopySegment(b *testing.B) {
	in := loadBenchInput(b)
	var buf []byte
	b.ReportAllocs()
	b.SetBytes(in.bytes)
	for b.Loop() {
		buf = buf[:0]
		for _, s := range in.v {
			buf = append(buf, s.Data...)
		}
		for _, s := range in.a {
			buf = append(buf, s.Data...)
		}
	}
}
