package crypto

// PatternBatch encrypts the protected ranges of many cbcs video samples
// (pattern 1:9, one constant IV) in place, four ranges at a time.
//
// Within one protected range the CBC chain runs through every encrypted
// block, so a range is bound by AESENC's latency: about 40 cycles a block
// for ten rounds, while the AES unit could start a round every cycle. The
// ranges of different samples (and subsamples) are independent chains, so
// the batch keeps four of them in flight. Each range comes out exactly as
// EncryptPattern(range, iv, PatternVideo) makes it; only the order of the
// work changes. Ranges must not overlap and must stay in place until
// Flush; ranges still queued when the caller gives up are left partly
// encrypted (the caller fails closed). Reset before use; it allocates
// nothing.
type PatternBatch struct {
	k      *Key
	iv     [16]byte
	lanes  [4][]byte   // each active range from its next encrypted block; nil when idle
	chains [4][16]byte // each lane's CBC chain
	active int
	sink   [BlockSize]byte // what idle lanes encrypt, in place, in step with the rest
}

// patternStride is the distance between the encrypted blocks of pattern
// 1:9 (one block encrypted, nine skipped).
const patternStride = 16 * 10

// Reset starts a batch under k from the constant IV iv.
func (b *PatternBatch) Reset(k *Key, iv [16]byte) {
	*b = PatternBatch{k: k, iv: iv}
}

// AddSample queues the protected ranges of sample under subs (the map
// EncryptCBCS takes; none: the whole sample is one range).
func (b *PatternBatch) AddSample(sample []byte, subs []Subsample) error {
	if len(subs) == 0 {
		b.Add(sample)
		return nil
	}
	if err := checkSubsamples(subs, len(sample)); err != nil {
		return err
	}
	pos := 0
	for _, s := range subs {
		pos += int(s.Clear)
		end := pos + int(s.Protected)
		b.Add(sample[pos:end])
		pos = end
	}
	return nil
}

// Add queues one protected range.
func (b *PatternBatch) Add(r []byte) {
	if cryptBlocks(r) == 0 {
		return // no whole block: nothing to encrypt
	}
	if !useAsm {
		b.k.EncryptPattern(r, b.iv, PatternVideo)
		return
	}
	for l := range b.lanes {
		if b.lanes[l] == nil {
			b.lanes[l], b.chains[l] = r, b.iv
			b.active++
			break
		}
	}
	if b.active == len(b.lanes) {
		b.step()
	}
}

// Flush encrypts what is still queued.
func (b *PatternBatch) Flush() {
	for b.active > 0 {
		b.step()
	}
}

// cryptBlocks is the number of encrypted blocks of range r under 1:9.
func cryptBlocks(r []byte) int { return (len(r)/BlockSize + 9) / 10 }

// step runs the active lanes until the shortest ends, idle lanes marking
// time on the sink, and frees the lanes that are done.
func (b *PatternBatch) step() {
	var ptrs [4]*byte
	var strides [4]int
	n := -1
	for l, r := range b.lanes {
		if r == nil {
			ptrs[l] = &b.sink[0]
			continue
		}
		ptrs[l], strides[l] = &r[0], patternStride
		if c := cryptBlocks(r); n < 0 || c < n {
			n = c
		}
	}
	if n <= 0 {
		return
	}
	cbcsLanes4Asm(&b.k.enc[0], &ptrs, &b.chains, &strides, n)
	for l, r := range b.lanes {
		if r == nil {
			continue
		}
		if r = r[min(n*patternStride, len(r)):]; cryptBlocks(r) == 0 {
			r = nil
			b.active--
		}
		b.lanes[l] = r
	}
}

// EncryptPatterns encrypts each range in place under the 1:9 pattern from
// its start, every chain from iv, four chains at a time: HLS SAMPLE-AES
// video NAL units (packager/ts.PatternEncrypter).
func (k *Key) EncryptPatterns(ranges [][]byte, iv [16]byte) {
	var b PatternBatch
	b.Reset(k, iv)
	for _, r := range ranges {
		b.Add(r)
	}
	b.Flush()
}
