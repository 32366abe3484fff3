package ts

import (
	"math"
	"math/bits"
)

// TimestampOffset is added to every PTS, DTS and PCR (in 90 kHz ticks): 10 s,
// as Apple's segmenter does, so that tracks whose times start at 0, or a
// little below it after TimeOffset and DecodeShift, never wrap around 2^33
// and the PCR can run ahead of the first DTS. It is the same for every track
// and format, so renditions of one asset stay aligned.
const TimestampOffset = 10 * 90000

// PCRDelay is how far (in 90 kHz ticks, 100 ms) the PCR of a PES runs ahead
// of (below) its DTS: the decoder holds the access unit that long before
// decoding it.
const PCRDelay = 9000

// mask33 keeps the 33 bits of a PTS, DTS or PCR base.
const mask33 = 1<<33 - 1

// rescale converts t from timescale units to 90 kHz ticks, rounding to the
// nearest tick (halves away from zero). It is exact for any int64 t (128-bit
// intermediate) and monotonic, so PTS >= DTS and DTS order survive it.
func rescale(t int64, timescale uint32) int64 {
	if timescale == 90000 {
		return t
	}
	neg := t < 0
	u := uint64(t)
	if neg {
		u = -u
	}
	den := 2 * uint64(timescale)
	hi, lo := bits.Mul64(u, 2*90000)
	var c uint64
	lo, c = bits.Add64(lo, uint64(timescale), 0)
	hi += c
	_, rhi := bits.Div64(0, hi, den)
	q, _ := bits.Div64(rhi, lo, den)
	if neg {
		return -int64(q)
	}
	return int64(q)
}

// rescaler is rescale for one timescale, worked out once per stream (in
// Reset) rather than for every timestamp: 90000/timescale is reduced to
// num/den, so that rescale's floor((2*t*90000 + timescale) / (2*timescale))
// becomes floor((2*t*num + den) / (2*den)), the same value with g =
// gcd(90000, timescale) cancelled from both sides. That fits 64 bits for
// any |t| up to max, and 2*den is a power of two for the usual timescales
// (12800, 48000, 90000: a multiply and a shift, where rescale divides a
// 128-bit value twice); others divide once. Beyond max it falls back to
// rescale.
type rescaler struct {
	num, den  uint64
	shift     uint8  // log2(2*den) when that is a power of two, else 0
	max       uint64 // the largest |t| for which 2*|t|*num + den fits 64 bits
	timescale uint32
}

func newRescaler(timescale uint32) rescaler {
	if timescale == 0 {
		// Reset refuses the stream; at(0) is 0, other times go to
		// rescale as before.
		return rescaler{num: 0, den: 1, shift: 1}
	}
	a, b := uint64(90000), uint64(timescale)
	for b != 0 {
		a, b = b, a%b
	}
	r := rescaler{num: 90000 / a, den: uint64(timescale) / a, timescale: timescale}
	if d := 2 * r.den; d&(d-1) == 0 {
		r.shift = uint8(bits.TrailingZeros64(d))
	}
	r.max = (math.MaxUint64 - r.den) / (2 * r.num)
	return r
}

// at is rescale(t, r's timescale).
func (r *rescaler) at(t int64) int64 {
	neg := t < 0
	u := uint64(t)
	if neg {
		u = -u
	}
	if u > r.max {
		return rescale(t, r.timescale)
	}
	x := 2*u*r.num + r.den
	var q uint64
	if r.shift != 0 {
		q = x >> r.shift
	} else {
		q = x / (2 * r.den)
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}

// wrap33 adds TimestampOffset to a 90 kHz time and keeps its 33 bits.
func wrap33(t int64) uint64 {
	return uint64(t+TimestampOffset) & mask33
}

// putTimestamp writes a 5-byte PES PTS or DTS field with the 4-bit prefix
// ('0010' PTS alone, '0011' PTS before a DTS, '0001' DTS) and marker bits.
func putTimestamp(b []byte, prefix byte, v uint64) {
	_ = b[4]
	b[0] = prefix<<4 | byte(v>>29)&0x0E | 1
	b[1] = byte(v >> 22)
	b[2] = byte(v>>14)&0xFE | 1
	b[3] = byte(v >> 7)
	b[4] = byte(v<<1) | 1
}

// putPCR writes the 6-byte program_clock_reference of an adaptation field:
// 33-bit base (90 kHz), 6 reserved bits, 9-bit extension (here 0).
func putPCR(b []byte, base uint64) {
	_ = b[5]
	base &= mask33
	b[0] = byte(base >> 25)
	b[1] = byte(base >> 17)
	b[2] = byte(base >> 9)
	b[3] = byte(base >> 1)
	b[4] = byte(base<<7) | 0x7E
	b[5] = 0
}

// PTS is the 33-bit PTS the muxer writes for time t of a track of that
// timescale (after StreamConfig.TimeOffset): t in 90 kHz ticks, rounded as
// every PES timestamp is, plus TimestampOffset. Subtitle timestamp maps
// (HLS X-TIMESTAMP-MAP) use it to name the PTS of a frame exactly.
func PTS(t int64, timescale uint32) uint64 {
	return wrap33(rescale(t, timescale))
}
