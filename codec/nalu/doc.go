// Package nalu frames NAL units (H.264 and HEVC alike): it reads the length
// prefix of a length-prefixed NAL unit (Len) and applies emulation prevention
// to a NAL unit's payload (AppendEscaped), the module's one RBSP escaper.
// Reading an escaped NAL unit's bits (emulation prevention removed) is
// codec/bits' EBSP reader.
//
// nalu imports only the standard library and must never import anything
// else, of this module or outside it.
package nalu
