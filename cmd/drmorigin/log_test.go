package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestRedactHandler: the process's own secrets are cut out of every part
// of a record, in both formats: the message, string attributes, errors and
// other values, groups, attributes given with With.
func TestRedactHandler(t *testing.T) {
	const pw, kek = "redis-password-1234", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	for _, format := range []string{logFormatText, logFormatJSON} {
		var buf bytes.Buffer
		lg, err := newLogging("debug", format, "off", &buf, []string{pw, kek, "short", ""})
		if err != nil {
			t.Fatal(err)
		}
		l := lg.logger.With("store", "redis://:"+pw+"@h:6379")
		l.Debug("dial "+pw+" failed", "err", errors.New("auth "+pw), "kek", kek,
			slog.Group("g", "inner", "x"+pw+"x"), "n", 3, "short", "short")
		out := buf.String()
		t.Log(out)
		if strings.Contains(out, pw) || strings.Contains(out, kek) {
			t.Errorf("%s: a secret in %s", format, out)
		}
		if strings.Count(out, "[redacted]") != 5 || !strings.Contains(out, "short") {
			t.Errorf("%s: want 5 redactions and the 5-byte string kept: %s", format, out)
		}
		if format == logFormatJSON {
			var m map[string]any
			if err := json.Unmarshal(buf.Bytes(), &m); err != nil || m["n"] != 3.0 {
				t.Errorf("json: %v %v", err, m)
			}
		}
	}
}

// TestNewLoggingChecks: log.level, log.format and log.access take their
// listed values only, and the error names the key.
func TestNewLoggingChecks(t *testing.T) {
	for _, c := range []struct{ level, format, access, want string }{
		{"loud", "text", "off", "log.level"},
		{"info", "yaml", "off", "log.format"},
		{"info", "text", "common", "log.access"},
	} {
		if _, err := newLogging(c.level, c.format, c.access, nil, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %s", c, err, c.want)
		}
	}
	for _, access := range []string{"off", "combined", "json"} {
		lg, err := newLogging("warn", "json", access, nil, nil)
		if err != nil || (access == "off") != (lg.access == "") {
			t.Errorf("log.access %s: %v %+v", access, err, lg)
		}
	}
}

// TestProcessSecrets: the redactor knows the admin token, the KEK in its
// forms, the store URL's password (not its user name) and the object
// stores' credentials from the environment.
func TestProcessSecrets(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-0123456789")
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=azure-account-key==;EndpointSuffix=core.windows.net")
	t.Setenv("AZURE_STORAGE_SAS_TOKEN", "sv=2022-11-02&sig=sas-signature%3D")
	c := &config{Store: "redis://drmorigin:redis-pw-0123@h1:6379,h2:6379/0", KEK: "kek-as-configured"}
	got := processSecrets(c, "admin-token-0123", []byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4})
	for _, want := range []string{"admin-token-0123", "kek-as-configured", "deadbeef01020304", "3q2+7wECAwQ=",
		"redis-pw-0123", "aws-secret-0123456789", "azure-account-key==", "sas-signature%3D"} {
		found := false
		for _, s := range got {
			found = found || s == want
		}
		if !found {
			t.Errorf("%s not among the secrets", want)
		}
	}
	for _, s := range got {
		if s == "drmorigin" {
			t.Errorf("the Redis user name is taken for a secret: every line naming drmorigin would be cut")
		}
	}
}
