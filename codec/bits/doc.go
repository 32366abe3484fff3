// Package bits is the module's one bit reader: Reader reads the RBSP of a
// NAL unit straight from its stored bytes, dropping emulation prevention
// bytes as it goes, with the fixed-width and Exp-Golomb fields of the H.264
// and HEVC syntax tables, and tells how many stored bytes the fields read so
// far span. It is a value type and allocates nothing.
//
// bits imports only the standard library and must never import anything
// else, of this module or outside it: every other codec package builds on it.
package bits
