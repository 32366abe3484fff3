package hevc

import (
	"errors"
	"fmt"

	"github.com/drmorigin/drmorigin/codec/bits"
)

// HEVC (ITU-T H.265 7.3) parameter sets and slice segment headers, parsed as
// far as the slice segment header length needs. The header ends with
// byte_alignment(), so slice_segment_data() starts on a byte boundary.

// NALUHeaderSize is the size of an HEVC NAL unit header.
const NALUHeaderSize = 2

// Errors of the parameter set and slice segment header parsers.
var (
	// ErrParamSet is returned when a slice refers to a parameter set that was
	// not given, or a parameter set cannot be parsed.
	ErrParamSet = errors.New("hevc: missing or bad parameter set")
	// ErrSliceHeader is returned when a slice segment header (or a
	// short-term reference picture set) cannot be parsed.
	ErrSliceHeader = errors.New("hevc: bad slice header")
	// ErrUnsupported is returned for a slice the parser does not handle:
	// reserved VCL NAL unit types, or a PPS with the multilayer, 3D or SCC
	// extensions.
	ErrUnsupported = errors.New("hevc: unsupported coding tool")
)

// seqParamSet holds the SPS fields that the slice segment header depends on.
type seqParamSet struct {
	chromaArrayType        uint32
	separateColourPlane    bool
	log2MaxPOCLsb          uint
	picSizeInCtbsY         uint32
	saoEnabled             bool
	numShortTermRPS        uint32
	rps                    [64]shortTermRPS
	longTermRefPicsPresent bool
	numLongTermRefPicsSPS  uint32
	usedByCurrPicLtSPS     [32]bool
	temporalMVPEnabled     bool
}

// picParamSet holds the PPS fields that the slice segment header depends on.
type picParamSet struct {
	spsID                           uint32
	dependentSliceSegmentsEnabled   bool
	outputFlagPresent               bool
	numExtraSliceHeaderBits         uint
	cabacInitPresent                bool
	numRefIdxL0DefaultMinus1        uint32
	numRefIdxL1DefaultMinus1        uint32
	sliceChromaQPOffsetsPresent     bool
	weightedPred, weightedBipred    bool
	tilesEnabled                    bool
	entropyCodingSyncEnabled        bool
	loopFilterAcrossSlicesEnabled   bool
	deblockingFilterOverrideEnabled bool
	deblockingFilterDisabled        bool
	listsModificationPresent        bool
	sliceHeaderExtensionPresent     bool
	chromaQPOffsetListEnabled       bool
	// otherExtensions is set by the multilayer, 3D and SCC extensions,
	// whose slice header fields this parser does not know.
	otherExtensions bool
}

// ParamSets are the SPS and PPS of an HEVC track (the VPS is not needed
// to parse slice headers), parsed once per track from its hvcC (or in-band)
// NAL units and then read by SliceHeaderSize. Use it from one goroutine
// while adding, then from any number.
type ParamSets struct {
	sps [16]*seqParamSet
	pps [64]*picParamSet
}

// NewParamSets parses the given parameter set NAL units (each starting
// with its 2-byte NAL unit header); VPS and other types are ignored.
func NewParamSets(nalus ...[]byte) (*ParamSets, error) {
	ps := &ParamSets{}
	for _, n := range nalus {
		if err := ps.Add(n); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// Add parses one NAL unit: an SPS (type 33) or PPS (34) replaces the one with
// the same ID; other types are ignored.
func (ps *ParamSets) Add(nalu []byte) error {
	if len(nalu) < 3 {
		return fmt.Errorf("hevc parameter set: %w", ErrParamSet)
	}
	switch nalu[0] >> 1 & 0x3f {
	case 33:
		return ps.addSPS(nalu)
	case 34:
		return ps.addPPS(nalu)
	}
	return nil
}

// skipProfileTierLevel skips profile_tier_level(1, maxSubLayersMinus1).
func skipProfileTierLevel(r *bits.Reader, maxSubLayersMinus1 uint32) {
	r.Skip(96) // general profile (88 bits) and general_level_idc
	var prof, lvl [8]bool
	for i := range maxSubLayersMinus1 {
		prof[i] = r.Flag()
		lvl[i] = r.Flag()
	}
	if maxSubLayersMinus1 > 0 {
		r.Skip(2 * uint(8-maxSubLayersMinus1))
	}
	for i := range maxSubLayersMinus1 {
		if prof[i] {
			r.Skip(88)
		}
		if lvl[i] {
			r.Skip(8)
		}
	}
}

// skipScalingListData skips scaling_list_data() (7.3.4).
func skipScalingListData(r *bits.Reader) {
	for sizeID := 0; sizeID < 4; sizeID++ {
		step := 1
		if sizeID == 3 {
			step = 3
		}
		for m := 0; m < 6; m += step {
			if !r.Flag() {
				r.UE() // scaling_list_pred_matrix_id_delta
				continue
			}
			n := min(64, 1<<(4+(sizeID<<1)))
			if sizeID > 1 {
				r.SE()
			}
			for range n {
				r.SE()
			}
			if r.Err() {
				return
			}
		}
	}
}

func (ps *ParamSets) addSPS(nalu []byte) error {
	r := bits.NewEBSPReader(nalu)
	r.Skip(16)
	r.Skip(4) // sps_video_parameter_set_id
	maxSub := r.U(3)
	r.Skip(1)
	if maxSub > 6 {
		return fmt.Errorf("hevc sps: %w", ErrParamSet)
	}
	skipProfileTierLevel(&r, maxSub)
	id := r.UE()
	if r.Err() || id > 15 {
		return fmt.Errorf("hevc sps: %w", ErrParamSet)
	}
	s := &seqParamSet{}
	cf := r.UE()
	if cf == 3 {
		s.separateColourPlane = r.Flag()
	}
	s.chromaArrayType = cf
	if s.separateColourPlane {
		s.chromaArrayType = 0
	}
	w, h := r.UE(), r.UE()
	if r.Flag() { // conformance_window_flag
		r.UE()
		r.UE()
		r.UE()
		r.UE()
	}
	r.UE() // bit_depth_luma_minus8
	r.UE() // bit_depth_chroma_minus8
	lpoc := r.UE()
	if lpoc > 12 {
		return fmt.Errorf("hevc sps %d: log2_max_pic_order_cnt_lsb: %w", id, ErrParamSet)
	}
	s.log2MaxPOCLsb = uint(lpoc) + 4
	first := maxSub
	if r.Flag() { // sps_sub_layer_ordering_info_present_flag
		first = 0
	}
	for i := first; i <= maxSub; i++ {
		r.UE()
		r.UE()
		r.UE()
	}
	minCb := r.UE() + 3
	diffCb := r.UE()
	r.UE() // log2_min_luma_transform_block_size_minus2
	r.UE() // log2_diff_max_min_luma_transform_block_size
	r.UE() // max_transform_hierarchy_depth_inter
	r.UE() // max_transform_hierarchy_depth_intra
	if r.Err() || minCb+diffCb > 7 || w == 0 || h == 0 || w > 1<<16 || h > 1<<16 {
		return fmt.Errorf("hevc sps %d: %w", id, ErrParamSet)
	}
	ctb := uint32(1) << (minCb + diffCb)
	s.picSizeInCtbsY = ((w + ctb - 1) / ctb) * ((h + ctb - 1) / ctb)
	if r.Flag() { // scaling_list_enabled_flag
		if r.Flag() { // sps_scaling_list_data_present_flag
			skipScalingListData(&r)
		}
	}
	r.Skip(1) // amp_enabled_flag
	s.saoEnabled = r.Flag()
	if r.Flag() { // pcm_enabled_flag
		r.Skip(8)
		r.UE()
		r.UE()
		r.Skip(1)
	}
	s.numShortTermRPS = r.UE()
	if s.numShortTermRPS > 64 {
		return fmt.Errorf("hevc sps %d: num_short_term_ref_pic_sets: %w", id, ErrParamSet)
	}
	for i := range s.numShortTermRPS {
		if err := parseRPS(&r, &s.rps[i], i, &s.rps, s.numShortTermRPS); err != nil {
			return fmt.Errorf("hevc sps %d: %w", id, err)
		}
	}
	s.longTermRefPicsPresent = r.Flag()
	if s.longTermRefPicsPresent {
		s.numLongTermRefPicsSPS = r.UE()
		if s.numLongTermRefPicsSPS > 32 {
			return fmt.Errorf("hevc sps %d: num_long_term_ref_pics_sps: %w", id, ErrParamSet)
		}
		for i := range s.numLongTermRefPicsSPS {
			r.Skip(s.log2MaxPOCLsb)
			s.usedByCurrPicLtSPS[i] = r.Flag()
		}
	}
	s.temporalMVPEnabled = r.Flag()
	if r.Err() {
		return fmt.Errorf("hevc sps %d: truncated: %w", id, ErrParamSet)
	}
	ps.sps[id] = s
	return nil
}

func (ps *ParamSets) addPPS(nalu []byte) error {
	r := bits.NewEBSPReader(nalu)
	r.Skip(16)
	id := r.UE()
	p := picParamSet{spsID: r.UE()}
	if r.Err() || id > 63 || p.spsID > 15 {
		return fmt.Errorf("hevc pps: %w", ErrParamSet)
	}
	p.dependentSliceSegmentsEnabled = r.Flag()
	p.outputFlagPresent = r.Flag()
	p.numExtraSliceHeaderBits = uint(r.U(3))
	r.Skip(1) // sign_data_hiding_enabled_flag
	p.cabacInitPresent = r.Flag()
	p.numRefIdxL0DefaultMinus1 = r.UE()
	p.numRefIdxL1DefaultMinus1 = r.UE()
	r.SE()    // init_qp_minus26
	r.Skip(1) // constrained_intra_pred_flag
	transformSkip := r.Flag()
	if r.Flag() { // cu_qp_delta_enabled_flag
		r.UE()
	}
	r.SE() // pps_cb_qp_offset
	r.SE() // pps_cr_qp_offset
	p.sliceChromaQPOffsetsPresent = r.Flag()
	p.weightedPred = r.Flag()
	p.weightedBipred = r.Flag()
	r.Skip(1) // transquant_bypass_enabled_flag
	p.tilesEnabled = r.Flag()
	p.entropyCodingSyncEnabled = r.Flag()
	if p.tilesEnabled {
		cols, rows := r.UE(), r.UE()
		if cols > 64 || rows > 64 {
			return fmt.Errorf("hevc pps %d: tiles: %w", id, ErrParamSet)
		}
		if !r.Flag() { // uniform_spacing_flag
			for range cols + rows {
				r.UE()
			}
		}
		r.Skip(1) // loop_filter_across_tiles_enabled_flag
	}
	p.loopFilterAcrossSlicesEnabled = r.Flag()
	if r.Flag() { // deblocking_filter_control_present_flag
		p.deblockingFilterOverrideEnabled = r.Flag()
		p.deblockingFilterDisabled = r.Flag()
		if !p.deblockingFilterDisabled {
			r.SE()
			r.SE()
		}
	}
	if r.Flag() { // pps_scaling_list_data_present_flag
		skipScalingListData(&r)
	}
	p.listsModificationPresent = r.Flag()
	r.UE() // log2_parallel_merge_level_minus2
	p.sliceHeaderExtensionPresent = r.Flag()
	if r.Flag() { // pps_extension_present_flag
		rangeExt := r.Flag()
		p.otherExtensions = r.U(3) != 0 // multilayer, 3d, scc
		r.Skip(4)                       // pps_extension_4bits
		if rangeExt {
			if transformSkip {
				r.UE()
			}
			r.Skip(1) // cross_component_prediction_enabled_flag
			p.chromaQPOffsetListEnabled = r.Flag()
		}
	}
	if r.Err() || p.numRefIdxL0DefaultMinus1 > 14 || p.numRefIdxL1DefaultMinus1 > 14 {
		return fmt.Errorf("hevc pps %d: %w", id, ErrParamSet)
	}
	ps.pps[id] = &p
	return nil
}

// hevc slice types.
const (
	sliceB = 0
	sliceP = 1
	sliceI = 2
)

// SliceHeaderSize returns the number of bytes of the HEVC slice segment NAL
// unit nalu (from its 2-byte header, emulation prevention bytes included) up
// to the end of slice_segment_header() and its byte_alignment(): the offset
// of slice_segment_data().
func (ps *ParamSets) SliceHeaderSize(nalu []byte) (int, error) {
	if len(nalu) < 3 {
		return 0, ErrSliceHeader
	}
	nalType := nalu[0] >> 1 & 0x3f
	if nalType > 21 || (nalType >= 10 && nalType <= 15) {
		return 0, ErrUnsupported
	}
	r := bits.NewEBSPReader(nalu)
	r.Skip(16)
	first := r.Flag()
	if nalType >= 16 && nalType <= 23 {
		r.Skip(1) // no_output_of_prior_pics_flag
	}
	ppsID := r.UE()
	if r.Err() || ppsID > 63 || ps.pps[ppsID] == nil {
		return 0, fmt.Errorf("pps %d: %w", ppsID, ErrParamSet)
	}
	p := ps.pps[ppsID]
	s := ps.sps[p.spsID]
	if s == nil {
		return 0, fmt.Errorf("sps %d: %w", p.spsID, ErrParamSet)
	}
	if p.otherExtensions {
		return 0, fmt.Errorf("pps %d extensions: %w", ppsID, ErrUnsupported)
	}
	dependent := false
	if !first {
		if p.dependentSliceSegmentsEnabled {
			dependent = r.Flag()
		}
		r.Skip(bits.CeilLog2(s.picSizeInCtbsY)) // slice_segment_address
	}
	if !dependent {
		r.Skip(p.numExtraSliceHeaderBits)
		st := r.UE()
		if st > 2 {
			return 0, fmt.Errorf("slice_type %d: %w", st, ErrSliceHeader)
		}
		if p.outputFlagPresent {
			r.Skip(1)
		}
		if s.separateColourPlane {
			r.Skip(2)
		}
		numPicTotalCurr := 0
		temporalMVP := false
		if nalType != 19 && nalType != 20 { // not IDR
			r.Skip(s.log2MaxPOCLsb)
			var rps *shortTermRPS
			var sliceRPS shortTermRPS
			if !r.Flag() { // short_term_ref_pic_set_sps_flag
				if err := parseRPS(&r, &sliceRPS, s.numShortTermRPS, &s.rps, s.numShortTermRPS); err != nil {
					return 0, err
				}
				rps = &sliceRPS
			} else {
				if s.numShortTermRPS == 0 {
					return 0, fmt.Errorf("short_term_ref_pic_set_idx: %w", ErrSliceHeader)
				}
				idx := uint32(0)
				if s.numShortTermRPS > 1 {
					idx = r.U(bits.CeilLog2(s.numShortTermRPS))
				}
				if idx >= s.numShortTermRPS {
					return 0, fmt.Errorf("short_term_ref_pic_set_idx: %w", ErrSliceHeader)
				}
				rps = &s.rps[idx]
			}
			numPicTotalCurr = rps.numUsed()
			if s.longTermRefPicsPresent {
				numLtSPS := uint32(0)
				if s.numLongTermRefPicsSPS > 0 {
					numLtSPS = r.UE()
				}
				numLtPics := r.UE()
				if numLtSPS > s.numLongTermRefPicsSPS || numLtSPS+numLtPics > 32 {
					return 0, fmt.Errorf("num_long_term: %w", ErrSliceHeader)
				}
				for i := range numLtSPS + numLtPics {
					if i < numLtSPS {
						idx := uint32(0)
						if s.numLongTermRefPicsSPS > 1 {
							idx = r.U(bits.CeilLog2(s.numLongTermRefPicsSPS))
						}
						if idx >= s.numLongTermRefPicsSPS {
							return 0, fmt.Errorf("lt_idx_sps: %w", ErrSliceHeader)
						}
						if s.usedByCurrPicLtSPS[idx] {
							numPicTotalCurr++
						}
					} else {
						r.Skip(s.log2MaxPOCLsb)
						if r.Flag() {
							numPicTotalCurr++
						}
					}
					if r.Flag() { // delta_poc_msb_present_flag
						r.UE()
					}
				}
			}
			if s.temporalMVPEnabled {
				temporalMVP = r.Flag()
			}
		}
		saoLuma, saoChroma := false, false
		if s.saoEnabled {
			saoLuma = r.Flag()
			if s.chromaArrayType != 0 {
				saoChroma = r.Flag()
			}
		}
		if st == sliceP || st == sliceB {
			l0, l1 := p.numRefIdxL0DefaultMinus1, p.numRefIdxL1DefaultMinus1
			if r.Flag() { // num_ref_idx_active_override_flag
				l0 = r.UE()
				if st == sliceB {
					l1 = r.UE()
				}
			}
			if l0 > 14 || l1 > 14 {
				return 0, fmt.Errorf("num_ref_idx_active: %w", ErrSliceHeader)
			}
			if p.listsModificationPresent && numPicTotalCurr > 1 {
				b := bits.CeilLog2(uint32(numPicTotalCurr))
				if r.Flag() {
					r.Skip(b * uint(l0+1))
				}
				if st == sliceB && r.Flag() {
					r.Skip(b * uint(l1+1))
				}
			}
			if st == sliceB {
				r.Skip(1) // mvd_l1_zero_flag
			}
			if p.cabacInitPresent {
				r.Skip(1)
			}
			if temporalMVP {
				fromL0 := true
				if st == sliceB {
					fromL0 = r.Flag()
				}
				if (fromL0 && l0 > 0) || (!fromL0 && l1 > 0) {
					r.UE() // collocated_ref_idx
				}
			}
			if (p.weightedPred && st == sliceP) || (p.weightedBipred && st == sliceB) {
				skipPredWeightTable(&r, s.chromaArrayType, l0, l1, st == sliceB)
			}
			r.UE() // five_minus_max_num_merge_cand
		}
		r.SE() // slice_qp_delta
		if p.sliceChromaQPOffsetsPresent {
			r.SE()
			r.SE()
		}
		if p.chromaQPOffsetListEnabled {
			r.Skip(1)
		}
		override := false
		if p.deblockingFilterOverrideEnabled {
			override = r.Flag()
		}
		deblockDisabled := p.deblockingFilterDisabled
		if override {
			deblockDisabled = r.Flag()
			if !deblockDisabled {
				r.SE()
				r.SE()
			}
		}
		if p.loopFilterAcrossSlicesEnabled && (saoLuma || saoChroma || !deblockDisabled) {
			r.Skip(1)
		}
	}
	if p.tilesEnabled || p.entropyCodingSyncEnabled {
		n := r.UE()
		if n > 1<<16 {
			return 0, fmt.Errorf("num_entry_point_offsets: %w", ErrSliceHeader)
		}
		if n > 0 {
			l := r.UE() + 1
			if l > 32 {
				return 0, fmt.Errorf("offset_len_minus1: %w", ErrSliceHeader)
			}
			for i := uint32(0); i < n && !r.Err(); i++ {
				r.Skip(uint(l))
			}
		}
	}
	if p.sliceHeaderExtensionPresent {
		n := r.UE()
		if n > 256 {
			return 0, fmt.Errorf("slice_segment_header_extension_length: %w", ErrSliceHeader)
		}
		r.Skip(8 * uint(n))
	}
	// byte_alignment(): a one bit, then zero bits to the byte boundary.
	if !r.Flag() {
		return 0, fmt.Errorf("alignment_bit_equal_to_one: %w", ErrSliceHeader)
	}
	for !r.Aligned() && !r.Err() {
		if r.Flag() {
			return 0, fmt.Errorf("alignment_bit_equal_to_zero: %w", ErrSliceHeader)
		}
	}
	if r.Err() {
		return 0, fmt.Errorf("truncated: %w", ErrSliceHeader)
	}
	return r.BytePos(), nil
}

// skipPredWeightTable skips pred_weight_table() (7.3.6.3) of a
// single-layer stream (every reference picture differs from the current one,
// so every luma_weight flag is present).
func skipPredWeightTable(r *bits.Reader, chromaArrayType, l0, l1 uint32, b bool) {
	r.UE()
	if chromaArrayType != 0 {
		r.SE()
	}
	lists := 1
	if b {
		lists = 2
	}
	for list := range lists {
		n := l0
		if list == 1 {
			n = l1
		}
		var lf, cf [16]bool
		for i := uint32(0); i <= n; i++ {
			lf[i] = r.Flag()
		}
		if chromaArrayType != 0 {
			for i := uint32(0); i <= n; i++ {
				cf[i] = r.Flag()
			}
		}
		for i := uint32(0); i <= n && !r.Err(); i++ {
			if lf[i] {
				r.SE()
				r.SE()
			}
			if cf[i] {
				r.SE()
				r.SE()
				r.SE()
				r.SE()
			}
		}
	}
}

// IsVCL reports whether a NAL unit whose header starts with b0 is a VCL NAL
// unit (types 0 to 31).
func IsVCL(b0 byte) bool { return b0>>1&0x3f < 32 }
