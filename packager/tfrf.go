package packager

import "encoding/binary"

// Live Smooth look-ahead (MS-SSTR 2.2.4.5): a live Smooth fragment carries,
// after its tfxd, a tfrf box with the absolute times and durations of the
// next LookAheadCount fragments of its track, so that a client extends its
// timeline from the fragments it plays, without fetching the manifest.
//
// A segment never changes once served (spec/live.md), on every replica and
// after the live→VOD transition. So fragment i's Smooth form is written
// only from fragments that are already archived: it carries tfrf once
// fragments i+1 and i+2 are indexed, and the origin neither lists nor
// serves it as live Smooth before then (LookAheadKnown); that costs live
// Smooth two fragments of latency, as IIS's live origin does. An ended
// archive keeps the boxes, so the URLs that worked live give the same
// bytes; its last two fragments, never served live, have no tfrf (MS-SSTR:
// tfrf is absent when fewer than LookaheadCount fragments follow).
//
//	uuid  D4807EF2-CA39-4695-8E54-26CB9E46A79F, version 1, flags 0
//	      FragmentCount (8 bits) = LookAheadCount
//	      per fragment: FragmentAbsoluteTime (64), FragmentDuration (64)

// LookAheadCount is the number of following fragments a live Smooth
// fragment's tfrf describes: the LookAheadFragmentCount that live Smooth
// manifests state.
const LookAheadCount = 2

// tfrfUUID is the MS-SSTR TfrfBox extended type D4807EF2-CA39-4695-8E54-26CB9E46A79F.
var tfrfUUID = [16]byte{0xd4, 0x80, 0x7e, 0xf2, 0xca, 0x39, 0x46, 0x95, 0x8e, 0x54, 0x26, 0xcb, 0x9e, 0x46, 0xa7, 0x9f}

// tfrfLen is the size of the tfrf box we write: header and extended type,
// version and flags, FragmentCount, then 64-bit time and duration per
// fragment.
const tfrfLen = 8 + 16 + 4 + 1 + 16*LookAheadCount

// lookAhead is what a fragment's tfrf says: the next fragments' times and
// durations (ok false: no tfrf).
type lookAhead struct {
	ok   bool
	next [LookAheadCount]struct{ time, dur uint64 }
}

// LookAheadKnown reports whether fragment i's Smooth form is final: true
// for a track that writes no tfrf (a file), and for a live archive's track
// when the LookAheadCount fragments after i are indexed. While the track is
// live, the origin lists and serves fragment i in Smooth only then.
func (t *Track) LookAheadKnown(i int) bool {
	return !t.lookAhead || i+LookAheadCount < len(t.Fragments)
}

// lookAheadOf is fragment i's tfrf content: none for a track that writes
// no tfrf or when fewer than LookAheadCount fragments follow i.
func (t *Track) lookAheadOf(i int) lookAhead {
	var la lookAhead
	if !t.lookAhead || i+LookAheadCount >= len(t.Fragments) {
		return la
	}
	la.ok = true
	for k := range la.next {
		f := &t.Fragments[i+1+k]
		la.next[k].time, la.next[k].dur = f.Time, f.Duration
	}
	return la
}

// putTfrf writes la's tfrf box (tfrfLen bytes) into dst.
func putTfrf(dst []byte, la *lookAhead) {
	be := binary.BigEndian
	be.PutUint32(dst, tfrfLen)
	copy(dst[4:8], "uuid")
	copy(dst[8:24], tfrfUUID[:])
	be.PutUint32(dst[24:], 1<<24) // version 1: 64-bit fields
	dst[28] = LookAheadCount
	p := 29
	for _, n := range la.next {
		be.PutUint64(dst[p:], n.time)
		be.PutUint64(dst[p+8:], n.dur)
		p += 16
	}
}
