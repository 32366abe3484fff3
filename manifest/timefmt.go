package manifest

import (
	"math/big"
	"strconv"
	"strings"
)

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func utoa(v uint64) string { return strconv.FormatUint(v, 10) }

func bigU(v uint64) *big.Int { return new(big.Int).SetUint64(v) }

// less reports whether a/as < b/bs, exactly.
func less(a uint64, as uint32, b uint64, bs uint32) bool {
	x := new(big.Int).Mul(bigU(a), bigU(uint64(bs)))
	y := new(big.Int).Mul(bigU(b), bigU(uint64(as)))
	return x.Cmp(y) < 0
}

// rescaleFloor returns v (in timescale from) in timescale to, rounded down.
func rescaleFloor(v uint64, from, to uint32) uint64 {
	x := new(big.Int).Mul(bigU(v), bigU(uint64(to)))
	return x.Quo(x, bigU(uint64(from))).Uint64()
}

// decimal formats num/den (den > 0) in decimal, rounded half up to maxDec
// decimals, with trailing zeros trimmed but at least minDec decimals kept.
func decimal(num, den *big.Int, minDec, maxDec int) string {
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(maxDec)), nil)
	// scaled = round(num * 10^maxDec / den)
	scaled := new(big.Int).Mul(num, pow)
	scaled.Add(scaled, new(big.Int).Rsh(den, 1))
	scaled.Quo(scaled, den)
	whole, frac := new(big.Int).QuoRem(scaled, pow, new(big.Int))
	s := whole.String()
	if maxDec == 0 {
		return s
	}
	f := frac.String()
	f = strings.Repeat("0", maxDec-len(f)) + f
	for len(f) > minDec && f[len(f)-1] == '0' {
		f = f[:len(f)-1]
	}
	if f == "" {
		return s
	}
	return s + "." + f
}

// seconds formats v/timescale seconds (see decimal): seconds(96256,
// 48000, 3, 6) = "2.005333", seconds(25600, 12800, 3, 6) = "2.000".
func seconds(v uint64, timescale uint32, minDec, maxDec int) string {
	return decimal(bigU(v), bigU(uint64(timescale)), minDec, maxDec)
}

// xsDuration formats v/timescale as an xs:duration in seconds: "PT8S",
// "PT2.005333S" (microsecond precision, rounded half up).
func xsDuration(v uint64, timescale uint32) string {
	return "PT" + seconds(v, timescale, 0, 6) + "S"
}

// spanDuration formats eNum/eDen - sNum/sDen seconds as an xs:duration.
func spanDuration(sNum uint64, sDen uint32, eNum uint64, eDen uint32) string {
	num := new(big.Int).Mul(bigU(eNum), bigU(uint64(sDen)))
	num.Sub(num, new(big.Int).Mul(bigU(sNum), bigU(uint64(eDen))))
	den := new(big.Int).Mul(bigU(uint64(eDen)), bigU(uint64(sDen)))
	return "PT" + decimal(num, den, 0, 6) + "S"
}

// ceilSeconds returns v/timescale rounded up to an integer.
func ceilSeconds(v uint64, timescale uint32) uint64 {
	ts := uint64(timescale)
	n := v / ts
	if v%ts != 0 {
		n++
	}
	return n
}

// dashFrameRate formats a frame rate as DASH's FrameRateType: "25",
// "30000/1001". It returns "" when the rate is unknown.
func dashFrameRate(num, den int) string {
	if num <= 0 || den <= 0 {
		return ""
	}
	g := gcd(num, den)
	num, den = num/g, den/g
	if den == 1 {
		return itoa(int64(num))
	}
	return itoa(int64(num)) + "/" + itoa(int64(den))
}

// hlsFrameRate formats a frame rate with three decimals, rounded half up, as
// HLS FRAME-RATE: "25.000", "29.970". It returns "" when unknown.
func hlsFrameRate(num, den int) string {
	if num <= 0 || den <= 0 {
		return ""
	}
	return decimal(big.NewInt(int64(num)), big.NewInt(int64(den)), 3, 3)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
