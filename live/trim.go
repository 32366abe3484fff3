package live

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// An AAC encoder primes its decoder with one access unit before the first
// input sample (ffmpeg: initial_padding 1024 samples), and ffmpeg's ismv
// muxer, which writes no edit list, puts that unit at a negative decode
// time: its first audio fragment's tfxd says -1024 samples, every later
// sample starts at or after 0. No output format can state a negative time
// (tfdt, SegmentTimeline @t, Smooth fragment times and TS PTS are
// unsigned), and shifting the track would rebase the encoder's clock,
// which live.md forbids. So the origin keeps the fragment and cuts only
// the samples that start before 0: every kept sample keeps the encoder's
// time, and what is lost is the priming unit a player discards anyway.

// errNoTrim says why a fragment before time 0 cannot be trimmed (it is
// then dropped whole, as before).
var errNoTrim = errors.New("cannot trim")

func noTrim(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errNoTrim}, a...)...)
}

// trimBeforeZero returns the moof+mdat b (its moof moofLen bytes, one
// traf, decode time start < 0) without the samples that start before 0:
// the trun loses their entries, the mdat their bytes, the trun's data
// offset follows the shorter moof, and a tfxd says the first kept
// sample's time and the kept duration. It answers the kept fragment, its
// decode time and the number of samples cut. Trafs with sample-indexed
// boxes (senc, saiz, sdtp, sbgp, subs…), an absolute base data offset, or
// no sample before 0 or none after, are not trimmed (errNoTrim).
func trimBeforeZero(b []byte, moofLen int, start int64) (out []byte, time uint64, cut int, err error) {
	if start >= 0 {
		return nil, 0, 0, noTrim("decode time %d is not before 0", start)
	}
	if moofLen < 8 || moofLen+8 > len(b) || string(b[4:8]) != "moof" {
		return nil, 0, 0, noTrim("no moof and mdat")
	}
	moof, m := b[:moofLen], b[moofLen:]
	mdatHdr, mdatSize := 8, int(binary.BigEndian.Uint32(m))
	if mdatSize == 1 {
		if len(m) < 16 {
			return nil, 0, 0, noTrim("mdat header cut short")
		}
		mdatHdr, mdatSize = 16, int(min(binary.BigEndian.Uint64(m[8:]), 1<<40))
	}
	if string(m[4:8]) != "mdat" || mdatSize != len(m) {
		return nil, 0, 0, noTrim("want one mdat after the moof")
	}

	// Find the one traf and its tfhd, trun and tfxd.
	var traf []byte
	trafs := 0
	err = children(moof, 8, func(typ string, c []byte) error {
		if typ == "traf" {
			traf, trafs = c, trafs+1
		}
		return nil
	})
	if err != nil || trafs != 1 {
		return nil, 0, 0, noTrim("want one traf (%d, %v)", trafs, err)
	}
	trafAt := offsetIn(moof, traf)
	var tfhd, trun, tfxd []byte
	err = children(traf, 8, func(typ string, c []byte) error {
		switch {
		case typ == "tfhd" && tfhd == nil:
			tfhd = c
		case typ == "trun" && trun == nil:
			trun = c
		case typ == "uuid" && len(c) >= 24 && [16]byte(c[8:24]) == uuidTfxd && tfxd == nil:
			tfxd = c
		case typ == "uuid" || typ == "tfdt":
			// tfrf and other uuids, a tfdt: nothing per sample.
		default:
			return fmt.Errorf("traf has a %q box", typ)
		}
		return nil
	})
	if err != nil || tfhd == nil || trun == nil {
		return nil, 0, 0, noTrim("traf: want tfhd and one trun and no sample-indexed box (%v)", err)
	}

	// tfhd: the defaults a trun without per-sample fields uses.
	if len(tfhd) < 16 {
		return nil, 0, 0, noTrim("tfhd too short")
	}
	hf, p := binary.BigEndian.Uint32(tfhd[8:])&0xffffff, 16
	if hf&0x01 != 0 {
		return nil, 0, 0, noTrim("tfhd has an absolute base data offset")
	}
	var defDur, defSize uint32
	for _, f := range []struct {
		flag uint32
		v    *uint32
	}{{0x02, nil}, {0x08, &defDur}, {0x10, &defSize}, {0x20, nil}} {
		if hf&f.flag == 0 {
			continue
		}
		if len(tfhd) < p+4 {
			return nil, 0, 0, noTrim("tfhd too short")
		}
		if f.v != nil {
			*f.v = binary.BigEndian.Uint32(tfhd[p:])
		}
		p += 4
	}

	// trun: the samples' durations and sizes.
	if len(trun) < 16 {
		return nil, 0, 0, noTrim("trun too short")
	}
	rf, count := binary.BigEndian.Uint32(trun[8:])&0xffffff, int(binary.BigEndian.Uint32(trun[12:]))
	if rf&0x01 == 0 {
		return nil, 0, 0, noTrim("trun without a data offset")
	}
	// Durations and sizes from the trun or the tfhd (one left to the
	// trex is not cut), and per-sample entries: their count bounds the
	// loop below by the moof's size.
	if rf&0x100 == 0 && defDur == 0 || rf&0x200 == 0 && defSize == 0 {
		return nil, 0, 0, noTrim("sample durations or sizes not in the traf")
	}
	head := 20 // header, count, data offset
	if rf&0x04 != 0 {
		head += 4 // first-sample-flags: kept, for the new first sample (audio: every sample is a sync sample)
	}
	entry := 0
	for _, f := range []uint32{0x100, 0x200, 0x400, 0x800} {
		if rf&f != 0 {
			entry += 4
		}
	}
	if entry == 0 || count <= 0 || len(trun) != head+count*entry {
		return nil, 0, 0, noTrim("trun of %d bytes for %d samples", len(trun), count)
	}
	dataOff := int(int32(binary.BigEndian.Uint32(trun[16:])))
	t, cutBytes, k, total := start, 0, 0, 0
	for i := range count {
		e := trun[head+i*entry:]
		dur, size := defDur, defSize
		q := 0
		if rf&0x100 != 0 {
			dur, q = binary.BigEndian.Uint32(e), q+4
		}
		if rf&0x200 != 0 {
			size = binary.BigEndian.Uint32(e[q:])
		}
		if t < 0 {
			k, cutBytes = k+1, cutBytes+int(size)
			t += int64(dur)
		}
		total += int(size)
		if total > len(b) {
			return nil, 0, 0, noTrim("samples larger than the fragment")
		}
	}
	if k == 0 || k == count {
		return nil, 0, 0, noTrim("%d of %d samples before 0", k, count)
	}
	if dataOff < moofLen+mdatHdr || dataOff+total > len(b) {
		return nil, 0, 0, noTrim("sample data at %d+%d is not inside the mdat", dataOff, total)
	}

	// Rebuild: the moof without the k trun entries, then the mdat
	// without the first cutBytes of the track's data.
	shrink := k * entry
	out = make([]byte, 0, len(b)-shrink-cutBytes)
	out = append(out, moof[:trafAt+8]...)
	err = children(traf, 8, func(_ string, c []byte) error {
		switch at := offsetIn(traf, c); {
		case at == offsetIn(traf, trun):
			at := len(out)
			out = append(append(out, trun[:head]...), trun[head+shrink:]...)
			putSize(out[at:], len(trun)-shrink)
			binary.BigEndian.PutUint32(out[at+12:], uint32(count-k))
			binary.BigEndian.PutUint32(out[at+16:], uint32(int32(dataOff-shrink)))
		case tfxd != nil && at == offsetIn(traf, tfxd):
			at := len(out)
			out = append(out, c...)
			return patchTfxd(out[at:], uint64(t), uint64(t-start))
		default:
			out = append(out, c...)
		}
		return nil
	})
	if err != nil {
		return nil, 0, 0, err
	}
	out = append(out, moof[trafAt+len(traf):]...)
	putSize(out, len(out))                  // moof
	putSize(out[trafAt:], len(traf)-shrink) // traf
	mdatAt := len(out)
	out = append(out, m[:dataOff-moofLen]...) // mdat header, any bytes before the track's data
	out = append(out, b[dataOff+cutBytes:]...)
	if mdatHdr == 16 {
		binary.BigEndian.PutUint64(out[mdatAt+8:], uint64(len(out)-mdatAt))
	} else {
		putSize(out[mdatAt:], len(out)-mdatAt)
	}
	return out, uint64(t), k, nil
}

// patchTfxd sets a tfxd's absolute time to time and takes cut (the cut
// samples' duration) off its absolute duration.
func patchTfxd(x []byte, time, cut uint64) error {
	p := x[24:]
	switch {
	case len(p) >= 20 && p[0] == 1:
		binary.BigEndian.PutUint64(p[4:], time)
		binary.BigEndian.PutUint64(p[12:], binary.BigEndian.Uint64(p[12:])-min(cut, binary.BigEndian.Uint64(p[12:])))
	case len(p) >= 12 && p[0] == 0 && time < 1<<32:
		binary.BigEndian.PutUint32(p[4:], uint32(time))
		binary.BigEndian.PutUint32(p[8:], binary.BigEndian.Uint32(p[8:])-uint32(min(cut, uint64(binary.BigEndian.Uint32(p[8:])))))
	default:
		return noTrim("tfxd too short")
	}
	return nil
}

// offsetIn is where sub, a subslice of b, starts in b.
func offsetIn(b, sub []byte) int { return cap(b) - cap(sub) }

func putSize(b []byte, n int) { binary.BigEndian.PutUint32(b, uint32(n)) }
