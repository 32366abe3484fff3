package bench

import (
	"fmt"
	"math"
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
}

// NewFigure is a measured figure with an upper-bound target (NaN: none).
func NewFigure(v float64, maxTarget float64, unit string) *Figure {
	f := &Figure{Unit: unit}
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		f.Value = &v
	}
	if !math.IsNaN(maxTarget) {
		f.Target = maxTarget
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
	s := fmt.Sprintf("%.3g %s", *f.Value, f.Unit)
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
