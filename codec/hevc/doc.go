// Package hevc parses HEVC (ITU-T H.265) bitstreams as far as the origin
// needs them: sequence and picture parameter sets (with their short-term
// reference picture sets), parsed once per track into ParamSets, and slice
// segment headers, whose size (ParamSets.SliceHeaderSize) says where
// slice_segment_data() starts. It also classifies NAL units (IsVCL).
//
// It knows nothing of encryption: which bytes of a sample stay clear under a
// protection scheme is crypto's policy, built on these sizes.
//
// hevc imports only the standard library and codec/bits (the bit reader),
// and must never import crypto, drm, packager, manifest, origin or any
// package outside the standard library.
package hevc
