package origin

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/manifest"
	"github.com/drmorigin/drmorigin/origin/token"
	"github.com/drmorigin/drmorigin/packager"
)

// TestStatusOf pins statusOf, the one mapping of errors to statuses
// (urls.md "HTTP behaviour"), on errors shaped as their packages return
// them. msg lists substrings the message must hold, and not ones it must
// not ("!m3u8-aapl").
func TestStatusOf(t *testing.T) {
	ac3 := fmt.Errorf("index /media/a/audio.mp4: sample entry ac-3 in MPEG-2 TS (AAC only): %w", packager.ErrUnsupported)
	corrupt := fmt.Errorf("index /media/a/video.mp4: at 812: box size past the end: %w", packager.ErrCorrupt)
	for _, c := range []struct {
		name   string
		err    error
		admin  bool
		status int
		msg    []string
	}{
		// packager.ErrUnsupported is the request's fault (a format that
		// cannot carry the media), not the server's: 400, naming what works.
		{"AC-3 as TS", &notInTSError{enc: EncryptionUnset, err: ac3}, false, 400,
			[]string{"MPEG-2 TS carries H.264, HEVC and AAC only", "format=m3u8-cmaf", "format=mpd-time-csf", "format=mpd-time-cmaf", "Smooth", "!m3u8-aapl", "!/media"}},
		{"AC-3 as TS, cbc", &notInTSError{enc: EncryptionCBC, err: ac3}, false, 400,
			[]string{"format=m3u8-cmaf", "!mpd-time", "!Smooth"}},
		{"AC-3 as TS, cbcs-aapl", fmt.Errorf("segment: %w", &notInTSError{enc: EncryptionCBCSAAPL, err: ac3}), false, 400,
			[]string{"format=m3u8-cmaf", "!mpd-time", "!Smooth"}},
		{"unsupported asset", fmt.Errorf("index /media/a/v.mp4: 2 tracks in one file; want 1: %w", packager.ErrUnsupported), false, 400,
			[]string{"unsupported media", "any format", "!/media"}},
		{"unsupported asset, admin", fmt.Errorf("index /media/a/v.mp4: 2 tracks in one file; want 1: %w", packager.ErrUnsupported), true, 400,
			[]string{"2 tracks in one file"}},
		{"SAMPLE-AES HEVC", packager.ErrSampleAESHEVC, false, 400, []string{"m3u8-cmaf"}},
		{"unsupported protection", fmt.Errorf("manifest: encryption cbc cannot be signalled in DASH: %w", manifest.ErrUnsupportedProtection), false, 400, []string{"DASH"}},
		{"bad URL", &URLError{Msg: "unknown option bogus"}, false, 400, []string{"bogus"}},
		{"validation", &keyclient.ValidationError{Target: "name", Message: "too long"}, true, 400, []string{"too long"}},
		{"http error", httpErrorf(403, "encryption=cenc is not enabled"), false, 403, []string{"not enabled"}},
		{"no route", errNoRoute, false, 404, []string{"not found"}},
		{"no locator", keyclient.ErrNotFound, false, 404, []string{"not found"}},
		{"no asset", packager.ErrAssetNotFound, false, 404, nil},
		{"no fragment", fmt.Errorf("segment 9: %w", packager.ErrFragmentNotFound), false, 404, nil},
		{"conflict", fmt.Errorf("locator a exists with other values: %w", keyclient.ErrConflict), true, 409, []string{"other values"}},
		{"read-only", keyclient.ErrReadOnly, true, 409, nil},
		{"no token", token.ErrMissing, false, 401, []string{"bearer token"}},
		{"bad token", fmt.Errorf("%w: expired", token.ErrInvalid), false, 401, []string{"invalid token", "!expired"}},
		{"not entitled", fmt.Errorf("%w: claim x", token.ErrNotEntitled), false, 403, []string{"forbidden", "!claim"}},
		{"store down", fmt.Errorf("streaming locator a: %w: %w", keyclient.ErrUnavailable, errors.New("dial tcp: refused")), false, 503, []string{"service unavailable", "!dial"}},
		// A key under a KEK this replica lacks: 503 (another replica may
		// serve it), never the KEK ids.
		{"kek mismatch", fmt.Errorf("key a: kek unwrap: wrapped under kek id 0a1b, which this process does not hold: %w", keyclient.ErrKEK), false, 503,
			[]string{"service unavailable", "!kek", "!0a1b"}},
		// The resolver wraps a lookup's error, whatever it is, in ErrUnavailable.
		{"store down, invalid record", fmt.Errorf("%w: %w", keyclient.ErrUnavailable, &keyclient.ValidationError{Message: "bad"}), false, 503, nil},
		{"IdP down", token.ErrUnavailable, false, 503, []string{"service unavailable"}},
		{"corrupt", corrupt, false, 500, []string{"cannot be read", "!/media"}},
		{"corrupt, admin", corrupt, true, 422, []string{"at 812"}},
		{"unknown", errors.New("boom"), false, 500, []string{"internal error", "!boom"}},
		{"deadline, not reading", fmt.Errorf("x: %w", os.ErrDeadlineExceeded), false, 500, nil},
		// Requests fasthttp could not read.
		{"big headers", &readError{err: &fasthttp.ErrSmallBuffer{}}, false, 431, nil},
		{"long request line", &readError{err: &fasthttp.ErrSmallBuffer{}, lineTooLong: true}, false, 414, nil},
		{"big body", &readError{err: fasthttp.ErrBodyTooLarge}, false, 413, nil},
		{"slow client", &readError{err: fmt.Errorf("read: %w", os.ErrDeadlineExceeded)}, false, 408, nil},
		{"garbage", &readError{err: errors.New("cannot find http request method")}, false, 400, []string{"malformed request"}},
	} {
		status, msg := statusOf(c.err, c.admin)
		if status != c.status {
			t.Errorf("%s: status %d (%q), want %d", c.name, status, msg, c.status)
		}
		for _, m := range c.msg {
			if not, ok := strings.CutPrefix(m, "!"); ok {
				if strings.Contains(msg, not) {
					t.Errorf("%s: message %q names %q", c.name, msg, not)
				}
			} else if !strings.Contains(msg, m) {
				t.Errorf("%s: message %q, want it to name %q", c.name, msg, m)
			}
		}
	}
}

// TestRefusalReason pins the reasons of drmorigin_key_refusals_total and
// of the "key refused" log lines: the token's own, key delivery's, and the
// store's faults, each a 401, 403 or 503 as statusOf says.
func TestRefusalReason(t *testing.T) {
	for _, c := range []struct {
		err    error
		reason string
		status int
	}{
		{token.ErrMissing, "missing", 401},
		{fmt.Errorf("k: %w", keyclient.ErrNotFound), "unknown_key", 404},
		{errNoPolicy, "no_policy", 403},
		{errNoOption, "no_option", 403},
		{errKIDMismatch, "kid_mismatch", 403},
		{errMaxUses, "maxuses_exceeded", 403},
		{fmt.Errorf("key a: kek unwrap: %w", keyclient.ErrKEK), "kek_mismatch", 503},
		{fmt.Errorf("redis get: %w", keyclient.ErrUnavailable), "store_unavailable", 503},
		{fmt.Errorf("discovery: %w", token.ErrUnavailable), "idp_unavailable", 503},
		{errors.New("something else"), "internal", 500},
	} {
		if got := refusalReason(c.err); got != c.reason {
			t.Errorf("refusalReason(%v) = %q, want %q", c.err, got, c.reason)
		}
		if status, _ := statusOf(c.err, false); status != c.status {
			t.Errorf("statusOf(%v) = %d, want %d", c.err, status, c.status)
		}
	}
}
