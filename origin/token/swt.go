package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
)

// SWT field names (Simple Web Token 0.9.5.1).
const (
	swtIssuer    = "Issuer"
	swtAudience  = "Audience"
	swtExpiresOn = "ExpiresOn"
	swtHMAC      = "HMACSHA256"
)

// MaxSWTFields bounds the name=value pairs of an SWT; real ones have a
// handful, and each costs a map entry.
const MaxSWTFields = 64

// verifySWT checks name=value&…&Issuer=…&Audience=…&ExpiresOn=…&HMACSHA256=….
//
// HMACSHA256 must be the last field: standard padded base64 of the
// HMAC-SHA256, under a symmetric key of r, of every byte before
// "&HMACSHA256=" exactly as received. Its value is percent-decoded only, so a
// '+' that was not encoded stays a base64 '+'. The other names and values
// are form-decoded ('+' is a space) after the signature is checked; a name
// may appear once. Issuer and Audience must equal r's, ExpiresOn (decimal
// Unix seconds) must not have passed (with the skew), and every other pair
// is a claim for the required-claim, content key and maxuses checks.
func (v *Verifier) verifySWT(r *keyclient.Restriction, raw string) (*Claims, error) {
	keys := staticKeys(r, algorithms["HS256"])
	if len(keys) == 0 {
		return nil, badRestriction("swt needs a symmetric key")
	}
	i := strings.LastIndex(raw, "&"+swtHMAC+"=")
	if i < 0 {
		return nil, invalid(ReasonMalformed, "swt: no HMACSHA256 field after the claims")
	}
	signed, sigField := raw[:i], raw[i+len(swtHMAC)+2:]
	if strings.Contains(sigField, "&") {
		return nil, invalid(ReasonMalformed, "swt: HMACSHA256 is not the last field")
	}
	sig64, err := url.PathUnescape(sigField)
	if err != nil {
		return nil, invalid(ReasonMalformed, "swt: HMACSHA256 is not URL-encoded")
	}
	mac, err := base64.StdEncoding.Strict().DecodeString(sig64)
	if err != nil || len(mac) != sha256.Size {
		return nil, invalid(ReasonMalformed, "swt: HMACSHA256 is not base64 of 32 bytes")
	}
	ok := false
	for _, k := range keys {
		m := hmac.New(sha256.New, k.([]byte))
		m.Write([]byte(signed))
		if hmac.Equal(m.Sum(nil), mac) {
			ok = true
		}
	}
	if !ok {
		return nil, invalid(ReasonBadSignature, "swt: no symmetric key verifies the signature")
	}

	c, err := parseSWT(signed)
	if err != nil {
		return nil, err
	}
	exp, ok := unixSeconds(c[swtExpiresOn])
	if !ok {
		return nil, invalid(ReasonMissingExpiry, "swt: ExpiresOn missing or not Unix seconds")
	}
	if err := v.checkTime(exp, time.Time{}); err != nil {
		return nil, err
	}
	if c[swtIssuer] != r.Issuer {
		return nil, invalid(ReasonWrongIssuer, "swt: wrong issuer")
	}
	if c[swtAudience] != r.Audience {
		return nil, invalid(ReasonWrongAudience, "swt: wrong audience")
	}
	out := &Claims{ID: base64.RawURLEncoding.EncodeToString(mac), Expiry: exp}
	if err := v.finish(r, c, out); err != nil {
		return nil, err
	}
	return out, nil
}

// parseSWT form-decodes the signed part of an SWT into its fields.
func parseSWT(signed string) (claimSet, error) {
	c := claimSet{}
	for field := range strings.SplitSeq(signed, "&") {
		if len(c) == MaxSWTFields {
			return nil, invalid(ReasonMalformed, "swt: more than %d fields", MaxSWTFields)
		}
		n, val, ok := strings.Cut(field, "=")
		if !ok {
			return nil, invalid(ReasonMalformed, "swt: field without '='")
		}
		name, err1 := url.QueryUnescape(n)
		value, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			return nil, invalid(ReasonMalformed, "swt: field is not URL-encoded")
		}
		if name == "" || name == swtHMAC {
			return nil, invalid(ReasonMalformed, "swt: empty or misplaced field name")
		}
		if _, dup := c[name]; dup {
			return nil, invalid(ReasonMalformed, "swt: a field name is given twice")
		}
		c[name] = value
	}
	return c, nil
}

// unixSeconds reads a decimal count of seconds since the epoch, digits
// only, up to year 9999.
func unixSeconds(val any) (time.Time, bool) {
	s, _ := val.(string)
	if s == "" || len(s) > 12 || strings.TrimLeft(s, "0123456789") != "" {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxNumericDate {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}
