package token

import (
	"errors"
	"fmt"

	"github.com/drmorigin/drmorigin/keyclient"
)

// ErrMissing is returned by Verify when no token was given (an empty
// string). Key delivery answers 401 with `WWW-Authenticate: Bearer`.
var ErrMissing = errors.New("missing token")

// ErrInvalid is returned, wrapped with a reason for logs, when a token
// cannot be trusted: malformed, too long, `alg` none, unknown or not
// matching the key type, a signature no key verifies, expired or not yet
// valid, wrong issuer or audience, a malformed standard claim, or a maxuses
// token that expires too far ahead. Key delivery answers 401 with
// `Bearer error="invalid_token"`.
var ErrInvalid = errors.New("invalid token")

// ErrNotEntitled is returned, wrapped with the claim's name, for a token
// that is authentic and current but lacks a required claim or carries
// another value. Key delivery answers 403.
var ErrNotEntitled = errors.New("token not entitled")

// ErrUnavailable is returned when the OpenID Connect discovery document or
// its JWKS cannot be fetched and no keys are cached, so no token of that
// restriction can be checked. errors.Is(err, keyclient.ErrUnavailable) holds
// as well, so the origin maps it to 503: the fault is upstream, not the
// client's.
var ErrUnavailable error = idpUnavailable{}

type idpUnavailable struct{}

func (idpUnavailable) Error() string { return "identity provider unavailable" }

func (idpUnavailable) Is(target error) bool { return target == keyclient.ErrUnavailable }

// ErrRestriction is returned when the restriction itself cannot be used:
// nil, not a token restriction, an unknown token type, no usable
// verification key, or no issuer or audience to compare with. It is a
// configuration fault (500), never the client's.
var ErrRestriction = errors.New("unusable token restriction")

// Reason is a short, fixed code that says why a token was refused, for
// logs and metric labels: it never carries any part of the token.
type Reason string

// Reasons of Verify's errors (ReasonOf).
const (
	ReasonMissing         Reason = "missing"          // no token (ErrMissing)
	ReasonTooLong         Reason = "too_long"         // longer than MaxTokenLen
	ReasonMalformed       Reason = "malformed"        // not a JWT or SWT in its wire form
	ReasonAlgRefused      Reason = "alg_refused"      // JWT alg missing, none or unknown
	ReasonBadSignature    Reason = "bad_signature"    // no key verifies the signature
	ReasonExpired         Reason = "expired"          // exp / ExpiresOn passed
	ReasonNotYetValid     Reason = "not_yet_valid"    // nbf ahead
	ReasonMissingExpiry   Reason = "missing_exp"      // no exp / ExpiresOn
	ReasonWrongIssuer     Reason = "wrong_issuer"     // iss / Issuer differs
	ReasonWrongAudience   Reason = "wrong_audience"   // aud / Audience differs
	ReasonMalformedClaim  Reason = "malformed_claim"  // a standard claim of the wrong type
	ReasonMaxUsesLifetime Reason = "maxuses_lifetime" // a maxuses token living too long
	ReasonMissingClaim    Reason = "missing_claim"    // a required claim absent (ErrNotEntitled)
	ReasonClaimMismatch   Reason = "claim_mismatch"   // a required claim with another value (ErrNotEntitled)
	ReasonUnavailable     Reason = "idp_unavailable"  // ErrUnavailable
	ReasonRestriction     Reason = "bad_restriction"  // ErrRestriction
)

// ReasonOf returns why a Verify error refused the token, or "" for nil and
// errors Verify does not return.
func ReasonOf(err error) Reason {
	var r *refusal
	switch {
	case err == nil:
		return ""
	case errors.As(err, &r):
		return r.reason
	case errors.Is(err, ErrMissing):
		return ReasonMissing
	case errors.Is(err, ErrUnavailable):
		return ReasonUnavailable
	case errors.Is(err, ErrRestriction):
		return ReasonRestriction
	}
	return ""
}

// refusal is an ErrInvalid or ErrNotEntitled error with its Reason.
type refusal struct {
	reason Reason
	err    error
}

func (e *refusal) Error() string { return e.err.Error() }
func (e *refusal) Unwrap() error { return e.err }

func invalid(reason Reason, format string, args ...any) error {
	return &refusal{reason, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)}
}

func notEntitled(reason Reason, format string, args ...any) error {
	return &refusal{reason, fmt.Errorf("%w: "+format, append([]any{ErrNotEntitled}, args...)...)}
}

func badRestriction(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRestriction}, args...)...)
}
