package crypto

import "fmt"

// HEVC (ITU-T H.265 7.3) parameter sets and slice segment headers, parsed as
// far as the slice segment header length needs. The header ends with
// byte_alignment(), so slice_segment_data() starts on a byte boundary.

// hevcSPS holds the SPS fields that the slice segment header depends on.
type hevcSPS struct {
	chromaArrayType        uint32
	separateColourPlane    bool
	log2MaxPOCLsb          uint
	picSizeInCtbsY         uint32
	saoEnabled             bool
	numShortTermRPS        uint32
	rps                    [64]hevcRPS
	longTermRefPicsPresent bool
	numLongTermRefPicsSPS  uint32
	usedByCurrPicLtSPS     [32]bool
	temporalMVPEnabled     bool
}

// hevcPPS holds the PPS fields that the slice segment header depends on.
type hevcPPS struct {
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

// HEVCParamSets are the SPS and PPS of an HEVC track (the VPS is not needed
// to parse slice headers), parsed once per track from its hvcC (or in-band)
// NAL units and then read by AppendSubsamplesHEVC.
type HEVCParamSets struct {
	sps [16]*hevcSPS
	pps [64]*hevcPPS
}

// NewHEVCParamSets parses the given parameter set NAL units (each starting
// with its 2-byte NAL unit header); VPS and other types are ignored.
func NewHEVCParamSets(nalus ...[]byte) (*HEVCParamSets, error) {
	ps := &HEVCParamSets{}
	for _, n := range nalus {
		if err := ps.Add(n); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// Add parses one NAL unit: an SPS (type 33) or PPS (34) replaces the one with
// the same ID; other types are ignored.
func (ps *HEVCParamSets) Add(nalu []byte) error {
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
func skipProfileTierLevel(r *bitReader, maxSubLayersMinus1 uint32) {
	r.skip(96) // general profile (88 bits) and general_level_idc
	var prof, lvl [8]bool
	for i := range maxSubLayersMinus1 {
		prof[i] = r.flag()
		lvl[i] = r.flag()
	}
	if maxSubLayersMinus1 > 0 {
		r.skip(2 * uint(8-maxSubLayersMinus1))
	}
	for i := range maxSubLayersMinus1 {
		if prof[i] {
			r.skip(88)
		}
		if lvl[i] {
			r.skip(8)
		}
	}
}

// skipScalingListData skips scaling_list_data() (7.3.4).
func skipScalingListData(r *bitReader) {
	for sizeID := 0; sizeID < 4; sizeID++ {
		step := 1
		if sizeID == 3 {
			step = 3
		}
		for m := 0; m < 6; m += step {
			if !r.flag() {
				r.ue() // scaling_list_pred_matrix_id_delta
				continue
			}
			n := min(64, 1<<(4+(sizeID<<1)))
			if sizeID > 1 {
				r.se()
			}
			for range n {
				r.se()
			}
			if r.err {
				return
			}
		}
	}
}

func (ps *HEVCParamSets) addSPS(nalu []byte) error {
	r := newBitReader(nalu)
	r.skip(16)
	r.skip(4) // sps_video_parameter_set_id
	maxSub := r.u(3)
	r.skip(1)
	if maxSub > 6 {
		return fmt.Errorf("hevc sps: %w", ErrParamSet)
	}
	skipProfileTierLevel(&r, maxSub)
	id := r.ue()
	if r.err || id > 15 {
		return fmt.Errorf("hevc sps: %w", ErrParamSet)
	}
	s := &hevcSPS{}
	cf := r.ue()
	if cf == 3 {
		s.separateColourPlane = r.flag()
	}
	s.chromaArrayType = cf
	if s.separateColourPlane {
		s.chromaArrayType = 0
	}
	w, h := r.ue(), r.ue()
	if r.flag() { // conformance_window_flag
		r.ue()
		r.ue()
		r.ue()
		r.ue()
	}
	r.ue() // bit_depth_luma_minus8
	r.ue() // bit_depth_chroma_minus8
	lpoc := r.ue()
	if lpoc > 12 {
		return fmt.Errorf("hevc sps %d: log2_max_pic_order_cnt_lsb: %w", id, ErrParamSet)
	}
	s.log2MaxPOCLsb = uint(lpoc) + 4
	first := maxSub
	if r.flag() { // sps_sub_layer_ordering_info_present_flag
		first = 0
	}
	for i := first; i <= maxSub; i++ {
		r.ue()
		r.ue()
		r.ue()
	}
	minCb := r.ue() + 3
	diffCb := r.ue()
	r.ue() // log2_min_luma_transform_block_size_minus2
	r.ue() // log2_diff_max_min_luma_transform_block_size
	r.ue() // max_transform_hierarchy_depth_inter
	r.ue() // max_transform_hierarchy_depth_intra
	if r.err || minCb+diffCb > 7 || w == 0 || h == 0 || w > 1<<16 || h > 1<<16 {
		return fmt.Errorf("hevc sps %d: %w", id, ErrParamSet)
	}
	ctb := uint32(1) << (minCb + diffCb)
	s.picSizeInCtbsY = ((w + ctb - 1) / ctb) * ((h + ctb - 1) / ctb)
	if r.flag() { // scaling_list_enabled_flag
		if r.flag() { // sps_scaling_list_data_present_flag
			skipScalingListData(&r)
		}
	}
	r.skip(1) // amp_enabled_flag
	s.saoEnabled = r.flag()
	if r.flag() { // pcm_enabled_flag
		r.skip(8)
		r.ue()
		r.ue()
		r.skip(1)
	}
	s.numShortTermRPS = r.ue()
	if s.numShortTermRPS > 64 {
		return fmt.Errorf("hevc sps %d: num_short_term_ref_pic_sets: %w", id, ErrParamSet)
	}
	for i := range s.numShortTermRPS {
		if err := parseRPS(&r, &s.rps[i], i, &s.rps, s.numShortTermRPS); err != nil {
			return fmt.Errorf("hevc sps %d: %w", id, err)
		}
	}
	s.longTermRefPicsPresent = r.flag()
	if s.longTermRefPicsPresent {
		s.numLongTermRefPicsSPS = r.ue()
		if s.numLongTermRefPicsSPS > 32 {
			return fmt.Errorf("hevc sps %d: num_long_term_ref_pics_sps: %w", id, ErrParamSet)
		}
		for i := range s.numLongTermRefPicsSPS {
			r.skip(s.log2MaxPOCLsb)
			s.usedByCurrPicLtSPS[i] = r.flag()
		}
	}
	s.temporalMVPEnabled = r.flag()
	if r.err {
		return fmt.Errorf("hevc sps %d: truncated: %w", id, ErrParamSet)
	}
	ps.sps[id] = s
	return nil
}

func (ps *HEVCParamSets) addPPS(nalu []byte) error {
	r := newBitReader(nalu)
	r.skip(16)
	id := r.ue()
	p := hevcPPS{spsID: r.ue()}
	if r.err || id > 63 || p.spsID > 15 {
		return fmt.Errorf("hevc pps: %w", ErrParamSet)
	}
	p.dependentSliceSegmentsEnabled = r.flag()
	p.outputFlagPresent = r.flag()
	p.numExtraSliceHeaderBits = uint(r.u(3))
	r.skip(1) // sign_data_hiding_enabled_flag
	p.cabacInitPresent = r.flag()
	p.numRefIdxL0DefaultMinus1 = r.ue()
	p.numRefIdxL1DefaultMinus1 = r.ue()
	r.se()    // init_qp_minus26
	r.skip(1) // constrained_intra_pred_flag
	transformSkip := r.flag()
	if r.flag() { // cu_qp_delta_enabled_flag
		r.ue()
	}
	r.se() // pps_cb_qp_offset
	r.se() // pps_cr_qp_offset
	p.sliceChromaQPOffsetsPresent = r.flag()
	p.weightedPred = r.flag()
	p.weightedBipred = r.flag()
	r.skip(1) // transquant_bypass_enabled_flag
	p.tilesEnabled = r.flag()
	p.entropyCodingSyncEnabled = r.flag()
	if p.tilesEnabled {
		cols, rows := r.ue(), r.ue()
		if cols > 64 || rows > 64 {
			return fmt.Errorf("hevc pps %d: tiles: %w", id, ErrParamSet)
		}
		if !r.flag() { // uniform_spacing_flag
			for range cols + rows {
				r.ue()
			}
		}
		r.skip(1) // loop_filter_across_tiles_enabled_flag
	}
	p.loopFilterAcrossSlicesEnabled = r.flag()
	if r.flag() { // deblocking_filter_control_present_flag
		p.deblockingFilterOverrideEnabled = r.flag()
		p.deblockingFilterDisabled = r.flag()
		if !p.deblockingFilterDisabled {
			r.se()
			r.se()
		}
	}
	if r.flag() { // pps_scaling_list_data_present_flag
		skipScalingListData(&r)
	}
	p.listsModificationPresent = r.flag()
	r.ue() // log2_parallel_merge_level_minus2
	p.sliceHeaderExtensionPresent = r.flag()
	if r.flag() { // pps_extension_present_flag
		rangeExt := r.flag()
		p.otherExtensions = r.u(3) != 0 // multilayer, 3d, scc
		r.skip(4)                       // pps_extension_4bits
		if rangeExt {
			if transformSkip {
				r.ue()
			}
			r.skip(1) // cross_component_prediction_enabled_flag
			p.chromaQPOffsetListEnabled = r.flag()
		}
	}
	if r.err || p.numRefIdxL0DefaultMinus1 > 14 || p.numRefIdxL1DefaultMinus1 > 14 {
		return fmt.Errorf("hevc pps %d: %w", id, ErrParamSet)
	}
	ps.pps[id] = &p
	return nil
}

// hevc slice types.
const (
	hevcB = 0
	hevcP = 1
	hevcI = 2
)

// SliceHeaderSize returns the number of bytes of the HEVC slice segment NAL
// unit nalu (from its 2-byte header, emulation prevention bytes included) up
// to the end of slice_segment_header() and its byte_alignment(): the offset
// of slice_segment_data().
func (ps *HEVCParamSets) SliceHeaderSize(nalu []byte) (int, error) {
	if len(nalu) < 3 {
		return 0, ErrSliceHeader
	}
	nalType := nalu[0] >> 1 & 0x3f
	if nalType > 21 || (nalType >= 10 && nalType <= 15) {
		return 0, ErrUnsupported
	}
	r := newBitReader(nalu)
	r.skip(16)
	first := r.flag()
	if nalType >= 16 && nalType <= 23 {
		r.skip(1) // no_output_of_prior_pics_flag
	}
	ppsID := r.ue()
	if r.err || ppsID > 63 || ps.pps[ppsID] == nil {
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
			dependent = r.flag()
		}
		r.skip(ceilLog2(s.picSizeInCtbsY)) // slice_segment_address
	}
	if !dependent {
		r.skip(p.numExtraSliceHeaderBits)
		st := r.ue()
		if st > 2 {
			return 0, fmt.Errorf("slice_type %d: %w", st, ErrSliceHeader)
		}
		if p.outputFlagPresent {
			r.skip(1)
		}
		if s.separateColourPlane {
			r.skip(2)
		}
		numPicTotalCurr := 0
		temporalMVP := false
		if nalType != 19 && nalType != 20 { // not IDR
			r.skip(s.log2MaxPOCLsb)
			var rps *hevcRPS
			var sliceRPS hevcRPS
			if !r.flag() { // short_term_ref_pic_set_sps_flag
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
					idx = r.u(ceilLog2(s.numShortTermRPS))
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
					numLtSPS = r.ue()
				}
				numLtPics := r.ue()
				if numLtSPS > s.numLongTermRefPicsSPS || numLtSPS+numLtPics > 32 {
					return 0, fmt.Errorf("num_long_term: %w", ErrSliceHeader)
				}
				for i := range numLtSPS + numLtPics {
					if i < numLtSPS {
						idx := uint32(0)
						if s.numLongTermRefPicsSPS > 1 {
							idx = r.u(ceilLog2(s.numLongTermRefPicsSPS))
						}
						if idx >= s.numLongTermRefPicsSPS {
							return 0, fmt.Errorf("lt_idx_sps: %w", ErrSliceHeader)
						}
						if s.usedByCurrPicLtSPS[idx] {
							numPicTotalCurr++
						}
					} else {
						r.skip(s.log2MaxPOCLsb)
						if r.flag() {
							numPicTotalCurr++
						}
					}
					if r.flag() { // delta_poc_msb_present_flag
						r.ue()
					}
				}
			}
			if s.temporalMVPEnabled {
				temporalMVP = r.flag()
			}
		}
		saoLuma, saoChroma := false, false
		if s.saoEnabled {
			saoLuma = r.flag()
			if s.chromaArrayType != 0 {
				saoChroma = r.flag()
			}
		}
		if st == hevcP || st == hevcB {
			l0, l1 := p.numRefIdxL0DefaultMinus1, p.numRefIdxL1DefaultMinus1
			if r.flag() { // num_ref_idx_active_override_flag
				l0 = r.ue()
				if st == hevcB {
					l1 = r.ue()
				}
			}
			if l0 > 14 || l1 > 14 {
				return 0, fmt.Errorf("num_ref_idx_active: %w", ErrSliceHeader)
			}
			if p.listsModificationPresent && numPicTotalCurr > 1 {
				b := ceilLog2(uint32(numPicTotalCurr))
				if r.flag() {
					r.skip(b * uint(l0+1))
				}
				if st == hevcB && r.flag() {
					r.skip(b * uint(l1+1))
				}
			}
			if st == hevcB {
				r.skip(1) // mvd_l1_zero_flag
			}
			if p.cabacInitPresent {
				r.skip(1)
			}
			if temporalMVP {
				fromL0 := true
				if st == hevcB {
					fromL0 = r.flag()
				}
				if (fromL0 && l0 > 0) || (!fromL0 && l1 > 0) {
					r.ue() // collocated_ref_idx
				}
			}
			if (p.weightedPred && st == hevcP) || (p.weightedBipred && st == hevcB) {
				skipPredWeightTableHEVC(&r, s.chromaArrayType, l0, l1, st == hevcB)
			}
			r.ue() // five_minus_max_num_merge_cand
		}
		r.se() // slice_qp_delta
		if p.sliceChromaQPOffsetsPresent {
			r.se()
			r.se()
		}
		if p.chromaQPOffsetListEnabled {
			r.skip(1)
		}
		override := false
		if p.deblockingFilterOverrideEnabled {
			override = r.flag()
		}
		deblockDisabled := p.deblockingFilterDisabled
		if override {
			deblockDisabled = r.flag()
			if !deblockDisabled {
				r.se()
				r.se()
			}
		}
		if p.loopFilterAcrossSlicesEnabled && (saoLuma || saoChroma || !deblockDisabled) {
			r.skip(1)
		}
	}
	if p.tilesEnabled || p.entropyCodingSyncEnabled {
		n := r.ue()
		if n > 1<<16 {
			return 0, fmt.Errorf("num_entry_point_offsets: %w", ErrSliceHeader)
		}
		if n > 0 {
			l := r.ue() + 1
			if l > 32 {
				return 0, fmt.Errorf("offset_len_minus1: %w", ErrSliceHeader)
			}
			for i := uint32(0); i < n && !r.err; i++ {
				r.skip(uint(l))
			}
		}
	}
	if p.sliceHeaderExtensionPresent {
		n := r.ue()
		if n > 256 {
			return 0, fmt.Errorf("slice_segment_header_extension_length: %w", ErrSliceHeader)
		}
		r.skip(8 * uint(n))
	}
	// byte_alignment(): a one bit, then zero bits to the byte boundary.
	if !r.flag() {
		return 0, fmt.Errorf("alignment_bit_equal_to_one: %w", ErrSliceHeader)
	}
	for !r.aligned() && !r.err {
		if r.flag() {
			return 0, fmt.Errorf("alignment_bit_equal_to_zero: %w", ErrSliceHeader)
		}
	}
	if r.err {
		return 0, fmt.Errorf("truncated: %w", ErrSliceHeader)
	}
	return r.bytePos(), nil
}

// skipPredWeightTableHEVC skips pred_weight_table() (7.3.6.3) of a
// single-layer stream (every reference picture differs from the current one,
// so every luma_weight flag is present).
func skipPredWeightTableHEVC(r *bitReader, chromaArrayType, l0, l1 uint32, b bool) {
	r.ue()
	if chromaArrayType != 0 {
		r.se()
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
			lf[i] = r.flag()
		}
		if chromaArrayType != 0 {
			for i := uint32(0); i <= n; i++ {
				cf[i] = r.flag()
			}
		}
		for i := uint32(0); i <= n && !r.err; i++ {
			if lf[i] {
				r.se()
				r.se()
			}
			if cf[i] {
				r.se()
				r.se()
				r.se()
				r.se()
			}
		}
	}
}

func isVCLHEVC(b0 byte) bool { return b0>>1&0x3f < 32 }

// AppendSubsamplesHEVC appends to dst the subsample map of an HEVC sample,
// with the rules of AppendSubsamplesH264: 'cenc' leaves the length, the
// 2-byte NAL unit header and the remainder to whole blocks clear; 'cbcs'
// leaves the length and the slice segment header clear. ps is needed for cbcs
// only. It allocates nothing when dst has the capacity.
func AppendSubsamplesHEVC(dst []Subsample, sample []byte, lenSize int, ps *HEVCParamSets, scheme Scheme) ([]Subsample, error) {
	switch scheme {
	case SchemeCENC:
		return appendNALSubsamples(dst, sample, lenSize, isVCLHEVC, func(nalu []byte) (int, error) {
			return cencClear(nalu, 2), nil
		})
	case SchemeCBCS:
		if ps == nil {
			return dst, ErrParamSet
		}
		return appendNALSubsamples(dst, sample, lenSize, isVCLHEVC, ps.SliceHeaderSize)
	}
	return dst, fmt.Errorf("crypto: unknown scheme %d", scheme)
}
