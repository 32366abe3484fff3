package keyclient

import "time"

// maxISODuration bounds what ParseISODuration adds up, far above any
// archive window, so that no sum of components overflows.
const maxISODuration = 1000 * time.Hour

// ParseISODuration parses an ISO 8601 duration of days, hours, minutes
// and seconds: P1D, PT1H, PT2M30S, PT0.5S, P1DT2H. Years, months and weeks
// are refused (a month has no fixed length), and so are negative values,
// an empty "P" or "PT", components out of order or repeated, and
// durations past 1000 hours. A fraction (at most 9 digits) is allowed on
// the seconds only. ok is false for anything else.
func ParseISODuration(s string) (d time.Duration, ok bool) {
	if len(s) < 3 || s[0] != 'P' {
		return 0, false
	}
	i, inTime, any := 1, false, false
	// order ranks the designators so that each comes after the one before.
	order := map[byte]int{'D': 1, 'H': 2, 'M': 3, 'S': 4}
	last := 0
	for i < len(s) {
		if s[i] == 'T' {
			if inTime || i == len(s)-1 {
				return 0, false
			}
			inTime = true
			i++
			continue
		}
		start := i
		var whole int64
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if i-start >= 9 {
				return 0, false
			}
			whole = whole*10 + int64(s[i]-'0')
			i++
		}
		if i == start {
			return 0, false
		}
		var frac time.Duration
		if i < len(s) && (s[i] == '.' || s[i] == ',') {
			i++
			fs, scale := i, time.Second
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				if i-fs >= 9 {
					return 0, false
				}
				scale /= 10
				frac += time.Duration(s[i]-'0') * scale
				i++
			}
			if i == fs || i == len(s) || s[i] != 'S' {
				return 0, false
			}
		}
		if i == len(s) {
			return 0, false
		}
		unit := s[i]
		i++
		rank, known := order[unit]
		if !known || rank <= last || (unit == 'D') == inTime {
			return 0, false
		}
		last = rank
		var u time.Duration
		switch unit {
		case 'D':
			u = 24 * time.Hour
		case 'H':
			u = time.Hour
		case 'M':
			u = time.Minute
		case 'S':
			u = time.Second
		}
		if whole > int64(maxISODuration/u) {
			return 0, false
		}
		d += time.Duration(whole)*u + frac
		if d > maxISODuration {
			return 0, false
		}
		any = true
	}
	if !any || (inTime && last < 2) {
		return 0, false
	}
	return d, true
}
