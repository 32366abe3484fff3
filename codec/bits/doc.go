// Package bits is the module's one bit reader. Reader reads fixed-width
// fields and the Exp-Golomb codes of the H.264 and HEVC syntax tables, either
// from the RBSP of a NAL unit straight from its stored bytes (emulation
// prevention bytes dropped as it goes, and counted by BytePos) or from plain
// bytes such as an AAC AudioSpecificConfig. It is a value type and allocates
// nothing.
//
// bits imports only the standard library and must never import anything
// else, of this module or outside it: every other codec package builds on it.
package bits
