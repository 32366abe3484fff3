package crypto

// EncryptCBCRanges encrypts each range in place with AES-128-CBC, every
// chain from iv, four chains at a time: HLS SAMPLE-AES audio, whose chain
// restarts at every AAC frame (packager/ts.RangeEncrypter). Each range
// must be a whole number of blocks (EncryptCBC panics otherwise, and so
// does this). One chain is bound by AESENC's latency; the frames of a
// segment are independent chains, so the lanes of cbcsLanes4Asm (with a
// stride of one block: plain CBC) keep four of them in flight. Each range
// comes out as EncryptCBC(range, &iv) makes it. It allocates nothing.
func (k *Key) EncryptCBCRanges(ranges [][]byte, iv [16]byte) {
	for _, r := range ranges {
		if len(r)%BlockSize != 0 {
			panic("crypto: EncryptCBCRanges input not full blocks")
		}
	}
	if !useAsm {
		for _, r := range ranges {
			c := iv
			k.EncryptCBC(r, &c)
		}
		return
	}
	var (
		lanes   [4][]byte // each lane's range from its next block; empty when idle
		ptrs    [4]*byte
		chains  [4][16]byte
		strides [4]int
		sink    [BlockSize]byte // what idle lanes encrypt, in step with the rest
	)
	next := 0
	for {
		n := -1
		for l := range lanes {
			for len(lanes[l]) == 0 && next < len(ranges) {
				lanes[l], chains[l] = ranges[next], iv
				next++
			}
			if len(lanes[l]) == 0 {
				ptrs[l], strides[l] = &sink[0], 0
				continue
			}
			ptrs[l], strides[l] = &lanes[l][0], BlockSize
			if c := len(lanes[l]) / BlockSize; n < 0 || c < n {
				n = c
			}
		}
		if n < 0 {
			return
		}
		cbcsLanes4Asm(&k.enc[0], &ptrs, &chains, &strides, n)
		for l := range lanes {
			if len(lanes[l]) > 0 {
				lanes[l] = lanes[l][n*BlockSize:]
			}
		}
	}
}
