package ts

import (
	"fmt"

	"github.com/drmorigin/drmorigin/codec/adts"
	"github.com/drmorigin/drmorigin/codec/nalu"
)

// PES stream_id values.
const (
	streamIDVideo = 0xE0
	streamIDAudio = 0xC0
)

// maxPESLength is the largest value of PES_packet_length; longer (video) PES
// packets state 0, "unbounded".
const maxPESLength = 0xFFFF

// beginPES appends a PES header to m.buf and returns its length. The
// PES_packet_length is patched by endPES.
//
//	00 00 01 | stream_id | PES_packet_length | 10 00 0 1 00 (data_alignment) |
//	PTS_DTS_flags 0 0 0 0 0 0 | PES_header_data_length | PTS [DTS]
func (m *Muxer) beginPES(streamID byte, pts, dts uint64, withDTS bool) int {
	m.endRun()
	m.pesExt = 0
	var h [19]byte
	h[0], h[1], h[2], h[3] = 0, 0, 1, streamID
	h[6] = 0x84
	n := 14
	if withDTS {
		h[7], h[8] = 0xC0, 10
		putTimestamp(h[9:14], 3, pts)
		putTimestamp(h[14:19], 1, dts)
		n = 19
	} else {
		h[7], h[8] = 0x80, 5
		putTimestamp(h[9:14], 2, pts)
	}
	m.buf = append(m.buf, h[:n]...)
	return n
}

// endPES patches the PES_packet_length of the PES that starts at off in
// buf (its chunks from c0) and returns its length and chunk range.
func (m *Muxer) endPES(off, c0 int) (total, c1 int) {
	m.endRun()
	total = len(m.buf) - off + m.pesExt
	n := total - 6
	if n > maxPESLength {
		n = 0
	}
	m.buf[off+4] = byte(n >> 8)
	m.buf[off+5] = byte(n)
	return total, len(m.chunks)
}

// clock converts one stream's sample times to 90 kHz, set up by Reset from
// its StreamConfig.
type clock struct {
	r      rescaler
	offset int64 // TimeOffset
	shift  int64 // DecodeShift
}

func newClock(c *StreamConfig) clock {
	return clock{r: newRescaler(c.Timescale), offset: c.TimeOffset, shift: int64(c.DecodeShift)}
}

// dts returns the 90 kHz DTS of s (before TimestampOffset).
func (k *clock) dts(s *Sample) int64 {
	return k.r.at(int64(s.DTS) + k.offset - k.shift)
}

// times returns the 90 kHz DTS and PTS of s (before TimestampOffset). PTS
// is DTS when nothing sets them apart (audio, most often).
func (k *clock) times(s *Sample) (dts, pts int64) {
	t := int64(s.DTS) + k.offset
	dts = k.r.at(t - k.shift)
	if s.PTSOffset == 0 && k.shift == 0 {
		return dts, dts
	}
	return dts, k.r.at(t + int64(s.PTSOffset))
}

// appendVideoPES converts one length-prefixed access unit to Annex B in a
// PES of its own: AUD, then the parameter sets before an IDR/IRAP access
// unit that lacks them, then the NAL units with 4-byte start codes.
func (m *Muxer) appendVideoPES(s *Sample, enc CBCEncrypter, iv *[16]byte) error {
	c := m.video
	ls := c.NALULengthSize
	// First pass: check the lengths, see what the access unit holds.
	var hasAUD, irap bool
	var have [3]bool // H.264: SPS, PPS; HEVC: VPS, SPS, PPS
	first := true
	for b := s.Data; len(b) > 0; {
		if len(b) < ls {
			return fmt.Errorf("%d bytes left for a %d-byte NAL unit length at offset %d: %w", len(b), ls, len(s.Data)-len(b), ErrBadNALU)
		}
		n := nalu.Len(b, ls)
		if n > len(b)-ls {
			return fmt.Errorf("NAL unit of %d bytes at offset %d, %d left: %w", n, len(s.Data)-len(b), len(b)-ls, ErrBadNALU)
		}
		if n > 0 {
			t := nalType(c.Codec, b[ls])
			if c.Codec == HEVC {
				switch {
				case t == hevcAUD && first:
					hasAUD = true
				case t >= 16 && t <= 23:
					irap = true
				case t >= hevcVPS && t <= hevcPPS:
					have[t-hevcVPS] = true
				}
			} else {
				switch t {
				case h264AUD:
					hasAUD = hasAUD || first
				case h264IDR:
					irap = true
				case h264SPS:
					have[0] = true
				case h264PPS:
					have[1] = true
				}
			}
			first = false
		}
		b = b[ls+n:]
	}
	if c.Codec == H264 {
		have[2] = true
	}
	key := s.Keyframe || irap

	dts, pts := m.videoClock.times(s)
	if pts < dts {
		return fmt.Errorf("PTS %d below DTS %d (90 kHz; composition offset %d, decode shift %d): %w",
			pts, dts, s.PTSOffset, c.DecodeShift, ErrPTSBeforeDTS)
	}
	off := len(m.buf)
	hdr := m.beginPES(streamIDVideo, wrap33(pts), wrap33(dts), pts != dts)
	c0 := len(m.chunks)
	if !hasAUD {
		if c.Codec == HEVC {
			m.buf = append(m.buf, audHEVC...)
		} else {
			m.buf = append(m.buf, audH264...)
		}
	}
	if key && !(have[0] && have[1] && have[2]) {
		m.buf = append(m.buf, m.params...)
	}
	for b := s.Data; len(b) > 0; {
		n := nalu.Len(b, ls)
		nal := b[ls : ls+n]
		b = b[ls+n:]
		if n == 0 {
			continue
		}
		m.buf = append(m.buf, 0, 0, 0, 1)
		if enc != nil && m.encryptsNAL(nal[0], n) {
			if !m.appendPreEncryptedNAL(nal) {
				m.appendEncryptedNAL(nal, enc, iv)
			}
			continue
		}
		m.appendExt(nal)
	}
	total, c1 := m.endPES(off, c0)
	m.pes = append(m.pes, pesEntry{
		c0: c0, c1: c1, n: total, hdr: hdr, dts: dts, pid: PIDVideo,
		hasPCR: true, pcr: wrap33(dts - PCRDelay), rai: key, sampleDTS: s.DTS,
	})
	return nil
}

// Audio PES grouping: a PES holds consecutive frames while the next PES
// would still start (as far as the last frame's duration predicts) within
// maxAudioPESSpan of this one, so that the PCR of an audio-only segment
// comes at least every 100 ms; and at most maxAudioFramesPerPES frames.
const (
	maxAudioPESSpan      = 9000
	maxAudioFramesPerPES = 8
)

// appendAudioPES puts the first frames of samples, each with an ADTS header,
// into one PES and returns how many it took; on error, the index of the
// frame at fault.
func (m *Muxer) appendAudioPES(samples []Sample, enc CBCEncrypter, iv *[16]byte) (int, error) {
	dts0, pts0 := m.audioClock.times(&samples[0])
	off := len(m.buf)
	hdr := m.beginPES(streamIDAudio, wrap33(pts0), 0, false)
	c0 := len(m.chunks)
	k := 0
	prev := dts0
	for k < len(samples) && k < maxAudioFramesPerPES {
		s := &samples[k]
		d := dts0
		if k > 0 {
			if d = m.audioClock.dts(s); (d-dts0)+(d-prev) > maxAudioPESSpan {
				break
			}
		}
		if len(s.Data)+adts.HeaderSize > adts.MaxFrameSize {
			m.buf = m.buf[:off]
			return k, fmt.Errorf("%d bytes: %w", len(s.Data), ErrFrameTooLarge)
		}
		i := len(m.buf)
		m.buf = append(m.buf, 0, 0, 0, 0, 0, 0, 0)
		m.adts.PutHeader(m.buf[i:], len(s.Data))
		j := len(m.buf)
		m.buf = append(m.buf, s.Data...)
		switch {
		case enc == nil:
		case m.batchAAC:
			// Encrypted with the segment's other frames, once m.buf
			// has stopped growing (encryptAACRanges).
			if from, to := aacEncrypted(len(s.Data)); from < to {
				m.aacRanges = append(m.aacRanges, [2]int{j + from, j + to})
			}
		default:
			encryptAACFrame(m.buf[j:], enc, iv, &m.iv)
		}
		prev = d
		k++
	}
	total, c1 := m.endPES(off, c0)
	m.pes = append(m.pes, pesEntry{
		c0: c0, c1: c1, n: total, hdr: hdr, dts: dts0, pid: PIDAudio,
		hasPCR: m.pcrPID == PIDAudio, pcr: wrap33(dts0 - PCRDelay), rai: true,
	})
	return k, nil
}
