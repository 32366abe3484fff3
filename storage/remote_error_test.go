package storage_test

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"strings"
	"testing"

	"github.com/drmorigin/drmorigin/storage"
)

// TestRemoteError pins the text and the meaning of a remote store's
// errors, shared by the s3 and azblob packages: what and where, never a
// URL's query (a signature, a SAS token) nor a body posing as a code.
func TestRemoteError(t *testing.T) {
	e := &storage.RemoteError{Service: "s3", Op: "read", Location: "s3://media/a.mp4", Status: 404, Code: storage.ErrorCode("NoSuchKey"), Kind: storage.ErrNotFound}
	if got, want := e.Error(), "s3: read s3://media/a.mp4: HTTP 404 NoSuchKey: storage: not found"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	if !errors.Is(e, storage.ErrNotFound) || !errors.Is(e, fs.ErrNotExist) || errors.Is(e, storage.ErrChanged) {
		t.Errorf("sentinels of %v", e)
	}

	cause := &url.Error{Op: "Get", URL: "https://acct.blob.core.windows.net/c/a?sv=1&sig=topsecret", Err: context.DeadlineExceeded}
	e = (&storage.RemoteError{Service: "azblob", Op: "stat", Location: "azblob://acct/c/a"}).WithCause(cause)
	if got, want := e.Error(), "azblob: stat azblob://acct/c/a: context deadline exceeded"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	if !errors.Is(e, context.DeadlineExceeded) {
		t.Errorf("cause lost: %v", e)
	}
	// A cause that quotes a URL of its own keeps the URL, not its query.
	e = (&storage.RemoteError{Service: "s3", Op: "list", Location: "s3://media/"}).WithCause(errors.New(`dial "https://h/b?X-Amz-Signature=abc": refused`))
	if s := e.Error(); strings.Contains(s, "abc") || !strings.Contains(s, "https://h/b?REDACTED") {
		t.Errorf("query not redacted: %q", s)
	}

	for code, want := range map[string]string{"ServerBusy": "ServerBusy", "<html>busy</html>": "", "": "", strings.Repeat("A", 65): ""} {
		if got := storage.ErrorCode(code); got != want {
			t.Errorf("ErrorCode(%q) = %q, want %q", code, got, want)
		}
	}
}
