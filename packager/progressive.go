package packager

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// This file is the sample reader of progressive (non-fragmented) MP4: the
// index of a track's samples built from its moov's sample tables (stts,
// ctts, stss, stsz or stz2, stsc, stco or co64), and the SampleTable of each
// fragment the track is cut into (progressive_cut.go). Sample data is never
// read or copied at index time.
//
// mp4ff decodes these tables into boxes of its own (and has no stz2); they
// are parsed here from the moov's bytes instead, into the compact form the
// index keeps, with every count checked against the box that states it.

// progIndex is the sample index of a progressive track: per sample its size
// (4 bytes, or none when all are equal); per chunk its offset (4 bytes, 8
// in files past 4 GiB); samples per chunk, durations and composition
// offsets as runs; the sync samples. ffmpeg writes a chunk per video frame,
// so a two-hour 1080p25 track with 48 kHz AAC beside it (about 520,000
// samples and as many chunks) takes about 6 MB.
type progIndex struct {
	n         uint32   // samples
	sizes     []uint32 // per sample; nil when every sample is constSize
	constSize uint32
	chunks    int
	off32     []uint32   // per chunk: its file offset, when all fit 32 bits
	off64     []int64    // else
	stsc      []chunkRun // samples per chunk
	durs      []run      // stts
	ctos      []run      // ctts (Value is an int32); nil when absent
	sync      []uint32   // stss, 0-based and increasing; nil when every sample is a sync sample
	frags     []progFrag
	fileSize  int64 // every sample's data must lie inside it
}

// chunkRun is an stsc entry: from chunk first (0-based) on, per samples a
// chunk; sample is the first sample of chunk first.
type chunkRun struct{ first, per, sample uint32 }

// chunkOffset is chunk c's file offset.
func (x *progIndex) chunkOffset(c uint32) int64 {
	if x.off64 != nil {
		return x.off64[c]
	}
	return int64(x.off32[c])
}

// run is count samples of one value.
type run struct{ count, value uint32 }

// progFrag is where fragment i of a progressive track starts in the index,
// so that filling its SampleTable walks only its own samples.
type progFrag struct {
	at     walkPos // at its first sample
	n      uint32  // samples
	dataLo int64   // the samples' data span in the file
	dataHi int64
}

// cursor is a position in a run table: run index and samples left in it.
type cursor struct{ i, left uint32 }

// next returns the value at c and advances c by one sample.
func (c *cursor) next(runs []run) uint32 {
	for c.left == 0 && int(c.i)+1 < len(runs) {
		c.i++
		c.left = runs[c.i].count
	}
	if int(c.i) >= len(runs) {
		return 0
	}
	c.left--
	return runs[c.i].value
}

func startCursor(runs []run) cursor {
	if len(runs) == 0 {
		return cursor{}
	}
	return cursor{0, runs[0].count}
}

// Sample flags of progressive samples (ISO/IEC 14496-12 8.8.3.1): a sync
// sample depends on no other; another depends on others and is not a sync
// sample.
const (
	flagsSync    = 0x02000000
	flagsNonSync = 0x01010000
)

// maxTrackSamples bounds the samples of one progressive track: a day of
// 48 kHz AAC is 4 million.
const maxTrackSamples = 1 << 24

// tableReader reads a full box's fields, remembering the first failure.
type tableReader struct {
	b   []byte
	p   int
	bad bool
}

func (r *tableReader) u32() uint32 {
	if r.p+4 > len(r.b) {
		r.bad = true
		return 0
	}
	v := binary.BigEndian.Uint32(r.b[r.p:])
	r.p += 4
	return v
}

// entries reads an entry count and checks that count entries of size bytes
// fit the rest of the box.
func (r *tableReader) entries(size int) uint32 {
	n := r.u32()
	if r.bad || uint64(n)*uint64(size) > uint64(len(r.b)-r.p) {
		r.bad = true
		return 0
	}
	return n
}

// parseProgressive builds the index of the track whose stbl box is stbl in
// moov b, for a file of fileSize bytes. It returns a reason when the tables
// are damaged or disagree.
func parseProgressive(b []byte, stbl box, fileSize int64) (*progIndex, string) {
	x := &progIndex{}
	tables := map[string]box{}
	for p := stbl.start + 8; p < stbl.end; {
		c, r := nextBox(b, p, stbl.end)
		if r != "" {
			return nil, "stbl: " + r
		}
		p = c.end
		if _, dup := tables[string(c.typ[:])]; !dup {
			tables[string(c.typ[:])] = c
		}
	}
	full := func(typ string) (*tableReader, bool) {
		c, ok := tables[typ]
		if !ok {
			return nil, false
		}
		return &tableReader{b: b[c.start:c.end], p: 12}, true
	}
	// stsz or stz2: the sample count.
	if r, ok := full("stsz"); ok {
		x.constSize = r.u32()
		x.n = r.u32()
		if r.bad || x.n > maxTrackSamples {
			return nil, "stsz: bad sample count"
		}
		if x.constSize == 0 {
			if uint64(x.n)*4 > uint64(len(r.b)-r.p) {
				return nil, fmt.Sprintf("stsz states %d samples in %d bytes", x.n, len(r.b))
			}
			x.sizes = make([]uint32, x.n)
			for i := range x.sizes {
				x.sizes[i] = binary.BigEndian.Uint32(r.b[r.p:])
				r.p += 4
			}
		}
	} else if r, ok := full("stz2"); ok {
		field := int(r.u32() & 0xff)
		x.n = r.u32()
		if r.bad || x.n > maxTrackSamples || (field != 4 && field != 8 && field != 16) {
			return nil, "stz2: bad field size or sample count"
		}
		if uint64(x.n)*uint64(field) > 8*uint64(len(r.b)-r.p) {
			return nil, fmt.Sprintf("stz2 states %d samples in %d bytes", x.n, len(r.b))
		}
		x.sizes = make([]uint32, x.n)
		d := r.b[r.p:]
		for i := range x.sizes {
			switch field {
			case 4:
				v := d[i/2]
				if i%2 == 0 {
					v >>= 4
				}
				x.sizes[i] = uint32(v & 0x0f)
			case 8:
				x.sizes[i] = uint32(d[i])
			default:
				x.sizes[i] = uint32(binary.BigEndian.Uint16(d[2*i:]))
			}
		}
	} else {
		return nil, "no stsz or stz2"
	}
	if x.n == 0 {
		return nil, "no samples"
	}
	// stts
	r, ok := full("stts")
	if !ok {
		return nil, "no stts"
	}
	var err string
	if x.durs, err = readRuns(r, x.n, "stts", false); err != "" {
		return nil, err
	}
	// ctts
	if r, ok := full("ctts"); ok {
		v1 := r.b[8] == 1
		if x.ctos, err = readRuns(r, x.n, "ctts", !v1); err != "" {
			return nil, err
		}
	}
	// stss
	if r, ok := full("stss"); ok {
		n := r.entries(4)
		if r.bad {
			return nil, "stss: entry count exceeds the box"
		}
		x.sync = make([]uint32, n)
		for i := range x.sync {
			s := r.u32()
			if s == 0 || s > x.n {
				return nil, fmt.Sprintf("stss entry %d names sample %d of %d", i, s, x.n)
			}
			if i > 0 && s-1 <= x.sync[i-1] {
				return nil, fmt.Sprintf("stss entry %d (sample %d) not after the previous", i, s)
			}
			x.sync[i] = s - 1
		}
	}
	// stco or co64, and stsc: the chunks.
	if r, ok := full("stco"); ok {
		n := r.entries(4)
		if r.bad {
			return nil, "stco: entry count exceeds the box"
		}
		x.chunks = int(n)
		x.off32 = make([]uint32, n)
		for i := range x.off32 {
			x.off32[i] = r.u32()
		}
	} else if r, ok := full("co64"); ok {
		n := r.entries(8)
		if r.bad {
			return nil, "co64: entry count exceeds the box"
		}
		x.chunks = int(n)
		x.off64 = make([]int64, n)
		for i := range x.off64 {
			v := uint64(r.u32())<<32 | uint64(r.u32())
			if v > uint64(fileSize) {
				return nil, fmt.Sprintf("co64 chunk %d at %d, past the end of the file", i, v)
			}
			x.off64[i] = int64(v)
		}
	} else {
		return nil, "no stco or co64"
	}
	r, ok = full("stsc")
	if !ok {
		return nil, "no stsc"
	}
	if reason := x.readChunks(r); reason != "" {
		return nil, reason
	}
	// Every sample's data inside the file is checked as the track is cut
	// (cut), the one pass over the samples after this one.
	x.fileSize = fileSize
	return x, ""
}

// readRuns reads the (count, value) entries of stts or ctts; their counts
// must add up to n. unsigned: a value over MaxInt32 is damage (a version 0
// ctts states unsigned offsets).
func readRuns(r *tableReader, n uint32, what string, unsigned bool) ([]run, string) {
	k := r.entries(8)
	if r.bad {
		return nil, what + ": entry count exceeds the box"
	}
	runs := make([]run, 0, k)
	var total uint64
	for range k {
		c, v := r.u32(), r.u32()
		if unsigned && v > math.MaxInt32 {
			return nil, fmt.Sprintf("%s: offset %d out of range", what, v)
		}
		if c == 0 {
			continue
		}
		total += uint64(c)
		runs = append(runs, run{c, v})
	}
	if total != uint64(n) {
		return nil, fmt.Sprintf("%s counts %d samples, the sample sizes %d", what, total, n)
	}
	return slices.Clip(runs), ""
}

// readChunks reads stsc: first_chunk, samples_per_chunk and
// sample_description_index (which must be 1: one sample entry) per entry;
// the chunks must hold exactly the samples the sizes state.
func (x *progIndex) readChunks(r *tableReader) string {
	k := r.entries(12)
	if r.bad {
		return "stsc: entry count exceeds the box"
	}
	x.stsc = make([]chunkRun, 0, k)
	for i := range k {
		first, per, sdi := r.u32(), r.u32(), r.u32()
		if first == 0 || (i > 0 && first-1 <= x.stsc[len(x.stsc)-1].first) || int64(first) > int64(x.chunks) {
			return fmt.Sprintf("stsc entry %d: first chunk %d out of order or past the %d chunks", i, first, x.chunks)
		}
		if sdi != 1 {
			return fmt.Sprintf("stsc entry %d: sample description %d (only one is served)", i, sdi)
		}
		if per == 0 {
			return fmt.Sprintf("stsc entry %d: no samples per chunk", i)
		}
		x.stsc = append(x.stsc, chunkRun{first: first - 1, per: per})
	}
	if len(x.stsc) == 0 || x.stsc[0].first != 0 {
		return "stsc does not start at chunk 1"
	}
	var s uint64
	for i := range x.stsc {
		e := &x.stsc[i]
		if s > uint64(x.n) {
			break
		}
		e.sample = uint32(s)
		end := uint64(x.chunks)
		if i+1 < len(x.stsc) {
			end = uint64(x.stsc[i+1].first)
		}
		s += (end - uint64(e.first)) * uint64(e.per)
	}
	if s != uint64(x.n) {
		return fmt.Sprintf("stsc and the chunk offsets hold %d samples, the sample sizes %d", s, x.n)
	}
	return ""
}

// bitrate is the track's average bitrate: its sample bytes over its
// duration, in bit/s (0 for a track of no duration).
func (x *progIndex) bitrate(timescale uint32) int {
	var dur, bytes uint64
	for _, r := range x.durs {
		dur += uint64(r.count) * uint64(r.value)
	}
	for k := range x.n {
		bytes += uint64(x.size(k))
	}
	if dur == 0 {
		return 0
	}
	return rate(bytes, dur, timescale)
}

// size is the size of sample k.
func (x *progIndex) size(k uint32) uint32 {
	if x.sizes == nil {
		return x.constSize
	}
	return x.sizes[k]
}

// bytes is the memory the index holds.
func (x *progIndex) bytes() int {
	return 4*len(x.sizes) + 4*len(x.off32) + 8*len(x.off64) + 12*len(x.stsc) + 8*(len(x.durs)+len(x.ctos)) +
		4*len(x.sync) + int(unsafe.Sizeof(progFrag{}))*len(x.frags)
}

// samples fills st with fragment i of the track whose index x is, for track
// trackID; the form lets the writer state durations and sync flags as
// defaults with per-sample exceptions.
func (x *progIndex) samples(st *SampleTable, i int, trackID uint32, video bool) {
	st.Reset()
	f := &x.frags[i]
	st.Time, st.HasTime = f.at.dts, true
	st.form = moofForm{seq: uint32(i + 1), trackID: trackID, tfhdFlags: tfhdDefaultBaseIsMoof}
	st.Samples = slices.Grow(st.Samples[:0], int(f.n))
	w := walker{x: x, walkPos: f.at}
	for range f.n {
		st.Samples = append(st.Samples, w.step())
	}
	st.dataLo, st.dataHi = f.dataLo, f.dataHi
	// Defaults: the first sample's duration, and the flags most samples
	// have (video: non-sync after a sync first sample).
	if len(st.Samples) > 0 {
		st.form.tfhdFlags |= tfhdDefaultDuration | tfhdDefaultFlags
		st.form.defDur = st.Samples[0].Duration
		st.form.defF = flagsSync
		st.form.trunFlags = trunSampleSize
		if video && len(st.Samples) > 1 {
			st.form.defF = st.Samples[1].Flags
			st.form.trunFlags |= trunFirstSampleFlags
			st.form.firstFlags = st.Samples[0].Flags
		}
	}
}
