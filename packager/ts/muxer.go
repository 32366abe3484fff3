package ts

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/drmorigin/drmorigin/codec/adts"
)

// Muxer writes MPEG-2 TS segments for HLS. The zero value is ready for
// Reset; a Muxer is reused from segment to segment (and may be pooled) and
// allocates nothing once its scratch buffers have grown to the largest
// segment seen. It is not safe for concurrent use.
type Muxer struct {
	video, audio *StreamConfig
	videoClock   clock // the streams' times to 90 kHz
	audioClock   clock
	cfgErr       error
	pcrPID       uint16
	adts         adts.Config
	params       []byte // video parameter sets in Annex B, VPS, SPS, PPS
	pmt          [packetSize]byte
	pmtSAES      [packetSize]byte
	pmtKey       []byte // what pmt and pmtSAES were built from (Reset)
	ascKey       []byte // the AudioSpecificConfig m.adts was parsed from, when ascParsed
	ascErr       error  // and the parse's error
	ascParsed    bool
	saesErr      error      // why this configuration has no SAMPLE-AES form
	buf          []byte     // the segment's PES headers, start codes and what was rewritten (ADTS, SAMPLE-AES)
	chunks       []chunk    // the segment's PES bytes in order: runs of buf and the samples' own bytes
	runStart     int        // where in buf the run not yet in chunks starts
	pesExt       int        // bytes of the PES being built that are in samples, not in buf
	pes          []pesEntry // one per PES: video ones, then audio ones
	nVideo       int
	scratch      []byte   // SAMPLE-AES: a NAL unit without emulation prevention
	iv           [16]byte // SAMPLE-AES: the chain, kept here so it does not escape
	pre          []byte   // SAMPLE-AES with a PatternEncrypter: the segment's video NAL units, encrypted
	preNALs      []saesNAL
	preRanges    [][]byte
	preSrcs      [][]byte   // the NAL units' ranges that preRanges are made from
	batchAAC     bool       // SAMPLE-AES with a RangeEncrypter: AAC frames noted in aacRanges, encrypted together
	aacRanges    [][2]int   // the encrypted part of each AAC frame, in m.buf
	preNext      int        // the next of preNALs appendVideoPES takes
	escapeByCopy bool       // escape encrypted NAL units into buf, as before appendEscapedRef (set by the benchmarks only, to compare)
	keys         []KeyFrame // the last segment's key frames (KeyFrames)
	// refWriter, when set (by the tests only), writes the packets in
	// place of writePES: the writer before putPackets, to compare with.
	// It takes the counter by value, so that the indirect call does not
	// move the segment's counters to the heap.
	refWriter func(m *Muxer, out []byte, e *pesEntry, cc byte) ([]byte, byte)
}

// KeyFrame is where one keyframe's access unit lies in the segment the
// muxer wrote last: its PES is the TS packets [Offset, Offset+Length), all
// of them in one run (a PES's packets are written back to back). DTS is
// the sample's Sample.DTS. An HLS I-frame playlist addresses it (with the
// PAT and PMT, the segment's first two packets) as a byte range.
type KeyFrame struct {
	Offset, Length int
	DTS            uint64
}

// KeyFrames returns the key frames of the segment the last AppendSegment
// wrote, in order; valid until the next AppendSegment.
func (m *Muxer) KeyFrames() []KeyFrame { return m.keys }

// PSILength is the bytes of the PAT and PMT that start every segment.
const PSILength = 2 * packetSize

// chunk is a piece of a PES: a sample's own bytes (ext), or, when ext is
// nil, buf[off:end]. A clear NAL unit goes from the sample straight into
// its TS packets, without a copy into buf first.
type chunk struct {
	ext      []byte
	off, end int
}

// pesEntry is one PES packet of the segment: chunks[c0:c1], n bytes, the
// header at the start of the first chunk (in buf).
type pesEntry struct {
	c0, c1 int
	n      int
	hdr    int    // PES header length (must stay in the first TS packet)
	dts    int64  // 90 kHz, before TimestampOffset: the interleaving order
	pcr    uint64 // PCR base, when pcr is set
	pid    uint16 // PIDVideo or PIDAudio
	hasPCR bool
	rai    bool
	// sampleDTS is the video sample's Sample.DTS (KeyFrames).
	sampleDTS uint64
	packets   int // TS packets it takes, with extra
	extra     int // packets added so the PID's count is a multiple of 16
}

// SegmentOptions are the per-segment settings of AppendSegment.
type SegmentOptions struct {
	// Sequence is the segment's media sequence number (its fragment's index
	// in the track). The PAT and PMT continuity counters are Sequence mod
	// 16, so that consecutive segments are continuous (see doc.go).
	Sequence uint32
	// Encrypter, when not nil, protects the segment with HLS SAMPLE-AES
	// (H.264 and AAC only) under the segment's IV.
	Encrypter CBCEncrypter
	// IV is the SAMPLE-AES initialization vector, the IV=0x… of the segment's
	// EXT-X-KEY: every encrypted NAL unit and AAC frame restarts from it.
	IV [16]byte
}

// SAMPLE-AES PMT descriptors: the video's private_data_indicator_descriptor,
// and the size of the audio's fixed part (private data indicator and
// registration descriptor up to setup_data_length). maxASCInPMT bounds the
// AudioSpecificConfig copied into the audio setup information so the PMT
// fits one packet.
var videoDescSAES = []byte{0x0F, 4, 'z', 'a', 'v', 'c'}

const (
	audioDescHeader = 20
	maxASCInPMT     = 64
)

// errSAESHEVC is the SAMPLE-AES error of an HEVC configuration, made once so
// that Reset does not allocate.
var errSAESHEVC = fmt.Errorf("SAMPLE-AES for %s in TS: %w (Apple defines it for H.264 and AAC)", HEVC, ErrNotSupported)

// Reset prepares the muxer for segments of the given streams; either may be
// nil (audio-only or video-only segments). The configurations are validated
// here and an error in them is returned by every AppendSegment until the
// next Reset. Reset allocates nothing once the muxer is warm.
func (m *Muxer) Reset(video, audio *StreamConfig) {
	m.video, m.audio, m.cfgErr, m.saesErr = video, audio, nil, nil
	m.params = m.params[:0]
	var streams, saes [2]pmtStream
	var aDesc [audioDescHeader + maxASCInPMT]byte
	n := 0
	if video != nil {
		m.cfgErr = m.resetVideo(video)
		st := pmtStream{pid: PIDVideo, streamType: StreamTypeH264}
		if video.Codec == HEVC {
			st.streamType = StreamTypeHEVC
			m.saesErr = errSAESHEVC
		}
		streams[n] = st
		saes[n] = pmtStream{pid: PIDVideo, streamType: StreamTypeH264SAES, desc: videoDescSAES}
		n++
	}
	if audio != nil {
		if err := m.resetAudio(audio); err != nil && m.cfgErr == nil {
			m.cfgErr = err
		}
		streams[n] = pmtStream{pid: PIDAudio, streamType: StreamTypeAAC}
		// private_data_indicator_descriptor 'aacd', then the registration
		// descriptor 'apad' with Apple's audio_setup_information: audio_type,
		// priming (16), version (8), setup_data_length (8), the ASC.
		asc := audio.AudioSpecificConfig
		if len(asc) > maxASCInPMT {
			asc = asc[:0]
			if m.saesErr == nil {
				m.saesErr = fmt.Errorf("SAMPLE-AES: audio specific config of %d bytes: %w", len(audio.AudioSpecificConfig), ErrNotSupported)
			}
		}
		k := copy(aDesc[:], []byte{0x0F, 4, 'a', 'a', 'c', 'd', 0x05, byte(4 + 4 + 4 + len(asc)), 'a', 'p', 'a', 'd', 'z', 'a', 'a', 'c', 0, 0, 1, byte(len(asc))})
		switch m.adts.ObjectType {
		case 5:
			aDesc[15] = 'h'
		case 29:
			aDesc[15] = 'p'
		}
		k += copy(aDesc[k:], asc)
		saes[n] = pmtStream{pid: PIDAudio, streamType: StreamTypeAACSAES, desc: aDesc[:k]}
		n++
	}
	m.pcrPID = PIDAudio
	if video != nil {
		m.pcrPID = PIDVideo
	}
	// The two PMTs are built again only when what they hold changed: a
	// pooled muxer mostly serves the same tracks (or the same kinds of
	// track) segment after segment. The key is every input: the stream
	// types, which also say which PID carries the PCR, and the audio's
	// SAMPLE-AES descriptor (the video's is constant).
	var key [1 + 2*2 + len(aDesc)]byte
	kn := 1 + copy(key[1:], []byte{byte(n), streams[0].streamType, streams[1].streamType, saes[0].streamType, saes[1].streamType})
	if audio != nil {
		kn += copy(key[kn:], saes[n-1].desc)
	}
	key[0] = 1 // not empty, unlike the key of a muxer never reset
	if !bytes.Equal(m.pmtKey, key[:kn]) {
		buildPMT(&m.pmt, m.pcrPID, streams[:n])
		buildPMT(&m.pmtSAES, m.pcrPID, saes[:n])
		m.pmtKey = append(m.pmtKey[:0], key[:kn]...)
	}
}

func (m *Muxer) resetVideo(c *StreamConfig) error {
	if !c.Codec.isVideo() {
		return fmt.Errorf("video stream with codec %s: %w", c.Codec, ErrBadConfig)
	}
	if c.NALULengthSize != 1 && c.NALULengthSize != 2 && c.NALULengthSize != 4 {
		return fmt.Errorf("%s: NAL unit length size %d (want 1, 2 or 4): %w", c.Codec, c.NALULengthSize, ErrBadConfig)
	}
	if c.Timescale == 0 {
		return fmt.Errorf("%s: timescale 0: %w", c.Codec, ErrBadConfig)
	}
	m.videoClock = newClock(c)
	order := [...]byte{h264SPS, h264PPS, 0}
	if c.Codec == HEVC {
		order = [...]byte{hevcVPS, hevcSPS, hevcPPS}
	}
	for _, t := range order {
		if t == 0 {
			continue
		}
		for _, ps := range c.ParameterSets {
			if len(ps) > 0 && nalType(c.Codec, ps[0]) == t {
				m.params = append(m.params, 0, 0, 0, 1)
				m.params = append(m.params, ps...)
			}
		}
	}
	return nil
}

func (m *Muxer) resetAudio(c *StreamConfig) error {
	if c.Codec != AAC {
		return fmt.Errorf("audio stream with codec %s: %w", c.Codec, ErrBadConfig)
	}
	if c.Timescale == 0 {
		return fmt.Errorf("%s: timescale 0: %w", c.Codec, ErrBadConfig)
	}
	m.audioClock = newClock(c)
	// The ASC is parsed again only when its bytes changed (a pooled muxer
	// mostly serves the same audio track).
	if !m.ascParsed || !bytes.Equal(m.ascKey, c.AudioSpecificConfig) {
		m.adts, m.ascErr = adts.ParseASC(c.AudioSpecificConfig)
		m.ascKey = append(m.ascKey[:0], c.AudioSpecificConfig...)
		m.ascParsed = true
	}
	return m.ascErr
}

// AppendSegment appends to dst one TS segment holding videoSamples (one
// access unit each, the first normally a keyframe) and audioSamples (raw
// AAC frames), both in decode order, and returns the extended slice:
//
//	PAT | PMT | first video PES | video and audio PES interleaved by DTS …
//
// Every packet is 188 bytes. All checks come before the first byte is
// written: on error dst is returned as it was.
func (m *Muxer) AppendSegment(dst []byte, videoSamples, audioSamples []Sample, opts SegmentOptions) ([]byte, error) {
	if m.cfgErr != nil {
		return dst, m.cfgErr
	}
	if m.video == nil && m.audio == nil {
		return dst, fmt.Errorf("no stream configured: %w", ErrNoStream)
	}
	if len(videoSamples) > 0 && m.video == nil {
		return dst, fmt.Errorf("%d video samples: %w", len(videoSamples), ErrNoStream)
	}
	if len(audioSamples) > 0 && m.audio == nil {
		return dst, fmt.Errorf("%d audio samples: %w", len(audioSamples), ErrNoStream)
	}
	enc := opts.Encrypter
	if enc != nil && m.saesErr != nil {
		return dst, m.saesErr
	}
	m.buf = m.buf[:0]
	m.chunks = m.chunks[:0]
	m.runStart, m.pesExt = 0, 0
	m.pes = m.pes[:0]
	m.keys = m.keys[:0]
	m.preNALs, m.preNext = m.preNALs[:0], 0
	// preNALs point into the samples (which may be a file mapping): drop
	// them when done, so a pooled muxer keeps no pointer into memory that
	// may be unmapped.
	defer func() {
		clear(m.preNALs)
		clear(m.chunks) // they point into the samples too
	}()
	if pe, ok := enc.(PatternEncrypter); ok && len(videoSamples) > 0 {
		m.preEncrypt(videoSamples, pe, opts.IV)
	}
	for i := range videoSamples {
		if err := m.appendVideoPES(&videoSamples[i], enc, &opts.IV); err != nil {
			return dst, fmt.Errorf("video sample %d (dts %d): %w", i, videoSamples[i].DTS, err)
		}
	}
	m.nVideo = len(m.pes)
	re, batchAAC := enc.(RangeEncrypter)
	m.batchAAC, m.aacRanges = batchAAC, m.aacRanges[:0]
	for i := 0; i < len(audioSamples); {
		n, err := m.appendAudioPES(audioSamples[i:], enc, &opts.IV)
		if err != nil {
			return dst, fmt.Errorf("audio sample %d (dts %d): %w", i+n, audioSamples[i+n].DTS, err)
		}
		i += n
	}
	if batchAAC && len(m.aacRanges) > 0 {
		m.encryptAACRanges(re, opts.IV)
	}
	total := 2 + m.layout()

	start := len(dst)
	dst = slices.Grow(dst, total*packetSize)
	dst = dst[:start+total*packetSize]
	out := dst[start:]
	cc := byte(opts.Sequence & 0x0F)
	copy(out, patPacket[:])
	out[3] |= cc
	out = out[packetSize:]
	if enc != nil {
		copy(out, m.pmtSAES[:])
	} else {
		copy(out, m.pmt[:])
	}
	out[3] |= cc
	out = out[packetSize:]

	// The first video PES comes first (a segment starts with its keyframe),
	// then the rest in DTS order, video before audio at equal times.
	var ccVideo, ccAudio byte
	v, a := 0, m.nVideo
	for v < m.nVideo || a < len(m.pes) {
		i := a
		if v < m.nVideo && (a == len(m.pes) || v == 0 || m.pes[v].dts <= m.pes[a].dts) {
			i = v
			v++
		} else {
			a++
		}
		e := &m.pes[i]
		ccp := &ccAudio
		if e.pid == PIDVideo {
			ccp = &ccVideo
		}
		at := len(out)
		if m.refWriter != nil {
			out, *ccp = m.refWriter(m, out, e, *ccp)
		} else {
			out = m.writePES(out, e, ccp)
		}
		if e.pid == PIDVideo && e.rai {
			m.keys = append(m.keys, KeyFrame{Offset: total*packetSize - at, Length: at - len(out), DTS: e.sampleDTS})
		}
	}
	return dst, nil
}

// layout counts the TS packets of every PES and, per PID, spreads the last
// PES of the segment over extra packets (more adaptation-field stuffing) so
// that the PID's packet count is a multiple of 16: every segment then
// starts each PID's continuity counter at 0 and ends it at 15. It returns
// the number of PES packets.
func (m *Muxer) layout() int {
	total := 0
	var count [2]int
	for i := range m.pes {
		e := &m.pes[i]
		e.extra = 0
		e.packets = packetsFor(e.n, firstCapacity(e))
		count[pidIndex(e.pid)] += e.packets
		total += e.packets
	}
	for k := range count {
		need := (16 - count[k]%16) % 16
		for i := len(m.pes) - 1; i >= 0 && need > 0; i-- {
			e := &m.pes[i]
			if pidIndex(e.pid) != k {
				continue
			}
			room := (e.n - e.hdr + 1) - e.packets
			x := min(room, need)
			if x > 0 {
				e.extra += x
				e.packets += x
				need -= x
				total += x
			}
		}
	}
	return total
}

func pidIndex(pid uint16) int {
	if pid == PIDVideo {
		return 0
	}
	return 1
}

// Adaptation field flags.
const (
	afRandomAccess = 0x40
	afPCR          = 0x10
)

// stuffing is adaptation-field stuffing, as much as one packet can hold.
var stuffing = func() (b [184]byte) {
	for i := range b {
		b[i] = 0xFF
	}
	return b
}()

// firstCapacity is the payload room of a PES's first TS packet, after the
// adaptation field that carries its flags (and PCR).
func firstCapacity(e *pesEntry) int {
	switch {
	case e.hasPCR:
		return 184 - 8
	case e.rai:
		return 184 - 2
	}
	return 184
}

// packetsFor is the number of TS packets a PES of n bytes takes when its
// first packet holds at most first bytes and the others 184.
func packetsFor(n, first int) int {
	if n <= first {
		return 1
	}
	return 1 + (n-first+183)/184
}

// writePES writes e as e.packets TS packets into out (which has room) and
// returns the rest of out. Packets are filled from the front; when e.extra
// packets are added, the last ones carry a byte or a few each, behind
// adaptation-field stuffing.
//
//	47 | PUSI|PID | AFC|CC | [AF: len, flags, PCR, FF stuffing] | payload
//
// The full packets after the first (no adaptation field, 184 bytes of
// payload) that lie within one chunk, most of a video PES, go to
// putPackets in runs; the rest are written one by one by writePacket.
func (m *Muxer) writePES(out []byte, e *pesEntry, cc *byte) []byte {
	w := pesWriter{m: m, e: e, c: e.c0, data: m.chunkBytes(e.c0), left: e.n}
	hdr := packetHeader(e.pid)
	p := e.packets
	out = w.writePacket(out, 0, p, cc)
	for i := 1; i < p; {
		// Packet j >= i is full while the bytes left after it still fill
		// a packet each for the packets after it: left-184*(j-i) -
		// (p-1-j) >= 184.
		if spare := w.left - (p - 1 - i) - payloadSize; spare >= 0 {
			k := min(spare/(payloadSize-1)+1, len(w.data)/payloadSize, p-i)
			if k > 0 {
				putPackets(out, w.data, k, hdr, *cc)
				out, w.data = out[k*packetSize:], w.data[k*payloadSize:]
				w.left -= k * payloadSize
				*cc = (*cc + byte(k)) & 0x0F
				i += k
				continue
			}
		}
		out = w.writePacket(out, i, p, cc)
		i++
	}
	return out
}

// pesWriter is where writePES is in a PES: the chunk c, the rest of its
// bytes data, and the PES bytes left to write.
type pesWriter struct {
	m    *Muxer
	e    *pesEntry
	c    int
	data []byte
	left int
}

// writePacket writes packet i of the PES's p packets into out and returns
// the rest of out.
func (w *pesWriter) writePacket(out []byte, i, p int, cc *byte) []byte {
	e := w.e
	room := 184
	if i == 0 {
		room = firstCapacity(e)
	}
	n := min(room, w.left-(p-1-i))
	pkt := out[:packetSize]
	out = out[packetSize:]
	pkt[0] = syncByte
	pkt[1] = byte(e.pid >> 8)
	if i == 0 {
		pkt[1] |= 0x40
	}
	pkt[2] = byte(e.pid)
	af := 184 - n
	var flags byte
	if i == 0 {
		if e.rai {
			flags |= afRandomAccess
		}
		if e.hasPCR {
			flags |= afPCR
		}
	}
	if af == 0 {
		pkt[3] = 0x10 | *cc
	} else {
		pkt[3] = 0x30 | *cc
		pkt[4] = byte(af - 1)
		if af > 1 {
			pkt[5] = flags
			k := 6
			if flags&afPCR != 0 {
				putPCR(pkt[6:12], e.pcr)
				k = 12
			}
			copy(pkt[k:4+af], stuffing[:])
		}
	}
	*cc = (*cc + 1) & 0x0F
	// The payload, from as many chunks as it spans.
	w.left -= n
	dst := pkt[4+af:]
	for n > 0 {
		for len(w.data) == 0 {
			w.c++
			w.data = w.m.chunkBytes(w.c)
		}
		k := copy(dst[:n], w.data)
		dst, w.data, n = dst[k:], w.data[k:], n-k
	}
	return out
}

// chunkBytes returns the bytes of chunk c.
func (m *Muxer) chunkBytes(c int) []byte {
	ch := &m.chunks[c]
	if ch.ext != nil {
		return ch.ext
	}
	return m.buf[ch.off:ch.end]
}

// endRun closes the run of buf not yet in chunks.
func (m *Muxer) endRun() {
	if len(m.buf) > m.runStart {
		m.chunks = append(m.chunks, chunk{off: m.runStart, end: len(m.buf)})
	}
	m.runStart = len(m.buf)
}

// appendExt adds b, bytes of a sample, to the PES being built, by reference.
func (m *Muxer) appendExt(b []byte) {
	if len(b) == 0 {
		return
	}
	m.endRun()
	m.chunks = append(m.chunks, chunk{ext: b})
	m.pesExt += len(b)
}
