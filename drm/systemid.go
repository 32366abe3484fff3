package drm

import "encoding/hex"

// SystemID is a DRM system ID as it appears in a 'pssh' box and, as a
// "urn:uuid:" GUID, in a DASH ContentProtection@schemeIdUri.
type SystemID = [16]byte

// DRM system IDs (DASH-IF registry, https://dashif.org/identifiers/content_protection/).
var (
	// WidevineSystemID is edef8ba9-79d6-4ace-a3c8-27dcd51d21ed.
	WidevineSystemID = SystemID{0xed, 0xef, 0x8b, 0xa9, 0x79, 0xd6, 0x4a, 0xce, 0xa3, 0xc8, 0x27, 0xdc, 0xd5, 0x1d, 0x21, 0xed}
	// PlayReadySystemID is 9a04f079-9840-4286-ab92-e65be0885f95.
	PlayReadySystemID = SystemID{0x9a, 0x04, 0xf0, 0x79, 0x98, 0x40, 0x42, 0x86, 0xab, 0x92, 0xe6, 0x5b, 0xe0, 0x88, 0x5f, 0x95}
	// CommonSystemID is the W3C common PSSH system
	// 1077efec-c0b2-4d02-ace3-3c1e52e2fb4b (EME "cenc" init data), which
	// ClearKey reads from the 'pssh' boxes of initialization segments.
	CommonSystemID = SystemID{0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02, 0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2, 0xfb, 0x4b}
	// ClearKeyDASHSystemID is e2719d58-a985-b3c9-781a-b030af78d30e, the
	// scheme of the ClearKey ContentProtection descriptor in a DASH MPD
	// (DASH-IF IOP). It never appears in a 'pssh' box.
	ClearKeyDASHSystemID = SystemID{0xe2, 0x71, 0x9d, 0x58, 0xa9, 0x85, 0xb3, 0xc9, 0x78, 0x1a, 0xb0, 0x30, 0xaf, 0x78, 0xd3, 0x0e}
	// FairPlaySystemID is 94ce86fb-07ff-4f43-adb8-93d2fa968ca2.
	FairPlaySystemID = SystemID{0x94, 0xce, 0x86, 0xfb, 0x07, 0xff, 0x4f, 0x43, 0xad, 0xb8, 0x93, 0xd2, 0xfa, 0x96, 0x8c, 0xa2}
)

// GUID formats b as a lowercase GUID, 8-4-4-4-12, the bytes in order: the
// form of cenc:default_KID, of "urn:uuid:" scheme URIs and of every KID a
// person or a URL sees.
func GUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// PlayReadyKID returns kid in PlayReady's GUID byte order: the first three
// fields (bytes 0-3, 4-5 and 6-7) little-endian, the last eight bytes as
// they are. It is its own inverse.
func PlayReadyKID(kid [16]byte) [16]byte {
	return [16]byte{
		kid[3], kid[2], kid[1], kid[0],
		kid[5], kid[4],
		kid[7], kid[6],
		kid[8], kid[9], kid[10], kid[11], kid[12], kid[13], kid[14], kid[15],
	}
}
