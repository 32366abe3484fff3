package packager

import (
	"encoding/binary"
	"fmt"
	"io"
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
	if !isIndexedPair(dst, moof) {
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
func (t *Track) read(p []byte, off int64) error { return t.file.readAt(p, off) }

// MappedSegment is a media segment in two parts: Head, written into the
// caller's buffer (styp, the rewritten moof, the mdat header), and Payload,
// the mdat's sample data as a read-only slice of the track file's mapping,
// that is of the page cache. Writing Payload to a socket copies it once,
// in the kernel, as a static file server does; reading it into a buffer
// first would copy it twice. Payload stays valid until Release, which must
// be called exactly once.
type MappedSegment struct {
	Head, Payload []byte
	tf            *trackFile
}

// Release lets the track file be unmapped (after eviction).
func (m *MappedSegment) Release() {
	if m.tf != nil {
		m.tf.release()
		m.tf = nil
	}
	m.Payload = nil
}

// WriteTo writes Payload to w. A fault reading the mapping (the file was
// cut short under it) is an error, not the end of the process.
func (m *MappedSegment) WriteTo(w io.Writer) (n int64, err error) {
	var k int
	gerr := guardMapped(m.Payload, nil, func() { k, err = w.Write(m.Payload) })
	if gerr != nil {
		return int64(k), gerr
	}
	return int64(k), err
}

// ReadAt copies Payload from off into p; io.EOF at the end.
func (m *MappedSegment) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.Payload)) {
		return 0, io.EOF
	}
	var n int
	if err := guardMapped(m.Payload, nil, func() { n = copy(p, m.Payload[off:]) }); err != nil {
		return 0, err
	}
	return n, nil
}

// AppendSegmentMapped is AppendSegment with the sample data left in the
// track file's mapping: the segment is Head followed by Payload. When the
// file is not mapped, Head is the whole segment and Payload is nil. On
// error nothing is held and Head is buf with its original length.
func (t *Track) AppendSegmentMapped(buf []byte, i int, out Output) (MappedSegment, error) {
	if i < 0 || i >= len(t.Fragments) {
		return MappedSegment{Head: buf}, ErrFragmentNotFound
	}
	if out != CMAF && out != Smooth {
		return MappedSegment{Head: buf}, fmt.Errorf("packager: unknown output %d", out)
	}
	h, err := t.file.hold()
	if err != nil {
		return MappedSegment{Head: buf}, err
	}
	fr, p := &t.Fragments[i], t.plans[i]
	frag := h.mapped(fr.Offset, fr.Size)
	if frag == nil {
		t.file.release()
		b, err := t.AppendSegment(buf, i, out)
		return MappedSegment{Head: b}, err
	}
	ms := MappedSegment{Head: buf, tf: t.file}
	moof := int(p.moofSize)
	grow := int(p.delta)
	if out == Smooth {
		grow += tfxdLen
	}
	start := len(buf)
	var mdatHead int
	err = guardMapped(frag, nil, func() {
		if !isIndexedPair(frag, moof) {
			return
		}
		mdatHead = 8
		if binary.BigEndian.Uint32(frag[moof:]) == 1 {
			mdatHead = 16
		}
		if out == CMAF {
			buf = append(buf, stypCMAF...)
		}
		if out == CMAF && !p.rewrite {
			buf = append(buf, frag[:moof+mdatHead]...)
			return
		}
		at := len(buf)
		buf = slices.Grow(buf, moof+grow+mdatHead)[:at+moof+grow]
		n := writeMoof(buf[at:], frag[:moof], grow, out == Smooth, fr.Time, fr.Duration, fr.Offset, t.def)
		buf = append(buf[:at+n], frag[moof:moof+mdatHead]...)
	})
	if err != nil {
		err = corruptf(t.Path, fr.Offset, "fragment %d: %v", i, err)
	} else if mdatHead == 0 {
		err = corruptf(t.Path, fr.Offset, "fragment %d changed since it was indexed", i)
	}
	if err != nil {
		ms.Release()
		return MappedSegment{Head: buf[:start]}, err
	}
	ms.Head, ms.Payload = buf, frag[moof+mdatHead:]
	return ms, nil
}
