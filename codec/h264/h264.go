package h264

import (
	"errors"
	"fmt"

	"github.com/drmorigin/drmorigin/codec/bits"
)

// H.264 (ITU-T H.264 7.3) parameter sets and slice headers, parsed as far as
// the slice header length needs: the end of slice_header() is where cbcs
// starts protecting (the FairPlay/CENC convention: slice_data() clear bits
// included, the clear range rounded up to a whole byte).

// NALUHeaderSize is the size of an H.264 NAL unit header (nal_unit_type and
// nal_ref_idc in one byte; the SVC and MVC extension headers are not read).
const NALUHeaderSize = 1

// Errors of the parameter set and slice header parsers.
var (
	// ErrParamSet is returned when a slice refers to a parameter set that was
	// not given, or a parameter set cannot be parsed.
	ErrParamSet = errors.New("h264: missing or bad parameter set")
	// ErrSliceHeader is returned when a slice header cannot be parsed.
	ErrSliceHeader = errors.New("h264: bad slice header")
	// ErrUnsupported is returned for a slice the parser does not handle:
	// data partitioning (NAL unit types 2 to 4).
	ErrUnsupported = errors.New("h264: unsupported coding tool")
)

// seqParamSet holds the SPS fields that the slice header syntax depends on.
type seqParamSet struct {
	chromaArrayType         uint32
	separateColourPlane     bool
	log2MaxFrameNum         uint
	picOrderCntType         uint32
	log2MaxPOCLsb           uint
	deltaPicOrderAlwaysZero bool
	frameMbsOnly            bool
	picSizeInMapUnits       uint32
}

// picParamSet holds the PPS fields that the slice header syntax depends on.
type picParamSet struct {
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

// ParamSets are the SPS and PPS of an H.264 track, parsed once per track
// from its avcC (or in-band) NAL units and then read by SliceHeaderSize.
// Use it from one goroutine while adding, then from any number.
type ParamSets struct {
	sps [32]*seqParamSet
	pps [256]*picParamSet
}

// NewParamSets parses the given SPS and PPS NAL units (each starting with
// its NAL unit header byte); other NAL unit types are ignored.
func NewParamSets(nalus ...[]byte) (*ParamSets, error) {
	ps := &ParamSets{}
	for _, n := range nalus {
		if err := ps.Add(n); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// Add parses one NAL unit: an SPS (type 7) or PPS (type 8) replaces the one
// with the same ID; other types are ignored.
func (ps *ParamSets) Add(nalu []byte) error {
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

func skipScalingList(r *bits.Reader, size int) {
	last, next := int32(8), int32(8)
	for range size {
		if next != 0 {
			next = (last + r.SE() + 256) % 256
		}
		if next != 0 {
			last = next
		}
		if r.Err() {
			return
		}
	}
}

func (ps *ParamSets) addSPS(nalu []byte) error {
	r := bits.NewEBSPReader(nalu)
	r.Skip(8)
	profile := r.U(8)
	r.Skip(16) // constraint flags, reserved bits, level_idc
	id := r.UE()
	if r.Err() || id > 31 {
		return fmt.Errorf("h264 sps: %w", ErrParamSet)
	}
	s := seqParamSet{chromaArrayType: 1}
	if profileHasChroma(profile) {
		cf := r.UE()
		if cf == 3 {
			s.separateColourPlane = r.Flag()
		}
		s.chromaArrayType = cf
		if s.separateColourPlane {
			s.chromaArrayType = 0
		}
		r.UE()        // bit_depth_luma_minus8
		r.UE()        // bit_depth_chroma_minus8
		r.Skip(1)     // qpprime_y_zero_transform_bypass_flag
		if r.Flag() { // seq_scaling_matrix_present_flag
			n := 8
			if cf == 3 {
				n = 12
			}
			for i := range n {
				if r.Flag() {
					if i < 6 {
						skipScalingList(&r, 16)
					} else {
						skipScalingList(&r, 64)
					}
				}
			}
		}
	}
	lmfn := r.UE()
	s.picOrderCntType = r.UE()
	switch s.picOrderCntType {
	case 0:
		l := r.UE()
		if l > 12 {
			return fmt.Errorf("h264 sps %d: log2_max_pic_order_cnt_lsb: %w", id, ErrParamSet)
		}
		s.log2MaxPOCLsb = uint(l) + 4
	case 1:
		s.deltaPicOrderAlwaysZero = r.Flag()
		r.SE()
		r.SE()
		n := r.UE()
		if n > 255 {
			return fmt.Errorf("h264 sps %d: %w", id, ErrParamSet)
		}
		for range n {
			r.SE()
		}
	case 2:
	default:
		return fmt.Errorf("h264 sps %d: pic_order_cnt_type: %w", id, ErrParamSet)
	}
	r.UE()    // max_num_ref_frames
	r.Skip(1) // gaps_in_frame_num_value_allowed_flag
	w := r.UE() + 1
	h := r.UE() + 1
	s.frameMbsOnly = r.Flag()
	if r.Err() || lmfn > 12 || w > 1<<16 || h > 1<<16 {
		return fmt.Errorf("h264 sps %d: %w", id, ErrParamSet)
	}
	s.log2MaxFrameNum = uint(lmfn) + 4
	s.picSizeInMapUnits = w * h
	ps.sps[id] = &s
	return nil
}

func (ps *ParamSets) addPPS(nalu []byte) error {
	r := bits.NewEBSPReader(nalu)
	r.Skip(8)
	id := r.UE()
	p := picParamSet{spsID: r.UE()}
	if r.Err() || id > 255 || p.spsID > 31 {
		return fmt.Errorf("h264 pps: %w", ErrParamSet)
	}
	p.entropyCodingMode = r.Flag()
	p.bottomFieldPicOrderPresent = r.Flag()
	p.numSliceGroupsMinus1 = r.UE()
	if p.numSliceGroupsMinus1 > 7 {
		return fmt.Errorf("h264 pps %d: %w", id, ErrParamSet)
	}
	if p.numSliceGroupsMinus1 > 0 {
		p.sliceGroupMapType = r.UE()
		switch p.sliceGroupMapType {
		case 0:
			for range p.numSliceGroupsMinus1 + 1 {
				r.UE()
			}
		case 2:
			for range p.numSliceGroupsMinus1 {
				r.UE()
				r.UE()
			}
		case 3, 4, 5:
			r.Skip(1)
			p.sliceGroupChangeRateMinus1 = r.UE()
		case 6:
			n := r.UE() + 1
			if n > 1<<20 {
				return fmt.Errorf("h264 pps %d: %w", id, ErrParamSet)
			}
			b := bits.CeilLog2(p.numSliceGroupsMinus1 + 1)
			for i := uint32(0); i < n && !r.Err(); i++ {
				r.Skip(b)
			}
		case 1:
		default:
			return fmt.Errorf("h264 pps %d: slice_group_map_type: %w", id, ErrParamSet)
		}
	}
	p.numRefIdxL0DefaultMinus1 = r.UE()
	p.numRefIdxL1DefaultMinus1 = r.UE()
	p.weightedPred = r.Flag()
	p.weightedBipredIDC = r.U(2)
	r.SE() // pic_init_qp_minus26
	r.SE() // pic_init_qs_minus26
	r.SE() // chroma_qp_index_offset
	p.deblockingFilterControl = r.Flag()
	r.Skip(1) // constrained_intra_pred_flag
	p.redundantPicCntPresent = r.Flag()
	if r.Err() || p.numRefIdxL0DefaultMinus1 > 31 || p.numRefIdxL1DefaultMinus1 > 31 {
		return fmt.Errorf("h264 pps %d: %w", id, ErrParamSet)
	}
	ps.pps[id] = &p
	return nil
}

// h264 slice types (slice_type % 5).
const (
	sliceP  = 0
	sliceB  = 1
	sliceI  = 2
	sliceSP = 3
	sliceSI = 4
)

// SliceHeaderSize returns the number of bytes of the H.264 slice NAL unit
// nalu (from its header byte, emulation prevention bytes included) that hold
// the NAL unit header and slice_header(), and, with CABAC, the
// cabac_alignment_one_bits: the first byte of slice_data() that holds no
// header bit is at that offset.
func (ps *ParamSets) SliceHeaderSize(nalu []byte) (int, error) {
	if len(nalu) < 2 {
		return 0, ErrSliceHeader
	}
	nalType := nalu[0] & 0x1f
	refIDC := nalu[0] >> 5 & 3
	if nalType != 1 && nalType != 5 {
		return 0, ErrUnsupported
	}
	r := bits.NewEBSPReader(nalu)
	r.Skip(8)
	r.UE() // first_mb_in_slice
	st := r.UE()
	if st > 9 {
		return 0, fmt.Errorf("slice_type %d: %w", st, ErrSliceHeader)
	}
	st %= 5
	ppsID := r.UE()
	if r.Err() || ppsID > 255 || ps.pps[ppsID] == nil {
		return 0, fmt.Errorf("pps %d: %w", ppsID, ErrParamSet)
	}
	p := ps.pps[ppsID]
	s := ps.sps[p.spsID]
	if s == nil {
		return 0, fmt.Errorf("sps %d: %w", p.spsID, ErrParamSet)
	}
	if s.separateColourPlane {
		r.Skip(2)
	}
	r.Skip(s.log2MaxFrameNum)
	field := false
	if !s.frameMbsOnly {
		field = r.Flag()
		if field {
			r.Skip(1) // bottom_field_flag
		}
	}
	if nalType == 5 {
		r.UE() // idr_pic_id
	}
	if s.picOrderCntType == 0 {
		r.Skip(s.log2MaxPOCLsb)
		if p.bottomFieldPicOrderPresent && !field {
			r.SE()
		}
	}
	if s.picOrderCntType == 1 && !s.deltaPicOrderAlwaysZero {
		r.SE()
		if p.bottomFieldPicOrderPresent && !field {
			r.SE()
		}
	}
	if p.redundantPicCntPresent {
		r.UE()
	}
	if st == sliceB {
		r.Skip(1) // direct_spatial_mv_pred_flag
	}
	l0, l1 := p.numRefIdxL0DefaultMinus1, p.numRefIdxL1DefaultMinus1
	if st == sliceP || st == sliceSP || st == sliceB {
		if r.Flag() { // num_ref_idx_active_override_flag
			l0 = r.UE()
			if st == sliceB {
				l1 = r.UE()
			}
		}
	}
	if l0 > 31 || l1 > 31 {
		return 0, fmt.Errorf("num_ref_idx_active: %w", ErrSliceHeader)
	}
	// ref_pic_list_modification()
	if st != sliceI && st != sliceSI {
		lists := 1
		if st == sliceB {
			lists = 2
		}
		for range lists {
			if r.Flag() {
				for n := 0; ; n++ {
					idc := r.UE()
					if idc == 3 {
						break
					}
					if idc > 5 || r.Err() || n > 64 {
						return 0, fmt.Errorf("modification_of_pic_nums_idc: %w", ErrSliceHeader)
					}
					r.UE()
				}
			}
		}
	}
	if (p.weightedPred && (st == sliceP || st == sliceSP)) || (p.weightedBipredIDC == 1 && st == sliceB) {
		// pred_weight_table()
		r.UE()
		if s.chromaArrayType != 0 {
			r.UE()
		}
		lists := 1
		if st == sliceB {
			lists = 2
		}
		for list := range lists {
			n := l0
			if list == 1 {
				n = l1
			}
			for i := uint32(0); i <= n && !r.Err(); i++ {
				if r.Flag() {
					r.SE()
					r.SE()
				}
				if s.chromaArrayType != 0 && r.Flag() {
					r.SE()
					r.SE()
					r.SE()
					r.SE()
				}
			}
		}
	}
	if refIDC != 0 {
		// dec_ref_pic_marking()
		if nalType == 5 {
			r.Skip(2)
		} else if r.Flag() {
			for n := 0; ; n++ {
				op := r.UE()
				if op == 0 {
					break
				}
				if op > 6 || r.Err() || n > 64 {
					return 0, fmt.Errorf("memory_management_control_operation: %w", ErrSliceHeader)
				}
				if op == 1 || op == 3 {
					r.UE()
				}
				if op == 2 {
					r.UE()
				}
				if op == 3 || op == 6 {
					r.UE()
				}
				if op == 4 {
					r.UE()
				}
			}
		}
	}
	if p.entropyCodingMode && st != sliceI && st != sliceSI {
		r.UE() // cabac_init_idc
	}
	r.SE() // slice_qp_delta
	if st == sliceSP || st == sliceSI {
		if st == sliceSP {
			r.Skip(1)
		}
		r.SE()
	}
	if p.deblockingFilterControl {
		if r.UE() != 1 {
			r.SE()
			r.SE()
		}
	}
	if p.numSliceGroupsMinus1 > 0 && p.sliceGroupMapType >= 3 && p.sliceGroupMapType <= 5 {
		// Ceil(Log2(PicSizeInMapUnits ÷ SliceGroupChangeRate + 1)), exactly.
		rate := uint64(p.sliceGroupChangeRateMinus1) + 1
		b := uint(0)
		for rate<<b < uint64(s.picSizeInMapUnits)+rate {
			b++
		}
		r.Skip(b)
	}
	if p.entropyCodingMode {
		for !r.Aligned() && !r.Err() {
			if !r.Flag() {
				return 0, fmt.Errorf("cabac_alignment_one_bit: %w", ErrSliceHeader)
			}
		}
	}
	if r.Err() {
		return 0, fmt.Errorf("truncated: %w", ErrSliceHeader)
	}
	return r.BytePos(), nil
}

// IsVCL reports whether a NAL unit whose header byte is b0 is a VCL NAL unit
// (a slice or slice data partition: types 1 to 5).
func IsVCL(b0 byte) bool {
	t := b0 & 0x1f
	return t >= 1 && t <= 5
}
