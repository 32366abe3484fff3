package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
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
		lg, err := newLogging(slog.LevelDebug, format, "off", &buf, []string{pw, kek, "short", ""})
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

// TestNewLoggingChecks: log.format and log.access take their listed
// values only, the error naming the key; so does the configuration.
func TestNewLoggingChecks(t *testing.T) {
	for _, c := range []struct{ format, access, want string }{
		{"yaml", "off", "log.format"},
		{"text", "common", "log.access"},
	} {
		if _, err := newLogging(slog.LevelInfo, c.format, c.access, nil, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %s", c, err, c.want)
		}
		c2 := &config{values: map[string]string{}}
		for _, d := range defaults {
			c2.values[d.key] = d.def
		}
		c2.values["log.format"], c2.values["log.access"] = c.format, c.access
		if err := c2.parse(); err == nil || !strings.Contains(err.Error(), c.want+" ") || !strings.Contains(err.Error(), "DRMORIGIN_"+strings.ToUpper(strings.ReplaceAll(c.want, ".", "_"))) {
			t.Errorf("config %+v: %v, want an error naming %s in its three forms", c, err, c.want)
		}
	}
	for _, access := range []string{"off", "combined", "json"} {
		lg, err := newLogging(slog.LevelWarn, "json", access, nil, nil)
		if err != nil || (access == "off") != (lg.access == "") {
			t.Errorf("log.access %s: %v %+v", access, err, lg)
		}
	}
}

// TestRedactorLearnsSecrets: a secret set after the logger was made (one
// serve generates) is redacted from then on, in loggers derived before.
func TestRedactorLearnsSecrets(t *testing.T) {
	var buf bytes.Buffer
	lg, err := newLogging(slog.LevelInfo, logFormatText, "off", &buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	derived := lg.logger.With("component", "x")
	lg.setSecrets([]string{"generated-admin-token"})
	derived.Info("token generated-admin-token")
	if strings.Contains(buf.String(), "generated-admin-token") {
		t.Errorf("a secret set later is not redacted: %s", buf.String())
	}
}

// TestProcessSecrets: the redactor knows the admin token, the KEKs in
// their forms (the generated one in the data directory too), the store
// URL's password (not its user name) and the object stores' credentials,
// configured or from the environment.
func TestProcessSecrets(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-0123456789")
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=azure-account-key==;EndpointSuffix=core.windows.net")
	t.Setenv("AZURE_STORAGE_SAS_TOKEN", "sv=2022-11-02&sig=sas-signature%3D")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, kekFile), []byte("3q2+7wECAwQ=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &config{Store: "file://" + filepath.Join(dir, "store.db"), KEK: "kek-as-configured", KEKPrevious: []string{"previous-kek-0123"},
		Storage: storageConfig{S3SecretKey: "s3-secret-from-config", AzblobSAS: "sv=1&sig=config-sas-sig"}}
	got := processSecrets(c, "admin-token-0123")
	c.Store = "redis://drmorigin:redis-pw-0123@h1:6379,h2:6379/0"
	got = append(got, processSecrets(c, "")...)
	for _, want := range []string{"admin-token-0123", "kek-as-configured", "previous-kek-0123", "3q2+7wECAwQ=", "deadbeef01020304",
		"redis-pw-0123", "aws-secret-0123456789", "azure-account-key==", "sas-signature%3D", "s3-secret-from-config", "config-sas-sig"} {
		if !slices.Contains(got, want) {
			t.Errorf("%s not among the secrets", want)
		}
	}
	if slices.Contains(got, "drmorigin") {
		t.Errorf("the Redis user name is taken for a secret: every line naming drmorigin would be cut")
	}
}
