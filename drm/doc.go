// Package drm writes the DRM signalling bytes that manifests and
// initialization segments carry: ISO/IEC 23001-7 'pssh' boxes, the Widevine
// PSSH data (WidevinePsshData protobuf) and the PlayReady Object with its
// WRMHEADER. It also names the DRM system IDs and formats KIDs in the byte
// orders the systems want (lowercase GUIDs, PlayReady's little-endian GUID).
//
// It is signalling, not cipher code, so it is a leaf of its own rather than
// part of crypto. drm owns no key state and does no I/O. It imports only the
// standard library and must never import crypto, codec/..., packager,
// manifest, keyclient, origin or anything that does I/O; the packager (pssh
// boxes in init segments) and the origin (bytes handed to the manifest
// builders) both call it.
//
// A content key is read only to compute the PlayReady AESCTR checksum; no
// function writes a key into its output.
package drm
