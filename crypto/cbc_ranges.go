package crypto

// EncryptCBCRanges encrypts each range in place with AES-128-CBC, every
// chain from iv, four chains at a time: HLS SAMPLE-AES audio, whose chain
// restarts at every AAC frame (packager/ts.RangeEncrypter). Each range
// must be a whole number of blocks (EncryptCBC panics otherwise, and so
// does this). One chain is bound by AESENC's latency; the frames of a
// segment are independent chains, which the PatternBatch lanes keep four
// in flight as they do cbcs audio (AddWholeTo). Each range comes out as
// EncryptCBC(range, &iv) makes it. It allocates nothing.
func (k *Key) EncryptCBCRanges(ranges [][]byte, iv [16]byte) {
	for _, r := range ranges {
		if len(r)%BlockSize != 0 {
			panic("crypto: EncryptCBCRanges input not full blocks")
		}
	}
	var b PatternBatch
	b.Reset(k, iv)
	for _, r := range ranges {
		b.AddWholeTo(r, r)
	}
	b.Flush()
}
