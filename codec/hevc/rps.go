package hevc

import (
	"fmt"

	"github.com/drmorigin/drmorigin/codec/bits"
)

// HEVC short-term reference picture sets (ITU-T H.265 7.3.7, 7.4.8): the
// slice segment header needs their sizes, and an inter-predicted set is
// derived from an earlier one.

// shortTermRPS is a short-term reference picture set (7.4.8): its delta POCs and
// whether each is used by the current picture.
type shortTermRPS struct {
	numNeg, numPos uint8
	deltaPOC       [32]int32 // negatives first (S0), then positives (S1)
	used           [32]bool
}

func (s *shortTermRPS) numDelta() int { return int(s.numNeg) + int(s.numPos) }

func (s *shortTermRPS) numUsed() int {
	n := 0
	for i := range s.numDelta() {
		if s.used[i] {
			n++
		}
	}
	return n
}

// parseRPS parses st_ref_pic_set(idx) (7.3.7) into out, deriving its delta
// POCs (7.4.8) from the sets before it when inter-predicted. sets holds the
// SPS's sets; num is num_short_term_ref_pic_sets.
func parseRPS(r *bits.Reader, out *shortTermRPS, idx uint32, sets *[64]shortTermRPS, num uint32) error {
	*out = shortTermRPS{}
	if idx != 0 && r.Flag() { // inter_ref_pic_set_prediction_flag
		delta := uint32(1)
		if idx == num {
			delta = r.UE() + 1
		}
		if delta > idx {
			return fmt.Errorf("delta_idx: %w", ErrSliceHeader)
		}
		ref := &sets[idx-delta]
		sign := r.Flag()
		abs := r.UE() + 1
		if abs > 1<<15 {
			return fmt.Errorf("abs_delta_rps: %w", ErrSliceHeader)
		}
		deltaRps := int32(abs)
		if sign {
			deltaRps = -deltaRps
		}
		nd := ref.numDelta()
		var usedFlag, useDelta [33]bool
		for j := 0; j <= nd; j++ {
			usedFlag[j] = r.Flag()
			useDelta[j] = true
			if !usedFlag[j] {
				useDelta[j] = r.Flag()
			}
		}
		// 7-61: S0 of the new set.
		var s0, s1 [33]int32
		var u0, u1 [33]bool
		n0, n1 := 0, 0
		for j := int(ref.numPos) - 1; j >= 0; j-- {
			d := ref.deltaPOC[int(ref.numNeg)+j] + deltaRps
			if d < 0 && useDelta[int(ref.numNeg)+j] {
				s0[n0], u0[n0] = d, usedFlag[int(ref.numNeg)+j]
				n0++
			}
		}
		if deltaRps < 0 && useDelta[nd] {
			s0[n0], u0[n0] = deltaRps, usedFlag[nd]
			n0++
		}
		for j := 0; j < int(ref.numNeg); j++ {
			d := ref.deltaPOC[j] + deltaRps
			if d < 0 && useDelta[j] {
				s0[n0], u0[n0] = d, usedFlag[j]
				n0++
			}
		}
		// 7-62: S1.
		for j := int(ref.numNeg) - 1; j >= 0; j-- {
			d := ref.deltaPOC[j] + deltaRps
			if d > 0 && useDelta[j] {
				s1[n1], u1[n1] = d, usedFlag[j]
				n1++
			}
		}
		if deltaRps > 0 && useDelta[nd] {
			s1[n1], u1[n1] = deltaRps, usedFlag[nd]
			n1++
		}
		for j := 0; j < int(ref.numPos); j++ {
			d := ref.deltaPOC[int(ref.numNeg)+j] + deltaRps
			if d > 0 && useDelta[int(ref.numNeg)+j] {
				s1[n1], u1[n1] = d, usedFlag[int(ref.numNeg)+j]
				n1++
			}
		}
		if n0 > 16 || n1 > 16 {
			return fmt.Errorf("short-term RPS size: %w", ErrSliceHeader)
		}
		out.numNeg, out.numPos = uint8(n0), uint8(n1)
		copy(out.deltaPOC[:], s0[:n0])
		copy(out.used[:], u0[:n0])
		copy(out.deltaPOC[n0:], s1[:n1])
		copy(out.used[n0:], u1[:n1])
		return nil
	}
	nn, np := r.UE(), r.UE()
	if nn > 16 || np > 16 {
		return fmt.Errorf("num_negative_pics: %w", ErrSliceHeader)
	}
	out.numNeg, out.numPos = uint8(nn), uint8(np)
	poc := int32(0)
	for i := range nn {
		poc -= int32(r.UE()) + 1
		out.deltaPOC[i] = poc
		out.used[i] = r.Flag()
	}
	poc = 0
	for i := range np {
		poc += int32(r.UE()) + 1
		out.deltaPOC[nn+i] = poc
		out.used[nn+i] = r.Flag()
	}
	return nil
}
