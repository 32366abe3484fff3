package ts_test

import (
	"bytes"
	"crypto/aes"
	"slices"
	"testing"

	"github.com/drmorigin/drmorigin/packager/ts"
)

// TestStructure checks the packet-level promises on the demo segments:
// continuity counters continuous across segments (PES PIDs from 0 to 15 in
// every segment, PAT/PMT at Sequence mod 16), a PCR in every PES of the
// PCR PID at most 100 ms apart and below its DTS, the
// random_access_indicator on keyframes, and PES payloads that reassemble.
func TestStructure(t *testing.T) {
	video := demoTrack(t, "demo/video_640x360.mp4")
	audio := demoTrack(t, "demo/audio_eng.mp4")
	hevcTrack := demoTrack(t, "hevc/video_hevc.mp4")
	for _, c := range []struct {
		name   string
		segs   [][]byte
		pcrPID int
	}{
		{"h264", muxTrack(t, video, ts.SegmentOptions{}), ts.PIDVideo},
		{"hevc", muxTrack(t, hevcTrack, ts.SegmentOptions{}), ts.PIDVideo},
		{"aac", muxTrack(t, audio, ts.SegmentOptions{}), ts.PIDAudio},
		{"muxed", muxV3(t, video, audio), ts.PIDVideo},
	} {
		t.Run(c.name, func(t *testing.T) {
			last := map[int]int{}
			var lastPCR uint64
			for si, seg := range c.segs {
				pkts, err := parsePackets(seg)
				if err != nil {
					t.Fatalf("segment %d: %v", si, err)
				}
				first := map[int]bool{}
				for _, p := range pkts {
					if prev, ok := last[p.pid]; ok && p.cc != (prev+1)&15 {
						t.Errorf("segment %d packet %d pid %#x: cc %d after %d", si, p.position, p.pid, p.cc, prev)
					}
					if !first[p.pid] {
						first[p.pid] = true
						want := 0
						if p.pid == ts.PIDPAT || p.pid == ts.PIDPMT {
							want = si & 15
						}
						if p.cc != want {
							t.Errorf("segment %d pid %#x starts at cc %d, want %d", si, p.pid, p.cc, want)
						}
					}
					last[p.pid] = p.cc
				}
				for pid, cc := range last {
					if pid != ts.PIDPAT && pid != ts.PIDPMT && first[pid] && cc != 15 {
						t.Errorf("segment %d pid %#x ends at cc %d, want 15", si, pid, cc)
					}
				}
				ps, err := parsePES(pkts)
				if err != nil {
					t.Fatalf("segment %d: %v", si, err)
				}
				for i, e := range ps {
					if e.pid != c.pcrPID {
						if e.first.hasPCR {
							t.Errorf("segment %d PES %d: PCR on pid %#x", si, i, e.pid)
						}
						continue
					}
					if !e.first.hasPCR {
						t.Fatalf("segment %d PES %d: no PCR", si, i)
					}
					if e.first.pcr > e.dts {
						t.Errorf("segment %d PES %d: PCR %d above DTS %d", si, i, e.first.pcr, e.dts)
					}
					if lastPCR != 0 && (e.first.pcr <= lastPCR || e.first.pcr-lastPCR > 9000) {
						t.Errorf("segment %d PES %d: PCR %d after %d", si, i, e.first.pcr, lastPCR)
					}
					lastPCR = e.first.pcr
				}
				if c.pcrPID == ts.PIDVideo {
					if !ps[0].first.rai || !bytes.HasPrefix(ps[0].payload, []byte{0, 0, 0, 1}) {
						t.Errorf("segment %d: first PES is not a random access point", si)
					}
				}
			}
		})
	}
}

// TestAnnexB checks the access unit the muxer writes for a keyframe
// without parameter sets: AUD, SPS, PPS, then the NAL units, each with a
// 4-byte start code; and that a keyframe with its own SPS/PPS gets no
// second copy, and one with an AUD no second AUD.
func TestAnnexB(t *testing.T) {
	sps, pps := []byte{0x67, 0x64, 0, 0x1f}, []byte{0x68, 0xEE, 0x3C, 0x80}
	cfg := ts.StreamConfig{Codec: ts.H264, ParameterSets: [][]byte{pps, sps}, NALULengthSize: 2, Timescale: 90000}
	idr := []byte{0x65, 0x88, 0x84, 0x00, 0x33}
	sei := []byte{0x06, 0x05, 0x01, 0x80}
	au := func(nals ...[]byte) []byte {
		var b []byte
		for _, n := range nals {
			b = append(b, byte(len(n)>>8), byte(len(n)))
			b = append(b, n...)
		}
		return b
	}
	sc := []byte{0, 0, 0, 1}
	annexB := func(nals ...[]byte) []byte {
		var b []byte
		for _, n := range nals {
			b = append(append(b, sc...), n...)
		}
		return b
	}
	aud := []byte{0x09, 0xF0}
	for _, c := range []struct {
		name string
		s    ts.Sample
		want []byte
	}{
		{"idr", ts.Sample{Data: au(sei, idr), Keyframe: true}, annexB(aud, sps, pps, sei, idr)},
		{"idr unflagged", ts.Sample{Data: au(idr)}, annexB(aud, sps, pps, idr)},
		{"idr with sets", ts.Sample{Data: au(aud, sps, pps, idr), Keyframe: true}, annexB(aud, sps, pps, idr)},
		{"non-idr", ts.Sample{Data: au([]byte{0x41, 0x9a, 0x02})}, annexB(aud, []byte{0x41, 0x9a, 0x02})},
		{"empty nal skipped", ts.Sample{Data: au([]byte{}, idr), Keyframe: true}, annexB(aud, sps, pps, idr)},
	} {
		t.Run(c.name, func(t *testing.T) {
			var m ts.Muxer
			m.Reset(&cfg, nil)
			seg, err := m.AppendSegment(nil, []ts.Sample{c.s}, nil, ts.SegmentOptions{})
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
			if len(ps) != 1 || !bytes.Equal(ps[0].payload, c.want) {
				t.Errorf("got % x\nwant % x", ps[0].payload, c.want)
			}
			if ps[0].first.rai != c.s.Keyframe && c.name != "idr unflagged" {
				t.Errorf("random_access_indicator %v", ps[0].first.rai)
			}
		})
	}
}

// TestDeterministic checks that a segment's bytes depend on its samples and
// options only, not on what the Muxer or the buffer did before.
func TestDeterministic(t *testing.T) {
	video := demoTrack(t, "demo/video_640x360.mp4")
	audio := demoTrack(t, "demo/audio_eng.mp4")
	var fresh ts.Muxer
	fresh.Reset(&video.cfg, &audio.cfg)
	want, err := fresh.AppendSegment(nil, video.frags[2], audio.frags[2], ts.SegmentOptions{Sequence: 2})
	if err != nil {
		t.Fatal(err)
	}
	var used ts.Muxer
	buf := make([]byte, 0, 1<<20)
	for i := range 4 {
		used.Reset(nil, &audio.cfg)
		if buf, err = used.AppendSegment(buf[:0], nil, audio.frags[i], ts.SegmentOptions{Sequence: uint32(i)}); err != nil {
			t.Fatal(err)
		}
		for j := range buf {
			buf[j] = 0xEE
		}
	}
	used.Reset(&video.cfg, &audio.cfg)
	got, err := used.AppendSegment(buf[:0], video.frags[2], audio.frags[2], ts.SegmentOptions{Sequence: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the same segment differs after the muxer was used for others")
	}
}

// TestResetReuse checks that a muxer reset from one configuration to
// another (Reset keeps the PMTs and the parsed AudioSpecificConfig while
// their inputs stay the same) writes what a fresh muxer writes, clear and
// with SAMPLE-AES, also when an ASC's bytes change in place under the same
// StreamConfig.
func TestResetReuse(t *testing.T) {
	video := demoTrack(t, "demo/video_640x360.mp4")
	audio := demoTrack(t, "demo/audio_eng.mp4")
	hevcVideo := demoTrack(t, "hevc/video_hevc.mp4")
	lc44 := audio.cfg
	lc44.AudioSpecificConfig = []byte{0x12, 0x10} // AAC-LC, 44.1 kHz, stereo
	he := audio.cfg
	he.AudioSpecificConfig = []byte{0x29, 0x91, 0x88} // HE-AAC (type 5), 48 kHz core, stereo
	inPlace := audio.cfg
	inPlace.AudioSpecificConfig = slices.Clone(audio.cfg.AudioSpecificConfig)
	type combo struct {
		name   string
		v, a   *ts.StreamConfig
		vs, as []ts.Sample
		mutate func() // before the Reset
	}
	combos := []combo{
		{name: "muxed", v: &video.cfg, a: &audio.cfg, vs: video.frags[1], as: audio.frags[1]},
		{name: "audio", a: &audio.cfg, as: audio.frags[1]},
		{name: "video", v: &video.cfg, vs: video.frags[1]},
		{name: "muxed 44.1 kHz", v: &video.cfg, a: &lc44, vs: video.frags[1], as: audio.frags[1]},
		{name: "audio HE-AAC", a: &he, as: audio.frags[1]},
		{name: "hevc", v: &hevcVideo.cfg, vs: hevcVideo.frags[1]},
		{name: "hevc muxed", v: &hevcVideo.cfg, a: &audio.cfg, vs: hevcVideo.frags[1], as: audio.frags[1]},
		{name: "in place 48 kHz", a: &inPlace, as: audio.frags[1], mutate: func() { copy(inPlace.AudioSpecificConfig, audio.cfg.AudioSpecificConfig) }},
		{name: "in place 44.1 kHz", a: &inPlace, as: audio.frags[1], mutate: func() { copy(inPlace.AudioSpecificConfig, lc44.AudioSpecificConfig) }},
	}
	blk, err := aes.NewCipher(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	saes := ts.SegmentOptions{Sequence: 1, Encrypter: ts.BlockCBC(blk), IV: [16]byte{1}}
	var used ts.Muxer
	var buf []byte
	order := []int{0, 1, 2, 0, 3, 0, 4, 1, 5, 6, 0, 7, 8, 7, 3, 4, 2, 8, 1}
	for _, c := range order {
		cb := combos[c]
		for _, opts := range []ts.SegmentOptions{{Sequence: 1}, saes} {
			if cb.mutate != nil {
				cb.mutate()
			}
			var fresh ts.Muxer
			fresh.Reset(cb.v, cb.a)
			want, wantErr := fresh.AppendSegment(nil, cb.vs, cb.as, opts)
			used.Reset(cb.v, cb.a)
			got, err := used.AppendSegment(buf[:0], cb.vs, cb.as, opts)
			buf = got
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("%s (encrypted %v): error %v, a fresh muxer's %v", cb.name, opts.Encrypter != nil, err, wantErr)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s (encrypted %v): the reused muxer's %d bytes differ from a fresh muxer's %d", cb.name, opts.Encrypter != nil, len(got), len(want))
			}
		}
	}
}
