package drm

import "encoding/binary"

// PSSHSize returns the byte size of the 'pssh' box AppendPSSH writes for
// these arguments.
func PSSHSize(version int, kids int, data int) int {
	n := 8 + 4 + 16 + 4 + data // header, version+flags, SystemID, DataSize, Data
	if version != 0 {
		n += 4 + 16*kids
	}
	return n
}

// AppendPSSH appends a Protection System Specific Header box (ISO/IEC
// 23001-7 section 8.1) to dst and returns the extended slice:
//
//	pssh (FullBox: version, flags 0)
//	├── SystemID [16]
//	├── KID_count, KID[KID_count][16]   version 1 only
//	├── DataSize
//	└── Data[DataSize]
//
// Version 0 lists no KIDs (kids is ignored); version 1 lists kids. Any
// version other than 0 and 1 is written as 1.
func AppendPSSH(dst []byte, systemID [16]byte, version int, kids [][16]byte, data []byte) []byte {
	if version != 0 {
		version = 1
	}
	size := PSSHSize(version, len(kids), len(data))
	dst = binary.BigEndian.AppendUint32(dst, uint32(size))
	dst = append(dst, 'p', 's', 's', 'h', byte(version), 0, 0, 0)
	dst = append(dst, systemID[:]...)
	if version == 1 {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(kids)))
		for i := range kids {
			dst = append(dst, kids[i][:]...)
		}
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	return append(dst, data...)
}

// CommonPSSH returns the W3C common 'pssh' box (system
// 1077efec-c0b2-4d02-ace3-3c1e52e2fb4b, version 1, no data) listing kids:
// the EME "cenc" initialization data that ClearKey reads.
func CommonPSSH(kids [][16]byte) []byte {
	return AppendPSSH(nil, CommonSystemID, 1, kids, nil)
}

// PSSHData returns the Data of one whole 'pssh' box (version 0 or 1).
func PSSHData(box []byte) ([]byte, bool) {
	if len(box) < 32 || int(binary.BigEndian.Uint32(box)) != len(box) || string(box[4:8]) != "pssh" {
		return nil, false
	}
	off := 28
	if box[8] == 1 {
		if len(box) < off+4 {
			return nil, false
		}
		n := int(binary.BigEndian.Uint32(box[off:]))
		if n > (len(box)-off-4)/16 {
			return nil, false
		}
		off += 4 + 16*n
	} else if box[8] != 0 {
		return nil, false
	}
	if len(box) < off+4 || int(binary.BigEndian.Uint32(box[off:])) != len(box)-off-4 {
		return nil, false
	}
	return box[off+4:], true
}

// IsPlayReadyObject reports whether b is one whole PlayReady Object with
// at least one record (its little-endian length and count).
func IsPlayReadyObject(b []byte) bool {
	return len(b) >= 10 && int(binary.LittleEndian.Uint32(b)) == len(b) && binary.LittleEndian.Uint16(b[4:]) > 0
}
