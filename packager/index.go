package packager

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/Eyevinn/mp4ff/bits"
	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/drmorigin/drmorigin/storage"
)

// indexer reads one track file: box headers, the init segment, each moof
// (with the header of the mdat after it), sidx and mfra. It never reads an
// mdat payload.
type indexer struct {
	f         io.ReaderAt // the open track file (a storage.Object)
	data      []byte      // its mapping, or nil: read with f.ReadAt (pread)
	path      string
	size      int64
	buf       []byte
	hbuf      [16]byte // header's: a stack array would escape into f.ReadAt
	t         *Track
	st        SampleTable // the fragment being read
	hasTime   []bool      // parallel to t.Fragments, while building: the moof had a tfdt
	dataBytes []int64     // parallel to t.Fragments, while building: the track's sample bytes
	keyBytes  []int64     // the same, of the key samples (keyframes.go)
	keyCount  int
	frameDur  uint32 // the common sample duration of the first fragment
	firstMoof int64
}

// hdr is a top-level box header.
type hdr struct {
	typ       [4]byte
	size, len int64 // box size and header length
}

func (ix *indexer) readAt(p []byte, off int64) error {
	if off >= 0 && off+int64(len(p)) <= int64(len(ix.data)) {
		copy(p, ix.data[off:])
		return nil
	}
	n, err := ix.f.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return readError(ix.path, off, n, len(p), err)
}

// header reads and checks the box header at off.
func (ix *indexer) header(off int64) (hdr, error) {
	b := &ix.hbuf
	n := min(int64(16), ix.size-off)
	if n < 8 {
		return hdr{}, corruptf(ix.path, off, "truncated box header (%d bytes left)", n)
	}
	if err := ix.readAt(b[:n], off); err != nil {
		return hdr{}, err
	}
	return ix.parseHeader(b[:n], off)
}

// parseHeader checks the box header at the start of b, read from off.
func (ix *indexer) parseHeader(b []byte, off int64) (hdr, error) {
	if len(b) < 8 {
		return hdr{}, corruptf(ix.path, off, "truncated box header (%d bytes left)", len(b))
	}
	var h hdr
	copy(h.typ[:], b[4:8])
	h.size, h.len = int64(binary.BigEndian.Uint32(b)), 8
	switch h.size {
	case 0:
		h.size = ix.size - off
	case 1:
		if len(b) < 16 {
			return hdr{}, corruptf(ix.path, off, "truncated large box header")
		}
		s := binary.BigEndian.Uint64(b[8:])
		if s > MaxBoxSize {
			return hdr{}, corruptf(ix.path, off, "box %q size %d over MaxBoxSize", h.typ[:], s)
		}
		h.size, h.len = int64(s), 16
	}
	if h.size < h.len {
		return hdr{}, corruptf(ix.path, off, "box %q size %d below its header", h.typ[:], h.size)
	}
	if h.size > ix.size-off {
		return hdr{}, corruptf(ix.path, off, "box %q of %d bytes runs past the end of the file (%d bytes left)", h.typ[:], h.size, ix.size-off)
	}
	return h, nil
}

// readBox reads a whole box of at most limit bytes.
func (ix *indexer) readBox(off int64, h hdr, limit int64, what string) ([]byte, error) {
	if h.size > limit {
		return nil, corruptf(ix.path, off, "%s of %d bytes over the limit of %d", what, h.size, limit)
	}
	b := make([]byte, h.size)
	return b, ix.readAt(b, off)
}

// openFile opens the track file of that name in st and indexes each of
// its video and audio tracks, reading the file's mapping when st maps it.
// Its tracks share the open file. In a file of several tracks, a track
// that is damaged or unsupported is left out and returned in skipped (by
// TrackID; File is left for the asset to fill), and the others are
// indexed; when none is left, ts is empty and the file is closed (tf nil).
// err is for the whole file.
func openFile(st storage.Store, name string) (ts []*Track, skipped []Skipped, tf *trackFile, err error) {
	path := st.Locate(name)
	f, err := st.Open(name)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("packager: open %s: %w", path, err)
	}
	// The walk reads the mapping: a file cut short under it faults, and
	// that must be an error (SetPanicOnFault), not the end of the process.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			ts, skipped, err = nil, nil, corruptf(path, 0, "undecodable: %v", r)
		}
		if err != nil || len(ts) == 0 {
			_ = f.Close() // unmaps
			tf = nil
		}
	}()
	// The same mapping serves the segments later.
	data := storage.MappingOf(f)
	tf = &trackFile{store: st, name: name, path: path, f: f, data: data}
	ix := &indexer{f: f, data: data, path: path, size: f.Size(), firstMoof: -1}
	ts, skipped, err = ix.build(tf)
	return ts, skipped, tf, err
}

// mediaFault reports whether err is the media's fault (damaged or
// unsupported), which leaves a track or file out of its asset, rather
// than the store's (unavailable, or the object changed), which fails the
// whole build.
func mediaFault(err error) bool {
	return (errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnsupported)) &&
		!errors.Is(err, storage.ErrUnavailable) && !errors.Is(err, storage.ErrChanged)
}

// top is what the walk of a file's top-level boxes found.
type top struct {
	ftypOff, moovOff, sidxOff int64
	ftypH, moovH, sidxH       hdr
}

// build walks the file's top-level boxes and indexes its tracks: a
// fragmented file of one track from its moofs, a progressive file (a moov
// without mvex) from its sample tables, each of its tracks.
func (ix *indexer) build(tf *trackFile) ([]*Track, []Skipped, error) {
	tp := top{ftypOff: -1, moovOff: -1, sidxOff: -1}
	mdat := int64(-1)
	for off := int64(0); off < ix.size; {
		h, err := ix.header(off)
		if err != nil {
			return nil, nil, err
		}
		switch string(h.typ[:]) {
		case "ftyp":
			if tp.ftypOff < 0 {
				tp.ftypOff, tp.ftypH = off, h
			}
		case "moov":
			tp.moovOff, tp.moovH = off, h
		case "sidx":
			if tp.sidxOff < 0 {
				tp.sidxOff, tp.sidxH = off, h
			}
		case "moof":
			ix.firstMoof = off
		case "mdat":
			if mdat < 0 {
				mdat = off
			}
		}
		if ix.firstMoof >= 0 {
			break
		}
		off += h.size
	}
	if tp.moovOff < 0 {
		return nil, nil, corruptf(ix.path, 0, "no moov box")
	}
	if tp.moovH.size > MaxMoovSize {
		return nil, nil, corruptf(ix.path, tp.moovOff, "moov of %d bytes over MaxMoovSize", tp.moovH.size)
	}
	if tp.moovH.len != 8 {
		return nil, nil, unsupportedf(ix.path, "moov with a 64-bit size")
	}
	// The moov from the mapping, or read once: its sample tables are
	// parsed into the index and the bytes are not kept, so a copy (megabytes
	// of fresh pages for a long progressive file) would only cost.
	moov, err := ix.view(tp.moovOff, tp.moovH.size)
	if err != nil {
		return nil, nil, err
	}
	defer func() { ix.buf = nil }()
	m, reason := walkMoov(moov)
	if reason != "" {
		return nil, nil, corruptf(ix.path, tp.moovOff, "%s", reason)
	}
	if m.mvex.end != 0 {
		if mdat >= 0 && ix.firstMoof < 0 {
			return nil, nil, unsupportedf(ix.path, "mdat at %d before any moof in a fragmented file", mdat)
		}
		if len(m.traks) != 1 {
			return ix.tracksOf(tf, &m, tp, true)
		}
		// One fragmented track: the source moov is the init segment.
		ix.t = &Track{Path: ix.path, file: tf, lazy: new(trackLazy)}
		if err := ix.readInit(tp.ftypOff, tp.ftypH, tp.moovOff, tp.moovH); err != nil {
			return nil, nil, err
		}
		if err := ix.fragments(tp); err != nil {
			return nil, nil, err
		}
		return []*Track{ix.t}, nil, nil
	}
	if ix.firstMoof >= 0 {
		return nil, nil, corruptf(ix.path, ix.firstMoof, "moof in a file whose moov has no mvex")
	}
	return ix.tracksOf(tf, &m, tp, false)
}

// tracksOf indexes each video and audio track of a file whose tracks are
// served through a moov of their own (trackMoov: the file's moov cut down
// to the track's trak, its sample table emptied, and its trex): a
// progressive file, from its sample tables (cut into fragments later, when
// the asset knows its first video track: Asset.cutProgressive), or a
// fragmented file of several tracks, from the moofs holding a traf of it.
// A track that is damaged or unsupported is left out (skipped) and the
// others are indexed; only a fault of the whole file is an error.
func (ix *indexer) tracksOf(tf *trackFile, m *rawMoov, tp top, fragmented bool) ([]*Track, []Skipped, error) {
	var ftyp []byte
	if tp.ftypOff >= 0 {
		if tp.ftypH.size > MaxInitSize {
			return nil, nil, corruptf(ix.path, tp.ftypOff, "ftyp of %d bytes over MaxInitSize", tp.ftypH.size)
		}
		ftyp = make([]byte, tp.ftypH.size)
		if err := ix.readAt(ftyp, tp.ftypOff); err != nil {
			return nil, nil, err
		}
	}
	var ts []*Track
	var skipped []Skipped
	for i := range m.traks {
		rt := &m.traks[i]
		if rt.handler != "vide" && rt.handler != "soun" {
			continue // timecode, chapters, subtitles: not served (yet)
		}
		t, err := ix.trackOf(tf, m, rt, tp, ftyp, fragmented)
		if err != nil {
			if !mediaFault(err) {
				return nil, nil, err
			}
			skipped = append(skipped, Skipped{TrackID: rt.trackID, Err: err})
			continue
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 && len(skipped) == 0 {
		return nil, nil, unsupportedf(ix.path, "no video or audio track among %d", len(m.traks))
	}
	siblings := len(ts)+len(skipped) > 1
	for _, t := range ts {
		t.siblings = siblings
	}
	return ts, skipped, nil
}

// trackOf indexes the track rt of a file of several (or of a progressive
// file), for tracksOf.
func (ix *indexer) trackOf(tf *trackFile, m *rawMoov, rt *rawTrak, tp top, ftyp []byte, fragmented bool) (*Track, error) {
	t := &Track{Path: ix.path, file: tf, lazy: new(trackLazy)}
	if !fragmented {
		if rt.stbl.end == 0 {
			return nil, corruptf(ix.path, tp.moovOff, "track %d without a sample table", rt.trackID)
		}
		x, reason := parseProgressive(m.b, rt.stbl, ix.size)
		if reason != "" {
			return nil, corruptf(ix.path, tp.moovOff+int64(rt.stbl.start), "track %d: %s", rt.trackID, reason)
		}
		t.prog, t.IndexedFrom = x, "moov"
	}
	init := m.trackMoov(append([]byte(nil), ftyp...), rt)
	if len(init) > MaxInitSize {
		return nil, corruptf(ix.path, tp.moovOff, "track %d: init segment of %d bytes over MaxInitSize", rt.trackID, len(init))
	}
	t.Init, t.ftypLen = init, len(ftyp)
	if err := t.describeInit(tp.moovOff); err != nil {
		return nil, err
	}
	if fragmented {
		t.siblings = true // moofs and mdats shared: see finish
		tix := &indexer{f: ix.f, data: ix.data, path: ix.path, size: ix.size, t: t, firstMoof: ix.firstMoof}
		if err := tix.fragments(tp); err != nil {
			return nil, err
		}
	} else {
		t.Bitrate = t.prog.bitrate(t.Timescale)
	}
	return t, nil
}

// describeInit decodes the moov of t.Init (a single-track movie; off is
// its offset in the file, for messages) and fills the track's identity,
// codec fields and edit shift from it.
func (t *Track) describeInit(off int64) error {
	b, err := mp4.DecodeBoxSR(uint64(off), bits.NewFixedSliceReader(t.Init[t.ftypLen:]))
	if err != nil {
		return corruptf(t.Path, off, "moov: %v", err)
	}
	mb, ok := b.(*mp4.MoovBox)
	if !ok {
		return corruptf(t.Path, off, "moov did not decode as moov")
	}
	if err := t.describe(mb, off); err != nil {
		return err
	}
	t.shift = -editOffset(mb, t.Timescale)
	return nil
}

// fragments indexes a fragmented track's moofs: from the sidx, else the
// mfra, else by walking them.
func (ix *indexer) fragments(tp top) error {
	if ix.firstMoof < 0 {
		return corruptf(ix.path, ix.size, "no fragments")
	}
	ok := false
	if tp.sidxOff >= 0 {
		ok = ix.fromSidx(tp.sidxOff, tp.sidxH)
		ix.t.IndexedFrom = "sidx"
	}
	if !ok {
		ok = ix.fromMfra()
		ix.t.IndexedFrom = "mfra"
	}
	if !ok {
		if err := ix.walk(); err != nil {
			return err
		}
		ix.t.IndexedFrom = "walk"
	}
	return ix.finish()
}

func (ix *indexer) readInit(ftypOff int64, ftypH hdr, moovOff int64, moovH hdr) error {
	n := moovH.size
	if ftypOff >= 0 {
		n += ftypH.size
	}
	if n > MaxInitSize {
		return corruptf(ix.path, moovOff, "ftyp+moov of %d bytes over MaxInitSize", n)
	}
	init := make([]byte, 0, n)
	if ftypOff >= 0 {
		init = init[:ftypH.size]
		if err := ix.readAt(init, ftypOff); err != nil {
			return err
		}
		ix.t.ftypLen = int(ftypH.size)
	}
	init = init[:n]
	moov := init[len(init)-int(moovH.size):]
	if err := ix.readAt(moov, moovOff); err != nil {
		return err
	}
	ix.t.Init = init
	return ix.t.describeInit(moovOff)
}

// readAhead is how much pair reads at a box offset in one go: a moof of
// a few hundred entries and the mdat header after it, so that indexing
// costs one read per fragment.
const readAhead = 8 << 10

// pair reads the top-level box at off and, when it is a moof, validates it
// with the mdat after it and appends the pair to the index. It returns the
// offset after the box (or pair) and whether it was a moof.
func (ix *indexer) pair(off int64) (int64, bool, error) {
	b, err := ix.view(off, min(int64(readAhead), ix.size-off))
	if err != nil {
		return 0, false, err
	}
	h, err := ix.parseHeader(b, off)
	if err != nil {
		return 0, false, err
	}
	if string(h.typ[:]) != "moof" {
		return off + h.size, false, nil
	}
	if h.len != 8 || h.size > MaxMoofSize {
		return 0, false, corruptf(ix.path, off, "moof of %d bytes over MaxMoofSize", h.size)
	}
	// The moof and the header of the mdat after it.
	n := min(h.size+16, ix.size-off)
	if n > int64(len(b)) {
		if b, err = ix.view(off, n); err != nil {
			return 0, false, err
		}
	}
	b = b[:n]
	mdatOff := off + h.size
	if n-h.size < 8 {
		return 0, false, corruptf(ix.path, mdatOff, "no mdat after moof")
	}
	m := b[h.size:]
	mdatSize, mdatHdr := int64(binary.BigEndian.Uint32(m)), int64(8)
	switch {
	case string(m[4:8]) != "mdat":
		return 0, false, corruptf(ix.path, mdatOff, "want mdat after moof, found %q", m[4:8])
	case mdatSize == 0:
		mdatSize = ix.size - mdatOff
	case mdatSize == 1:
		if len(m) < 16 {
			return 0, false, corruptf(ix.path, mdatOff, "truncated large mdat header")
		}
		mdatSize, mdatHdr = int64(binary.BigEndian.Uint64(m[8:])&(1<<62-1)), 16
	}
	if mdatSize < mdatHdr || mdatSize > ix.size-mdatOff {
		return 0, false, corruptf(ix.path, mdatOff, "mdat size %d does not fit the file (%d bytes left)", mdatSize, ix.size-mdatOff)
	}
	size := h.size + mdatSize
	if size > MaxFragmentSize {
		return 0, false, corruptf(ix.path, off, "fragment of %d bytes over MaxFragmentSize", size)
	}
	reason, unsup := ix.st.readMoof(b[:h.size], off, ix.t.TrackID, ix.t.def)
	if reason == "" && ix.st.absent {
		return off + size, true, nil // another track's fragment
	}
	if reason != "" {
		if unsup {
			return 0, false, unsupportedf(ix.path, "moof at %d: %s", off, reason)
		}
		return 0, false, corruptf(ix.path, off, "moof: %s", reason)
	}
	st := &ix.st
	if reason := st.check(off+h.size+mdatHdr, off+size); reason != "" {
		return 0, false, corruptf(ix.path, off, "moof: %s", reason)
	}
	if len(ix.t.Fragments) >= MaxFragments {
		return 0, false, corruptf(ix.path, off, "more than MaxFragments fragments")
	}
	if len(ix.t.Fragments) == 0 {
		ix.frameDur = st.commonDuration()
	}
	ix.t.leastCTO = min(ix.t.leastCTO, st.leastCTO())
	ix.t.Fragments = append(ix.t.Fragments, Fragment{
		Time: st.Time, Duration: st.Duration(), Offset: off, Size: size, Samples: len(st.Samples),
	})
	ix.t.plans = append(ix.t.plans, plan{moofSize: int32(h.size), mdatHdr: int8(mdatHdr)})
	ix.hasTime = append(ix.hasTime, st.HasTime)
	ix.dataBytes = append(ix.dataBytes, st.DataSize())
	ix.keyBytes = append(ix.keyBytes, st.keyBytes())
	ix.keyCount += st.keyCount()
	return off + size, true, nil
}

// view returns the n bytes at off: a slice of the file's mapping (no copy,
// no syscall: a walk of a two-hour file touches thousands of moofs), or
// read into ix.buf, valid until the next view.
func (ix *indexer) view(off, n int64) ([]byte, error) {
	if off >= 0 && off+n <= int64(len(ix.data)) {
		return ix.data[off : off+n], nil
	}
	if int64(cap(ix.buf)) < n {
		ix.buf = make([]byte, max(n, readAhead))
	}
	b := ix.buf[:n]
	return b, ix.readAt(b, off)
}

func (ix *indexer) reset() {
	ix.t.Fragments, ix.t.plans, ix.hasTime, ix.dataBytes, ix.keyBytes = ix.t.Fragments[:0], ix.t.plans[:0], ix.hasTime[:0], ix.dataBytes[:0], ix.keyBytes[:0]
	ix.keyCount = 0
	ix.t.leastCTO = 0
}

// walk indexes by reading every top-level box header from the first moof.
func (ix *indexer) walk() error {
	ix.reset()
	for off := ix.firstMoof; off < ix.size; {
		var err error
		if off, _, err = ix.pair(off); err != nil {
			return err
		}
	}
	return nil
}

// fromSidx indexes the ranges a single-level sidx references. It reports
// false, leaving the walk to decide, when the sidx does not describe the file.
func (ix *indexer) fromSidx(off int64, h hdr) bool {
	ix.reset()
	raw, err := ix.readBox(off, h, MaxMoofSize, "sidx")
	if err != nil || h.len != 8 {
		return false
	}
	b, err := mp4.DecodeBoxSR(uint64(off), bits.NewFixedSliceReader(raw))
	if err != nil {
		return false
	}
	sx, ok := b.(*mp4.SidxBox)
	if !ok || sx.ReferenceID != ix.t.TrackID || sx.Timescale != ix.t.Timescale || len(sx.SidxRefs) == 0 {
		return false
	}
	pos := off + h.size + int64(sx.FirstOffset)
	if pos != ix.firstMoof || len(sx.SidxRefs) > MaxFragments {
		return false
	}
	offs := make([]int64, len(sx.SidxRefs))
	for i, p := 0, pos; i < len(offs); i++ {
		offs[i] = p
		p += int64(sx.SidxRefs[i].ReferencedSize)
	}
	ix.prefetchMoofs(offs)
	for _, r := range sx.SidxRefs {
		if r.ReferenceType != 0 {
			return false
		}
		end := pos + int64(r.ReferencedSize)
		for pos < end {
			var moof bool
			if pos, moof, err = ix.pair(pos); err != nil || !moof {
				return false
			}
		}
		if pos != end {
			return false
		}
	}
	return ix.endsAt(pos)
}

// prefetchMoofs reads the first readAhead bytes at each offset ahead, in
// parallel, when the file is an object store's (storage.Prefetcher) rather
// than mapped: the walk that follows then finds each moof in the cache
// instead of waiting for one ranged read per fragment, one after the other
// (two hours of 2 s fragments: 3,600 round trips). Only a sidx or an mfra
// says where the moofs are before they are read; a plain walk cannot ask
// ahead. A failed read stops a worker: the walk meets the error itself.
func (ix *indexer) prefetchMoofs(offs []int64) {
	p, ok := ix.f.(storage.Prefetcher)
	if !ok || ix.data != nil || len(offs) < 2 {
		return
	}
	const workers = 16 // in flight at once: an object store's latency, not its bandwidth, bounds a walk
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(offs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(offs)) {
					return
				}
				if offs[i] < 0 || offs[i] >= ix.size {
					continue // the walk says what is wrong with it
				}
				if p.Prefetch(offs[i], min(readAhead, ix.size-offs[i])) != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
}

// endsAt reports whether no fragment follows off.
func (ix *indexer) endsAt(off int64) bool {
	if off >= ix.size {
		return true
	}
	h, err := ix.header(off)
	return err == nil && string(h.typ[:]) != "moof"
}

// fromMfra indexes the moofs that the tfra of the track lists, provided they
// tile the file from the first moof without gaps.
func (ix *indexer) fromMfra() bool {
	ix.reset()
	if ix.size < 16 {
		return false
	}
	var tail [16]byte
	if ix.readAt(tail[:], ix.size-16) != nil || string(tail[4:8]) != "mfro" || binary.BigEndian.Uint32(tail[:]) != 16 {
		return false
	}
	n := int64(binary.BigEndian.Uint32(tail[12:]))
	off := ix.size - n
	if n < 16 || n > MaxMfraSize || off < ix.firstMoof {
		return false
	}
	h, err := ix.header(off)
	if err != nil || string(h.typ[:]) != "mfra" || h.size != n || h.len != 8 {
		return false
	}
	raw, err := ix.readBox(off, h, MaxMfraSize, "mfra")
	if err != nil {
		return false
	}
	b, err := mp4.DecodeBoxSR(uint64(off), bits.NewFixedSliceReader(raw))
	if err != nil {
		return false
	}
	mf, ok := b.(*mp4.MfraBox)
	if !ok {
		return false
	}
	var offs []int64
	for _, tr := range mf.Tfras {
		if tr.TrackID != ix.t.TrackID {
			continue
		}
		for _, e := range tr.Entries {
			offs = append(offs, int64(e.MoofOffset))
		}
	}
	slices.Sort(offs)
	offs = slices.Compact(offs)
	if len(offs) == 0 || offs[0] != ix.firstMoof || len(offs) > MaxFragments {
		return false
	}
	ix.prefetchMoofs(offs)
	next := ix.firstMoof
	for _, o := range offs {
		if o != next {
			return false
		}
		var moof bool
		if next, moof, err = ix.pair(o); err != nil || !moof {
			return false
		}
	}
	return ix.endsAt(next)
}

// finish fills missing decode times, checks their order and measures the
// track.
func (ix *indexer) finish() error {
	t := ix.t
	if len(t.Fragments) == 0 {
		return corruptf(ix.path, ix.firstMoof, "no fragments")
	}
	t.Fragments = slices.Clip(t.Fragments)
	t.plans = slices.Clip(t.plans)
	var total, bytes, keyBytes uint64
	for i := range t.Fragments {
		fr := &t.Fragments[i]
		keyBytes += uint64(ix.keyBytes[i])
		if fr.Duration > 0 {
			t.KeyPeakBitrate = max(t.KeyPeakBitrate, rate(uint64(ix.keyBytes[i]), fr.Duration, t.Timescale))
		}
		if !ix.hasTime[i] {
			fr.Time = 0
			if i > 0 {
				fr.Time = t.Fragments[i-1].Time + t.Fragments[i-1].Duration
			}
		}
		if i > 0 && fr.Time <= t.Fragments[i-1].Time {
			return corruptf(ix.path, fr.Offset, "decode time %d not after the previous fragment's %d", fr.Time, t.Fragments[i-1].Time)
		}
		total += fr.Duration
		mdat, peak := uint64(fr.Size)-uint64(t.plans[i].moofSize), uint64(fr.Size)
		if t.siblings {
			// The moof and mdat hold other tracks' samples too.
			mdat, peak = uint64(ix.dataBytes[i]), uint64(ix.dataBytes[i])
		}
		bytes += mdat
		if fr.Duration > 0 {
			if p := rate(peak, fr.Duration, t.Timescale); p > t.PeakBitrate {
				t.PeakBitrate = p
			}
		}
	}
	if total > 0 {
		t.Bitrate = rate(bytes, total, t.Timescale)
		t.KeyBitrate = rate(keyBytes, total, t.Timescale)
	}
	t.KeyCount = ix.keyCount
	if t.Kind == Video {
		if d := ix.frameDur; d > 0 {
			g := gcd(uint64(t.Timescale), uint64(d))
			t.FrameRateNum, t.FrameRateDen = int(uint64(t.Timescale)/g), int(uint64(d)/g)
		}
	}
	ix.hasTime, ix.dataBytes, ix.keyBytes = nil, nil, nil
	ix.st = SampleTable{}
	ix.buf = nil
	return nil
}

// rate is bytes*8 per duration in timescale units, in bit/s.
func rate(bytes, duration uint64, timescale uint32) int {
	// bytes < 2^40 and timescale < 2^32 could overflow 64 bits: use float.
	return int(float64(bytes) * 8 * float64(timescale) / float64(duration))
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
