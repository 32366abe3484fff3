// Package adts is the module's one ADTS (ISO/IEC 13818-7 / 14496-3 1.A.2)
// implementation: ParseASC reads what an ADTS header needs from an MPEG-4
// AudioSpecificConfig, and Config.PutHeader writes the 7-byte header of each
// raw AAC frame, as MPEG-2 TS carries AAC.
//
// adts imports only the standard library and codec/bits (the bit reader),
// and must never import crypto, drm, packager, manifest, origin or any
// package outside the standard library.
package adts
