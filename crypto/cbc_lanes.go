package crypto

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Cross-request CBC lanes.
//
// HLS AES-128 encrypts a whole segment as one CBC chain: every block waits
// for the one before, so a chain runs at AESENC's latency (about 40 cycles
// a block) while the AES units could start one or two rounds a cycle. The
// chains of different requests are independent. When several requests
// encrypt at once, one of them (the owner) runs all their chains together,
// interleaved in one loop (aes_lanes_amd64.s: 4 or 8 lanes with AES-NI, 16
// with AVX-512 VAES, four chains to a register), chunk by chunk:
//
//	request A ──► owner: round · round · round ─ hands over ─► returns
//	request B ──► waits ···· lane 2: round · round ─ owner: round ─► returns
//	request C ──────────────► waits ··· lane 3: round ─ done ─► returns
//
// - A chain that finds no owner becomes the owner and starts at once: a
//   request alone never waits for company (it pays one uncontended lock and
//   a runtime.Gosched per 64 KiB chunk).
// - A chain that finds an owner queues and parks. Between rounds the owner
//   takes queued chains into free lanes (first come, first served), so a
//   newcomer waits at most one round (about 50 µs) for a free lane.
// - A chain that joins running lanes first advances alone by up to a few
//   cache lines, so that no two lanes' blocks share an L1 cache set (see
//   spread).
// - A lane whose chain ends is freed at once and its request woken; the
//   lanes stay packed at the front so that four or fewer run the 4-lane
//   loop and one alone runs the plain chain loop.
// - The owner works only until its own chain ends, then hands ownership to
//   a chain still running (a wake-up, no lock held), so no request pays for
//   another's tail.
// - Between rounds the owner yields the processor (runtime.Gosched): with
//   GOMAXPROCS=1, as on the bench's pinned core, that is the only moment at
//   which other requests can reach the rendezvous. With more processors a
//   chain that would wait behind a full set of lanes goes straight on its own
//   processor instead.
//
// The rendezvous is one mutex, taken a constant number of times per chain
// and once per round only when a chain joins or ends; the jobs and their
// wake-up channels are allocated once with the scheduler, so the steady
// state allocates nothing. Every chain comes out exactly as EncryptCBC makes
// it: only the order of the work changes.

const (
	// maxLanes is the most chains one loop interleaves. With AES-NI eight
	// keep two AES units busy through ten rounds of four-cycle latency;
	// with AVX-512 VAES one instruction runs a round of four chains, and
	// sixteen (four registers) do the same (laneWidth).
	maxLanes = 16
	// xmmLanes is the most chains of the AES-NI loops.
	xmmLanes = 8
	// laneChunk is how many blocks each lane advances per round (64 KiB):
	// rounds are long enough that taking in chains and yielding cost well
	// under 1% of them, and short enough that a newcomer soon gets a lane.
	laneChunk = 4096
	// laneMinBlocks: a shorter chain (under 16 KiB, a few µs of work) goes
	// straight; a wait for a lane could cost more than it saves.
	laneMinBlocks = 1024
	// laneSlots bounds the chains queued or running at once; the next one
	// goes straight.
	laneSlots = 64
	// roundKeysSize is the size of an AES-128 key schedule (11 round keys).
	roundKeysSize = 176
	// zmmGroupSize is the round keys of one group of four lanes in the
	// 16-lane loop: 11 rounds of four lanes' keys side by side.
	zmmGroupSize = 4 * roundKeysSize
)

// laneWidth is the most chains the lanes run at once on this CPU.
var laneWidth = func() int {
	if useVAES {
		return maxLanes
	}
	return xmmLanes
}()

// laneWake is what a parked chain is woken with.
type laneWake uint8

const (
	wakeDone  laneWake = iota // the chain is encrypted
	wakeOwner                 // the chain is not done: run the lanes now
)

// laneJob is one chain queued or running in the lanes.
type laneJob struct {
	k   *Key
	buf []byte // the blocks still to encrypt, in place
	// src is the plaintext of buf when it is elsewhere (nil when buf holds
	// it): a chain alone in the lanes encrypts from it, with no copy; the
	// first round it shares copies the rest in.
	src  []byte
	iv   [16]byte // the chain value when it joined
	wake chan laneWake
}

// cbcLanes is the lane scheduler. The zero value is not usable: see
// newCBCLanes.
type cbcLanes struct {
	width    int // the most lanes that run at once: laneWidth
	mu       sync.Mutex
	owned    bool // a goroutine runs the lanes (under mu)
	queued   int  // chains queued or in lanes (under mu)
	pending  [laneSlots]*laneJob
	phead    int          // first queued job in pending (ring, under mu)
	pn       int          // queued jobs in pending (under mu)
	npending atomic.Int32 // pn, for the owner's check between rounds
	free     [laneSlots]*laneJob
	nfree    int
	jobs     [laneSlots]laneJob

	// The owner's state. Only the owner touches it (nactive is also read
	// under mu and written by the owner under mu); ownership passes under
	// mu or with the wakeOwner message.
	active  [maxLanes]*laneJob // lanes 0..nactive-1
	nactive int
	ivs     [maxLanes][16]byte
	ptrs    [maxLanes]*byte
	strides [maxLanes]int
	keyMem  [xmmLanes*roundKeysSize + 15]byte // lane l < 8's key schedule at keys()+176*l
	// lane l's round r at keysZ()+704*(l/4)+64*r+16*(l%4), for the 16-lane loop
	keyMemZ [maxLanes*roundKeysSize + 63]byte
	sink    [BlockSize]byte // what idle lanes of the AES-NI loops encrypt, in place
	// what idle lanes of the 16-lane loop encrypt, in place: it advances
	// every lane a block at a time
	sinkZ [laneChunk * BlockSize]byte

	peak  atomic.Int32 // the most lanes that ever ran together (tests)
	stats laneCounters
}

// laneCounters count the work of the lanes for LaneStats: one atomic add
// per round of up to laneChunk blocks, and one per chain that goes straight.
type laneCounters struct {
	rounds, blocks         [maxLanes + 1]atomic.Uint64 // by busy lanes
	straight, straightBlks atomic.Uint64
}

// CBCLaneStats are the process's cross-request CBC lane counters since it
// started (whole-segment HLS AES-128 chains of 16 KiB or more).
type CBCLaneStats struct {
	// Rounds[n] is the rounds run with n chains in the lanes; Blocks[n]
	// the 16-byte blocks those rounds encrypted, every lane's counted.
	// Σ n·Blocks[n] ÷ Σ Blocks[n] is how many chains a block ran beside,
	// on average (itself included): the lanes' occupancy.
	Rounds, Blocks [maxLanes + 1]uint64
	// Straight is the chains that ran alone outside the lanes (every slot
	// taken, or full lanes while another processor was free), and
	// StraightBlocks their blocks.
	Straight, StraightBlocks uint64
}

// MaxCBCLanes is the most chains the lanes interleave (the length of
// CBCLaneStats.Rounds is MaxCBCLanes+1).
const MaxCBCLanes = maxLanes

// LaneStats reads the process's CBC lane counters.
func LaneStats() CBCLaneStats { return sharedLanes().Stats() }

// Stats reads s's counters.
func (s *cbcLanes) Stats() CBCLaneStats {
	var st CBCLaneStats
	for n := range st.Rounds {
		st.Rounds[n] = s.stats.rounds[n].Load()
		st.Blocks[n] = s.stats.blocks[n].Load()
	}
	st.Straight, st.StraightBlocks = s.stats.straight.Load(), s.stats.straightBlks.Load()
	return st
}

func newCBCLanes() *cbcLanes {
	s := &cbcLanes{}
	for i := range s.jobs {
		s.jobs[i].wake = make(chan laneWake, 1)
		s.free[i] = &s.jobs[i]
	}
	s.nfree = laneSlots
	s.width = laneWidth
	return s
}

// sharedLanes is the process's scheduler, made on first use.
var sharedLanes = sync.OnceValue(newCBCLanes)

// encryptCBC encrypts into buf, a whole number of blocks, with AES-128-CBC
// under k from *iv, leaving the last ciphertext block in *iv, as
// k.EncryptCBC does, in the lanes when other chains run at the same time.
// The plaintext is src, of buf's length and not overlapping it, or, when
// src is nil, buf itself (in place).
func (s *cbcLanes) encryptCBC(k *Key, buf, src []byte, iv *[16]byte) {
	if src != nil && len(src) != len(buf) {
		panic("crypto: encryptCBC source and destination lengths differ")
	}
	if !useAsm || len(buf) < laneMinBlocks*BlockSize {
		copy(buf, src)
		k.EncryptCBC(buf, iv)
		return
	}
	if len(buf)%BlockSize != 0 {
		panic("crypto: EncryptCBC input not full blocks")
	}
	s.mu.Lock()
	if s.nfree == 0 || (s.owned && s.queued >= s.width && runtime.GOMAXPROCS(0) > 1) {
		s.mu.Unlock()
		s.stats.straight.Add(1)
		s.stats.straightBlks.Add(uint64(len(buf) / BlockSize))
		copy(buf, src)
		k.EncryptCBC(buf, iv)
		return
	}
	s.nfree--
	j := s.free[s.nfree]
	j.k, j.buf, j.src, j.iv = k, buf, src, *iv
	s.queued++
	if !s.owned {
		s.owned = true
		s.addLane(j)
		s.mu.Unlock()
		s.run(j)
	} else {
		s.pending[(s.phead+s.pn)%laneSlots] = j
		s.pn++
		s.npending.Store(int32(s.pn))
		s.mu.Unlock()
		if <-j.wake == wakeOwner {
			s.run(j)
		}
	}
	copy(iv[:], buf[len(buf)-BlockSize:])
	s.mu.Lock()
	j.k, j.buf, j.src = nil, nil, nil
	s.free[s.nfree] = j
	s.nfree++
	s.mu.Unlock()
}

// run is the owner's loop: rounds until self's chain is done.
func (s *cbcLanes) run(self *laneJob) {
	for {
		if s.npending.Load() > 0 && s.nactive < s.width {
			s.mu.Lock()
			s.absorb()
			s.mu.Unlock()
		}
		s.round()
		if s.retire(self) {
			return
		}
		runtime.Gosched()
	}
}

// keys is the 16-byte aligned start of the lanes' key schedules: the lane
// loops read round keys as SSE memory operands, which must be aligned.
func (s *cbcLanes) keys() []byte {
	off := int(-uintptr(unsafe.Pointer(&s.keyMem[0])) & 15)
	return s.keyMem[off : off+xmmLanes*roundKeysSize]
}

// keysZ is the 64-byte aligned start of the 16-lane loop's key schedules,
// so that each group's round keys are one cache line.
func (s *cbcLanes) keysZ() []byte {
	off := int(-uintptr(unsafe.Pointer(&s.keyMemZ[0])) & 63)
	return s.keyMemZ[off : off+maxLanes*roundKeysSize]
}

// setKeys puts the key schedule enc in lane l of both layouts.
func (s *cbcLanes) setKeys(l int, enc []byte) {
	if l < xmmLanes {
		copy(s.keys()[l*roundKeysSize:(l+1)*roundKeysSize], enc)
	}
	if laneWidth > xmmLanes {
		z := s.keysZ()[l/4*zmmGroupSize+l%4*BlockSize:]
		for r := range roundKeysSize / BlockSize {
			copy(z[r*4*BlockSize:r*4*BlockSize+BlockSize], enc[r*BlockSize:])
		}
	}
}

// addLane puts j in the next free lane (the caller checked there is one).
func (s *cbcLanes) addLane(j *laneJob) {
	l := s.nactive
	s.setKeys(l, j.k.enc[:])
	s.ivs[l] = j.iv
	s.active[l] = j
	s.nactive++
	if int32(s.nactive) > s.peak.Load() {
		s.peak.Store(int32(s.nactive))
	}
}

// spread advances j alone, before it takes a lane, until its next block
// lies in an L1 cache set that no busy lane's next block lies in.
//
// The loops touch block i of every lane together, and all lanes advance
// by the same count each round, so the distance between two lanes'
// addresses never changes while they run together. Segment buffers are
// large allocations, page aligned, and chains advance by whole 64 KiB
// rounds, so without this the lanes' blocks often sit at one offset modulo
// 4 KiB: one set of the L1 cache (64 sets of 64-byte lines), which holds 8
// or 12 lines, for 8 or 16 streams, and every block misses. Measured on
// the 16-lane loop: a third of the speed. Spreading costs at most
// spreadSets lines of blocks at the single-chain speed (about a
// microsecond) once per chain.
func (s *cbcLanes) spread(j *laneJob) {
	var busy uint64 // bit k: a busy lane's next block is in set k
	for _, a := range s.active[:s.nactive] {
		busy |= 1 << cacheSet(&a.buf[0])
	}
	d := 0 // blocks to advance alone
	for busy&(1<<cacheSet(&j.buf[d*BlockSize])) != 0 && (d+4)*BlockSize < len(j.buf)-laneMinBlocks*BlockSize {
		d += 4 - int(uintptr(unsafe.Pointer(&j.buf[d*BlockSize]))%64)/BlockSize // to the next line
	}
	if d > 0 {
		cbcEncAsm(&j.k.enc[0], &j.iv, &j.buf[0], &j.plain()[0], d)
		j.buf = j.buf[d*BlockSize:]
		if j.src != nil {
			j.src = j.src[d*BlockSize:]
		}
	}
}

// cacheSet is the L1 data cache set of p: 64-byte lines, 64 sets (32 KiB
// 8-way and 48 KiB 12-way caches alike).
func cacheSet(p *byte) uint { return uint(uintptr(unsafe.Pointer(p))>>6) & 63 }

// removeLane frees lane l, moving the last lane into it.
func (s *cbcLanes) removeLane(l int) {
	last := s.nactive - 1
	if l != last {
		s.active[l], s.ivs[l] = s.active[last], s.ivs[last]
		s.setKeys(l, s.active[l].k.enc[:])
	}
	s.active[last] = nil
	s.nactive--
}

// absorb moves queued chains into free lanes, oldest first. Under mu.
func (s *cbcLanes) absorb() {
	for s.pn > 0 && s.nactive < s.width {
		s.spread(s.pending[s.phead])
		s.addLane(s.pending[s.phead])
		s.pending[s.phead] = nil
		s.phead = (s.phead + 1) % laneSlots
		s.pn--
	}
	s.npending.Store(int32(s.pn))
}

// round advances every lane by up to laneChunk blocks, as far as the
// shortest chain goes.
func (s *cbcLanes) round() {
	n := laneChunk
	for _, j := range s.active[:s.nactive] {
		n = min(n, len(j.buf)/BlockSize)
	}
	if s.nactive > 1 {
		// In company the plaintext is copied in whole, once: per round,
		// sixteen lanes' chunks outgrow the L2 cache between the copy and
		// the cipher, and it measured slower.
		for _, j := range s.active[:s.nactive] {
			if j.src != nil {
				copy(j.buf, j.src)
				j.src = nil
			}
		}
	}
	switch {
	case s.nactive == 1:
		j := s.active[0]
		cbcEncAsm(&j.k.enc[0], &s.ivs[0], &j.buf[0], &j.plain()[0], n)
	case s.nactive <= 4:
		s.point(4)
		cbcLanes4Asm(&s.keys()[0], (*[4]*byte)(s.ptrs[:4]), (*[4][16]byte)(s.ivs[:4]), (*[4]int)(s.strides[:4]), n)
	case s.nactive <= xmmLanes:
		s.point(xmmLanes)
		cbcLanes8Asm(&s.keys()[0], (*[8]*byte)(s.ptrs[:8]), (*[8][16]byte)(s.ivs[:8]), (*[8]int)(s.strides[:8]), n)
	default:
		s.pointZ()
		cbcLanes16Asm(&s.keysZ()[0], &s.ptrs, &s.ivs, n)
	}
	s.stats.rounds[s.nactive].Add(1)
	s.stats.blocks[s.nactive].Add(uint64(n * s.nactive))
	clear(s.ptrs[:]) // no pointer into a request's buffer outlives the round
	for _, j := range s.active[:s.nactive] {
		j.buf = j.buf[n*BlockSize:]
		if j.src != nil {
			j.src = j.src[n*BlockSize:]
		}
	}
}

// plain is where j's next plaintext blocks are.
func (j *laneJob) plain() []byte {
	if j.src != nil {
		return j.src
	}
	return j.buf
}

// point sets the first width lanes' block pointers: each chain's next
// block, or the sink, marking time in place, for idle lanes.
func (s *cbcLanes) point(width int) {
	for l := range width {
		if l < s.nactive {
			s.ptrs[l], s.strides[l] = &s.active[l].buf[0], BlockSize
		} else {
			s.ptrs[l], s.strides[l] = &s.sink[0], 0
		}
	}
}

// pointZ sets the 16-lane loop's block pointers: each chain's next block,
// or the sink, which advances as a chain does, for idle lanes.
func (s *cbcLanes) pointZ() {
	for l := range maxLanes {
		if l < s.nactive {
			s.ptrs[l] = &s.active[l].buf[0]
		} else {
			s.ptrs[l] = &s.sinkZ[0]
		}
	}
}

// retire frees the lanes whose chains are done and wakes their requests.
// When self's chain is done it hands the lanes to a chain still running
// (or gives them up when none is left) and reports true.
func (s *cbcLanes) retire(self *laneJob) bool {
	ended := false
	for _, j := range s.active[:s.nactive] {
		ended = ended || len(j.buf) == 0
	}
	if !ended {
		return false
	}
	var done [maxLanes]*laneJob
	nd, selfDone := 0, false
	var next *laneJob
	s.mu.Lock()
	for l := 0; l < s.nactive; {
		j := s.active[l]
		if len(j.buf) > 0 {
			l++
			continue
		}
		s.removeLane(l)
		s.queued--
		if j == self {
			selfDone = true
		} else {
			done[nd] = j
			nd++
		}
	}
	if selfDone {
		s.absorb()
		if s.nactive > 0 {
			next = s.active[0]
		} else {
			s.owned = false
		}
	}
	s.mu.Unlock()
	for _, j := range done[:nd] {
		j.wake <- wakeDone
	}
	if next != nil {
		next.wake <- wakeOwner
	}
	return selfDone
}
