package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

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
	logger *slog.Logger
	level  *slog.LevelVar
	access origin.AccessLogFormat // "": off
}

// newLogging checks log.level, log.format and log.access and builds the
// logger. Every line goes through a redactor of the process's own secrets
// (redactHandler) before it is written to w.
func newLogging(level, format, access string, w io.Writer, secrets []string) (*logging, error) {
	lv := new(slog.LevelVar)
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log.level %q: want debug, info, warn or error", level)
	}
	lv.Set(l)
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch format {
	case logFormatText:
		h = slog.NewTextHandler(w, opts)
	case logFormatJSON:
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log.format %q: want text or json", format)
	}
	lg := &logging{level: lv, logger: slog.New(newRedactHandler(h, secrets))}
	switch access {
	case accessOff:
	case string(origin.AccessLogCombined), string(origin.AccessLogJSON):
		lg.access = origin.AccessLogFormat(access)
	default:
		return nil, fmt.Errorf("log.access %q: want off, combined or json", access)
	}
	return lg, nil
}

// minSecretLen is the shortest secret the redactor looks for: shorter
// strings would cut ordinary words out of log lines (a test's admin token
// "tok" out of "token"), and a secret that short protects nothing anyway.
const minSecretLen = 8

// redactHandler replaces the process's own secrets (the admin token, the
// KEK, store and storage credentials) in every log record, message and
// attributes, before its handler writes it: a guard behind the rule that
// nothing logs them, for text that comes from elsewhere (a library's
// error, go-redis's own lines). Secrets that come with requests (tokens,
// keys) cannot be listed here; the origin never logs them.
type redactHandler struct {
	h slog.Handler
	r *strings.Replacer // nil: nothing to redact
}

func newRedactHandler(h slog.Handler, secrets []string) slog.Handler {
	var pairs []string
	for _, s := range secrets {
		if len(s) >= minSecretLen && !slices.Contains(pairs, s) {
			pairs = append(pairs, s, "[redacted]")
		}
	}
	if len(pairs) == 0 {
		return h
	}
	return &redactHandler{h: h, r: strings.NewReplacer(pairs...)}
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.r.Replace(r.Message), r.PC)
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
	return &redactHandler{h: h.h.WithAttrs(clean), r: h.r}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: h.h.WithGroup(name), r: h.r}
}

// attr is a with every string in it redacted: strings, and values that
// print as text (errors, Stringers, anything else) turned into strings.
func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.Replace(v.String()))
	case slog.KindAny:
		return slog.String(a.Key, h.r.Replace(fmt.Sprint(v.Any())))
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

// processSecrets are the secrets of this process's configuration and
// environment, for the redactor: the admin token, the KEK (in the forms it
// is written), the store URL's password and the object stores'
// credentials.
func processSecrets(c *config, adminToken string, kek []byte) []string {
	out := []string{adminToken, c.AdminToken, c.KEK}
	if len(kek) > 0 {
		out = append(out, base64.StdEncoding.EncodeToString(kek), base64.RawStdEncoding.EncodeToString(kek),
			base64.RawURLEncoding.EncodeToString(kek), hex.EncodeToString(kek))
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
	for _, env := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CONNECTION_STRING"} {
		v := os.Getenv(env)
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
