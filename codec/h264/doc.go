// Package h264 parses H.264 (ITU-T H.264) bitstreams as far as the origin
// needs them: sequence and picture parameter sets, parsed once per track
// into ParamSets, and slice headers, whose size (ParamSets.SliceHeaderSize)
// says where slice_data() starts. It also classifies NAL units (IsVCL).
//
// It knows nothing of encryption: which bytes of a sample stay clear under a
// protection scheme is crypto's policy, built on these sizes.
//
// h264 imports only the standard library and codec/bits (the bit reader),
// and must never import crypto, drm, packager, manifest, origin or any
// package outside the standard library.
package h264
