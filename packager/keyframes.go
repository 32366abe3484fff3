package packager

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/drmorigin/drmorigin/packager/ts"
)

// This file is trick play's side of the writers: the key samples of a
// video fragment (its first sample and every sync sample, as TS output
// counts them), fMP4 chunks (one moof+mdat per key sample when a fragment
// holds several), and where each key sample's I-frame entry lies in the
// segment as written.
//
//	segment (CMAF, fragment with key samples at 0 and k)
//	styp | moof mdat(samples 0..k-1) | free (alignment) | moof mdat(samples k..)
//	└── entry 0: styp, moof, mdat header, sample 0
//	                                                     └── entry 1: moof, mdat header, sample k
//
// A fragment with one key sample is written as it always was (one moof,
// one mdat): its entry is the segment's start through the end of that
// sample. Chunks after the first start on a 16-byte boundary of the
// segment (a free box pads the previous chunk), so that under HLS AES-128
// an entry starts on a cipher block and decrypts with the previous
// ciphertext block as its IV (AppendKeyFrames).

// KeyFrame is one I-frame entry of a segment: the key sample's decode
// time and how long it stands (until the next key sample or the
// fragment's end), in the track's timescale, and the byte range
// [Offset, Offset+Length) of the segment, as served, that holds it with
// what a player needs to decode it alone.
type KeyFrame struct {
	Time, Duration uint64
	Offset, Length int64
	// IV, under HLS AES-128, decrypts the range as a CBC chain of its own:
	// the segment's IV for a range at offset 0, else the ciphertext block
	// before the range.
	IV [16]byte
}

// keyFrameAES128Tail is what an AES-128 entry takes past its last cipher
// block: one more block, so that a player that strips PKCS#7 padding from
// the end of the range (up to 16 bytes) strips bytes after the key sample
// only.
const keyFrameAES128Tail = 16

// isKey reports whether sample k of a fragment's table is a key sample.
func isKey(st *SampleTable, k int) bool { return k == 0 || st.Samples[k].Sync() }

// keyCount is the number of key samples of st.
func (st *SampleTable) keyCount() int {
	n := 0
	for k := range st.Samples {
		if isKey(st, k) {
			n++
		}
	}
	return n
}

// keyBytes is the bytes of st's key samples.
func (st *SampleTable) keyBytes() int64 {
	var n int64
	for k := range st.Samples {
		if isKey(st, k) {
			n += int64(st.Samples[k].Size)
		}
	}
	return n
}

// chunked reports whether the fragment in st is written as one chunk per
// key sample: CMAF video with more than one.
func (t *Track) chunked(st *SampleTable, out Output) bool {
	return out.form == formCMAF && !out.keysOnly && t.Kind == Video && st.keyCount() > 1
}

// chunkEnd returns the end of the chunk that starts at sample a of all:
// the next sync sample, or the end.
func chunkEnd(all []Sample, a int) int {
	for b := a + 1; b < len(all); b++ {
		if all[b].Sync() {
			return b
		}
	}
	return len(all)
}

// keepKeys reduces st to its key samples (DASH trick mode), each lasting
// until the next key sample or the fragment's end, so that the segment
// still spans the fragment's time.
func (st *SampleTable) keepKeys() {
	n := 0
	for k := range st.Samples {
		if isKey(st, k) {
			st.Samples[n] = st.Samples[k]
			n++
		} else {
			st.Samples[n-1].Duration += st.Samples[k].Duration
		}
	}
	st.Samples = st.Samples[:n]
}

// appendAlign pads buf, a segment that starts at start, with a free box
// so that its length from start is a multiple of 16.
func appendAlign(buf []byte, start int) []byte {
	pad := (16 - (len(buf)-start)%16) % 16
	if pad == 0 {
		return buf
	}
	if pad < 8 {
		pad += 16
	}
	at := len(buf)
	buf = slices.Grow(buf, pad)[:at+pad]
	binary.BigEndian.PutUint32(buf[at:], uint32(pad))
	copy(buf[at+4:], "free")
	clear(buf[at+8:])
	return buf
}

// A TS entry of a key frame that is not the segment's first starts at its
// PES and follows the playlist's EXT-X-MAP (AppendPSI), so that under
// AES-128 the map stays clear and every entry decrypts alone.

// recordKeys notes the entries of the chunk in st, written at chunk (its
// entries start at from: the segment's start for the first chunk) with
// its samples' data from headEnd, when the scratch records (AppendKeyFrames).
// Offsets are from the segment's start seg.
func (s *Scratch) recordKeys(st *SampleTable, seg, from, headEnd int) {
	if !s.recording {
		return
	}
	end, time := int64(headEnd), st.Time
	for k := range st.Samples {
		sm := &st.Samples[k]
		end += int64(sm.Size)
		if isKey(st, k) {
			s.keys = append(s.keys, KeyFrame{Time: time, Offset: int64(from - seg), Length: end - int64(from)})
		}
		time += uint64(sm.Duration)
	}
}

// AppendKeyFrames appends to dst the I-frame entries of fragment i in
// the form out (CMAF or TS; a video track), protected as p says, and
// returns it with buf, into which it wrote the segment: the entries are
// taken from the one writer of segments while it writes (no second
// computation of the layout), so they are exact for the bytes
// AppendSegment serves. Under AES-128 each range is widened to whole
// cipher blocks (and one block more at the end, keyFrameAES128Tail), and
// IV is the one that decrypts it. s is the request's scratch (nil: one
// from the pool).
func (t *Track) AppendKeyFrames(dst []KeyFrame, buf []byte, i int, out Output, p *Protection, s *Scratch) ([]KeyFrame, []byte, error) {
	if t.Kind != Video {
		return dst, buf, ErrFragmentNotFound
	}
	if s == nil {
		s = AcquireScratch()
		defer ReleaseScratch(s)
	}
	s.recording, s.keys = true, s.keys[:0]
	defer func() { s.recording = false }()
	seg, err := t.AppendSegment(buf[:0], i, out, p, s)
	if err != nil {
		return dst, seg, err
	}
	n0 := len(dst)
	if out.form == formTS {
		for _, k := range s.mux.KeyFrames() {
			kf := KeyFrame{Time: k.DTS, Offset: int64(k.Offset), Length: int64(k.Length)}
			if k.Offset == ts.PSILength {
				kf.Offset, kf.Length = 0, int64(k.Offset+k.Length) // with the PAT and PMT
			}
			dst = append(dst, kf)
		}
	} else {
		dst = append(dst, s.keys...)
	}
	fr := &t.Fragments[i]
	for k := n0; k < len(dst); k++ {
		end := fr.Time + fr.Duration
		if k+1 < len(dst) {
			end = dst[k+1].Time
		}
		dst[k].Duration = end - dst[k].Time
	}
	if p.scheme() == SchemeAES128 {
		segIV := t.SegmentIV(p, i)
		for k := n0; k < len(dst); k++ {
			kf := &dst[k]
			lo := kf.Offset &^ 15
			hi := min((kf.Offset+kf.Length+15)&^15+keyFrameAES128Tail, int64(len(seg)))
			kf.IV = segIV
			if lo > 0 {
				copy(kf.IV[:], seg[lo-16:lo])
			}
			kf.Offset, kf.Length = lo, hi-lo
		}
	}
	return dst, seg, nil
}

// AppendPSI appends the PAT and PMT that start the track's TS segments in
// the form out under p to buf: the EXT-X-MAP of a TS I-frame playlist,
// for the entries that start mid-segment. They are the first
// ts.PSILength bytes of segment 0 as the segment writer writes them; under
// AES-128 they are the clear segment's (an initialization section stays
// clear, urls.md), under SAMPLE-AES the PMT is the one that signals it.
func (t *Track) AppendPSI(buf []byte, out Output, p *Protection) ([]byte, error) {
	if out.form != formTS || len(t.Fragments) == 0 {
		return buf, fmt.Errorf("packager: %v output of %s has no PAT and PMT", out, t.Path)
	}
	if p.scheme() == SchemeAES128 {
		p = nil
	}
	seg, err := t.AppendSegment(nil, 0, out, p, nil)
	if err != nil {
		return buf, err
	}
	if len(seg) < ts.PSILength {
		return buf, fmt.Errorf("packager: %s: TS segment of %d bytes", t.Path, len(seg))
	}
	return append(buf, seg[:ts.PSILength]...), nil
}
