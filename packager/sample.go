package packager

// This file is the sample layer: what every output writer (CMAF, Smooth,
// MPEG-2 TS, and each encryption) knows of a fragment. A source reader
// fills a SampleTable for fragment i of a track; the writers consume it and
// never look at the source's boxes. Fragmented MP4 is read by readMoof
// (fmp4_read.go); progressive and live sources are further readers that
// fill the same table.

import "github.com/drmorigin/drmorigin/storage"

// Sample is one sample of a fragment.
type Sample struct {
	// Offset is where the sample's data starts in the track file, and Size
	// its length in bytes.
	Offset int64
	Size   uint32
	// Duration is the sample's duration in the track's timescale.
	Duration uint32
	// CTO is the composition time offset: presentation time minus decode
	// time (negative in version 1 truns, ISO/IEC 14496-12 8.8.8).
	CTO int32
	// Flags are the ISO/IEC 14496-12 8.8.3.1 sample_flags.
	Flags uint32
}

// sampleNonSync is sample_is_non_sync_sample in sample_flags.
const sampleNonSync = 0x00010000

// Sync reports whether the sample is a sync sample (a random access point).
func (s *Sample) Sync() bool { return s.Flags&sampleNonSync == 0 }

// SampleTable is one fragment of a track as the writers see it: the decode
// time of its first sample and its samples in decode order. It also keeps
// how a fragmented source wrote its moof header (form), so that output for
// such a source keeps the source's trun layout byte for byte.
type SampleTable struct {
	// Time is the decode time of the first sample, in the track's
	// timescale.
	Time    uint64
	Samples []Sample
	// HasTime is false when the source stated no decode time (a moof
	// without tfdt): the index then accumulates durations.
	HasTime bool
	// absent is set by readMoof for a moof with no traf of the track (a
	// file of several tracks): the fragment is another track's.
	absent bool
	// dataLo and dataHi bound the samples' data in the file (dataLo ==
	// dataHi when no sample has bytes).
	dataLo, dataHi int64
	form           moofForm
	// next is what the fragment's live Smooth tfrf says of the fragments
	// after it (tfrf.go); set by readFragment.
	next lookAhead
}

// moofForm is how the source wrote a fragment's moof: the writer starts from
// it and adds per-sample fields only where a sample differs from what the
// form implies. The zero form (no defaults) suits any source.
type moofForm struct {
	seq     uint32 // mfhd sequence_number
	trackID uint32 // tfhd track_ID
	// tfhd: the flags of the optional fields kept (sample description
	// index and the three defaults; base_data_offset is never kept) and
	// their values.
	tfhdFlags                  uint32
	sdi, defDur, defSize, defF uint32
	// trun: the per-sample fields the source stated, its version, and
	// first_sample_flags when stated.
	trunFlags   uint32
	trunVersion byte
	firstFlags  uint32
}

// Reset empties the table, keeping its capacity.
func (st *SampleTable) Reset() {
	st.Time, st.HasTime, st.absent = 0, false, false
	st.Samples = st.Samples[:0]
	st.dataLo, st.dataHi = 0, 0
	st.form = moofForm{}
	st.next = lookAhead{}
}

// Duration is the sum of the samples' durations.
func (st *SampleTable) Duration() uint64 {
	var d uint64
	for i := range st.Samples {
		d += uint64(st.Samples[i].Duration)
	}
	return d
}

// DataSize is the sum of the samples' sizes: the payload of the output
// mdat.
func (st *SampleTable) DataSize() int64 {
	var n int64
	for i := range st.Samples {
		n += int64(st.Samples[i].Size)
	}
	return n
}

// contiguous reports whether the samples' data lie back to back in the
// file, in decode order: the output mdat payload is then one range of the
// file.
func (st *SampleTable) contiguous() bool {
	next := st.dataLo
	for i := range st.Samples {
		s := &st.Samples[i]
		if s.Size == 0 {
			continue
		}
		if s.Offset != next {
			return false
		}
		next += int64(s.Size)
	}
	return next == st.dataHi
}

// leastCTO is the most negative composition offset (0 when none is).
func (st *SampleTable) leastCTO() int32 {
	var least int32
	for i := range st.Samples {
		least = min(least, st.Samples[i].CTO)
	}
	return least
}

// commonDuration is the sample duration most samples share (a majority
// vote), for the frame rate; 0 for an empty table.
func (st *SampleTable) commonDuration() uint32 {
	var vote uint32
	votes := 0
	for i := range st.Samples {
		d := st.Samples[i].Duration
		switch {
		case votes == 0:
			vote, votes = d, 1
		case vote == d:
			votes++
		default:
			votes--
		}
	}
	return vote
}

// sampleData is the bytes the samples of a table are read from: a view of
// the file from file offset lo, either the file's mapping (lo 0) or the
// range [dataLo, dataHi) read into a buffer.
type sampleData struct {
	b  []byte
	lo int64
}

// of returns sample s's bytes.
func (d sampleData) of(s *Sample) []byte {
	o := s.Offset - d.lo
	return d.b[o : o+int64(s.Size) : o+int64(s.Size)]
}

// appendViewRuns appends to runs the slices of st's sample data, in
// sample order, as v lends them (an object store's cached blocks): one
// run per stretch of back-to-back samples inside one block. views is
// scratch for the blocks' slices.
func (st *SampleTable) appendViewRuns(runs [][]byte, v storage.Viewer, views *[][]byte) ([][]byte, error) {
	vs, err := v.View(st.dataLo, st.dataHi-st.dataLo, (*views)[:0])
	*views = vs
	if err != nil {
		return runs, err
	}
	// pi is the view holding offset a, which starts at pstart; a run
	// being extended is vs[pi][runLo:…] and ends at end.
	pi, pstart := 0, st.dataLo
	end, runLo, runPi := int64(-1), int64(0), -1
	for k := range st.Samples {
		s := &st.Samples[k]
		a, b := s.Offset, s.Offset+int64(s.Size)
		if a == b {
			continue
		}
		if a < pstart { // out of file order: look again from the start
			pi, pstart = 0, st.dataLo
		}
		for a >= pstart+int64(len(vs[pi])) {
			pstart += int64(len(vs[pi]))
			pi++
		}
		for a < b {
			p := vs[pi]
			lo := a - pstart
			hi := min(int64(len(p)), b-pstart)
			if a == end && pi == runPi {
				runs[len(runs)-1] = p[runLo:hi:hi]
			} else {
				runs = append(runs, p[lo:hi:hi])
				runLo, runPi = lo, pi
			}
			a, end = pstart+hi, pstart+hi
			if hi == int64(len(p)) && a < st.dataHi {
				pstart += int64(len(p))
				pi++
			}
		}
	}
	return runs, nil
}
