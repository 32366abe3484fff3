package packager

import (
	"fmt"
	"io"
	"slices"
	"sync"
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

// fragScratch is what reading one fragment needs: the moof (when the
// file is not mapped), its sample table, and the samples' data (when not
// mapped).
type fragScratch struct {
	moof []byte
	st   SampleTable
	data []byte
}

func (fs *fragScratch) reset() {
	fs.moof = fs.moof[:0]
	fs.st.Reset()
	fs.data = fs.data[:0]
}

var fragPool = sync.Pool{New: func() any { return new(fragScratch) }}

// readFragment reads fragment i's moof from the held file h (from the
// mapping when it covers it, else into *moof) and fills st from it, with
// the fragment's indexed decode time. Call it under guardMapped(h.data…).
func (t *Track) readFragment(h heldFile, i int, st *SampleTable, moof *[]byte) error {
	fr, p := &t.Fragments[i], t.plans[i]
	n := int64(p.moofSize) + int64(p.mdatHdr)
	b := h.mapped(fr.Offset, n)
	if b == nil {
		*moof = slices.Grow((*moof)[:0], int(n))[:n]
		if err := t.file.readHeld(h, *moof, fr.Offset); err != nil {
			return err
		}
		b = *moof
	}
	// The file may have changed since it was indexed: check the boxes.
	if !isIndexedPair(b, int(p.moofSize)) {
		return corruptf(t.Path, fr.Offset, "fragment %d changed since it was indexed", i)
	}
	if reason, _ := st.readMoof(b[:p.moofSize], fr.Offset, t.TrackID, t.def); reason != "" {
		return corruptf(t.Path, fr.Offset, "fragment %d: moof: %s", i, reason)
	}
	if reason := st.check(fr.Offset+n, fr.Offset+fr.Size); reason != "" {
		return corruptf(t.Path, fr.Offset, "fragment %d: %s", i, reason)
	}
	st.Time = fr.Time
	return nil
}

// sampleData returns the bytes st's samples are read from: the held
// file's mapping when it covers them, else their range read into *buf.
// Read the mapping under guardMapped.
func (t *Track) sampleData(h heldFile, st *SampleTable, buf *[]byte) (sampleData, error) {
	n := st.dataHi - st.dataLo
	if h.mapped(st.dataLo, n) != nil {
		return sampleData{b: h.data}, nil
	}
	*buf = slices.Grow((*buf)[:0], int(n))[:n]
	if err := t.file.readHeld(h, *buf, st.dataLo); err != nil {
		return sampleData{}, err
	}
	return sampleData{b: *buf, lo: st.dataLo}, nil
}

// AppendSegment appends fragment i in the form out to buf and returns the
// extended buffer: the head written from the fragment's sample table, then
// the samples' data, read with one ReadAt into place when they lie back to
// back (as they do in every fragmented file). With a buffer of enough
// capacity it does not allocate. On error buf is returned with its original
// length.
func (t *Track) AppendSegment(buf []byte, i int, out Output) ([]byte, error) {
	if i < 0 || i >= len(t.Fragments) {
		return buf, ErrFragmentNotFound
	}
	if out != CMAF && out != Smooth {
		return buf, fmt.Errorf("packager: unknown output %d", out)
	}
	h, err := t.file.hold()
	if err != nil {
		return buf, err
	}
	defer t.file.release()
	fs := fragPool.Get().(*fragScratch)
	defer func() { fs.reset(); fragPool.Put(fs) }()
	res := buf
	if gerr := guardMapped(h.data, nil, func() { res, err = t.appendSegment(buf, i, out, h, fs) }); gerr != nil {
		return buf, corruptf(t.Path, t.Fragments[i].Offset, "fragment %d: %v", i, gerr)
	}
	if err != nil {
		return buf, err
	}
	return res, nil
}

func (t *Track) appendSegment(buf []byte, i int, out Output, h heldFile, fs *fragScratch) ([]byte, error) {
	st := &fs.st
	if err := t.readFragment(h, i, st, &fs.moof); err != nil {
		return buf, err
	}
	start := len(buf)
	hd := st.layout(t.def, out, 0)
	payload := st.DataSize()
	total := hd.Len() + int(payload)
	buf = slices.Grow(buf, total)[:start+total]
	n := st.putHead(buf[start:], &hd, payload)
	dst := buf[start+n:]
	if st.contiguous() {
		if m := h.mapped(st.dataLo, payload); m != nil {
			copy(dst, m)
		} else if err := t.file.readHeld(h, dst, st.dataLo); err != nil {
			return buf[:start], err
		}
		return buf, nil
	}
	data, err := t.sampleData(h, st, &fs.data)
	if err != nil {
		return buf[:start], err
	}
	for k := range st.Samples {
		dst = dst[copy(dst, data.of(&st.Samples[k])):]
	}
	return buf, nil
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
// file is not mapped, or the samples do not lie back to back in it, Head is
// the whole segment and Payload is nil. On error nothing is held and Head is
// buf with its original length.
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
	fr := &t.Fragments[i]
	if h.mapped(fr.Offset, fr.Size) == nil {
		t.file.release()
		b, err := t.AppendSegment(buf, i, out)
		return MappedSegment{Head: b}, err
	}
	fs := fragPool.Get().(*fragScratch)
	defer func() { fs.reset(); fragPool.Put(fs) }()
	st := &fs.st
	head := buf
	var payload []byte
	gerr := guardMapped(h.data, nil, func() {
		if err = t.readFragment(h, i, st, &fs.moof); err != nil {
			return
		}
		if !st.contiguous() {
			head, err = t.appendSegment(buf, i, out, h, fs)
			return
		}
		hd := st.layout(t.def, out, 0)
		n := st.DataSize()
		at := len(buf)
		head = slices.Grow(buf, hd.Len())[:at+hd.Len()]
		st.putHead(head[at:], &hd, n)
		payload = h.data[st.dataLo : st.dataLo+n]
	})
	if gerr != nil {
		err = corruptf(t.Path, fr.Offset, "fragment %d: %v", i, gerr)
	}
	if err != nil {
		t.file.release()
		return MappedSegment{Head: buf}, err
	}
	if payload == nil {
		t.file.release()
		return MappedSegment{Head: head}, nil
	}
	return MappedSegment{Head: head, Payload: payload, tf: t.file}, nil
}
