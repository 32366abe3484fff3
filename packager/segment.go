package packager

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// Output is the form of the segments that AppendInit and AppendSegment write.
type Output int

// Outputs.
const (
	// CMAF is a CMAF segment (ISO/IEC 23000-19): styp, then moof with
	// default-base-is-moof, tfdt and moof-relative data offsets, then mdat.
	// It serves DASH and HLS fMP4.
	CMAF Output = iota
	// Smooth is a Smooth Streaming fragment (MS-SSTR): moof with a tfxd box
	// in traf, then mdat; times in the track's own timescale.
	Smooth
)

// stypCMAF is the segment type box of a CMAF segment: major brand cmfs
// (CMAF segment), compatible cmfs, cmff (CMAF fragment) and msdh (DASH media
// segment).
var stypCMAF = []byte{
	0, 0, 0, 28, 's', 't', 'y', 'p', 'c', 'm', 'f', 's', 0, 0, 0, 0,
	'c', 'm', 'f', 's', 'c', 'm', 'f', 'f', 'm', 's', 'd', 'h',
}

// ftypCMAF is the file type box of a CMAF header: major brand cmfc,
// compatible iso6, cmfc and dash.
var ftypCMAF = []byte{
	0, 0, 0, 28, 'f', 't', 'y', 'p', 'c', 'm', 'f', 'c', 0, 0, 0, 0,
	'i', 's', 'o', '6', 'c', 'm', 'f', 'c', 'd', 'a', 's', 'h',
}

// AppendInit appends the track's initialization segment to buf: for CMAF a
// CMAF ftyp and the source moov, for Smooth the source ftyp and moov.
func (t *Track) AppendInit(buf []byte, out Output) ([]byte, error) {
	switch out {
	case CMAF:
		buf = append(buf, ftypCMAF...)
		return append(buf, t.Init[t.ftypLen:]...), nil
	case Smooth:
		return append(buf, t.Init...), nil
	}
	return buf, fmt.Errorf("packager: unknown output %d", out)
}

// AppendSegment appends fragment i in the form out to buf and returns the
// extended buffer. It reads the fragment with a single ReadAt into buf and
// rewrites only the moof; with a buffer of enough capacity it does not
// allocate. On error buf is returned with its original length.
func (t *Track) AppendSegment(buf []byte, i int, out Output) ([]byte, error) {
	if i < 0 || i >= len(t.Fragments) {
		return buf, ErrFragmentNotFound
	}
	if out != CMAF && out != Smooth {
		return buf, fmt.Errorf("packager: unknown output %d", out)
	}
	fr, p := &t.Fragments[i], t.plans[i]
	start := len(buf)
	head := 0
	if out == CMAF {
		head = len(stypCMAF)
	}
	grow := int(p.delta)
	if out == Smooth {
		grow += tfxdLen
	}
	copyAsIs := out == CMAF && !p.rewrite
	moof := int(p.moofSize)
	size := int(fr.Size)
	// Layout: [styp][moof'][mdat]. The fragment is read so that its mdat
	// lands where the output mdat goes (at max(grow,0) past the moof start);
	// the rewritten moof is built in scratch space after the fragment and
	// copied into place.
	readAt := start + head + max(grow, 0)
	total := head + moof + grow + size - moof
	need := readAt + size - start
	if !copyAsIs {
		need += moof + grow
	}
	buf = slices.Grow(buf, need)
	buf = buf[:start+need]
	copy(buf[start:], stypCMAF[:head])
	dst := buf[readAt : readAt+size]
	if err := t.read(dst, fr.Offset); err != nil {
		return buf[:start], err
	}
	// The file may have changed since it was indexed: check the boxes.
	if binary.BigEndian.Uint32(dst) != uint32(moof) || string(dst[4:8]) != "moof" || string(dst[moof+4:moof+8]) != "mdat" {
		return buf[:start], corruptf(t.Path, fr.Offset, "fragment %d changed since it was indexed", i)
	}
	if copyAsIs {
		return buf[:start+head+size], nil
	}
	scratch := buf[readAt+size:]
	n := writeMoof(scratch, dst[:moof], grow, out == Smooth, fr.Time, fr.Duration, fr.Offset, t.def)
	copy(buf[start+head:], scratch[:n])
	if grow < 0 {
		// The moof shrank: move the mdat down after it.
		copy(buf[start+head+n:], dst[moof:])
	}
	return buf[:start+total], nil
}

// read reads exactly len(p) bytes at off from the track file.
func (t *Track) read(p []byte, off int64) error {
	f, err := t.file.acquire()
	if err != nil {
		return err
	}
	n, err := f.ReadAt(p, off)
	t.file.release()
	if n < len(p) {
		return corruptf(t.Path, off, "short read (%d of %d bytes): %v", n, len(p), err)
	}
	return nil
}
