package packager

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	mp4hevc "github.com/Eyevinn/mp4ff/hevc"
	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/drmorigin/drmorigin/codec/h264"
	"github.com/drmorigin/drmorigin/codec/hevc"
	"github.com/drmorigin/drmorigin/crypto"
	"github.com/drmorigin/drmorigin/packager/ts"
)

// piffSencUUID is the extended type of the PIFF 1.1 SampleEncryptionBox.
var piffSencUUID = [16]byte{0xa2, 0x39, 0x4f, 0x52, 0x5a, 0x9b, 0x4f, 0x14, 0xa2, 0x44, 0x6c, 0x42, 0x7c, 0x64, 0x8d, 0xf4}

// ivSize is the per-sample IV size of 'cenc' (and PIFF): 8 bytes, as CMAF
// (ISO/IEC 23000-19 8.2.3) and PlayReady ask, from FragmentIV.SampleIV8.
const ivSize = 8

// Scratch holds the per-request buffers of AppendSegmentEncrypted: the
// fragment read (moof, sample table, sample data when not mapped) and the
// subsample maps. Take one from a pool per request (AcquireScratch) and
// give it back with ReleaseScratch; do not use it after Release. A Scratch
// grows to the largest fragment it served and then allocates nothing. It is
// not safe for concurrent use.
type Scratch struct {
	frag    fragScratch
	samples []subRef
	subs    []crypto.Subsample
	pattern crypto.PatternBatch // cbcs video: the samples' ranges, four chains at a time
	// TS output: the muxer, and the samples whose Data are slices of
	// frag.data or of the files' mappings.
	mux          ts.Muxer
	video, audio []ts.Sample
	// AppendKeyFrames: the writers note each key sample's entry in keys
	// while recording is set.
	recording bool
	keys      []KeyFrame
}

// subRef is one sample's subsample entries: s.subs[sub:sub+nsub].
type subRef struct {
	sub, nsub uint32
}

// Reset truncates the buffers, keeping their capacity.
func (s *Scratch) Reset() {
	s.frag.reset()
	s.samples = s.samples[:0]
	s.subs = s.subs[:0]
	clear(s.video) // no references into data or mappings stay behind
	clear(s.audio)
	s.video = s.video[:0]
	s.audio = s.audio[:0]
}

var scratchPool = sync.Pool{New: func() any { return new(Scratch) }}

// AcquireScratch returns an empty Scratch from a pool.
func AcquireScratch() *Scratch { return scratchPool.Get().(*Scratch) }

// ReleaseScratch resets s and returns it to the pool; do not use s after
// Release.
func ReleaseScratch(s *Scratch) {
	s.Reset()
	scratchPool.Put(s)
}

// trackCrypto is what encryption needs to know about a track, worked out
// once (lazily, on the first encrypted request) and then only read, but for
// the table of subsample maps, which has its own locks.
type trackCrypto struct {
	codec   codecKind
	lenSize int
	h264    *h264.ParamSets
	hevc    *hevc.ParamSets
	psErr   error // why the parameter sets did not parse (cbcs needs them)
	// maps holds the cbcs subsample maps of the fragments served last; it
	// is the one part written after the build (subsample_cache.go).
	maps mapCache
}

type codecKind int

const (
	codecAudio codecKind = iota
	codecH264
	codecHEVC
)

// crypto returns the track's encryption state, building it on first use.
func (t *Track) crypto() (*trackCrypto, error) {
	z := t.lazy
	z.encOnce.Do(func() { z.enc, z.encErr = t.buildCrypto() })
	return z.enc, z.encErr
}

func (t *Track) buildCrypto() (*trackCrypto, error) {
	tc := &trackCrypto{}
	moov, err := t.decodeMoov()
	if err != nil {
		return nil, err
	}
	switch se := moov.Trak.Mdia.Minf.Stbl.Stsd.Children[0].(type) {
	case *mp4.VisualSampleEntryBox:
		switch se.Type() {
		case "avc1", "avc3":
			tc.codec, tc.lenSize = codecH264, 4 // mp4ff accepts 4-byte lengths only
			nalus := append(slices.Clone(se.AvcC.SPSnalus), se.AvcC.PPSnalus...)
			tc.h264, tc.psErr = h264.NewParamSets(nalus...)
		case "hvc1", "hev1":
			tc.codec, tc.lenSize = codecHEVC, int(se.HvcC.LengthSizeMinusOne)+1
			var nalus [][]byte
			nalus = append(nalus, se.HvcC.GetNalusForType(mp4hevc.NALU_SPS)...)
			nalus = append(nalus, se.HvcC.GetNalusForType(mp4hevc.NALU_PPS)...)
			tc.hevc, tc.psErr = hevc.NewParamSets(nalus...)
		default:
			return nil, fmt.Errorf("%w: %s: sample entry %s", ErrEncryption, t.Path, se.Type())
		}
	case *mp4.AudioSampleEntryBox:
		tc.codec = codecAudio
	default:
		return nil, fmt.Errorf("%w: %s: sample entry %s", ErrEncryption, t.Path, se.Type())
	}
	return tc, nil
}

// decodeMoov decodes the track's moov (validated when it was indexed).
func (t *Track) decodeMoov() (*mp4.MoovBox, error) {
	b, err := mp4.DecodeBox(0, bytes.NewReader(t.Init[t.ftypLen:]))
	if err != nil {
		return nil, fmt.Errorf("packager: %s: moov: %w", t.Path, err)
	}
	moov, ok := b.(*mp4.MoovBox)
	if !ok || moov.Trak == nil {
		return nil, fmt.Errorf("packager: %s: moov did not decode", t.Path)
	}
	return moov, nil
}

// appendInitProtected appends the track's protected initialization segment
// to buf: the ftyp of AppendInit, then the moov with the sample entry renamed
// encv/enca and a sinf (frma with the original format, schm, schi/tenc), and
// p.PSSH appended to the moov.
//
//	tenc cenc, piff: version 0, protected, Per_Sample_IV_Size 8, KID
//	tenc cbcs:       version 1, pattern 1:9 (video) or 0:0 (audio),
//	                 Per_Sample_IV_Size 0, constant IV Key.CBCSConstantIV
//
// The bytes depend only on the track and p. It allocates (it rebuilds the
// moov with mp4ff): AppendInit caches the result. On error it returns
// buf[:len(buf)].
func (t *Track) appendInitProtected(buf []byte, out Output, e *Protection) ([]byte, error) {
	_, err := t.crypto()
	if err != nil {
		return buf, err
	}
	moov, err := t.decodeMoov()
	if err != nil {
		return buf, err
	}
	var psshs []*mp4.PsshBox
	for _, p := range e.PSSH {
		b, err := mp4.DecodeBox(0, bytes.NewReader(p))
		if err != nil {
			return buf, fmt.Errorf("%w: pssh: %v", ErrEncryption, err)
		}
		ps, ok := b.(*mp4.PsshBox)
		if !ok || int(b.Size()) != len(p) {
			return buf, fmt.Errorf("%w: PSSH entry is not one pssh box", ErrEncryption)
		}
		psshs = append(psshs, ps)
	}
	scheme, iv := "cenc", make([]byte, ivSize)
	if e.Scheme == SchemeCBCS {
		civ := t.constantIV(e)
		scheme, iv = "cbcs", civ[:]
	}
	init := mp4.NewMP4Init()
	init.AddChild(moov)
	if _, err := mp4.InitProtect(init, nil, iv, scheme, mp4.UUID(e.KID[:]), psshs); err != nil {
		return buf, fmt.Errorf("%w: %s: %v", ErrEncryption, t.Path, err)
	}
	start := len(buf)
	if out.form == formCMAF {
		buf = append(buf, ftypCMAF...)
	} else {
		buf = append(buf, t.Init[:t.ftypLen]...)
	}
	w := bytes.NewBuffer(buf)
	if err := moov.Encode(w); err != nil {
		return buf[:start], fmt.Errorf("packager: %s: encode moov: %w", t.Path, err)
	}
	return w.Bytes(), nil
}

// appendEncrypted appends fragment i in the form out, encrypted with the
// Common Encryption scheme of p (SchemeCENC, SchemeCBCS, SchemePIFF), to
// buf: the segment of the clear output with the samples encrypted and the
// sample auxiliary information after the trun:
//
//	moof
//	└── traf
//	    ├── tfhd   default-base-is-moof, source track_ID
//	    ├── tfdt
//	    ├── trun   data_offset past the boxes below
//	    ├── senc   cenc, piff: 8-byte IV per sample, subsamples for video
//	    │          (flags 2); cbcs: subsamples only (Per_Sample_IV_Size 0);
//	    │          cbcs audio: no senc, saiz, saio (nothing per sample)
//	    ├── saiz   the size of each sample's entry (default when all equal)
//	    ├── saio   one offset: the first entry in senc, from the moof start
//	    ├── uuid   piff only: PIFF SampleEncryptionBox A2394F52-…, senc's
//	    │          entries again, for PlayReady clients
//	    ├── tfxd   Smooth only
//	    └── tfrf   live Smooth only (tfrf.go)
//
// It fails closed: on any error it returns buf with its original length
// (nothing appended) and the bytes it had written past that length zeroed,
// never the clear segment. The same (track, i, out, p) gives the same bytes.
func (t *Track) appendEncrypted(buf []byte, i int, out Output, e *Protection, s *Scratch) ([]byte, error) {
	start := len(buf)
	tc, err := t.crypto()
	if err != nil {
		return buf, err
	}
	if e.Scheme == SchemeCBCS && tc.psErr != nil {
		return buf, fmt.Errorf("%w: %s: parameter sets: %v", ErrEncryption, t.Path, tc.psErr)
	}
	h, err := t.file.hold()
	if err != nil {
		return buf, err
	}
	defer t.file.release()
	// From a mapped file the samples are encrypted straight from the
	// mapping into their place in buf: one pass, no read.
	res := buf
	gerr := guardMapped(h.data, nil, func() { res, err = t.appendSegmentEncrypted(buf, i, out, e, s, tc, h) })
	if gerr != nil {
		err = corruptf(t.Path, t.Fragments[i].Offset, "fragment %d: %v", i, gerr)
	}
	if err != nil {
		return failClosed(res, start, err)
	}
	return res, nil
}

// appendSegmentEncrypted is appendEncrypted on the file h that the
// caller holds, under guardMapped. On error it returns the buffer it wrote
// into, for failClosed.
func (t *Track) appendSegmentEncrypted(buf []byte, i int, out Output, e *Protection, s *Scratch, tc *trackCrypto, h heldFile) ([]byte, error) {
	st := &s.frag.st
	if err := t.readFragment(h, i, st, &s.frag.moof); err != nil {
		return buf, err
	}
	if out.keysOnly {
		st.keepKeys()
	}
	data, err := t.sampleData(h, st, &s.frag.data)
	if err != nil {
		return buf, err
	}
	cs := crypto.SchemeCENC
	if e.Scheme == SchemeCBCS {
		cs = crypto.SchemeCBCS
	}
	// Subsample maps, from the clear samples.
	video := tc.codec != codecAudio
	s.samples = slices.Grow(s.samples[:0], len(st.Samples))[:len(st.Samples)]
	clear(s.samples)
	// cbcs maps parse every slice header: a repeat of one of the track's
	// last fragments copies its map instead (subsample_cache.go).
	cacheMaps := useMapCache && video && e.Scheme == SchemeCBCS && !out.keysOnly
	var mkey mapKey
	hit := false
	if cacheMaps {
		mkey = fragMapKey(t, i, len(st.Samples))
		s.subs, hit = tc.maps.load(mkey, s.subs, s.samples)
	}
	if video && !hit {
		for k := range st.Samples {
			d := data.of(&st.Samples[k])
			n0 := len(s.subs)
			if tc.codec == codecH264 {
				s.subs, err = crypto.AppendSubsamplesH264(s.subs, d, tc.lenSize, tc.h264, cs)
			} else {
				s.subs, err = crypto.AppendSubsamplesHEVC(s.subs, d, tc.lenSize, tc.hevc, cs)
			}
			if err != nil {
				return buf, fmt.Errorf("%w: %s fragment %d sample %d: %v", ErrEncryption, t.Path, i, k, err)
			}
			s.samples[k] = subRef{sub: uint32(n0), nsub: uint32(len(s.subs) - n0)}
		}
		if cacheMaps {
			tc.maps.store(mkey, s.subs, s.samples)
		}
	}
	ivs := ivSize
	if e.Scheme == SchemeCBCS {
		ivs = 0
	}
	var civ [16]byte
	if e.Scheme == SchemeCBCS {
		civ = t.constantIV(e)
	}
	pat := crypto.PatternVideo
	if !video {
		pat = crypto.PatternWhole
	}
	s.pattern.Reset(e.Key, civ)
	defer func() {
		s.pattern.Flush()
		s.pattern = crypto.PatternBatch{} // no key, no buffer kept in the pooled scratch
	}()
	if !t.chunked(st, out) {
		start := len(buf)
		return t.appendChunkEncrypted(buf, i, out, e, s, data, start, start, ivs, video, civ, pat)
	}
	// One chunk per key sample (keyframes.go): each its own moof with the
	// encryption boxes of its samples, IVs from the chunk's decode time.
	start := len(buf)
	all, refs, t0 := st.Samples, s.samples, st.Time
	defer func() { st.Samples, s.samples, st.Time = all, refs, t0 }()
	for a := 0; a < len(all); {
		b := chunkEnd(all, a)
		st.Samples, s.samples = all[a:b], refs[a:b]
		from := start
		if a > 0 {
			buf = appendAlign(buf, start)
			from = len(buf)
		}
		if buf, err = t.appendChunkEncrypted(buf, i, out, e, s, data, start, from, ivs, video, civ, pat); err != nil {
			return buf, err
		}
		s.pattern.Flush() // before the next chunk grows buf under the queued ranges
		st.Time += st.Duration()
		a = b
	}
	return buf, nil
}

// appendChunkEncrypted appends st (the whole fragment, or one chunk of it)
// as moof and mdat, styp first when from is the segment's start seg,
// with s.samples the subsample maps of st's samples.
func (t *Track) appendChunkEncrypted(buf []byte, i int, out Output, e *Protection, s *Scratch, data sampleData,
	seg, from, ivs int, video bool, civ [16]byte, pat crypto.Pattern) ([]byte, error) {
	st := &s.frag.st
	encLen, reason := s.encBoxesLen(e.Scheme, ivs, video)
	if reason != "" {
		return buf, fmt.Errorf("%w: %s fragment %d: %s", ErrEncryption, t.Path, i, reason)
	}
	start := len(buf)
	hd := st.layout(t.def, out, encLen)
	hd.styp = hd.styp && from == seg
	payload := st.DataSize()
	total := hd.Len() + int(payload)
	buf = slices.Grow(buf, total)[:start+total]
	n := st.putHead(buf[start:], &hd, payload)
	s.recordKeys(st, seg, from, start+n)
	var fiv crypto.FragmentIV
	if e.Scheme != SchemeCBCS {
		fiv = t.fragmentIV(e, st.Time)
	}
	moof := buf[start+n-mdatHdrLen-hd.moofLen : start+n-mdatHdrLen]
	s.putEncBoxes(moof[hd.encAt:hd.encAt+encLen], hd.encAt, e.Scheme, ivs, video, &fiv)
	dst := buf[start+n:]
	var err error
	for k := range st.Samples {
		src := data.of(&st.Samples[k])
		d := dst[:len(src)]
		dst = dst[len(src):]
		sr := s.samples[k]
		subs := s.subs[sr.sub : sr.sub+sr.nsub]
		if e.Scheme == SchemeCBCS {
			switch {
			case pat == crypto.PatternVideo:
				// Copied and encrypted in one pass by the lanes.
				err = s.pattern.AddSampleTo(d, src, subs)
			case len(subs) == 0:
				// Audio: whole samples, four chains at a time.
				s.pattern.AddWholeTo(d, src)
			default:
				copy(d, src)
				err = e.Key.EncryptCBCS(d, civ, subs, pat)
			}
		} else {
			var iv [16]byte
			iv8 := fiv.SampleIV8(uint32(k))
			copy(iv[:], iv8[:])
			err = e.Key.EncryptCENCTo(d, src, iv, subs)
		}
		if err != nil {
			return buf, fmt.Errorf("%w: %s fragment %d sample %d: %v", ErrEncryption, t.Path, i, k, err)
		}
	}
	return buf, nil
}

// failClosed zeroes what appendEncrypted wrote past start, up to the
// buffer's capacity (clear media may be among it), and returns buf[:start]
// with err.
func failClosed(buf []byte, start int, err error) ([]byte, error) {
	clear(buf[start:cap(buf)])
	return buf[:start], err
}

// Encryption box sizes.
const (
	fullBoxHdr = 12
	sencHdr    = fullBoxHdr + 4      // senc: sample_count
	piffHdr    = fullBoxHdr + 16 + 4 // uuid extended type, sample_count
	saizHdr    = fullBoxHdr + 1 + 4  // default_sample_info_size, sample_count
	saioLen    = fullBoxHdr + 4 + 4  // entry_count, one 32-bit offset
)

// entryLen is the size of sample k's auxiliary information.
func (s *Scratch) entryLen(k, ivs int, subsamples bool) int {
	n := ivs
	if subsamples {
		n += 2 + 6*int(s.samples[k].nsub)
	}
	return n
}

// saizDefault is the saiz default_sample_info_size: the common entry size,
// or 0 when sizes differ (or are all 0) and a table follows.
func (s *Scratch) saizDefault(ivs int, subsamples bool) int {
	if len(s.samples) == 0 {
		return 0
	}
	d := s.entryLen(0, ivs, subsamples)
	for k := range s.samples {
		if s.entryLen(k, ivs, subsamples) != d {
			return 0
		}
	}
	return d
}

// encBoxesLen is the size of senc, saiz, saio and for PIFF the PIFF box.
// With neither IVs nor subsamples (cbcs audio: whole samples under the
// constant IV of tenc) there is no sample auxiliary information and no boxes,
// as CMAF (ISO/IEC 23000-19 8.2.2.1) recommends.
func (s *Scratch) encBoxesLen(scheme Scheme, ivs int, subsamples bool) (int, string) {
	if ivs == 0 && !subsamples {
		return 0, ""
	}
	n := sencHdr
	for k := range s.samples {
		l := s.entryLen(k, ivs, subsamples)
		if l > 255 {
			return 0, fmt.Sprintf("sample %d has %d subsamples: more than saiz can state", k, s.samples[k].nsub)
		}
		n += l
	}
	if scheme == SchemePIFF {
		n += n + piffHdr - sencHdr // the PIFF box repeats senc's entries
	}
	n += saizHdr + saioLen
	if s.saizDefault(ivs, subsamples) == 0 {
		n += len(s.samples)
	}
	return n, ""
}

// putEncBoxes writes senc, saiz, saio and for PIFF the PIFF sample
// encryption box into dst, which is exactly encBoxesLen bytes at offset at of
// the moof.
func (s *Scratch) putEncBoxes(dst []byte, at int, scheme Scheme, ivs int, subsamples bool, fiv *crypto.FragmentIV) {
	if len(dst) == 0 {
		return
	}
	be := binary.BigEndian
	flags := uint32(0)
	if subsamples {
		flags = 2
	}
	// senc
	copy(dst[4:], "senc")
	be.PutUint32(dst[8:], flags) // version 0
	be.PutUint32(dst[12:], uint32(len(s.samples)))
	n := sencHdr
	for k := range s.samples {
		if ivs > 0 {
			iv := fiv.SampleIV8(uint32(k))
			n += copy(dst[n:], iv[:])
		}
		if subsamples {
			sr := &s.samples[k]
			be.PutUint16(dst[n:], uint16(sr.nsub))
			n += 2
			for _, ss := range s.subs[sr.sub : sr.sub+sr.nsub] {
				be.PutUint16(dst[n:], ss.Clear)
				be.PutUint32(dst[n+2:], ss.Protected)
				n += 6
			}
		}
	}
	sencLen := n
	be.PutUint32(dst, uint32(sencLen))
	// saiz
	def := s.saizDefault(ivs, subsamples)
	l := saizHdr
	if def == 0 {
		l += len(s.samples)
	}
	be.PutUint32(dst[n:], uint32(l))
	copy(dst[n+4:], "saiz")
	be.PutUint32(dst[n+8:], 0)
	dst[n+12] = byte(def)
	be.PutUint32(dst[n+13:], uint32(len(s.samples)))
	n += saizHdr
	if def == 0 {
		for k := range s.samples {
			dst[n] = byte(s.entryLen(k, ivs, subsamples))
			n++
		}
	}
	// saio: the first entry in senc, from the moof start
	be.PutUint32(dst[n:], saioLen)
	copy(dst[n+4:], "saio")
	be.PutUint32(dst[n+8:], 0)
	be.PutUint32(dst[n+12:], 1)
	be.PutUint32(dst[n+16:], uint32(at+sencHdr))
	n += saioLen
	if scheme != SchemePIFF {
		return
	}
	// PIFF SampleEncryptionBox: uuid, extended type, then senc's payload.
	be.PutUint32(dst[n:], uint32(sencLen+piffHdr-sencHdr))
	copy(dst[n+4:], "uuid")
	copy(dst[n+8:], piffSencUUID[:])
	copy(dst[n+24:], dst[8:sencLen])
}
