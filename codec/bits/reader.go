package bits

import (
	"encoding/binary"
	"math/bits"
)

// Reader reads bit fields, most significant bit first, through a 64-bit
// cache. Made by NewEBSPReader it reads the RBSP of a NAL unit straight from
// its escaped bytes (EBSP), dropping emulation_prevention_three_byte (0x03
// after two 0x00, ITU-T H.264 7.4.1) as it loads them; made by NewReader it
// reads the bytes as they are. It is a value type: no allocation.
//
// A field that runs past the end sets Err, which stays set: an EBSP reader
// yields 0 for that field, a plain reader the bits there were followed by
// zeros, and reads past the end yield 0.
type Reader struct {
	b     []byte
	plain bool   // no emulation prevention
	pos   int    // index in b of the next byte to load
	zeros int    // consecutive 0x00 bytes loaded, for emulation prevention
	cache uint64 // unread bits, most significant first
	n     uint   // number of valid bits in cache
	rbsp  int    // RBSP bytes loaded into the cache so far
	err   bool
}

// NewEBSPReader returns a Reader over nalu, a NAL unit as stored (emulation
// prevention bytes included), from its first bit.
func NewEBSPReader(nalu []byte) Reader {
	return Reader{b: nalu}
}

// NewReader returns a Reader over b as it is (no emulation prevention), such
// as an AudioSpecificConfig.
func NewReader(b []byte) Reader {
	return Reader{b: b, plain: true}
}

// fill loads whole bytes until the cache holds more than 56 bits or the
// bytes end.
func (r *Reader) fill() {
	if r.n <= 56 && r.pos+8 <= len(r.b) && r.fillWord() {
		return
	}
	for r.n <= 56 && r.pos < len(r.b) {
		c := r.b[r.pos]
		r.pos++
		if r.zeros >= 2 && c == 0x03 && !r.plain {
			r.zeros = 0
			continue
		}
		if c == 0 {
			r.zeros++
		} else {
			r.zeros = 0
		}
		r.cache |= uint64(c) << (56 - r.n)
		r.n += 8
		r.rbsp++
	}
}

// fillWord is fill's fast path, for the bytes of a slice header: the k
// bytes fill would load, taken from one 8-byte load when none of them is
// 0x00 (so none can start or be emulation prevention, except a first 0x03
// after two zero bytes already loaded). It reports false, having loaded
// nothing, where the byte loop must decide. r.n <= 56 and 8 bytes remain.
func (r *Reader) fillWord() bool {
	k := (56-r.n)/8 + 1 // bytes until the cache holds more than 56 bits
	w := binary.BigEndian.Uint64(r.b[r.pos:])
	if !r.plain {
		const ones, highs = 0x0101010101010101, 0x8080808080808080
		// A high bit for every 0x00 byte (and at worst for a 0x01 byte
		// before one, which only sends the bytes to the loop).
		zero := (w - ones) &^ w & highs
		if zero>>(64-8*k) != 0 || r.zeros >= 2 && r.b[r.pos] == 0x03 {
			return false
		}
		r.zeros = 0
	}
	r.cache |= w >> (64 - 8*k) << (64 - r.n - 8*k)
	r.n += 8 * k
	r.pos += int(k)
	r.rbsp += int(k)
	return true
}

// U reads k <= 32 bits: u(k) of the syntax tables.
func (r *Reader) U(k uint) uint32 {
	// In the cache: the fast path, inlined. k-1 wraps for k 0, which
	// uFill answers; the masks only spare the compiler's shift checks.
	if k-1 >= r.n {
		return r.uFill(k)
	}
	v := r.cache >> ((64 - k) & 63)
	r.cache <<= k & 63
	r.n -= k
	return uint32(v)
}

// uFill is U when the cache holds fewer than k bits, or k is 0.
func (r *Reader) uFill(k uint) uint32 {
	if k == 0 {
		return 0
	}
	r.fill()
	if r.n < k {
		var v uint32
		if r.plain {
			// The cache holds the r.n bits left, then zeros.
			v = uint32(r.cache >> (64 - k))
		}
		r.err = true
		r.n, r.cache = 0, 0
		return v
	}
	v := uint32(r.cache >> (64 - k))
	r.cache <<= k
	r.n -= k
	return v
}

// Flag reads one bit.
func (r *Reader) Flag() bool { return r.U(1) == 1 }

// UE reads an Exp-Golomb ue(v) value (H.264 9.1); codes longer than 63 bits
// (values above 2^32-2) set Err.
func (r *Reader) UE() uint32 {
	// A code wholly in the cache (the bits past r.n are zeros, so a
	// leading one within the code is a real one): the fast path, inlined.
	k := 2*uint(bits.LeadingZeros64(r.cache)) + 1
	if k > r.n {
		return r.ueFill()
	}
	v := r.cache >> ((64 - k) & 63)
	r.cache <<= k & 63
	r.n -= k
	return uint32(v) - 1
}

// ueFill is UE when the code may run past the cache.
func (r *Reader) ueFill() uint32 {
	if r.n < 63 {
		r.fill()
	}
	lz := uint(bits.LeadingZeros64(r.cache))
	if lz > 31 || 2*lz+1 > r.n {
		r.err = true
		r.n, r.cache = 0, 0
		return 0
	}
	k := 2*lz + 1
	v := uint32(r.cache>>(64-k)) - 1
	r.cache <<= k
	r.n -= k
	return v
}

// SE reads a signed Exp-Golomb se(v) value.
func (r *Reader) SE() int32 {
	k := r.UE()
	if k&1 == 1 {
		return int32((k + 1) / 2)
	}
	return -int32(k / 2)
}

// Skip discards n bits.
func (r *Reader) Skip(n uint) {
	for n > 32 {
		r.U(32)
		n -= 32
	}
	r.U(n)
}

// Aligned reports whether the reader is at a byte boundary.
func (r *Reader) Aligned() bool { return r.n%8 == 0 }

// Err reports whether a field ran past the end, or an Exp-Golomb code was
// too long.
func (r *Reader) Err() bool { return r.err }

// BytePos is the number of bytes, emulation prevention bytes included, up to
// the end of the last byte that holds bits read so far: for a NAL unit, the
// clear size up to here.
func (r *Reader) BytePos() int {
	read := r.rbsp - int(r.n/8) // RBSP bytes with at least one bit read
	if r.plain {
		return read
	}
	zeros, n := 0, 0
	for i, c := range r.b {
		if n == read {
			return i
		}
		if zeros >= 2 && c == 0x03 {
			zeros = 0
			continue
		}
		n++
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return len(r.b)
}

// CeilLog2 returns Ceil(Log2(n)) for n >= 1: the bits of a u(v) index < n.
func CeilLog2(n uint32) uint {
	if n <= 1 {
		return 0
	}
	return uint(bits.Len32(n - 1))
}
