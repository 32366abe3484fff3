package drm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Protection schemes (ISO/IEC 23001-7 scheme_type) that the DRM data
// functions take.
const (
	SchemeCENC = "cenc"
	SchemeCBCS = "cbcs"
)

// ErrScheme is returned by WidevinePSSHData and PlayReadyHeader when the
// scheme is neither "cenc" nor "cbcs".
var ErrScheme = errors.New("drm: unknown protection scheme")

// Field numbers and wire types of the WidevinePsshData protobuf
// (widevine_pssh.proto) that drm writes.
const (
	wvKeyIDsTag           = 2<<3 | 2 // key_ids: repeated bytes
	wvProtectionSchemeTag = 9<<3 | 0 // protection_scheme: uint32 fourcc
)

// WidevinePSSHData returns the Widevine 'pssh' data for kids: a
// WidevinePsshData protobuf with key_ids (field 2, one per KID, in order)
// and protection_scheme (field 9, the scheme's fourcc as a big-endian
// uint32: 'cenc' = 0x63656e63, 'cbcs' = 0x63626373). No content_id and no
// provider: license servers that need them take them from the license
// request. The protobuf is written by hand; it is a few dozen bytes.
func WidevinePSSHData(kids [][16]byte, scheme string) ([]byte, error) {
	fourcc, err := schemeFourCC(scheme)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(kids)*18+6)
	for i := range kids {
		b = append(b, wvKeyIDsTag, 16)
		b = append(b, kids[i][:]...)
	}
	b = append(b, wvProtectionSchemeTag)
	return binary.AppendUvarint(b, uint64(fourcc)), nil
}

// WidevinePSSH returns the complete Widevine 'pssh' box (version 0, as every
// Widevine CDM reads it) with WidevinePSSHData(kids, scheme) as its data.
func WidevinePSSH(kids [][16]byte, scheme string) ([]byte, error) {
	data, err := WidevinePSSHData(kids, scheme)
	if err != nil {
		return nil, err
	}
	return AppendPSSH(nil, WidevineSystemID, 0, nil, data), nil
}

// schemeFourCC returns scheme as a big-endian fourcc.
func schemeFourCC(scheme string) (uint32, error) {
	switch scheme {
	case SchemeCENC, SchemeCBCS:
		return binary.BigEndian.Uint32([]byte(scheme)), nil
	}
	return 0, fmt.Errorf("%w %q (want cenc or cbcs)", ErrScheme, scheme)
}
