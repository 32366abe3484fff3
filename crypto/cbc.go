package crypto

// AppendCBCSegment appends to dst the HLS AES-128 encryption of a whole
// segment src (RFC 8216 4.3.2.4): AES-128-CBC from iv over src with PKCS#7
// padding (1 to 16 bytes, so the result is len(src)/16*16+16 bytes). src may
// be dst[len(dst):len(dst)+len(src)], i.e. buf = k.AppendCBCSegment(buf[:0],
// buf, iv) encrypts in place; otherwise src and the appended bytes must not
// overlap. It allocates nothing when dst has the capacity.
//
// While other segments are being encrypted at the same time, the chain of
// this one runs interleaved with theirs (cbc_lanes.go); alone, it runs
// straight through. The bytes are the same either way.
func (k *Key) AppendCBCSegment(dst, src []byte, iv [16]byte) []byte {
	return k.appendCBCSegment(dst, src, iv, sharedLanes())
}

// appendCBCSegment is AppendCBCSegment with the lanes to use; nil runs the
// chain alone (the path before the lanes, kept for the benchmarks).
func (k *Key) appendCBCSegment(dst, src []byte, iv [16]byte, lanes *cbcLanes) []byte {
	n := len(src)
	full := n &^ (BlockSize - 1)
	out0 := len(dst)
	total := full + BlockSize
	if cap(dst)-out0 < total {
		grown := make([]byte, out0, out0+total)
		copy(grown, dst)
		dst = grown
	}
	dst = dst[:out0+total]
	out := dst[out0:]
	if full > 0 {
		switch {
		case useAsm && lanes != nil && full >= laneMinBlocks*BlockSize:
			var from []byte // in place
			if &out[0] != &src[0] {
				from = src[:full] // read as it is by a chain alone, copied in once in company
			}
			lanes.encryptCBC(k, out[:full], from, &iv)
		case useAsm:
			cbcEncAsm(&k.enc[0], &iv, &out[0], &src[0], full/BlockSize)
		default:
			copy(out, src[:full])
			k.EncryptCBC(out[:full], &iv)
		}
	}
	var last [16]byte
	r := copy(last[:], src[full:])
	pad := byte(BlockSize - r)
	for i := r; i < BlockSize; i++ {
		last[i] = pad
	}
	copy(out[full:], last[:])
	k.EncryptCBC(out[full:], &iv)
	return dst
}

// AppendPKCS7 appends the PKCS#7 padding (RFC 5652 6.3) that brings a
// stream of n bytes to a whole number of 16-byte blocks: 16 - n%16 bytes of
// that value. For callers that encrypt a segment in pieces with EncryptCBC.
func AppendPKCS7(dst []byte, n int) []byte {
	pad := BlockSize - n%BlockSize
	for range pad {
		dst = append(dst, byte(pad))
	}
	return dst
}
