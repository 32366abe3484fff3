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

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func notEntitled(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotEntitled}, args...)...)
}

func badRestriction(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRestriction}, args...)...)
}
