package packager

import (
	"math"
	"time"
)

// This file cuts a progressive track into fragments (assets.md, "Track
// files"): video at the first sync sample at or after each multiple of the
// target duration on the presentation timeline; audio at the first frame at
// or after each start of the asset's first video track; audio-only tracks
// at each multiple. A GOP longer than the target gives a longer fragment,
// never a cut inside it.

// DefaultFragmentDuration is the target duration progressive tracks are
// cut to when the library is not told otherwise (packaging.segmentDuration).
const DefaultFragmentDuration = 2 * time.Second

// walkPos is a position in a progressive track's index: at sample k, in
// chunk chunk (with left samples of it to go, under stsc entry entry) at
// file offset off, with the run cursors, the next sync sample and the
// decode time there. A progFrag keeps the one at its first sample.
type walkPos struct {
	k, chunk, left, entry, syncAt uint32
	off                           int64
	dur, cto                      cursor
	dts                           uint64
}

// walker steps through a progressive track's samples in decode order.
type walker struct {
	x *progIndex
	walkPos
}

func newWalker(x *progIndex) walker {
	w := walker{x: x}
	w.dur, w.cto = startCursor(x.durs), startCursor(x.ctos)
	w.left = x.stsc[0].per
	w.off = x.chunkOffset(0)
	return w
}

// peek returns sample k's composition offset and whether it is a sync
// sample, without advancing.
func (w *walker) peek() (cto int32, sync bool) {
	if w.x.ctos != nil {
		c := w.cto
		cto = int32(c.next(w.x.ctos))
	}
	sync = w.x.sync == nil || int(w.syncAt) < len(w.x.sync) && w.x.sync[w.syncAt] == w.k
	return cto, sync
}

// enterChunk moves to the next chunk when the current one is used up.
func (w *walker) enterChunk() {
	x := w.x
	for w.left == 0 {
		w.chunk++
		if int(w.entry)+1 < len(x.stsc) && x.stsc[w.entry+1].first <= w.chunk {
			w.entry++
		}
		w.left = x.stsc[w.entry].per
		w.off = x.chunkOffset(w.chunk)
	}
}

// step advances past sample k and returns it.
func (w *walker) step() Sample {
	x := w.x
	w.enterChunk()
	s := Sample{Offset: w.off, Size: x.size(w.k), Duration: w.dur.next(x.durs), Flags: flagsSync}
	if x.ctos != nil {
		s.CTO = int32(w.cto.next(x.ctos))
	}
	if x.sync != nil {
		if int(w.syncAt) < len(x.sync) && x.sync[w.syncAt] == w.k {
			w.syncAt++
		} else {
			s.Flags = flagsNonSync
		}
	}
	w.off += int64(s.Size)
	w.dts += uint64(s.Duration)
	w.left--
	w.k++
	return s
}

// startAt is a cut rule: whether a fragment starts at the sample whose
// presentation time is pts (track timescale) and sync flag sync; sample 0
// always starts one.
type startAt func(pts int64, sync bool) bool

// multiples is the rule of video (sync samples only) and audio-only tracks:
// a cut at the first candidate at or after each multiple of target.
func multiples(target time.Duration, timescale uint32, syncOnly bool) startAt {
	step := target.Nanoseconds()
	if step <= 0 {
		step = DefaultFragmentDuration.Nanoseconds()
	}
	next := step // the next multiple, in ns
	return func(pts int64, sync bool) bool {
		if syncOnly && !sync || pts < 0 || timeBefore(uint64(pts), timescale, uint64(next), 1e9) {
			return false
		}
		// Past this cut: the first multiple after pts.
		for next <= math.MaxInt64-step && !timeBefore(uint64(pts), timescale, uint64(next), 1e9) {
			next += step
		}
		return true
	}
}

// following is the rule of audio beside video: a cut at the first frame at
// or after each of starts, the video fragments' presentation start times in
// scale.
func following(starts []int64, scale, timescale uint32) startAt {
	i := 1 // starts[0] is where the first fragment starts anyway
	return func(pts int64, _ bool) bool {
		if i >= len(starts) || pts < 0 {
			return false
		}
		s := max(starts[i], 0)
		if timeBefore(uint64(pts), timescale, uint64(s), scale) {
			return false
		}
		for i < len(starts) && !timeBefore(uint64(pts), timescale, uint64(max(starts[i], 0)), scale) {
			i++
		}
		return true
	}
}

// cut cuts the track whose index is x into fragments by rule, with shift
// subtracted from decode time plus composition offset to give presentation
// time (the edit list's media time, less its empty edits). It fills x.frags
// and t's fragment index and peak bitrate (the average is the index's, set
// before the .ism and naming see it), and returns each fragment's
// presentation start time. It is also where every sample's data is checked
// to lie inside the file: the one pass over the samples at index time.
func (t *Track) cut(x *progIndex, rule startAt, shift int64) ([]int64, error) {
	w := newWalker(x)
	var starts []int64
	var keyBytes []int64 // per fragment, of its key samples (keyframes.go)
	t.KeyCount = 0
	x.frags = x.frags[:0]
	t.Fragments = t.Fragments[:0]
	for w.k < x.n {
		cto, sync := w.peek()
		pts := int64(w.dts) + int64(cto) - shift
		if w.k == 0 || rule(pts, sync) {
			w.enterChunk() // so that the position names the sample's own chunk
			x.frags = append(x.frags, progFrag{at: w.walkPos, dataLo: math.MaxInt64})
			t.Fragments = append(t.Fragments, Fragment{Time: w.dts})
			keyBytes = append(keyBytes, 0)
			starts = append(starts, pts)
		}
		f := &x.frags[len(x.frags)-1]
		fr := &t.Fragments[len(t.Fragments)-1]
		t.leastCTO = min(t.leastCTO, cto)
		s := w.step()
		if s.Offset < 0 || s.Offset+int64(s.Size) > x.fileSize {
			return nil, corruptf(t.Path, s.Offset, "track %d: chunk %d's sample %d [%d,%d) runs past the end of the file (%d bytes)",
				t.TrackID, w.chunk, w.k-1, s.Offset, s.Offset+int64(s.Size), x.fileSize)
		}
		f.n++
		fr.Samples++
		fr.Duration += uint64(s.Duration)
		if s.Size > 0 {
			f.dataLo = min(f.dataLo, s.Offset)
			f.dataHi = max(f.dataHi, s.Offset+int64(s.Size))
		}
		fr.Size += int64(s.Size) // the bytes, for the peak rate; made the span below
		if fr.Samples == 1 || sync {
			keyBytes[len(keyBytes)-1] += int64(s.Size)
			t.KeyCount++
		}
	}
	var keyTotal, total uint64
	for i := range x.frags {
		f, fr := &x.frags[i], &t.Fragments[i]
		if f.dataHi == 0 {
			f.dataLo, f.dataHi = 0, 0
		}
		if fr.Duration > 0 {
			t.PeakBitrate = max(t.PeakBitrate, rate(uint64(fr.Size), fr.Duration, t.Timescale))
			t.KeyPeakBitrate = max(t.KeyPeakBitrate, rate(uint64(keyBytes[i]), fr.Duration, t.Timescale))
		}
		keyTotal, total = keyTotal+uint64(keyBytes[i]), total+fr.Duration
		fr.Offset, fr.Size = f.dataLo, f.dataHi-f.dataLo
	}
	if total > 0 {
		t.KeyBitrate = rate(keyTotal, total, t.Timescale)
	}
	if t.Kind == Video && len(x.durs) > 0 {
		// The frame rate from the duration most samples share: stts's
		// longest run.
		best := x.durs[0]
		for _, r := range x.durs {
			if r.count > best.count {
				best = r
			}
		}
		if best.value > 0 {
			g := gcd(uint64(t.Timescale), uint64(best.value))
			t.FrameRateNum, t.FrameRateDen = int(uint64(t.Timescale)/g), int(uint64(best.value)/g)
		}
	}
	return starts, nil
}
