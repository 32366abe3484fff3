package crypto

import "errors"

// Subsample is one entry of a CENC subsample map (ISO/IEC 23001-7 7.2.2):
// Clear bytes left in the clear, then Protected bytes encrypted. The entries of
// a sample cover it exactly, in order.
type Subsample struct {
	Clear     uint16
	Protected uint32
}

// ErrSubsamples is returned by the sample encryptors when the subsample map
// does not cover the sample exactly.
var ErrSubsamples = errors.New("crypto: subsample map does not cover the sample")

// checkSubsamples reports whether subs covers a sample of n bytes exactly.
func checkSubsamples(subs []Subsample, n int) error {
	t := 0
	for _, s := range subs {
		t += int(s.Clear) + int(s.Protected)
	}
	if t != n {
		return ErrSubsamples
	}
	return nil
}

// AppendSubsample appends a (clear, protected) range to dst, splitting a clear
// run longer than 65535 bytes into entries of 65535 clear and 0 protected
// bytes first, since the clear size is a 16-bit field (ISO/IEC 23001-7 7.2.2).
func AppendSubsample(dst []Subsample, clear, protected int) []Subsample {
	for clear > 0xffff {
		dst = append(dst, Subsample{Clear: 0xffff})
		clear -= 0xffff
	}
	return append(dst, Subsample{Clear: uint16(clear), Protected: uint32(protected)})
}
