package subtitle

import (
	"encoding/xml"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// ttmlRates are the timing parameters of a TTML document (TTML2 section
// 7.2), as exact fractions where they may be non-integer.
type ttmlRates struct {
	frameRate   *big.Rat // effective: ttp:frameRate × ttp:frameRateMultiplier
	subFrame    int64
	tickRate    int64
	hasTickRate bool
}

func defaultRates() ttmlRates {
	return ttmlRates{frameRate: big.NewRat(30, 1), subFrame: 1, tickRate: 1}
}

// read takes the ttp: parameters from the <tt> element's attributes;
// malformed ones keep their defaults.
func (r *ttmlRates) read(attrs []xml.Attr) {
	var mul *big.Rat
	for _, a := range attrs {
		v := strings.TrimSpace(a.Value)
		switch a.Name.Local {
		case "frameRate":
			if n, err := strconv.ParseInt(v, 10, 32); err == nil && n > 0 {
				r.frameRate = big.NewRat(n, 1)
			}
		case "frameRateMultiplier":
			f := strings.Fields(v)
			if len(f) == 2 {
				n, e1 := strconv.ParseInt(f[0], 10, 32)
				d, e2 := strconv.ParseInt(f[1], 10, 32)
				if e1 == nil && e2 == nil && n > 0 && d > 0 {
					mul = big.NewRat(n, d)
				}
			}
		case "subFrameRate":
			if n, err := strconv.ParseInt(v, 10, 32); err == nil && n > 0 {
				r.subFrame = n
			}
		case "tickRate":
			if n, err := strconv.ParseInt(v, 10, 32); err == nil && n > 0 {
				r.tickRate, r.hasTickRate = n, true
			}
		}
	}
	if mul != nil {
		r.frameRate = new(big.Rat).Mul(r.frameRate, mul)
	}
	if !r.hasTickRate {
		// TTML: without ttp:tickRate, ticks run at frameRate × subFrameRate
		// when a frame rate is stated, else at 1 Hz.
		fr := new(big.Rat).Mul(r.frameRate, big.NewRat(r.subFrame, 1))
		if fr.IsInt() {
			r.tickRate = fr.Num().Int64()
		}
	}
}

// maxTTMLTime bounds parsed times (about 11 days) so that nothing
// overflows time.Duration.
var maxTTMLTime = big.NewRat(1_000_000, 1)

// parse reads a TTML time expression into a duration from document time 0.
func (r *ttmlRates) parse(s string) (time.Duration, bool) {
	var sec *big.Rat
	var ok bool
	if strings.Contains(s, ":") {
		sec, ok = r.clock(s)
	} else {
		sec, ok = r.offset(s)
	}
	if !ok || sec.Sign() < 0 || sec.Cmp(maxTTMLTime) > 0 {
		return 0, false
	}
	ns := new(big.Rat).Mul(sec, big.NewRat(int64(time.Second), 1))
	q := new(big.Int).Quo(ns.Num(), ns.Denom())
	return time.Duration(q.Int64()), true
}

// clock reads hh:mm:ss[.fraction] or hh:mm:ss:frames[.subframes].
func (r *ttmlRates) clock(s string) (*big.Rat, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 && len(parts) != 4 {
		return nil, false
	}
	h, ok1 := digits(parts[0])
	m, ok2 := digits(parts[1])
	if !ok1 || !ok2 || len(parts[0]) > 7 || len(parts[1]) != 2 || m > 59 {
		return nil, false
	}
	var sec *big.Rat
	if len(parts) == 3 {
		v, ok := decimalRat(parts[2])
		if !ok || len(strings.SplitN(parts[2], ".", 2)[0]) != 2 {
			return nil, false
		}
		sec = v
	} else {
		sv, ok := digits(parts[2])
		if !ok || len(parts[2]) != 2 {
			return nil, false
		}
		fpart, sub, _ := strings.Cut(parts[3], ".")
		frames, ok := digits(fpart)
		if !ok || len(fpart) > 6 {
			return nil, false
		}
		f := big.NewRat(frames, 1)
		if sub != "" {
			n, ok := digits(sub)
			if !ok || len(sub) > 6 {
				return nil, false
			}
			f.Add(f, big.NewRat(n, r.subFrame))
		}
		sec = new(big.Rat).Add(big.NewRat(sv, 1), f.Quo(f, r.frameRate))
	}
	return sec.Add(sec, big.NewRat(h*3600+m*60, 1)), true
}

// offset reads number metric: 1.5s, 1500ms, 2m, 1h, 36f, 100t.
func (r *ttmlRates) offset(s string) (*big.Rat, bool) {
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') {
		i--
	}
	num, metric := s[:i], s[i:]
	v, ok := decimalRat(num)
	if !ok {
		return nil, false
	}
	switch metric {
	case "h":
		return v.Mul(v, big.NewRat(3600, 1)), true
	case "m":
		return v.Mul(v, big.NewRat(60, 1)), true
	case "s":
		return v, true
	case "ms":
		return v.Quo(v, big.NewRat(1000, 1)), true
	case "f":
		return v.Quo(v, r.frameRate), true
	case "t":
		return v.Quo(v, big.NewRat(r.tickRate, 1)), true
	}
	return nil, false
}

// decimalRat reads digits[.digits] exactly.
func decimalRat(s string) (*big.Rat, bool) {
	ip, fp, dot := strings.Cut(s, ".")
	if ip == "" || len(ip) > 9 || len(fp) > 9 || (dot && fp == "") {
		return nil, false
	}
	n, ok := digits(ip + fp)
	if !ok {
		return nil, false
	}
	d := int64(1)
	for range len(fp) {
		d *= 10
	}
	return big.NewRat(n, d), true
}

func itoa(v int) string { return strconv.Itoa(v) }
