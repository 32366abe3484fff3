package packager

import (
	"fmt"
	"io"
	"slices"

	"github.com/drmorigin/drmorigin/storage"
)

// stypCMAF is the segment type box of a CMAF segment: major brand cmfs
// (CMAF segment), compatible cmfs, cmff (CMAF fragment) and msdh (DASH media
// segment).
var stypCMAF = []byte{
	0, 0, 0, 28, 's', 't', 'y', 'p', 'c', 'm', 'f', 's', 0, 0, 0, 0,
	'c', 'm', 'f', 's', 'c', 'm', 'f', 'f', 'm', 's', 'd', 'h',
}

// fragScratch is what reading one fragment needs: the moof (when the
// file is not mapped), its sample table, and the samples' data (when not
// mapped) or the views of it that an object store lends.
type fragScratch struct {
	moof  []byte
	st    SampleTable
	data  []byte
	views [][]byte
}

func (fs *fragScratch) reset() {
	clear(fs.views) // let the cache's blocks go
	fs.views = fs.views[:0]
	fs.moof = fs.moof[:0]
	fs.st.Reset()
	fs.data = fs.data[:0]
}

// readFragment reads fragment i's moof from the held file h (from the
// mapping when it covers it, else into *moof) and fills st from it, with
// the fragment's indexed decode time. Call it under guardMapped(h.data…).
func (t *Track) readFragment(h heldFile, i int, st *SampleTable, moof *[]byte) error {
	if t.prog != nil {
		t.prog.samples(st, i, t.TrackID, t.Kind == Video)
		return nil
	}
	fr, p := &t.Fragments[i], t.plans[i]
	n := int64(p.moofSize) + int64(p.mdatHdr)
	b := h.mapped(fr.Offset, n)
	if b == nil {
		// An object store reads the whole fragment now, in one ranged
		// read; the moof below and the samples after come from its cache.
		if err := storage.Prefetch(h.f, fr.Offset, fr.Size); err != nil {
			return t.file.readError(fr.Offset, 0, int(fr.Size), err)
		}
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
	st.next = t.lookAheadOf(i)
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

// AppendSegment appends fragment i of the track in the form out, protected
// as p says (nil: clear), to buf and returns the extended buffer. It is the
// one entry point of every output and scheme:
//
//	CMAF, Smooth  clear: the head written from the fragment's sample table,
//	              then the samples' data, read with one ReadAt into place
//	              when they lie back to back (as in every fragmented file)
//	              SchemeCENC, SchemeCBCS (CMAF), SchemePIFF (Smooth): see
//	              appendEncrypted
//	TS            clear or SchemeSampleAES: see appendSegmentTS
//	any but Smooth SchemeAES128: the clear segment, then all of it under
//	              AES-128-CBC with PKCS#7 and SegmentIV(p, i)
//
// s is the request's scratch (AcquireScratch); nil borrows one from the
// pool for the call. With a warm buf and s it allocates nothing. On error
// buf is returned with its original length and nothing of the segment is
// left past it (encrypted outputs zero what they wrote): send nothing.
// The bytes depend only on (track, i, out, p).
func (t *Track) AppendSegment(buf []byte, i int, out Output, p *Protection, s *Scratch) ([]byte, error) {
	if i < 0 || i >= len(t.Fragments) {
		return buf, ErrFragmentNotFound
	}
	if err := checkProtection(out, p); err != nil {
		return buf, err
	}
	if s == nil {
		s = AcquireScratch()
		defer ReleaseScratch(s)
	}
	s.Reset()
	switch sc := p.scheme(); {
	case sc == SchemeAES128:
		start := len(buf)
		b, err := t.appendClear(buf, i, out, s)
		if err != nil {
			return b, err
		}
		return p.Key.AppendCBCSegment(b[:start], b[start:], t.SegmentIV(p, i)), nil
	case out.form == formTS:
		return t.appendSegmentTS(buf, i, out.audio, p, s)
	case sc == SchemeNone:
		return t.appendClear(buf, i, out, s)
	default:
		return t.appendEncrypted(buf, i, out, p, s)
	}
}

// appendClear appends clear fragment i in the form out (CMAF, Smooth or
// TS).
func (t *Track) appendClear(buf []byte, i int, out Output, s *Scratch) ([]byte, error) {
	if out.form == formTS {
		return t.appendSegmentTS(buf, i, out.audio, nil, s)
	}
	h, err := t.file.hold()
	if err != nil {
		return buf, err
	}
	defer t.file.release()
	res := buf
	if gerr := guardMapped(h.data, nil, func() { res, err = t.appendSegment(buf, i, out, h, s) }); gerr != nil {
		return buf, corruptf(t.Path, t.Fragments[i].Offset, "fragment %d: %v", i, gerr)
	}
	if err != nil {
		return buf, err
	}
	return res, nil
}

func (t *Track) appendSegment(buf []byte, i int, out Output, h heldFile, s *Scratch) ([]byte, error) {
	fs := &s.frag
	st := &fs.st
	if err := t.readFragment(h, i, st, &fs.moof); err != nil {
		return buf, err
	}
	if out.keysOnly {
		st.keepKeys()
	} else if t.chunked(st, out) {
		return t.appendChunks(buf, out, h, s)
	}
	start := len(buf)
	hd := st.layout(t.def, out, 0)
	payload := st.DataSize()
	total := hd.Len() + int(payload)
	buf = slices.Grow(buf, total)[:start+total]
	n := st.putHead(buf[start:], &hd, payload)
	s.recordKeys(st, start, start, start+n)
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

// appendChunks appends the clear fragment read into s as one chunk per
// key sample (keyframes.go): styp and the first chunk, then each further
// chunk (moof, mdat) on a 16-byte boundary of the segment.
func (t *Track) appendChunks(buf []byte, out Output, h heldFile, s *Scratch) ([]byte, error) {
	st := &s.frag.st
	data, err := t.sampleData(h, st, &s.frag.data)
	if err != nil {
		return buf, err
	}
	start := len(buf)
	all, t0 := st.Samples, st.Time
	defer func() { st.Samples, st.Time = all, t0 }()
	for a := 0; a < len(all); {
		b := chunkEnd(all, a)
		st.Samples = all[a:b]
		from := start
		if a > 0 {
			buf = appendAlign(buf, start)
			from = len(buf)
		}
		at := len(buf)
		hd := st.layout(t.def, out, 0)
		hd.styp = a == 0
		payload := st.DataSize()
		total := hd.Len() + int(payload)
		buf = slices.Grow(buf, total)[:at+total]
		n := st.putHead(buf[at:], &hd, payload)
		s.recordKeys(st, start, from, at+n)
		dst := buf[at+n:]
		for k := range st.Samples {
			dst = dst[copy(dst, data.of(&st.Samples[k])):]
		}
		st.Time += st.Duration()
		a = b
	}
	return buf, nil
}

// read reads exactly len(p) bytes at off from the track file.
func (t *Track) read(p []byte, off int64) error { return t.file.readAt(p, off) }

// MappedSegment is a media segment in two parts: Head, written into the
// caller's buffer (styp, the moof, the mdat header), and Payload, the
// mdat's sample data as read-only runs of the track file's mapping, that
// is of the page cache: one run for a fragmented file, one per stretch of
// back-to-back samples for a progressive file whose chunks interleave.
// Writing Payload to a socket copies it once, in the kernel, as a static
// file server does; reading it into a buffer first would copy it twice.
// Payload stays valid until Release, which must be called exactly once.
type MappedSegment struct {
	Head    []byte
	Payload [][]byte
	mapping []byte // the whole mapping the runs are slices of, for the guard
	tf      *trackFile
}

// PayloadLen is the bytes of Payload.
func (m *MappedSegment) PayloadLen() int {
	n := 0
	for _, r := range m.Payload {
		n += len(r)
	}
	return n
}

// Release lets the track file be unmapped (after eviction).
func (m *MappedSegment) Release() {
	if m.tf != nil {
		m.tf.release()
		m.tf = nil
	}
	clear(m.Payload)
	m.Payload = m.Payload[:0]
	m.mapping = nil
}

// WriteTo writes Payload to w. A fault reading the mapping (the file was
// cut short under it) is an error, not the end of the process.
func (m *MappedSegment) WriteTo(w io.Writer) (n int64, err error) {
	gerr := guardMapped(m.mapping, nil, func() {
		for _, r := range m.Payload {
			var k int
			k, err = w.Write(r)
			n += int64(k)
			if err != nil {
				return
			}
		}
	})
	if gerr != nil {
		return n, gerr
	}
	return n, err
}

// Guarded runs fn, which reads Payload (a writev of it, say), with a fault
// reading the mapping (the file was cut short under it) turned into an
// error rather than the end of the process.
func (m *MappedSegment) Guarded(fn func()) error { return guardMapped(m.mapping, nil, fn) }

// ReadAt copies Payload from off into p; io.EOF at the end.
func (m *MappedSegment) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	err := guardMapped(m.mapping, nil, func() {
		for _, r := range m.Payload {
			if off >= int64(len(r)) {
				off -= int64(len(r))
				continue
			}
			k := copy(p[n:], r[off:])
			n += k
			off = 0
			if n == len(p) {
				return
			}
		}
	})
	if err != nil {
		return 0, err
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// AppendSegmentMapped is AppendSegment of clear fMP4 with the sample data
// left in the track file's mapping: the segment is Head followed by the
// runs of Payload, which it appends to runs (pass a reused slice: it then
// allocates nothing). An object store's object (storage.Viewer) lends its
// cached blocks the same way. When the file is neither, Head is the whole
// segment and Payload is empty. On error nothing is held and Head is buf
// with its original length.
func (t *Track) AppendSegmentMapped(buf []byte, runs [][]byte, i int, out Output) (MappedSegment, error) {
	if i < 0 || i >= len(t.Fragments) {
		return MappedSegment{Head: buf, Payload: runs[:0]}, ErrFragmentNotFound
	}
	if out.form == formTS {
		return MappedSegment{Head: buf, Payload: runs[:0]}, fmt.Errorf("packager: no mapped form of %v output", out)
	}
	h, err := t.file.hold()
	if err != nil {
		return MappedSegment{Head: buf, Payload: runs[:0]}, err
	}
	fr := &t.Fragments[i]
	viewer, _ := h.f.(storage.Viewer)
	mapped := h.mapped(fr.Offset, fr.Size) != nil
	if !mapped && viewer == nil {
		t.file.release()
		b, err := t.AppendSegment(buf, i, out, nil, nil)
		return MappedSegment{Head: b, Payload: runs[:0]}, err
	}
	sc := AcquireScratch()
	defer ReleaseScratch(sc)
	fs := &sc.frag
	st := &fs.st
	head := buf
	runs = runs[:0]
	chunked := false
	gerr := guardMapped(h.data, nil, func() {
		if err = t.readFragment(h, i, st, &fs.moof); err != nil {
			return
		}
		if out.keysOnly {
			st.keepKeys()
		} else if chunked = t.chunked(st, out); chunked {
			return // several moofs: AppendSegment writes them
		}
		hd := st.layout(t.def, out, 0)
		at := len(buf)
		head = slices.Grow(buf, hd.Len())[:at+hd.Len()]
		st.putHead(head[at:], &hd, st.DataSize())
		if !mapped {
			runs, err = st.appendViewRuns(runs, viewer, &fs.views)
			if err != nil {
				err = t.file.readError(st.dataLo, 0, int(st.dataHi-st.dataLo), err)
			}
			return
		}
		end := int64(-1)
		for k := range st.Samples {
			s := &st.Samples[k]
			if s.Size == 0 {
				continue
			}
			if s.Offset == end {
				r := &runs[len(runs)-1]
				*r = (*r)[:len(*r)+int(s.Size)]
			} else {
				runs = append(runs, h.data[s.Offset:s.Offset+int64(s.Size):len(h.data)])
			}
			end = s.Offset + int64(s.Size)
		}
	})
	if gerr != nil {
		err = corruptf(t.Path, fr.Offset, "fragment %d: %v", i, gerr)
	}
	if err != nil || chunked {
		t.file.release()
		clear(runs)
		if chunked {
			b, err := t.AppendSegment(buf, i, out, nil, nil)
			return MappedSegment{Head: b, Payload: runs[:0]}, err
		}
		return MappedSegment{Head: buf, Payload: runs[:0]}, err
	}
	return MappedSegment{Head: head, Payload: runs, mapping: h.data, tf: t.file}, nil
}
