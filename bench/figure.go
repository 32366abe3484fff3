package bench

import (
	"fmt"
	"math"
	"strconv"
)

// Figure is one measured figure of report.json: {"value", "target",
// "unit"}, plus whether the target was met and, when it could not be
// measured, why.
type Figure struct {
	// Value is the measurement; nil when unavailable.
	Value *float64 `json:"value"`
	// Target is the bound of quality.md, as a number, or a word ("flat");
	// nil when the figure has none.
	Target any `json:"target"`
	// Unit of Value (and of a numeric Target).
	Unit string `json:"unit"`
	// Met is set when both Value and Target are.
	Met *bool `json:"met,omitempty"`
	// Unavailable says why Value is nil ("unavailable (status 403)").
	Unavailable string `json:"unavailable,omitempty"`
	// Detail holds the figures it was computed from.
	Detail map[string]any `json:"detail,omitempty"`

	// bound is the numeric upper bound Met was judged against, kept when
	// Target is later replaced by words ("flat …"), for printing.
	bound    float64
	hasBound bool
}

// NewFigure is a measured figure with an upper-bound target (NaN: none).
func NewFigure(v float64, maxTarget float64, unit string) *Figure {
	f := &Figure{Unit: unit}
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		f.Value = &v
	}
	if !math.IsNaN(maxTarget) {
		f.Target = maxTarget
		f.bound, f.hasBound = maxTarget, true
		if f.Value != nil {
			met := v <= maxTarget
			f.Met = &met
		}
	}
	return f
}

// UnavailableFigure is a figure that could not be measured.
func UnavailableFigure(target float64, unit, why string) *Figure {
	f := &Figure{Unit: unit, Unavailable: why}
	if !math.IsNaN(target) {
		f.Target = target
	}
	return f
}

// String renders "1.23 x (target <= 1.10): met".
func (f *Figure) String() string {
	if f.Value == nil {
		return fmt.Sprintf("%s (target %s)", f.Unavailable, f.targetString())
	}
	s := f.valueString()
	if f.Target != nil {
		s += " (target " + f.targetString() + ")"
	}
	if f.Met != nil {
		if *f.Met {
			s += ": met"
		} else {
			s += ": MISSED"
		}
	}
	return s
}

// valueString renders the value and unit: three significant digits, or as
// many more as it takes for the rounded value to stand on the same side of
// the target as the value itself.
func (f *Figure) valueString() string {
	t := math.NaN()
	if f.hasBound {
		t = f.bound
	}
	return Against(*f.Value, t, 'g', 3) + " " + f.Unit
}

// Against formats v (strconv format byte fmtc, 'g' or 'f', with prec
// digits) so that a reader comparing the printed number with target comes
// to the verdict computed from v: when prec digits would round v onto or
// across target (1.1504 as "1.15" against <= 1.15, a miss that would read
// as met), it prints more digits, up to the shortest exact form. Verdicts
// are always computed from the unrounded v (NewFigure); this keeps the
// printed figures from contradicting them. A NaN target changes nothing.
func Against(v, target float64, fmtc byte, prec int) string {
	s := strconv.FormatFloat(v, fmtc, prec, 64)
	if math.IsNaN(target) || math.IsNaN(v) || math.IsInf(v, 0) {
		return s
	}
	for p := prec; p <= 17; p++ {
		s = strconv.FormatFloat(v, fmtc, p, 64)
		if r, err := strconv.ParseFloat(s, 64); err == nil && (r <= target) == (v <= target) {
			return s
		}
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func (f *Figure) targetString() string {
	switch t := f.Target.(type) {
	case nil:
		return "none"
	case float64:
		return fmt.Sprintf("<= %.3g %s", t, f.Unit)
	default:
		return fmt.Sprint(t)
	}
}
