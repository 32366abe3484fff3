package storage

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// RemoteError is the error of a Remote's call to an object store (the s3
// and azblob packages): which operation, on what, how the store answered,
// and what that means (Kind: ErrNotFound, ErrChanged, ErrInvalidName, or
// nil: a fault to retry). Its text never holds a credential: not the
// SDK's error, which may quote the response body, nor a request URL,
// whose query holds a signature or a SAS token.
type RemoteError struct {
	Service  string // "s3" or "azblob": the text's prefix
	Op       string // "stat", "read", "list", "put" or "remove"
	Location string // s3://bucket/key, azblob://account/container/blob
	Status   int    // the HTTP status; 0 when no response came
	Code     string // the store's error code ("NoSuchKey", "ServerBusy"), if any
	Kind     error  // the storage sentinel, or nil
	cause    error  // a transport or context error, its URL stripped
}

// WithCause records a transport or context error as the cause and returns
// e. A *url.Error quotes the request's URL, with any signature or SAS
// token in its query: only what it wraps (dial, TLS, EOF, a deadline) is
// kept.
func (e *RemoteError) WithCause(err error) *RemoteError {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	e.cause = err
	return e
}

func (e *RemoteError) Error() string {
	var b strings.Builder
	b.WriteString(e.Service)
	b.WriteString(": ")
	b.WriteString(e.Op)
	b.WriteString(" ")
	b.WriteString(e.Location)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(RedactQueries(e.cause.Error()))
	}
	if e.Kind != nil {
		b.WriteString(": ")
		b.WriteString(e.Kind.Error())
	}
	return b.String()
}

// Unwrap returns the storage sentinel and the cause, for errors.Is
// (ErrNotFound, context.DeadlineExceeded, …).
func (e *RemoteError) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// ErrorCode returns code when it is an error code worth printing (a word,
// not a body a proxy or a store could fill with anything), else "".
func ErrorCode(code string) string {
	if errorCodeWord.MatchString(code) {
		return code
	}
	return ""
}

var errorCodeWord = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.]{0,63}$`)

// urlQuery matches the query of a URL in a text.
var urlQuery = regexp.MustCompile(`(://[^\s"'?]*)\?[^\s"']*`)

// RedactQueries cuts the query off any URL in s: where signed URLs carry
// their signature and SAS tokens travel.
func RedactQueries(s string) string { return urlQuery.ReplaceAllString(s, "$1?REDACTED") }
