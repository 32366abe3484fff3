package ts

import (
	"errors"

	"github.com/drmorigin/drmorigin/codec/adts"
)

// Errors returned by Reset (through AppendSegment) and AppendSegment,
// wrapped with the stream, sample and position concerned.
var (
	// ErrShortConfig is returned when an AudioSpecificConfig is too short
	// to hold what it must.
	ErrShortConfig = adts.ErrShortConfig
	// ErrBadNALU is returned when a video sample's NAL unit length runs past
	// the end of the sample, or a length prefix is cut short.
	ErrBadNALU = errors.New("NAL unit length past end of sample")
	// ErrBadConfig is returned by AppendSegment when Reset was given a
	// configuration the muxer cannot use (codec, length size, timescale).
	ErrBadConfig = errors.New("unusable stream configuration")
	// ErrNoStream is returned when samples are given for a stream that Reset
	// did not configure.
	ErrNoStream = errors.New("samples for an unconfigured stream")
	// ErrFrameTooLarge is returned when an AAC frame does not fit an ADTS
	// frame (8191 bytes with header).
	ErrFrameTooLarge = errors.New("AAC frame too large for ADTS")
	// ErrPTSBeforeDTS is returned for a video sample whose PTS would come
	// before its DTS: a negative composition offset larger than
	// StreamConfig.DecodeShift.
	ErrPTSBeforeDTS = errors.New("PTS before DTS")
	// ErrNotSupported is returned for a SAMPLE-AES segment of a codec Apple
	// defines no SAMPLE-AES TS form for (HEVC).
	ErrNotSupported = errors.New("not supported")
)
