package drm

import (
	"crypto/aes"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// ErrHeaderTooLong is returned by PlayReadyHeader and PlayReadyObject when
// the WRMHEADER does not fit a PlayReady Object record.
var ErrHeaderTooLong = errors.New("drm: WRMHEADER too long for a PlayReady Object")

// prRecordWRMHeader is the PlayReady Object record type of a WRMHEADER.
const prRecordWRMHeader = 1

// wrmNS is the WRMHEADER XML namespace.
const wrmNS = "http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader"

// PlayReadyHeader returns the PlayReady Object (PRO) for one KID: the
// payload of a PlayReady 'pssh' box, of DASH mspr:pro and of the Smooth
// ProtectionHeader.
//
//	PlayReady Object (all little-endian)
//	├── Length uint32 (the whole object)
//	├── Record count uint16 (1)
//	└── Record: type uint16 (1, WRM header), length uint16, value
//	    └── WRMHEADER XML, UTF-16LE, no BOM
//
// For "cenc" the WRMHEADER is version 4.0.0.0 with KEYLEN 16, ALGID AESCTR,
// the KID and its CHECKSUM; for "cbcs" version 4.3.0.0 with one
// <KID ALGID="AESCBC" VALUE="…"> and no checksum. KIDs are base64 in
// PlayReady's little-endian GUID byte order (PlayReadyKID). laURL is the
// LA_URL, left out when empty. key is read only for the AESCTR checksum
// (PlayReadyChecksum) and is ignored for cbcs; it never appears in the
// output.
func PlayReadyHeader(kid [16]byte, key [16]byte, scheme string, laURL string) ([]byte, error) {
	x, err := WRMHeader(kid, key, scheme, laURL)
	if err != nil {
		return nil, err
	}
	return PlayReadyObject(x)
}

// WRMHeader returns the WRMHEADER XML (as a Go string) that PlayReadyHeader
// wraps; see there.
func WRMHeader(kid [16]byte, key [16]byte, scheme string, laURL string) (string, error) {
	if _, err := schemeFourCC(scheme); err != nil {
		return "", err
	}
	prKID := PlayReadyKID(kid)
	b64 := base64.StdEncoding.EncodeToString(prKID[:])
	var b strings.Builder
	if scheme == SchemeCENC {
		b.WriteString(`<WRMHEADER xmlns="` + wrmNS + `" version="4.0.0.0"><DATA>` +
			`<PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO>` +
			`<KID>` + b64 + `</KID><CHECKSUM>` + PlayReadyChecksum(kid, key) + `</CHECKSUM>`)
	} else {
		b.WriteString(`<WRMHEADER xmlns="` + wrmNS + `" version="4.3.0.0"><DATA>` +
			`<PROTECTINFO><KIDS><KID ALGID="AESCBC" VALUE="` + b64 + `"></KID></KIDS></PROTECTINFO>`)
	}
	if laURL != "" {
		b.WriteString("<LA_URL>")
		_ = xml.EscapeText(&b, []byte(laURL)) // a strings.Builder never fails
		b.WriteString("</LA_URL>")
	}
	b.WriteString("</DATA></WRMHEADER>")
	return b.String(), nil
}

// PlayReadyChecksum returns the AESCTR key checksum of the PlayReady Header
// Specification: the KID in PlayReady's GUID byte order, encrypted with
// AES-128-ECB under the content key, first 8 bytes, base64.
func PlayReadyChecksum(kid [16]byte, key [16]byte) string {
	block, _ := aes.NewCipher(key[:]) // a 16-byte key is always valid
	prKID := PlayReadyKID(kid)
	var out [16]byte
	block.Encrypt(out[:], prKID[:])
	return base64.StdEncoding.EncodeToString(out[:8])
}

// MaxWRMHeaderLen is the longest WRMHEADER a PlayReady Object record can
// hold: its length field is a uint16 of bytes, two per UTF-16 code unit.
const MaxWRMHeaderLen = 0xFFFF / 2

// PlayReadyObject wraps a WRMHEADER XML document into a PlayReady Object
// with one record of type 1, the XML encoded as UTF-16LE. It returns
// ErrHeaderTooLong when the XML has more than MaxWRMHeaderLen UTF-16 code
// units (a very long LA_URL).
func PlayReadyObject(wrmHeader string) ([]byte, error) {
	units := utf16.Encode([]rune(wrmHeader))
	if len(units) > MaxWRMHeaderLen {
		return nil, fmt.Errorf("%w: %d UTF-16 code units, at most %d", ErrHeaderTooLong, len(units), MaxWRMHeaderLen)
	}
	recLen := 2 * len(units)
	size := 4 + 2 + 2 + 2 + recLen
	b := make([]byte, 0, size)
	b = binary.LittleEndian.AppendUint32(b, uint32(size))
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, prRecordWRMHeader)
	b = binary.LittleEndian.AppendUint16(b, uint16(recLen))
	for _, u := range units {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b, nil
}

// PlayReadyPSSH returns the PlayReady 'pssh' box for pro, version 1 listing
// kids (in the KID byte order of tenc, big-endian), or version 0 when kids
// is empty.
func PlayReadyPSSH(kids [][16]byte, pro []byte) []byte {
	version := 0
	if len(kids) > 0 {
		version = 1
	}
	return AppendPSSH(nil, PlayReadySystemID, version, kids, pro)
}
