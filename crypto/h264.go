package crypto

import "fmt"

// H.264 (ITU-T H.264 7.3) parameter sets and slice headers, parsed as far as
// the slice header length needs: the end of slice_header() is where cbcs
// starts protecting (the FairPlay/CENC convention: slice_data() clear bits
// included, the clear range rounded up to a whole byte).

// h264SPS holds the SPS fields that the slice header syntax depends on.
type h264SPS struct {
	chromaArrayType         uint32
	separateColourPlane     bool
	log2MaxFrameNum         uint
	picOrderCntType         uint32
	log2MaxPOCLsb           uint
	deltaPicOrderAlwaysZero bool
	frameMbsOnly            bool
	picSizeInMapUnits       uint32
}

// h264PPS holds the PPS fields that the slice header syntax depends on.
type h264PPS struct {
	spsID                      uint32
	entropyCodingMode          bool
	bottomFieldPicOrderPresent bool
	numSliceGroupsMinus1       uint32
	sliceGroupMapType          uint32
	sliceGroupChangeRateMinus1 uint32
	numRefIdxL0DefaultMinus1   uint32
	numRefIdxL1DefaultMinus1   uint32
	weightedPred               bool
	weightedBipredIDC          uint32
	deblockingFilterControl    bool
	redundantPicCntPresent     bool
}

// H264ParamSets are the SPS and PPS of an H.264 track, parsed once per track
// from its avcC (or in-band) NAL units and then read by AppendSubsamplesH264.
// Use it from one goroutine while adding, then from any number.
type H264ParamSets struct {
	sps [32]*h264SPS
	pps [256]*h264PPS
}

// NewH264ParamSets parses the given SPS and PPS NAL units (each starting with
// its NAL unit header byte); other NAL unit types are ignored.
func NewH264ParamSets(nalus ...[]byte) (*H264ParamSets, error) {
	ps := &H264ParamSets{}
	for _, n := range nalus {
		if err := ps.Add(n); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// Add parses one NAL unit: an SPS (type 7) or PPS (type 8) replaces the one
// with the same ID; other types are ignored.
func (ps *H264ParamSets) Add(nalu []byte) error {
	if len(nalu) < 2 {
		return fmt.Errorf("h264 parameter set: %w", ErrParamSet)
	}
	switch nalu[0] & 0x1f {
	case 7:
		return ps.addSPS(nalu)
	case 8:
		return ps.addPPS(nalu)
	}
	return nil
}

// profileHasChroma lists the profile_idc values whose SPS carries
// chroma_format_idc and the following fields (H.264 7.3.2.1.1).
func profileHasChroma(p uint32) bool {
	switch p {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		return true
	}
	return false
}

func skipScalingList(r *bitReader, size int) {
	last, next := int32(8), int32(8)
	for range size {
		if next != 0 {
			next = (last + r.se() + 256) % 256
		}
		if next != 0 {
			last = next
		}
		if r.err {
			return
		}
	}
}

func (ps *H264ParamSets) addSPS(nalu []byte) error {
	r := newBitReader(nalu)
	r.skip(8)
	profile := r.u(8)
	r.skip(16) // constraint flags, reserved bits, level_idc
	id := r.ue()
	if r.err || id > 31 {
		return fmt.Errorf("h264 sps: %w", ErrParamSet)
	}
	s := h264SPS{chromaArrayType: 1}
	if profileHasChroma(profile) {
		cf := r.ue()
		if cf == 3 {
			s.separateColourPlane = r.flag()
		}
		s.chromaArrayType = cf
		if s.separateColourPlane {
			s.chromaArrayType = 0
		}
		r.ue()        // bit_depth_luma_minus8
		r.ue()        // bit_depth_chroma_minus8
		r.skip(1)     // qpprime_y_zero_transform_bypass_flag
		if r.flag() { // seq_scaling_matrix_present_flag
			n := 8
			if cf == 3 {
				n = 12
			}
			for i := range n {
				if r.flag() {
					if i < 6 {
						skipScalingList(&r, 16)
					} else {
						skipScalingList(&r, 64)
					}
				}
			}
		}
	}
	lmfn := r.ue()
	s.picOrderCntType = r.ue()
	switch s.picOrderCntType {
	case 0:
		l := r.ue()
		if l > 12 {
			return fmt.Errorf("h264 sps %d: log2_max_pic_order_cnt_lsb: %w", id, ErrParamSet)
		}
		s.log2MaxPOCLsb = uint(l) + 4
	case 1:
		s.deltaPicOrderAlwaysZero = r.flag()
		r.se()
		r.se()
		n := r.ue()
		if n > 255 {
			return fmt.Errorf("h264 sps %d: %w", id, ErrParamSet)
		}
		for range n {
			r.se()
		}
	case 2:
	default:
		return fmt.Errorf("h264 sps %d: pic_order_cnt_type: %w", id, ErrParamSet)
	}
	r.ue()    // max_num_ref_frames
	r.skip(1) // gaps_in_frame_num_value_allowed_flag
	w := r.ue() + 1
	h := r.ue() + 1
	s.frameMbsOnly = r.flag()
	if r.err || lmfn > 12 || w > 1<<16 || h > 1<<16 {
		return fmt.Errorf("h264 sps %d: %w", id, ErrParamSet)
	}
	s.log2MaxFrameNum = uint(lmfn) + 4
	s.picSizeInMapUnits = w * h
	ps.sps[id] = &s
	return nil
}

func (ps *H264ParamSets) addPPS(nalu []byte) error {
	r := newBitReader(nalu)
	r.skip(8)
	id := r.ue()
	p := h264PPS{spsID: r.ue()}
	if r.err || id > 255 || p.spsID > 31 {
		return fmt.Errorf("h264 pps: %w", ErrParamSet)
	}
	p.entropyCodingMode = r.flag()
	p.bottomFieldPicOrderPresent = r.flag()
	p.numSliceGroupsMinus1 = r.ue()
	if p.numSliceGroupsMinus1 > 7 {
		return fmt.Errorf("h264 pps %d: %w", id, ErrParamSet)
	}
	if p.numSliceGroupsMinus1 > 0 {
		p.sliceGroupMapType = r.ue()
		switch p.sliceGroupMapType {
		case 0:
			for range p.numSliceGroupsMinus1 + 1 {
				r.ue()
			}
		case 2:
			for range p.numSliceGroupsMinus1 {
				r.ue()
				r.ue()
			}
		case 3, 4, 5:
			r.skip(1)
			p.sliceGroupChangeRateMinus1 = r.ue()
		case 6:
			n := r.ue() + 1
			if n > 1<<20 {
				return fmt.Errorf("h264 pps %d: %w", id, ErrParamSet)
			}
			b := ceilLog2(p.numSliceGroupsMinus1 + 1)
			for i := uint32(0); i < n && !r.err; i++ {
				r.skip(b)
			}
		case 1:
		default:
			return fmt.Errorf("h264 pps %d: slice_group_map_type: %w", id, ErrParamSet)
		}
	}
	p.numRefIdxL0DefaultMinus1 = r.ue()
	p.numRefIdxL1DefaultMinus1 = r.ue()
	p.weightedPred = r.flag()
	p.weightedBipredIDC = r.u(2)
	r.se() // pic_init_qp_minus26
	r.se() // pic_init_qs_minus26
	r.se() // chroma_qp_index_offset
	p.deblockingFilterControl = r.flag()
	r.skip(1) // constrained_intra_pred_flag
	p.redundantPicCntPresent = r.flag()
	if r.err || p.numRefIdxL0DefaultMinus1 > 31 || p.numRefIdxL1DefaultMinus1 > 31 {
		return fmt.Errorf("h264 pps %d: %w", id, ErrParamSet)
	}
	ps.pps[id] = &p
	return nil
}

// h264 slice types (slice_type % 5).
const (
	h264P  = 0
	h264B  = 1
	h264I  = 2
	h264SP = 3
	h264SI = 4
)

// SliceHeaderSize returns the number of bytes of the H.264 slice NAL unit
// nalu (from its header byte, emulation prevention bytes included) that hold
// the NAL unit header and slice_header(), and, with CABAC, the
// cabac_alignment_one_bits: the first byte of slice_data() that holds no
// header bit is at that offset.
func (ps *H264ParamSets) SliceHeaderSize(nalu []byte) (int, error) {
	if len(nalu) < 2 {
		return 0, ErrSliceHeader
	}
	nalType := nalu[0] & 0x1f
	refIDC := nalu[0] >> 5 & 3
	if nalType != 1 && nalType != 5 {
		return 0, ErrUnsupported
	}
	r := newBitReader(nalu)
	r.skip(8)
	r.ue() // first_mb_in_slice
	st := r.ue()
	if st > 9 {
		return 0, fmt.Errorf("slice_type %d: %w", st, ErrSliceHeader)
	}
	st %= 5
	ppsID := r.ue()
	if r.err || ppsID > 255 || ps.pps[ppsID] == nil {
		return 0, fmt.Errorf("pps %d: %w", ppsID, ErrParamSet)
	}
	p := ps.pps[ppsID]
	s := ps.sps[p.spsID]
	if s == nil {
		return 0, fmt.Errorf("sps %d: %w", p.spsID, ErrParamSet)
	}
	if s.separateColourPlane {
		r.skip(2)
	}
	r.skip(s.log2MaxFrameNum)
	field := false
	if !s.frameMbsOnly {
		field = r.flag()
		if field {
			r.skip(1) // bottom_field_flag
		}
	}
	if nalType == 5 {
		r.ue() // idr_pic_id
	}
	if s.picOrderCntType == 0 {
		r.skip(s.log2MaxPOCLsb)
		if p.bottomFieldPicOrderPresent && !field {
			r.se()
		}
	}
	if s.picOrderCntType == 1 && !s.deltaPicOrderAlwaysZero {
		r.se()
		if p.bottomFieldPicOrderPresent && !field {
			r.se()
		}
	}
	if p.redundantPicCntPresent {
		r.ue()
	}
	if st == h264B {
		r.skip(1) // direct_spatial_mv_pred_flag
	}
	l0, l1 := p.numRefIdxL0DefaultMinus1, p.numRefIdxL1DefaultMinus1
	if st == h264P || st == h264SP || st == h264B {
		if r.flag() { // num_ref_idx_active_override_flag
			l0 = r.ue()
			if st == h264B {
				l1 = r.ue()
			}
		}
	}
	if l0 > 31 || l1 > 31 {
		return 0, fmt.Errorf("num_ref_idx_active: %w", ErrSliceHeader)
	}
	// ref_pic_list_modification()
	if st != h264I && st != h264SI {
		lists := 1
		if st == h264B {
			lists = 2
		}
		for range lists {
			if r.flag() {
				for n := 0; ; n++ {
					idc := r.ue()
					if idc == 3 {
						break
					}
					if idc > 5 || r.err || n > 64 {
						return 0, fmt.Errorf("modification_of_pic_nums_idc: %w", ErrSliceHeader)
					}
					r.ue()
				}
			}
		}
	}
	if (p.weightedPred && (st == h264P || st == h264SP)) || (p.weightedBipredIDC == 1 && st == h264B) {
		// pred_weight_table()
		r.ue()
		if s.chromaArrayType != 0 {
			r.ue()
		}
		lists := 1
		if st == h264B {
			lists = 2
		}
		for list := range lists {
			n := l0
			if list == 1 {
				n = l1
			}
			for i := uint32(0); i <= n && !r.err; i++ {
				if r.flag() {
					r.se()
					r.se()
				}
				if s.chromaArrayType != 0 && r.flag() {
					r.se()
					r.se()
					r.se()
					r.se()
				}
			}
		}
	}
	if refIDC != 0 {
		// dec_ref_pic_marking()
		if nalType == 5 {
			r.skip(2)
		} else if r.flag() {
			for n := 0; ; n++ {
				op := r.ue()
				if op == 0 {
					break
				}
				if op > 6 || r.err || n > 64 {
					return 0, fmt.Errorf("memory_management_control_operation: %w", ErrSliceHeader)
				}
				if op == 1 || op == 3 {
					r.ue()
				}
				if op == 2 {
					r.ue()
				}
				if op == 3 || op == 6 {
					r.ue()
				}
				if op == 4 {
					r.ue()
				}
			}
		}
	}
	if p.entropyCodingMode && st != h264I && st != h264SI {
		r.ue() // cabac_init_idc
	}
	r.se() // slice_qp_delta
	if st == h264SP || st == h264SI {
		if st == h264SP {
			r.skip(1)
		}
		r.se()
	}
	if p.deblockingFilterControl {
		if r.ue() != 1 {
			r.se()
			r.se()
		}
	}
	if p.numSliceGroupsMinus1 > 0 && p.sliceGroupMapType >= 3 && p.sliceGroupMapType <= 5 {
		// Ceil(Log2(PicSizeInMapUnits ÷ SliceGroupChangeRate + 1)), exactly.
		rate := uint64(p.sliceGroupChangeRateMinus1) + 1
		b := uint(0)
		for rate<<b < uint64(s.picSizeInMapUnits)+rate {
			b++
		}
		r.skip(b)
	}
	if p.entropyCodingMode {
		for !r.aligned() && !r.err {
			if !r.flag() {
				return 0, fmt.Errorf("cabac_alignment_one_bit: %w", ErrSliceHeader)
			}
		}
	}
	if r.err {
		return 0, fmt.Errorf("truncated: %w", ErrSliceHeader)
	}
	return r.bytePos(), nil
}

func isVCLH264(b0 byte) bool {
	t := b0 & 0x1f
	return t >= 1 && t <= 5
}

// AppendSubsamplesH264 appends to dst the subsample map of an H.264 sample
// (NAL units with lenSize-byte lengths: 1, 2 or 4) for scheme: non-VCL NAL
// units clear; for each slice NAL unit, 'cenc' leaves the length, the NAL
// unit header and the remainder that makes the protected range whole 16-byte
// blocks clear; 'cbcs' leaves the length and the slice header clear and
// protects from slice_data() on. A slice that would protect fewer than 16
// bytes stays clear. ps is needed for cbcs only. It allocates nothing when dst
// has the capacity.
func AppendSubsamplesH264(dst []Subsample, sample []byte, lenSize int, ps *H264ParamSets, scheme Scheme) ([]Subsample, error) {
	switch scheme {
	case SchemeCENC:
		return appendNALSubsamples(dst, sample, lenSize, isVCLH264, func(nalu []byte) (int, error) {
			return cencClear(nalu, 1), nil
		})
	case SchemeCBCS:
		if ps == nil {
			return dst, ErrParamSet
		}
		return appendNALSubsamples(dst, sample, lenSize, isVCLH264, ps.SliceHeaderSize)
	}
	return dst, fmt.Errorf("crypto: unknown scheme %d", scheme)
}
