package ts_test

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/packager/ts"
)

func TestTimestampEncoding(t *testing.T) {
	b := make([]byte, 5)
	ts.PutTimestamp(b, 2, 0)
	if want := []byte{0x21, 0, 1, 0, 1}; !bytes.Equal(b, want) {
		t.Errorf("PTS 0: % x, want % x", b, want)
	}
	ts.PutTimestamp(b, 3, 1<<33-1)
	if want := []byte{0x3F, 0xFF, 0xFF, 0xFF, 0xFF}; !bytes.Equal(b, want) {
		t.Errorf("PTS max: % x, want % x", b, want)
	}
	// 900000 (10 s) as a DTS: 0x0DBBA0.
	ts.PutTimestamp(b, 1, 900000)
	if want := []byte{0x11, 0x00, 0x37, 0x77, 0x41}; !bytes.Equal(b, want) {
		t.Errorf("DTS 900000: % x, want % x", b, want)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		v := r.Uint64() & (1<<33 - 1)
		ts.PutTimestamp(b, 2, v)
		if got := readTS(b); got != v || b[0]&1 != 1 || b[2]&1 != 1 || b[4]&1 != 1 || b[0]>>4 != 2 {
			t.Fatalf("%d: % x reads %d", v, b, got)
		}
	}
	pcr := make([]byte, 6)
	ts.PutPCR(pcr, 0x1_2345_6789)
	if want := []byte{0x91, 0xA2, 0xB3, 0xC4, 0xFE, 0x00}; !bytes.Equal(pcr, want) {
		t.Errorf("PCR: % x, want % x", pcr, want)
	}
}

func TestRescale(t *testing.T) {
	for _, c := range []struct {
		t     int64
		scale uint32
		want  int64
	}{
		{512, 12800, 3600},
		{1024, 48000, 1920},
		{1024, 44100, 2090},         // 2089.796 rounds up
		{2048, 44100, 4180},         // 4179.59
		{-1024, 44100, -2090},       // symmetric
		{1, 3, 30000},               //
		{1, 180000, 1},              // half rounds away from zero
		{-1, 180000, -1},            //
		{17e15, 10_000_000, 153e12}, // epoch-based 100 ns times: no overflow
		{123456789, 90000, 123456789},
	} {
		if got := ts.Rescale(c.t, c.scale); got != c.want {
			t.Errorf("rescale(%d, %d) = %d, want %d", c.t, c.scale, got, c.want)
		}
	}
	// Monotonic: a later time never maps earlier.
	prev := ts.Rescale(-1000, 44100)
	for x := int64(-999); x < 100000; x++ {
		v := ts.Rescale(x, 44100)
		if v < prev {
			t.Fatalf("rescale not monotonic at %d", x)
		}
		prev = v
	}
}

// TestRescaler checks the muxer's per-stream rescaler against rescale, the
// 128-bit reference, on the usual timescales (shift path), others (divide
// path) and random ones, at times around 0, random times of every size and
// the edges of its 64-bit fast path and of int64.
func TestRescaler(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 3))
	scales := []uint32{1, 2, 3, 7, 1000, 12800, 15360, 16000, 22050, 24000, 25, 30000, 32000, 44100, 48000, 60000, 90000, 96000, 180000, 10_000_000, 1<<32 - 1}
	for range 200 {
		scales = append(scales, rng.Uint32()>>rng.IntN(32)|1)
	}
	for _, sc := range scales {
		at := ts.Rescaler(sc)
		check := func(x int64) {
			if got, want := at(x), ts.Rescale(x, sc); got != want {
				t.Fatalf("timescale %d: rescaler(%d) = %d, rescale = %d", sc, x, got, want)
			}
		}
		for x := int64(-3000); x <= 3000; x++ {
			check(x)
		}
		for range 2000 {
			x := int64(rng.Uint64() >> rng.IntN(64))
			check(x)
			check(-x)
		}
		// Around the fast path's limit, 2*|t|*num + den < 2^64.
		g := gcd(90000, uint64(sc))
		num, den := 90000/g, uint64(sc)/g
		limit := int64((math.MaxUint64 - den) / (2 * num))
		for d := int64(-3); d <= 3; d++ {
			if x := limit + d; x >= 0 {
				check(x)
				check(-x)
			}
		}
		check(math.MaxInt64)
		check(math.MinInt64 + 1)
		check(math.MinInt64)
	}
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func TestCRC32MPEG2(t *testing.T) {
	if got := ts.CRC32MPEG2([]byte("123456789")); got != 0x0376E6E7 {
		t.Errorf("check value %#x, want 0x0376e6e7", got)
	}
	// A section followed by its CRC has CRC 0.
	pat := ts.PATPacket
	secLen := int(pat[6]&0x0F)<<8 | int(pat[7])
	if got := ts.CRC32MPEG2(pat[5 : 8+secLen]); got != 0 {
		t.Errorf("PAT CRC residue %#x", got)
	}
	if want := []byte{0x47, 0x40, 0x00, 0x10, 0x00, 0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x01, 0xF0, 0x00}; !bytes.Equal(pat[:17], want) {
		t.Errorf("PAT % x, want % x", pat[:17], want)
	}
	// The PMT of every configuration.
	video := ts.StreamConfig{Codec: ts.H264, ParameterSets: [][]byte{{0x67}, {0x68}}, NALULengthSize: 4, Timescale: 90000}
	audio := ts.StreamConfig{Codec: ts.AAC, AudioSpecificConfig: []byte{0x11, 0x90}, Timescale: 48000}
	var m ts.Muxer
	for _, enc := range []ts.CBCEncrypter{nil, nopCBC{}} {
		m.Reset(&video, &audio)
		seg, err := m.AppendSegment(nil, nil, nil, ts.SegmentOptions{Encrypter: enc})
		if err != nil {
			t.Fatal(err)
		}
		pmt := seg[188:376]
		secLen := int(pmt[6]&0x0F)<<8 | int(pmt[7])
		if got := ts.CRC32MPEG2(pmt[5 : 8+secLen]); got != 0 {
			t.Errorf("PMT CRC residue %#x", got)
		}
		types := []byte{0x1B, 0x0F}
		if enc != nil {
			types = []byte{0xDB, 0xCF}
			if !bytes.Contains(pmt, []byte("zavc")) || !bytes.Contains(pmt, []byte("aacd")) || !bytes.Contains(pmt, []byte("apadzaac\x00\x00\x01\x02\x11\x90")) {
				t.Errorf("SAMPLE-AES PMT lacks its descriptors: % x", pmt[:60])
			}
		}
		if pmt[17] != types[0] || pmt[17+5+int(pmt[21])] != types[1] {
			t.Errorf("PMT stream types % x", pmt[5:40])
		}
	}
}

type nopCBC struct{}

func (nopCBC) EncryptCBC([]byte, *[16]byte) {}

// TestStuffing muxes PES packets of every size around the packet
// boundaries and checks that every packet is 188 bytes, that the payload
// comes back whole, and that the per-PID packet count is a multiple of 16.
func TestStuffing(t *testing.T) {
	audio := ts.StreamConfig{Codec: ts.AAC, AudioSpecificConfig: []byte{0x11, 0x90}, Timescale: 48000}
	video := ts.StreamConfig{Codec: ts.H264, ParameterSets: [][]byte{{0x67, 1}, {0x68, 2}}, NALULengthSize: 4, Timescale: 90000}
	var m ts.Muxer
	var seg []byte
	for n := 1; n < 800; n++ {
		frame := bytes.Repeat([]byte{0xA5}, n)
		m.Reset(nil, &audio)
		var err error
		seg, err = m.AppendSegment(seg[:0], nil, []ts.Sample{{Data: frame}}, ts.SegmentOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkStuffed(t, seg, ts.PIDAudio, frame, 7)

		nal := append([]byte{0, 0, byte(n >> 8), byte(n), 0x41}, frame[1:]...)
		m.Reset(&video, nil)
		seg, err = m.AppendSegment(seg[:0], []ts.Sample{{Data: nal, DTS: uint64(n)}}, nil, ts.SegmentOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkStuffed(t, seg, ts.PIDVideo, nal[4:], 6+4)
	}
}

func checkStuffed(t *testing.T, seg []byte, pid int, want []byte, prefix int) {
	t.Helper()
	pkts, err := parsePackets(seg)
	if err != nil {
		t.Fatalf("%d bytes: %v", len(want), err)
	}
	count := 0
	for _, p := range pkts {
		if p.pid == pid {
			count++
		}
	}
	ps, err := parsePES(pkts)
	if err != nil {
		t.Fatalf("%d bytes: %v", len(want), err)
	}
	if len(ps) != 1 || !bytes.Equal(ps[0].payload[prefix:], want) {
		t.Fatalf("%d bytes: payload does not come back", len(want))
	}
	if count%16 != 0 && len(ps[0].payload) > 16 {
		t.Errorf("%d bytes: %d packets on pid %#x", len(want), count, pid)
	}
}

func TestErrors(t *testing.T) {
	h264 := ts.StreamConfig{Codec: ts.H264, ParameterSets: [][]byte{{0x67}, {0x68}}, NALULengthSize: 4, Timescale: 90000}
	hevcCfg := ts.StreamConfig{Codec: ts.HEVC, ParameterSets: [][]byte{{0x40, 1}, {0x42, 1}, {0x44, 1}}, NALULengthSize: 4, Timescale: 90000}
	aac := ts.StreamConfig{Codec: ts.AAC, AudioSpecificConfig: []byte{0x11, 0x90}, Timescale: 48000}
	badLen := h264
	badLen.NALULengthSize = 3
	for _, c := range []struct {
		name         string
		video, audio *ts.StreamConfig
		v, a         []ts.Sample
		opts         ts.SegmentOptions
		is           error
		msg          string
	}{
		{"nal past end", &h264, nil, []ts.Sample{{Data: []byte{0, 0, 0, 9, 0x65, 1}}}, nil, ts.SegmentOptions{}, ts.ErrBadNALU, "video sample 0 (dts 0): NAL unit of 9 bytes at offset 0, 2 left"},
		{"cut length", &h264, nil, []ts.Sample{{Data: []byte{0, 0, 0, 1, 0x65, 0, 0}}}, nil, ts.SegmentOptions{}, ts.ErrBadNALU, "2 bytes left for a 4-byte NAL unit length at offset 5"},
		{"length size", &badLen, nil, nil, nil, ts.SegmentOptions{}, ts.ErrBadConfig, "NAL unit length size 3"},
		{"audio codec as video", &aac, nil, nil, nil, ts.SegmentOptions{}, ts.ErrBadConfig, "video stream with codec AAC"},
		{"audio not configured", &h264, nil, nil, []ts.Sample{{Data: []byte{1}}}, ts.SegmentOptions{}, ts.ErrNoStream, "1 audio samples"},
		{"nothing configured", nil, nil, nil, nil, ts.SegmentOptions{}, ts.ErrNoStream, "no stream configured"},
		{"hevc sample-aes", &hevcCfg, nil, nil, nil, ts.SegmentOptions{Encrypter: nopCBC{}}, ts.ErrNotSupported, "SAMPLE-AES for HEVC"},
		{"pts before dts", &h264, nil, []ts.Sample{{Data: []byte{0, 0, 0, 1, 0x41}, DTS: 3000, PTSOffset: -3000}}, nil, ts.SegmentOptions{}, ts.ErrPTSBeforeDTS, "PTS 0 below DTS 3000"},
		{"aac too large", nil, &aac, nil, []ts.Sample{{Data: []byte{1}}, {Data: make([]byte, 8185), DTS: 1024}}, ts.SegmentOptions{}, ts.ErrFrameTooLarge, "audio sample 1 (dts 1024): 8185 bytes"},
	} {
		var m ts.Muxer
		m.Reset(c.video, c.audio)
		dst := []byte("keep")
		out, err := m.AppendSegment(dst, c.v, c.a, c.opts)
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want %v with %q", c.name, err, c.is, c.msg)
		}
		if string(out) != "keep" {
			t.Errorf("%s: dst changed to %q", c.name, out)
		}
	}
}

// TestDecodeShift checks that negative composition offsets are carried
// with DecodeShift: DTS moves earlier, PTS stays, both rescaled exactly.
func TestDecodeShift(t *testing.T) {
	cfg := ts.StreamConfig{Codec: ts.H264, ParameterSets: [][]byte{{0x67}, {0x68}}, NALULengthSize: 4, Timescale: 12800, DecodeShift: 1024, TimeOffset: -512}
	var m ts.Muxer
	m.Reset(&cfg, nil)
	seg, err := m.AppendSegment(nil, []ts.Sample{
		{Data: []byte{0, 0, 0, 2, 0x65, 1}, DTS: 0, Keyframe: true},
		{Data: []byte{0, 0, 0, 2, 0x41, 1}, DTS: 512, PTSOffset: -512},
	}, nil, ts.SegmentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := parsePackets(seg)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := parsePES(pkts)
	if err != nil {
		t.Fatal(err)
	}
	const off = ts.TimestampOffset
	want := [][2]uint64{{off - 3600, off - 3600 - 7200}, {off - 3600, off - 7200}}
	for i, e := range ps {
		if e.pts != want[i][0]&(1<<33-1) || e.dts != want[i][1]&(1<<33-1) {
			t.Errorf("PES %d: pts %d dts %d, want %d %d", i, e.pts, e.dts, want[i][0], want[i][1])
		}
	}
	if pcr := ps[0].first.pcr; pcr != ps[0].dts-ts.PCRDelay {
		t.Errorf("PCR %d, DTS %d", pcr, ps[0].dts)
	}
}
