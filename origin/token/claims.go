package token

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
)

// maxNumericDate is 9999-12-31T23:59:59Z; a later exp or nbf is malformed.
const maxNumericDate = 253402300799

// claimSet holds a token's claims by name: JSON values decoded with
// UseNumber (JWT) or strings (SWT).
type claimSet map[string]any

// checkTime refuses a token that expired more than skew ago, or (nbf set)
// becomes valid more than skew from now.
func (v *Verifier) checkTime(exp, nbf time.Time) error {
	now, skew := v.now(), v.skew()
	if !now.Before(exp.Add(skew)) {
		return invalid(ReasonExpired, "expired")
	}
	if !nbf.IsZero() && now.Add(skew).Before(nbf) {
		return invalid(ReasonNotYetValid, "not yet valid")
	}
	return nil
}

// finish checks what JWT and SWT share once the signature, the time, the
// issuer and the audience are good: the content key claim, maxuses and its
// lifetime limit, then the required claims. It fills out.
func (v *Verifier) finish(r *keyclient.Restriction, c claimSet, out *Claims) error {
	if val, ok := c[ClaimContentKeyID]; ok && val != nil {
		s, ok := val.(string)
		if !ok || s == "" {
			return invalid(ReasonMalformedClaim, "content key claim is not a non-empty string")
		}
		out.ContentKeyID = s
	}
	if val, ok := c[ClaimMaxUses]; ok && val != nil {
		n, ok := maxUses(val)
		if !ok {
			return invalid(ReasonMalformedClaim, "maxuses claim is not a positive integer")
		}
		if out.Expiry.Sub(v.now()) > MaxMaxUsesLifetime+v.skew() {
			return invalid(ReasonMaxUsesLifetime, "maxuses token expires more than %v ahead", MaxMaxUsesLifetime)
		}
		out.MaxUses = n
	}
	for _, rc := range r.RequiredClaims {
		val, ok := c[rc.Type]
		if !ok || val == nil {
			return notEntitled(ReasonMissingClaim, "claim %q missing", rc.Type)
		}
		if rc.Value != nil && !claimEquals(val, *rc.Value) {
			return notEntitled(ReasonClaimMismatch, "claim %q has another value", rc.Type)
		}
	}
	return nil
}

// maxUses reads maxuses from a JSON integer or a decimal string.
func maxUses(val any) (int64, bool) {
	var s string
	switch t := val.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = t
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 1
}

// claimEquals reports whether a claim equals a required value: a string
// exactly; a number when it is the same number (5, 5.0 and "5" agree); a
// boolean as "true" or "false"; an array when any of its scalar elements
// does. Objects never equal a value.
func claimEquals(val any, want string) bool {
	switch t := val.(type) {
	case string:
		return t == want
	case json.Number:
		return numberEquals(t.String(), want)
	case bool:
		return strconv.FormatBool(t) == want
	case []any:
		for _, e := range t {
			if _, nested := e.([]any); !nested && claimEquals(e, want) {
				return true
			}
		}
	}
	return false
}

func numberEquals(n, want string) bool {
	if n == want {
		return true
	}
	a, errA := strconv.ParseInt(n, 10, 64)
	b, errB := strconv.ParseInt(want, 10, 64)
	if errA == nil && errB == nil {
		return a == b
	}
	fa, errA := strconv.ParseFloat(n, 64)
	fb, errB := strconv.ParseFloat(want, 64)
	return errA == nil && errB == nil && !math.IsInf(fa, 0) && fa == fb
}

// numericDate reads an RFC 7519 NumericDate: a JSON number of seconds since
// the epoch, fractions allowed, from 0 to year 9999.
func numericDate(val any) (time.Time, bool) {
	n, ok := val.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, false
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)).UTC(), true
}
