package ts

// The PIDs of every segment, whatever it carries, so that a player switching
// renditions, or between muxed and separate audio, finds each stream where
// it was (the values ffmpeg's mpegts muxer uses).
const (
	// PIDPAT is the program association table's PID (fixed by MPEG-2).
	PIDPAT = 0x0000
	// PIDPMT is the program map table's PID.
	PIDPMT = 0x1000
	// PIDVideo carries the video PES, and the PCR when there is video.
	PIDVideo = 0x0100
	// PIDAudio carries the audio PES, and the PCR in audio-only segments.
	PIDAudio = 0x0101
)

// Stream types written in the PMT.
const (
	StreamTypeH264        = 0x1B
	StreamTypeHEVC        = 0x24
	StreamTypeAAC         = 0x0F // ADTS
	StreamTypeH264SAES    = 0xDB // H.264 with HLS SAMPLE-AES
	StreamTypeAACSAES     = 0xCF // ADTS AAC with HLS SAMPLE-AES
	programNumber         = 1
	transportStreamID     = 1
	packetSize            = 188
	syncByte              = 0x47
	maxSectionInOnePacket = packetSize - 4 - 1 // header, pointer_field
)

// crcTable is the MSB-first table of the MPEG-2 CRC-32 (polynomial
// 0x04C11DB7, initial value 0xFFFFFFFF, no final XOR).
var crcTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crc32MPEG2 returns the CRC_32 of a PSI section (ISO/IEC 13818-1 Annex A).
func crc32MPEG2(b []byte) uint32 {
	c := uint32(0xFFFFFFFF)
	for _, v := range b {
		c = c<<8 ^ crcTable[byte(c>>24)^v]
	}
	return c
}

// psiPacket lays out a one-packet PSI section: TS header (PUSI, payload
// only, CC 0), pointer_field 0, the section with its CRC, 0xFF fill.
//
//	47 | 40|pid>>8 | pid | 10 | 00 | section … | CRC_32 | FF …
func psiPacket(p *[packetSize]byte, pid uint16, section []byte) {
	p[0] = syncByte
	p[1] = 0x40 | byte(pid>>8)&0x1F
	p[2] = byte(pid)
	p[3] = 0x10
	p[4] = 0
	n := 5 + copy(p[5:], section)
	c := crc32MPEG2(section)
	p[n], p[n+1], p[n+2], p[n+3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	for i := n + 4; i < packetSize; i++ {
		p[i] = 0xFF
	}
}

// patPacket is the PAT every segment starts with: one program (1) whose PMT
// is on PIDPMT.
var patPacket = func() (p [packetSize]byte) {
	s := [...]byte{
		0x00,     // table_id program_association_section
		0xB0, 13, // syntax 1, '0', reserved, section_length 13
		0, transportStreamID,
		0xC1, // reserved, version 0, current_next 1
		0, 0, // section_number, last_section_number
		0, programNumber, // program_number
		0xE0 | PIDPMT>>8, PIDPMT & 0xFF,
	}
	psiPacket(&p, PIDPAT, s[:])
	return p
}()

// pmtStream is one elementary stream entry of the PMT.
type pmtStream struct {
	streamType byte
	pid        uint16
	desc       []byte // ES descriptors
}

// buildPMT lays out the PMT packet for up to two streams; pcrPID names the
// PID that carries the PCR. desc lengths are bounded by the caller so the
// section fits one packet.
func buildPMT(p *[packetSize]byte, pcrPID uint16, streams []pmtStream) {
	var s [maxSectionInOnePacket]byte
	n := 12
	for _, st := range streams {
		s[n] = st.streamType
		s[n+1] = 0xE0 | byte(st.pid>>8)
		s[n+2] = byte(st.pid)
		s[n+3] = 0xF0 | byte(len(st.desc)>>8)
		s[n+4] = byte(len(st.desc))
		n += 5 + copy(s[n+5:], st.desc)
	}
	secLen := n - 3 + 4 // after section_length, with CRC
	s[0] = 0x02         // table_id TS_program_map_section
	s[1] = 0xB0 | byte(secLen>>8)
	s[2] = byte(secLen)
	s[3], s[4] = 0, programNumber
	s[5] = 0xC1 // version 0, current_next 1
	s[6], s[7] = 0, 0
	s[8] = 0xE0 | byte(pcrPID>>8)
	s[9] = byte(pcrPID)
	s[10], s[11] = 0xF0, 0 // program_info_length 0
	psiPacket(p, PIDPMT, s[:n])
}
