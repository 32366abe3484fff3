// Package crypto owns the per-key cipher state and the encryptors on the
// segment hot path: CENC `cenc` (AES-128-CTR with subsamples), `cbcs`
// (AES-128-CBC, 1:9 pattern, constant IV), HLS AES-128 whole-segment CBC with
// PKCS#7, IV derivation and the subsample maps of H.264 and HEVC samples.
//
// It imports nothing outside the standard library and takes every buffer from
// its caller, so each encryptor can be benchmarked alone and stays at zero
// allocations per sample. Files that also need the standard library's crypto
// import it under an alias.
package crypto
