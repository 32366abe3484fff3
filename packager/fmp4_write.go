package packager

import "encoding/binary"

// This file writes the head of an fMP4 output segment (CMAF or Smooth) from
// a SampleTable: styp, moof and the mdat header. The mdat payload is the
// samples' data in table order, which the caller writes (or streams) after
// the head.
//
//	styp   CMAF only
//	moof
//	├── mfhd   the source's sequence_number
//	└── traf
//	    ├── tfhd   default-base-is-moof; the source's defaults, no base_data_offset
//	    ├── tfdt   version 1
//	    ├── trun   data_offset relative to the moof; the source's per-sample
//	    │          fields, plus any a sample needs
//	    ├── (encryption boxes: senc, saiz, saio, PIFF uuid; encLen bytes)
//	    ├── tfxd   Smooth only: uuid 6D1D9B05-…, version 1, time and duration
//	    └── tfrf   live Smooth only: uuid D4807EF2-…, the next fragments (tfrf.go)
//	mdat   header only
const (
	mfhdLen    = 16
	tfdtV1Len  = 20
	mdatHdrLen = 8
	// tfxdLen is the size of the Smooth Streaming tfxd box (version 1).
	tfxdLen = 44
)

// tfxdUUID is the MS-SSTR TfxdBox extended type 6D1D9B05-42D5-44E6-80E2-141DAFF757B2.
var tfxdUUID = [16]byte{0x6d, 0x1d, 0x9b, 0x05, 0x42, 0xd5, 0x44, 0xe6, 0x80, 0xe2, 0x14, 0x1d, 0xaf, 0xf7, 0x57, 0xb2}

// fmp4Head is the layout of an output segment's head.
type fmp4Head struct {
	styp      bool // CMAF: the head starts with styp
	smooth    bool // Smooth: the traf ends with tfxd
	tfrf      bool // live Smooth: then with tfrf (st.next)
	trunFlags uint32
	version   byte // trun version
	entry     int  // bytes per trun entry
	tfhdLen   int
	trunLen   int
	encLen    int // bytes left in the traf after the trun for encryption boxes
	moofLen   int
	// encAt is the offset in the moof where the encryption boxes go.
	encAt int
}

// Len is the head's length: styp, moof and mdat header.
func (h *fmp4Head) Len() int {
	n := h.moofLen + mdatHdrLen
	if h.styp {
		n += len(stypCMAF)
	}
	return n
}

// layout works out the head of st in the form out with encLen bytes of
// encryption boxes. The trun keeps the per-sample fields of the source's
// form and adds those that a sample needs: a value that differs from the
// default the form implies (tfhd, else trex def).
func (st *SampleTable) layout(def trackDefaults, out Output, encLen int) fmp4Head {
	f := &st.form
	h := fmp4Head{styp: out.form == formCMAF, smooth: out.form == formSmooth, encLen: encLen}
	h.tfrf = h.smooth && st.next.ok
	flags, version := f.trunFlags|trunDataOffset, f.trunVersion
	dur, size, sflags := def.duration, def.size, def.flags
	h.tfhdLen = 16
	if f.tfhdFlags&tfhdSampleDescIndex != 0 {
		h.tfhdLen += 4
	}
	if f.tfhdFlags&tfhdDefaultDuration != 0 {
		dur = f.defDur
		h.tfhdLen += 4
	}
	if f.tfhdFlags&tfhdDefaultSize != 0 {
		size = f.defSize
		h.tfhdLen += 4
	}
	if f.tfhdFlags&tfhdDefaultFlags != 0 {
		sflags = f.defF
		h.tfhdLen += 4
	}
	for k := range st.Samples {
		s := &st.Samples[k]
		if s.Duration != dur {
			flags |= trunSampleDuration
		}
		if s.Size != size {
			flags |= trunSampleSize
		}
		want := sflags
		if k == 0 && flags&trunFirstSampleFlags != 0 {
			want = f.firstFlags
		}
		if s.Flags != want {
			flags |= trunSampleFlags
		}
		if s.CTO != 0 {
			flags |= trunSampleCTO
			if s.CTO < 0 {
				version = 1
			}
		}
	}
	if flags&trunSampleFlags != 0 {
		flags &^= trunFirstSampleFlags
	}
	h.trunFlags, h.version = flags, version
	for _, fl := range [...]uint32{trunSampleDuration, trunSampleSize, trunSampleFlags, trunSampleCTO} {
		if flags&fl != 0 {
			h.entry += 4
		}
	}
	h.trunLen = 20 + h.entry*len(st.Samples)
	if flags&trunFirstSampleFlags != 0 {
		h.trunLen += 4
	}
	traf := 8 + h.tfhdLen + tfdtV1Len + h.trunLen + encLen
	if h.smooth {
		traf += tfxdLen
	}
	if h.tfrf {
		traf += tfrfLen
	}
	h.moofLen = 8 + mfhdLen + traf
	h.encAt = 8 + mfhdLen + 8 + h.tfhdLen + tfdtV1Len + h.trunLen
	return h
}

// putHead writes the head laid out by h (h.Len() bytes) into dst, with the
// encryption boxes' bytes (at h.encAt in the moof) left for the caller, for
// an mdat of payload bytes. It returns h.Len().
func (st *SampleTable) putHead(dst []byte, h *fmp4Head, payload int64) int {
	be := binary.BigEndian
	f := &st.form
	n := 0
	if h.styp {
		n += copy(dst, stypCMAF)
	}
	m := dst[n : n+h.moofLen]
	be.PutUint32(m, uint32(h.moofLen))
	copy(m[4:], "moof")
	be.PutUint32(m[8:], mfhdLen)
	copy(m[12:], "mfhd")
	be.PutUint32(m[16:], 0)
	be.PutUint32(m[20:], f.seq)
	p := 8 + mfhdLen
	be.PutUint32(m[p:], uint32(h.moofLen-p))
	copy(m[p+4:], "traf")
	p += 8
	// tfhd
	be.PutUint32(m[p:], uint32(h.tfhdLen))
	copy(m[p+4:], "tfhd")
	be.PutUint32(m[p+8:], f.tfhdFlags|tfhdDefaultBaseIsMoof)
	be.PutUint32(m[p+12:], f.trackID)
	q := p + 16
	for _, fv := range [...]struct{ flag, v uint32 }{
		{tfhdSampleDescIndex, f.sdi}, {tfhdDefaultDuration, f.defDur},
		{tfhdDefaultSize, f.defSize}, {tfhdDefaultFlags, f.defF},
	} {
		if f.tfhdFlags&fv.flag != 0 {
			be.PutUint32(m[q:], fv.v)
			q += 4
		}
	}
	p += h.tfhdLen
	p += putTfdt(m[p:], st.Time)
	// trun
	be.PutUint32(m[p:], uint32(h.trunLen))
	copy(m[p+4:], "trun")
	be.PutUint32(m[p+8:], uint32(h.version)<<24|h.trunFlags)
	be.PutUint32(m[p+12:], uint32(len(st.Samples)))
	be.PutUint32(m[p+16:], uint32(h.moofLen+mdatHdrLen))
	p += 20
	if h.trunFlags&trunFirstSampleFlags != 0 {
		be.PutUint32(m[p:], f.firstFlags)
		p += 4
	}
	for k := range st.Samples {
		s := &st.Samples[k]
		if h.trunFlags&trunSampleDuration != 0 {
			be.PutUint32(m[p:], s.Duration)
			p += 4
		}
		if h.trunFlags&trunSampleSize != 0 {
			be.PutUint32(m[p:], s.Size)
			p += 4
		}
		if h.trunFlags&trunSampleFlags != 0 {
			be.PutUint32(m[p:], s.Flags)
			p += 4
		}
		if h.trunFlags&trunSampleCTO != 0 {
			be.PutUint32(m[p:], uint32(s.CTO))
			p += 4
		}
	}
	p += h.encLen
	if h.smooth {
		be.PutUint32(m[p:], tfxdLen)
		copy(m[p+4:], "uuid")
		copy(m[p+8:], tfxdUUID[:])
		be.PutUint32(m[p+24:], 1<<24)
		be.PutUint64(m[p+28:], st.Time)
		be.PutUint64(m[p+36:], st.Duration())
		p += tfxdLen
	}
	if h.tfrf {
		putTfrf(m[p:], &st.next)
	}
	n += h.moofLen
	be.PutUint32(dst[n:], uint32(payload+mdatHdrLen))
	copy(dst[n+4:], "mdat")
	return n + mdatHdrLen
}

// putTfdt writes a version 1 tfdt.
func putTfdt(dst []byte, time uint64) int {
	binary.BigEndian.PutUint32(dst, tfdtV1Len)
	copy(dst[4:8], "tfdt")
	binary.BigEndian.PutUint32(dst[8:], 1<<24)
	binary.BigEndian.PutUint64(dst[12:], time)
	return tfdtV1Len
}
