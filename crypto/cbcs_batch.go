package crypto

// PatternBatch encrypts the protected ranges of many cbcs video samples
// (pattern 1:9, one constant IV), four ranges at a time, in place or from
// a source into the output in the same pass.
//
// Within one protected range the CBC chain runs through every encrypted
// block, so a range is bound by AESENC's latency: about 40 cycles a block
// for ten rounds, while the AES unit could start a round every cycle. The
// ranges of different samples (and subsamples) are independent chains, so
// the batch keeps four of them in flight. Each range comes out exactly as
// EncryptPattern(range, iv, PatternVideo) makes it; only the order of the
// work changes.
//
// Copying (AddSampleTo, AddTo) is how a cbcs segment is made: the lanes
// copy the nine clear blocks after each encrypted one as they go, so the
// bytes are read and written once, and the copy's loads and stores fill
// the cycles in which the chains wait on AESENC. A 1:9 range is mostly
// copy: encrypting it after a separate copy cost a second pass over the
// output and left the longest chain (a key frame's slice, a fifth of a
// segment) to run alone after the copy.
//
// Ranges must not overlap (a destination may be its own source) and must
// stay in place until Flush; ranges still queued when the caller gives up
// are left partly written (the caller fails closed). Reset before use; it
// allocates nothing.
type PatternBatch struct {
	k  *Key
	iv [16]byte
	// Each active lane's range from its next stride: dst[l] and src[l]
	// are as long; nil when idle.
	dst, src [4][]byte
	chains   [4][16]byte // each lane's CBC chain
	copying  [4]bool     // each lane's dst is apart from its src
	whole    [4]bool     // each lane's range is encrypted whole (AddWholeTo), in place
	active   int
	copies   int                 // active lanes whose dst is not their src
	wholes   int                 // active whole lanes: never with copies (see AddWholeTo)
	sink     [patternStride]byte // what idle lanes work on, in place, in step with the rest
	// Ranges' last encrypted blocks (tail), already in place, and their
	// chains: encrypted four at a time by flushTails.
	tailPtrs [4]*byte
	tailIVs  [4][16]byte
	ntails   int
}

// patternStride is the distance between the encrypted blocks of pattern
// 1:9 (one block encrypted, nine skipped).
const patternStride = 16 * 10

// Reset starts a batch under k from the constant IV iv.
func (b *PatternBatch) Reset(k *Key, iv [16]byte) {
	*b = PatternBatch{k: k, iv: iv}
}

// AddSample queues the protected ranges of sample under subs (the map
// EncryptCBCS takes; none: the whole sample is one range), in place.
func (b *PatternBatch) AddSample(sample []byte, subs []Subsample) error {
	return b.AddSampleTo(sample, sample, subs)
}

// AddSampleTo makes in dst the sample src encrypted under subs: it copies
// the clear ranges now and queues the protected ones, which the lanes copy
// and encrypt. dst must be as long as src, and either src itself or apart
// from it.
func (b *PatternBatch) AddSampleTo(dst, src []byte, subs []Subsample) error {
	if len(dst) != len(src) {
		return ErrLength
	}
	if len(subs) == 0 {
		b.AddTo(dst, src)
		return nil
	}
	if err := checkSubsamples(subs, len(src)); err != nil {
		return err
	}
	pos := 0
	for _, s := range subs {
		end := pos + int(s.Clear)
		copyApart(dst[pos:end], src[pos:end])
		pos, end = end, end+int(s.Protected)
		b.AddTo(dst[pos:end], src[pos:end])
		pos = end
	}
	return nil
}

// AddWholeTo makes in dst the range src encrypted whole, as
// EncryptPattern(dst, iv, PatternWhole) makes it: AES-CBC from the batch's
// IV through every whole block, a partial block at the end left clear
// (cbcs audio samples, tenc pattern 0:0). dst and src are as long, and the
// same or apart.
//
// An audio sample is a short chain (an AAC frame is some 25 blocks), and a
// segment's samples, each alone, ran at AESENC's latency one after the
// other: here they share the lanes, four chains in flight. The lanes
// encrypt in place, so src is copied first (a few hundred bytes, still in
// the cache when the lanes reach it); the copying kernel runs 1:9 strides
// only, so a whole range never shares a step with a copying lane (the
// batch flushes those first, and the other way round).
func (b *PatternBatch) AddWholeTo(dst, src []byte) {
	if len(dst) != len(src) {
		panic("crypto: AddWholeTo lengths differ")
	}
	copyApart(dst, src)
	if !useAsm {
		b.k.EncryptPattern(dst, b.iv, PatternWhole)
		return
	}
	nb := len(dst) / BlockSize
	if nb == 0 {
		return
	}
	if b.copies > 0 {
		b.Flush()
	}
	for l := range b.src {
		if b.src[l] == nil {
			r := dst[:nb*BlockSize]
			b.dst[l], b.src[l], b.chains[l], b.copying[l], b.whole[l] = r, r, b.iv, false, true
			b.active++
			b.wholes++
			break
		}
	}
	if b.active == len(b.src) {
		b.step()
	}
}

// Add queues one protected range, encrypted in place.
func (b *PatternBatch) Add(r []byte) { b.AddTo(r, r) }

// AddTo queues one protected range: dst becomes src encrypted under 1:9.
// dst and src are as long, and the same or apart.
func (b *PatternBatch) AddTo(dst, src []byte) {
	if !useAsm {
		copyApart(dst, src)
		b.k.EncryptPattern(dst, b.iv, PatternVideo)
		return
	}
	inPlace := len(src) == 0 || same(dst, src)
	switch {
	case inPlace && cryptBlocks(src) == 0:
		return // no whole block: nothing to encrypt
	case !inPlace && len(src) < patternStride:
		b.tail(dst, src, b.iv) // at most one block to encrypt: no lane
		return
	case !inPlace && b.wholes > 0:
		b.Flush() // whole ranges run in place only (AddWholeTo)
	}
	for l := range b.src {
		if b.src[l] == nil {
			b.dst[l], b.src[l], b.chains[l], b.copying[l] = dst, src, b.iv, !inPlace
			b.active++
			if !inPlace {
				b.copies++
			}
			break
		}
	}
	if b.active == len(b.src) {
		b.step()
	}
}

// Flush encrypts what is still queued.
func (b *PatternBatch) Flush() {
	for b.active > 0 {
		b.step()
	}
	b.flushTails()
}

// cryptBlocks is the number of encrypted blocks of range r under 1:9.
func cryptBlocks(r []byte) int { return (len(r)/BlockSize + 9) / 10 }

// laneBlocks is the number of blocks lane l has left to encrypt, and the
// distance between them.
func (b *PatternBatch) laneBlocks(l int) (blocks, stride int) {
	if b.whole[l] {
		return len(b.src[l]) / BlockSize, BlockSize
	}
	return cryptBlocks(b.src[l]), patternStride
}

// step runs the active lanes until one of them ends, idle lanes marking
// time on the sink, and frees the lanes that are done.
func (b *PatternBatch) step() {
	if b.copies == 0 {
		b.stepInPlace()
		return
	}
	// Copying lanes run whole strides (a stride past a range's end is
	// another range's bytes): a lane with less than a stride left ends
	// here (tail).
	var dsts, srcs [4]*byte
	var strides [4]int
	n := -1
	for l, r := range b.src {
		if r != nil && len(r) < patternStride {
			b.end(l)
			r = nil
		}
		if r == nil {
			dsts[l], srcs[l] = &b.sink[0], &b.sink[0]
			continue
		}
		dsts[l], srcs[l], strides[l] = &b.dst[l][0], &r[0], patternStride
		if c := len(r) / patternStride; n < 0 || c < n {
			n = c
		}
	}
	if n < 0 {
		return
	}
	cbcsCopyLanes4Asm(&b.k.enc[0], &dsts, &srcs, &b.chains, &strides, n)
	for l, r := range b.src {
		if r == nil {
			continue
		}
		b.dst[l], b.src[l] = b.dst[l][n*patternStride:], r[n*patternStride:]
		if len(b.src[l]) < patternStride {
			b.end(l)
		}
	}
}

// stepInPlace is step when every lane encrypts in place: the lanes run
// until the one with the fewest encrypted blocks left is done, its last
// block in a partial stride included. A 1:9 lane steps a stride (160
// bytes) a block, a whole lane (AddWholeTo) 16.
func (b *PatternBatch) stepInPlace() {
	var ptrs [4]*byte
	var strides [4]int
	n := -1
	for l, r := range b.src {
		if r == nil {
			ptrs[l] = &b.sink[0]
			continue
		}
		c, stride := b.laneBlocks(l)
		ptrs[l], strides[l] = &r[0], stride
		if n < 0 || c < n {
			n = c
		}
	}
	if n <= 0 {
		return
	}
	cbcsLanes4Asm(&b.k.enc[0], &ptrs, &b.chains, &strides, n)
	for l, r := range b.src {
		if r == nil {
			continue
		}
		b.dst[l], b.src[l] = r[min(n*strides[l], len(r)):], r[min(n*strides[l], len(r)):]
		if c, _ := b.laneBlocks(l); c == 0 {
			if b.whole[l] {
				b.wholes--
				b.whole[l] = false
			}
			b.dst[l], b.src[l] = nil, nil
			b.active--
		}
	}
}

// end finishes lane l's range, which has less than a stride left, and
// frees the lane.
func (b *PatternBatch) end(l int) {
	b.tail(b.dst[l], b.src[l], b.chains[l])
	if b.copying[l] {
		b.copies--
	}
	b.dst[l], b.src[l] = nil, nil
	b.active--
}

// tail ends a range with less than a stride left, its chain at iv: the
// first block encrypted when it is whole, the rest copied. It copies the
// whole rest now and queues the block, to be encrypted in place with three
// other ranges' (flushTails): alone, each range's last block waited out
// AESENC's full latency, once per range and subsample.
func (b *PatternBatch) tail(dst, src []byte, iv [16]byte) {
	copyApart(dst, src)
	if len(dst) < BlockSize {
		return
	}
	b.tailPtrs[b.ntails], b.tailIVs[b.ntails] = &dst[0], iv
	b.ntails++
	if b.ntails == len(b.tailPtrs) {
		b.flushTails()
	}
}

// flushTails encrypts the queued tail blocks in place, one block a lane,
// idle lanes on the sink.
func (b *PatternBatch) flushTails() {
	if b.ntails == 0 {
		return
	}
	// A local copy: the sink's address stored in b itself would make
	// escape analysis move every batch to the heap.
	ptrs := b.tailPtrs
	for l := b.ntails; l < len(ptrs); l++ {
		ptrs[l] = &b.sink[0]
	}
	var strides [4]int
	cbcsLanes4Asm(&b.k.enc[0], &ptrs, &b.tailIVs, &strides, 1)
	b.tailPtrs, b.ntails = [4]*byte{}, 0
}

// same reports whether a and b (as long, not empty) start at one address.
func same(a, b []byte) bool { return &a[0] == &b[0] }

// copyApart copies src to dst unless they are the same bytes.
func copyApart(dst, src []byte) {
	if len(src) > 0 && !same(dst, src) {
		copy(dst, src)
	}
}

// EncryptPatternsTo makes each dst[i] src[i] encrypted under the 1:9
// pattern from its start, every chain from iv, four chains at a time, in
// one pass that copies as it encrypts (PatternBatch.AddTo): HLS SAMPLE-AES
// video NAL units (packager/ts.PatternEncrypter). dst[i] is as long as
// src[i], and the same bytes or apart from them; it panics when the lists
// or a pair differ in length.
func (k *Key) EncryptPatternsTo(dst, src [][]byte, iv [16]byte) {
	if len(dst) != len(src) {
		panic("crypto: EncryptPatternsTo: dst and src lists differ in length")
	}
	var b PatternBatch
	b.Reset(k, iv)
	for i, r := range src {
		if len(dst[i]) != len(r) {
			panic("crypto: EncryptPatternsTo: a dst range and its src differ in length")
		}
		b.AddTo(dst[i], r)
	}
	b.Flush()
}
