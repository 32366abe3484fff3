package crypto

// UseAsm tells the external tests whether the AES-NI assembly runs (the
// allocation tests hold only there).
var UseAsm = useAsm

// LaneWidth is the most chains the lanes run at once on this CPU (16 with
// AVX-512 VAES, else 8).
var LaneWidth = laneWidth

// CBCLanes is a lane scheduler of the tests' own, apart from the shared one.
type CBCLanes = cbcLanes

// NewCBCLanes makes a scheduler (newCBCLanes).
func NewCBCLanes() *CBCLanes { return newCBCLanes() }

// NewCBCLanesWidth makes a scheduler that runs at most width (4, 8 or,
// with VAES, 16) lanes at once, for comparisons in one process.
func NewCBCLanesWidth(width int) *CBCLanes {
	s := newCBCLanes()
	s.width = min(width, laneWidth)
	return s
}

// AppendCBCSegmentLanes is AppendCBCSegment through the lanes l (nil: one
// chain alone, the path before the lanes).
func (k *Key) AppendCBCSegmentLanes(dst, src []byte, iv [16]byte, l *CBCLanes) []byte {
	return k.appendCBCSegment(dst, src, iv, l)
}

// EncryptCBCLanes is the lanes' encryptCBC.
func (l *CBCLanes) EncryptCBC(k *Key, buf []byte, iv *[16]byte) { l.encryptCBC(k, buf, nil, iv) }

// LaneMinBlocks is the shortest chain that joins the lanes.
const LaneMinBlocks = laneMinBlocks

// CBCLanesRaw runs the 4- or 8-lane loop directly: lane l encrypts bufs[l]
// (whole blocks, each at least n blocks) under keys[l] from ivs[l] for n
// blocks; lanes past len(bufs) are idle.
func CBCLanesRaw(width int, keys []*Key, bufs [][]byte, ivs [][16]byte, n int) {
	newCBCLanes().Raw(width, keys, bufs, ivs, n)
}

// Raw is CBCLanesRaw in the lanes of s (which must be idle).
func (s *CBCLanes) Raw(width int, keys []*Key, bufs [][]byte, ivs [][16]byte, n int) {
	s.nactive = 0
	for l := range bufs {
		s.addLane(&laneJob{k: keys[l], buf: bufs[l], iv: ivs[l]})
	}
	switch width {
	case 4:
		s.point(4)
		cbcLanes4Asm(&s.keys()[0], (*[4]*byte)(s.ptrs[:4]), (*[4][16]byte)(s.ivs[:4]), (*[4]int)(s.strides[:4]), n)
	case 8:
		s.point(8)
		cbcLanes8Asm(&s.keys()[0], (*[8]*byte)(s.ptrs[:8]), (*[8][16]byte)(s.ivs[:8]), (*[8]int)(s.strides[:8]), n)
	default:
		s.pointZ()
		cbcLanes16Asm(&s.keysZ()[0], &s.ptrs, &s.ivs, n)
	}
	for l := range bufs {
		ivs[l] = s.ivs[l]
	}
}

// Peak is the most lanes that ever ran together in l.
func (l *CBCLanes) Peak() int { return int(l.peak.Load()) }
