// Package crypto owns the per-key cipher state and the encryptors on the
// segment hot path: CENC `cenc` (AES-128-CTR with subsamples), `cbcs`
// (AES-128-CBC, 1:9 pattern, constant IV), HLS AES-128 whole-segment CBC with
// PKCS#7, IV derivation and the subsample maps of H.264 and HEVC samples.
// The subsample maps are the schemes' policy (which bytes stay clear); the
// bitstream parsing they need (where a slice header ends) is codec/h264's and
// codec/hevc's.
//
// It imports nothing outside the standard library but this module's codec
// packages (never packager, manifest, origin or anything that does I/O), and
// takes every buffer from its caller, so each encryptor can be benchmarked
// alone and stays at zero allocations per sample. Files that also need the
// standard library's crypto import it under an alias.
//
// Use: NewKey once per content key (cache the *Key with the locator); per
// fragment Key.FragmentIV (cenc) or Key.SegmentIV (HLS), per track
// Key.CBCSConstantIV (cbcs); per track h264.NewParamSets / hevc.NewParamSets
// from the sample entry's parameter sets; per sample AppendSubsamplesH264 /
// AppendSubsamplesHEVC into a reused slice, then Key.EncryptCENC or
// Key.EncryptCBCS in place. HLS AES-128 segments: Key.AppendCBCSegment, or
// Key.EncryptCBC piece by piece with AppendPKCS7 at the end.
//
// On amd64 with AES-NI the block cipher runs in aes_amd64.s: an 8-block
// interleaved CTR loop (faster than crypto/cipher's CTR, and without its
// per-sample allocation) and a CBC loop that keeps the round keys in
// registers (about openssl's speed, 1.6x crypto/cipher's). Elsewhere, or with
// the purego build tag, the encryptors use crypto/aes and crypto/cipher: the
// same bytes, but they allocate.
package crypto
