package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/drmorigin/drmorigin/origin"
)

// Log formats (log.format) and access log forms (log.access).
const (
	logFormatText = "text"
	logFormatJSON = "json"
	accessOff     = "off"
)

// logging is serve's logging set up from log.*: the application logger
// (slog, text or JSON, on stderr) and the access log's form.
type logging struct {
	logger  *slog.Logger
	secrets *secretList            // what the logger's redactor replaces
	access  origin.AccessLogFormat // "": off
}

// newLogging builds the logger of log.format at level (log.level, which
// SIGHUP may change) and checks log.access. Every line goes through a
// redactor of the process's own secrets (redactHandler) before it is
// written to w.
func newLogging(level slog.Leveler, format, access string, w io.Writer, secrets []string) (*logging, error) {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch format {
	case logFormatText:
		h = slog.NewTextHandler(w, opts)
	case logFormatJSON:
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log.format %q: want text or json", format)
	}
	lg := &logging{secrets: new(secretList)}
	lg.setSecrets(secrets)
	lg.logger = slog.New(&redactHandler{h: h, secrets: lg.secrets})
	switch access {
	case accessOff:
	case string(origin.AccessLogCombined), string(origin.AccessLogJSON):
		lg.access = origin.AccessLogFormat(access)
	default:
		return nil, fmt.Errorf("log.access %q: want off, combined or json", access)
	}
	return lg, nil
}

// setSecrets sets what the redactor replaces from now on (secrets known
// only once serve has started: those it generates).
func (lg *logging) setSecrets(secrets []string) {
	var pairs []string
	for _, s := range secrets {
		if len(s) >= minSecretLen && !slices.Contains(pairs, s) {
			pairs = append(pairs, s, "[redacted]")
		}
	}
	var r *strings.Replacer
	if len(pairs) > 0 {
		r = strings.NewReplacer(pairs...)
	}
	lg.secrets.r.Store(r)
}

// minSecretLen is the shortest secret the redactor looks for: shorter
// strings would cut ordinary words out of log lines (a test's admin token
// "tok" out of "token"), and a secret that short protects nothing anyway.
const minSecretLen = 8

// secretList is the redactor's replacer, shared by a logger and those
// derived from it (With), and replaced as secrets become known.
type secretList struct {
	r atomic.Pointer[strings.Replacer] // nil: nothing to redact
}

func (l *secretList) replace(s string) string {
	if r := l.r.Load(); r != nil {
		return r.Replace(s)
	}
	return s
}

// redactHandler replaces the process's own secrets (the admin token, the
// KEK, store and storage credentials) in every log record, message and
// attributes, before its handler writes it: a guard behind the rule that
// nothing logs them, for text that comes from elsewhere (a library's
// error, go-redis's own lines). Secrets that come with requests (tokens,
// keys) cannot be listed here; the origin never logs them.
type redactHandler struct {
	h       slog.Handler
	secrets *secretList
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.secrets.replace(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return &redactHandler{h: h.h.WithAttrs(clean), secrets: h.secrets}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: h.h.WithGroup(name), secrets: h.secrets}
}

// attr is a with every string in it redacted: strings, and values that
// print as text (errors, Stringers, anything else) turned into strings.
func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.secrets.replace(v.String()))
	case slog.KindAny:
		return slog.String(a.Key, h.secrets.replace(fmt.Sprint(v.Any())))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = h.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// processSecrets are the secrets of this process's configuration,
// environment and data directory, for the redactor: the admin token, the
// KEKs (current, previous, the generated one; in the forms a key is
// written in), the store URL's password and the object stores'
// credentials.
func processSecrets(c *config, adminToken string) []string {
	out := []string{adminToken, c.AdminToken, c.Storage.S3SecretKey, c.Storage.AzblobAccountKey, c.Storage.AzblobSAS}
	keks := append([]string{c.KEK}, c.KEKPrevious...)
	if b, err := os.ReadFile(filepath.Join(c.dataDir(), kekFile)); err == nil {
		keks = append(keks, strings.TrimSpace(string(b)))
	}
	for _, k := range keks {
		out = append(out, k)
		if raw, err := base64.StdEncoding.DecodeString(k); err == nil && len(raw) > 0 {
			out = append(out, base64.RawStdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw),
				base64.URLEncoding.EncodeToString(raw), hex.EncodeToString(raw))
		}
	}
	if _, rest, ok := strings.Cut(c.Store, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			// The password, and user:password (a user name alone is no
			// secret, and redacting one such as "drmorigin" would cut the
			// program's name out of its logs).
			if _, pass, ok := strings.Cut(rest[:at], ":"); ok {
				out = append(out, pass, rest[:at])
			}
		}
	}
	for _, v := range []string{os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"), os.Getenv("AZURE_STORAGE_KEY"),
		os.Getenv("AZURE_STORAGE_SAS_TOKEN"), os.Getenv("AZURE_STORAGE_CONNECTION_STRING"), c.Storage.AzblobSAS} {
		out = append(out, v)
		// The parts of a connection string and a SAS that are secret on
		// their own: the account key, the SAS, its signature.
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '&' || r == '?' }) {
			k, val, _ := strings.Cut(part, "=")
			switch strings.ToLower(k) {
			case "accountkey", "sharedaccesssignature", "sig":
				out = append(out, val)
			}
		}
	}
	return out
}
