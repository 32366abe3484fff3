package adts

import (
	"errors"
	"fmt"

	"github.com/drmorigin/drmorigin/codec/bits"
)

// HeaderSize is the size of an ADTS header without CRC.
const HeaderSize = 7

// MaxFrameSize is the largest ADTS frame, header included (13-bit
// aac_frame_length).
const MaxFrameSize = 1<<13 - 1

// ErrShortConfig is returned (wrapped) when an AudioSpecificConfig is too
// short to hold what it must.
var ErrShortConfig = errors.New("configuration too short")

// Config holds the fields of an ADTS header taken from an
// AudioSpecificConfig.
type Config struct {
	profile   byte // audio object type - 1 (0..3)
	freqIndex byte // sampling_frequency_index
	channels  byte // channel_configuration (1..7)
	// ObjectType is the audio object type of the ASC, before SBR/PS: 5 or
	// 29 for HE-AAC (v2) with explicit signalling.
	ObjectType byte
}

var sampleRates = [...]uint32{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// ASC is what an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) states up
// to its channel configuration, with the core object type of explicit
// SBR/PS signalling.
type ASC struct {
	// ObjectType is the audio object type as stated: 2 for AAC-LC, 5 or 29
	// for HE-AAC (v2) with explicit signalling.
	ObjectType int
	// CoreType is the object type of the AAC core: after explicit SBR/PS
	// signalling, the type that follows it; else ObjectType.
	CoreType int
	// FreqIndex is sampling_frequency_index (15: the rate is explicit) and
	// Rate the sampling rate in Hz.
	FreqIndex, Rate int
	// Channels is channel_configuration (0: in a program config element).
	Channels int
}

// ReadASC reads an AudioSpecificConfig's leading fields. It fails with
// ErrShortConfig when the bytes end inside them, and for a reserved
// sampling frequency index (13, 14). It is the one ASC parser of the
// module: ParseASC adds what ADTS can carry, and the packager describes
// tracks with it.
func ReadASC(b []byte) (ASC, error) {
	var a ASC
	r := bits.NewReader(b)
	a.ObjectType = readAOT(&r)
	a.FreqIndex = int(r.U(4))
	switch {
	case a.FreqIndex == 15:
		a.Rate = int(r.U(24))
	case a.FreqIndex < len(sampleRates):
		a.Rate = int(sampleRates[a.FreqIndex])
	default:
		return a, fmt.Errorf("audio specific config: sampling frequency index %d is reserved", a.FreqIndex)
	}
	a.Channels = int(r.U(4))
	a.CoreType = a.ObjectType
	if r.Err() {
		return a, fmt.Errorf("audio specific config of %d bytes: %w", len(b), ErrShortConfig)
	}
	if a.ObjectType == 5 || a.ObjectType == 29 {
		// extensionSamplingFrequencyIndex, then the core object type.
		if r.U(4) == 15 {
			r.U(24)
		}
		a.CoreType = readAOT(&r)
		if r.Err() {
			return a, fmt.Errorf("audio specific config of %d bytes: %w", len(b), ErrShortConfig)
		}
	}
	return a, nil
}

// readAOT reads an audioObjectType, with its escape (31: 32 + 6 bits).
func readAOT(r *bits.Reader) int {
	aot := int(r.U(5))
	if aot == 31 {
		aot = 32 + int(r.U(6))
	}
	return aot
}

// ParseASC reads what ADTS needs from an AudioSpecificConfig (ReadASC).
// With explicit SBR/PS signalling (object type 5 or 29) the header
// describes the AAC-LC core, as ADTS carries HE-AAC.
func ParseASC(asc []byte) (Config, error) {
	var c Config
	a, err := ReadASC(asc)
	c.ObjectType = byte(a.ObjectType) // kept on error too
	if err != nil {
		return c, err
	}
	aot, fi, ch := a.CoreType, a.FreqIndex, a.Channels
	if fi == 15 {
		for i, sr := range sampleRates {
			if int(sr) == a.Rate {
				fi = i
			}
		}
		if fi == 15 {
			return c, fmt.Errorf("audio specific config: sampling frequency %d Hz has no ADTS index", a.Rate)
		}
	}
	if aot < 1 || aot > 4 {
		return c, fmt.Errorf("audio specific config: audio object type %d cannot be carried in ADTS (1-4)", aot)
	}
	if fi > 12 {
		return c, fmt.Errorf("audio specific config: sampling frequency index %d is reserved", fi)
	}
	if ch == 0 || ch > 7 {
		return c, fmt.Errorf("audio specific config: channel configuration %d not supported in ADTS (1-7)", ch)
	}
	c.profile = byte(aot - 1)
	c.freqIndex = byte(fi)
	c.channels = byte(ch)
	return c, nil
}

// PutHeader writes the 7-byte ADTS header (MPEG-4, no CRC, buffer
// fullness 0x7FF, one raw data block) of a frame of payloadLen bytes.
//
//	syncword 12 | ID 1 | layer 2 | protection_absent 1 | profile 2 | sf_index 4 |
//	private 1 | channel_config 3 | orig 1 | home 1 | copyright 2 |
//	aac_frame_length 13 | buffer_fullness 11 | raw_data_blocks 2
func (c *Config) PutHeader(b []byte, payloadLen int) {
	_ = b[6]
	n := payloadLen + HeaderSize
	b[0] = 0xFF
	b[1] = 0xF1
	b[2] = c.profile<<6 | c.freqIndex<<2 | c.channels>>2
	b[3] = c.channels<<6 | byte(n>>11)&0x03
	b[4] = byte(n >> 3)
	b[5] = byte(n)<<5 | 0x1F
	b[6] = 0xFC
}
