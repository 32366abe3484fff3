package ts_test

import (
	"bytes"
	"crypto/aes"
	"math/rand/v2"
	"testing"

	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/packager/ts"
)

// TestPutPackets checks the full-packet writer (assembly where there is
// one) against its Go form for every run length up to 40 packets, both
// PIDs and every starting counter, and that nothing past the run is
// written.
func TestPutPackets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 40*184+7)
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	got := make([]byte, 41*188)
	want := make([]byte, 41*188)
	for _, pid := range []uint16{ts.PIDVideo, ts.PIDAudio} {
		hdr := ts.PacketHeader(pid)
		for n := 0; n <= 40; n++ {
			for cc := range byte(16) {
				for i := range got {
					got[i], want[i] = 0xA5, 0xA5
				}
				off := int(cc) % 5 // unaligned sources too
				ts.PutPackets(got, src[off:], n, hdr, cc)
				ts.PutPacketsGo(want, src[off:], n, hdr, cc)
				if !bytes.Equal(got, want) {
					t.Fatalf("pid %#x, %d packets from cc %d: differs from the Go form", pid, n, cc)
				}
				for j := range n {
					p := want[j*188:]
					if p[0] != 0x47 || int(p[1])<<8|int(p[2]) != int(pid) || p[3] != 0x10|(cc+byte(j))&15 {
						t.Fatalf("pid %#x packet %d: header % x", pid, j, p[:4])
					}
				}
			}
		}
	}
}

// TestWritePESMatchesReference muxes every fragmented track of
// testdata/media alone (m3u8-aapl) and every video with its asset's audio
// (m3u8-aapl-v3), clear and SAMPLE-AES (H.264 and AAC, under crypto.Key
// and under a plain cipher.Block), and checks that the packet writer gives
// the bytes of the writer before it (writePESRef), segment by segment.
func TestWritePESMatchesReference(t *testing.T) {
	tracks := map[string]*track{}
	for _, rel := range []string{"demo/video_640x360.mp4", "demo/video_320x180.mp4", "demo/audio_eng.mp4", "demo/audio_fra.mp4",
		"hevc/video_hevc.mp4", "hevc/audio.mp4", "legacy/video_bdo.mp4"} {
		tracks[rel] = demoTrack(t, rel)
	}
	key, err := crypto.NewKey(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	blk, err := aes.NewCipher(bytes.Repeat([]byte{7}, 16))
	if err != nil {
		t.Fatal(err)
	}
	encs := []struct {
		name string
		enc  ts.CBCEncrypter
	}{{"clear", nil}, {"saes-key", key}, {"saes-block", ts.BlockCBC(blk)}}
	muxed := [][2]string{{"demo/video_640x360.mp4", "demo/audio_eng.mp4"}, {"demo/video_320x180.mp4", "demo/audio_fra.mp4"},
		{"hevc/video_hevc.mp4", "hevc/audio.mp4"}}
	segments := 0
	for _, e := range encs {
		for rel, tr := range tracks {
			if e.enc != nil && tr.cfg.Codec == ts.HEVC {
				continue // no SAMPLE-AES for HEVC
			}
			var v, a *ts.StreamConfig
			if tr.cfg.Codec == ts.AAC {
				a = &tr.cfg
			} else {
				v = &tr.cfg
			}
			for i, f := range tr.frags {
				vs, as := f, []ts.Sample(nil)
				if a != nil {
					vs, as = nil, f
				}
				compareWriters(t, rel, i, v, a, vs, as, ts.SegmentOptions{Sequence: uint32(i), Encrypter: e.enc, IV: [16]byte{byte(i), 1}})
				segments++
			}
		}
		for _, pair := range muxed {
			video, audio := tracks[pair[0]], tracks[pair[1]]
			if e.enc != nil && video.cfg.Codec == ts.HEVC {
				continue
			}
			all := concat(audio.frags)
			ai := 0
			for i, f := range video.frags {
				j := ai
				for j < len(all) && (i+1 == len(video.frags) ||
					all[j].DTS*uint64(video.cfg.Timescale) < video.frags[i+1][0].DTS*uint64(audio.cfg.Timescale)) {
					j++
				}
				compareWriters(t, pair[0]+"+"+pair[1], i, &video.cfg, &audio.cfg, f, all[ai:j], ts.SegmentOptions{Sequence: uint32(i), Encrypter: e.enc, IV: [16]byte{3}})
				ai = j
				segments++
			}
		}
	}
	if segments < 50 {
		t.Fatalf("only %d segments compared", segments)
	}
}

// TestWritePESMatchesReferenceRandom compares the two writers on made-up
// H.264 access units and AAC frames of random sizes (NAL units of 0 to
// 3,000 bytes, empty ones and zero runs included), so that PES boundaries
// fall at every offset within a packet and runs of full packets break at
// every chunk boundary.
func TestWritePESMatchesReferenceRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	video := &ts.StreamConfig{Codec: ts.H264, NALULengthSize: 4, Timescale: 90000,
		ParameterSets: [][]byte{{0x67, 0x64, 0, 0x1F, 0xAC}, {0x68, 0xEE, 0x3C, 0x80}}}
	audio := &ts.StreamConfig{Codec: ts.AAC, Timescale: 48000, AudioSpecificConfig: []byte{0x11, 0x90}}
	key, err := crypto.NewKey(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	for round := range 300 {
		var vs, as []ts.Sample
		for k := range 1 + rng.IntN(12) {
			var au []byte
			for range 1 + rng.IntN(4) {
				n := rng.IntN(3000)
				if rng.IntN(8) == 0 {
					n = 0
				}
				nal := make([]byte, n)
				for i := range nal {
					if rng.IntN(4) != 0 {
						nal[i] = byte(rng.Uint32())
					}
				}
				if n > 0 {
					nal[0] = []byte{0x65, 0x41, 0x06}[rng.IntN(3)]
				}
				au = append(au, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
				au = append(au, nal...)
			}
			vs = append(vs, ts.Sample{Data: au, DTS: uint64(k) * 3600, Keyframe: k == 0})
		}
		if round%2 == 1 {
			for k := range rng.IntN(40) {
				f := make([]byte, 1+rng.IntN(800))
				for i := range f {
					f[i] = byte(rng.Uint32())
				}
				as = append(as, ts.Sample{Data: f, DTS: uint64(k) * 1024})
			}
		}
		var enc ts.CBCEncrypter
		if round%3 == 2 {
			enc = key
		}
		a := audio
		if as == nil {
			a = nil
		}
		compareWriters(t, "random", round, video, a, vs, as, ts.SegmentOptions{Sequence: uint32(round), Encrypter: enc, IV: [16]byte{9}})
	}
}

// compareWriters muxes one segment with the packet writer and with the
// reference writer and fails when the bytes, or the key frames, differ.
func compareWriters(t *testing.T, what string, i int, v, a *ts.StreamConfig, vs, as []ts.Sample, opts ts.SegmentOptions) {
	t.Helper()
	var m, ref ts.Muxer
	ref.SetReferenceWriter(true)
	m.Reset(v, a)
	ref.Reset(v, a)
	got, err := m.AppendSegment([]byte("prefix"), vs, as, opts)
	if err != nil {
		t.Fatalf("%s segment %d: %v", what, i, err)
	}
	want, err := ref.AppendSegment([]byte("prefix"), vs, as, opts)
	if err != nil {
		t.Fatalf("%s segment %d (reference): %v", what, i, err)
	}
	if !bytes.Equal(got, want) {
		at := 0
		for at < min(len(got), len(want)) && got[at] == want[at] {
			at++
		}
		t.Fatalf("%s segment %d (encrypted %t): %d bytes, reference %d; first difference at byte %d (packet %d)",
			what, i, opts.Encrypter != nil, len(got), len(want), at, (at-6)/188)
	}
	if gk, wk := m.KeyFrames(), ref.KeyFrames(); len(gk) != len(wk) {
		t.Fatalf("%s segment %d: %d key frames, reference %d", what, i, len(gk), len(wk))
	} else {
		for k := range gk {
			if gk[k] != wk[k] {
				t.Fatalf("%s segment %d key frame %d: %+v, reference %+v", what, i, k, gk[k], wk[k])
			}
		}
	}
}
