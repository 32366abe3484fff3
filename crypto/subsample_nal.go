package crypto

import (
	"errors"
	"fmt"

	"github.com/drmorigin/drmorigin/codec/h264"
	"github.com/drmorigin/drmorigin/codec/hevc"
	"github.com/drmorigin/drmorigin/codec/nalu"
)

// Subsample maps of video samples: which bytes of each NAL unit stay clear
// is the schemes' policy and lives here; where an H.264 slice header or an
// HEVC slice segment header ends is bitstream parsing, done by codec/h264 and
// codec/hevc.

// Scheme is a CENC protection scheme, as far as it decides subsample maps.
type Scheme uint8

// The schemes whose subsample maps differ.
const (
	// SchemeCENC ('cenc', AES-CTR): VCL NAL units clear up to the end of the
	// NAL unit header, protected ranges whole 16-byte blocks.
	SchemeCENC Scheme = iota + 1
	// SchemeCBCS ('cbcs', AES-CBC 1:9): VCL NAL units clear up to the start
	// of the slice data (after the slice header).
	SchemeCBCS
)

// ErrNALLength is returned by the subsample map builders when a NAL unit
// length runs past the sample or the length size is not 1, 2 or 4. The
// slice header errors of cbcs maps are codec/h264's and codec/hevc's
// (ErrParamSet, ErrSliceHeader, ErrUnsupported).
var ErrNALLength = errors.New("crypto: bad NAL unit length")

// nalLen reads a big-endian NAL unit length of size lenSize at sample[pos:].
func nalLen(sample []byte, pos, lenSize int) (int, error) {
	if pos+lenSize > len(sample) {
		return 0, ErrNALLength
	}
	n := nalu.Len(sample[pos:], lenSize)
	if n > len(sample)-pos-lenSize {
		return 0, ErrNALLength
	}
	return n, nil
}

// vclClear is called for each VCL NAL unit and returns how many of its bytes
// (from the NAL unit header on) stay clear; the rest is protected.
type vclClear func(nalu []byte) (int, error)

// appendNALSubsamples walks the length-prefixed NAL units of sample and
// appends its subsample map: non-VCL units clear, VCL units clear for
// lenSize+clearOf(nalu) bytes and protected for the rest (or clear in whole
// when fewer than 16 bytes would be protected). It appends at least one entry
// per sample, so that every video sample has a subsample map.
func appendNALSubsamples(dst []Subsample, sample []byte, lenSize int,
	isVCL func(b0 byte) bool, clearOf vclClear) ([]Subsample, error) {
	if lenSize != 1 && lenSize != 2 && lenSize != 4 {
		return dst, ErrNALLength
	}
	start := len(dst)
	clear := 0
	for pos := 0; pos < len(sample); {
		n, err := nalLen(sample, pos, lenSize)
		if err != nil {
			return dst[:start], fmt.Errorf("nal unit at %d: %w", pos, err)
		}
		nalu := sample[pos+lenSize : pos+lenSize+n]
		pos += lenSize + n
		if n == 0 || !isVCL(nalu[0]) {
			clear += lenSize + n
			continue
		}
		c, err := clearOf(nalu)
		if err != nil {
			return dst[:start], fmt.Errorf("nal unit at %d: %w", pos-lenSize-n, err)
		}
		if n-c < BlockSize {
			clear += lenSize + n
			continue
		}
		dst = AppendSubsample(dst, clear+lenSize+c, n-c)
		clear = 0
	}
	if clear > 0 || len(dst) == start {
		dst = AppendSubsample(dst, clear, 0)
	}
	return dst, nil
}

// cencClear is the clear size of a VCL NAL unit for 'cenc': its header
// (hdr bytes) and the remainder that makes the protected range whole blocks.
func cencClear(nalu []byte, hdr int) int {
	if len(nalu) <= hdr {
		return len(nalu)
	}
	return hdr + (len(nalu)-hdr)%BlockSize
}

// AppendSubsamplesAudio appends the subsample map of an audio sample of n
// bytes: one protected range. cenc audio usually has no map at all (the whole
// sample is protected); cbcs encrypts its whole blocks and leaves the tail
// clear, which EncryptCBCS does by itself.
func AppendSubsamplesAudio(dst []Subsample, n int) []Subsample {
	return append(dst, Subsample{Protected: uint32(n)})
}

// AppendSubsamplesH264 appends to dst the subsample map of an H.264 sample
// (NAL units with lenSize-byte lengths: 1, 2 or 4) for scheme: non-VCL NAL
// units clear; for each slice NAL unit, 'cenc' leaves the length, the NAL
// unit header and the remainder that makes the protected range whole 16-byte
// blocks clear; 'cbcs' leaves the length and the slice header clear and
// protects from slice_data() on. A slice that would protect fewer than 16
// bytes stays clear. ps is needed for cbcs only (without it the error is
// h264.ErrParamSet). It allocates nothing when dst has the capacity.
func AppendSubsamplesH264(dst []Subsample, sample []byte, lenSize int, ps *h264.ParamSets, scheme Scheme) ([]Subsample, error) {
	switch scheme {
	case SchemeCENC:
		return appendNALSubsamples(dst, sample, lenSize, h264.IsVCL, func(nalu []byte) (int, error) {
			return cencClear(nalu, h264.NALUHeaderSize), nil
		})
	case SchemeCBCS:
		if ps == nil {
			return dst, h264.ErrParamSet
		}
		return appendNALSubsamples(dst, sample, lenSize, h264.IsVCL, ps.SliceHeaderSize)
	}
	return dst, fmt.Errorf("crypto: unknown scheme %d", scheme)
}

// AppendSubsamplesHEVC appends to dst the subsample map of an HEVC sample,
// with the rules of AppendSubsamplesH264: 'cenc' leaves the length, the
// 2-byte NAL unit header and the remainder to whole blocks clear; 'cbcs'
// leaves the length and the slice segment header clear. ps is needed for cbcs
// only (without it the error is hevc.ErrParamSet). It allocates nothing when
// dst has the capacity.
func AppendSubsamplesHEVC(dst []Subsample, sample []byte, lenSize int, ps *hevc.ParamSets, scheme Scheme) ([]Subsample, error) {
	switch scheme {
	case SchemeCENC:
		return appendNALSubsamples(dst, sample, lenSize, hevc.IsVCL, func(nalu []byte) (int, error) {
			return cencClear(nalu, hevc.NALUHeaderSize), nil
		})
	case SchemeCBCS:
		if ps == nil {
			return dst, hevc.ErrParamSet
		}
		return appendNALSubsamples(dst, sample, lenSize, hevc.IsVCL, ps.SliceHeaderSize)
	}
	return dst, fmt.Errorf("crypto: unknown scheme %d", scheme)
}
