package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRefusesInvalidValues (issue 19, defect 6): a value serve
// cannot use stops it at start, with a message that names the key in its
// YAML, environment and flag forms.
func TestServeRefusesInvalidValues(t *testing.T) {
	media, _ := filepath.Abs("../../testdata/media")
	kek, _ := testKEK(1)
	for _, c := range []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"MissingStorageRoot", []string{"--storage-root", "/nonexistent"}, nil,
			[]string{"storage.root", "DRMORIGIN_STORAGE_ROOT", "--storage-root", "/nonexistent"}},
		{"PublicBaseURL", []string{"--public-base-url", "not a url"}, nil,
			[]string{"public.baseUrl", "DRMORIGIN_PUBLIC_BASEURL", "--public-base-url", "not a url"}},
		{"CacheTTL", nil, []string{"DRMORIGIN_CACHE_TTL=soon"},
			[]string{"cache.ttl", "DRMORIGIN_CACHE_TTL", "--cache-ttl", "soon"}},
		{"AllowedOrigins", nil, []string{"DRMORIGIN_KEYS_ALLOWEDORIGINS=player.example"},
			[]string{"keys.allowedOrigins", "DRMORIGIN_KEYS_ALLOWEDORIGINS", "--key-allowed-origins", "player.example"}},
		{"Listen", nil, []string{"DRMORIGIN_LISTEN=8080"},
			[]string{"listen", "DRMORIGIN_LISTEN", "--listen", "8080"}},
		{"KEK", nil, []string{"DRMORIGIN_KEK=c2hvcnQ="},
			[]string{"kek", "DRMORIGIN_KEK", "--kek", "32 bytes"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			msg := serveMustFail(t, serveOpts{store: "file://" + filepath.Join(dir, "x.db"), kek: kek, dir: dir, args: c.args,
				env: append([]string{"DRMORIGIN_STORAGE_ROOT=" + media}, c.env...)})
			mustContain(t, "the refusal", msg, c.want...)
			if strings.Contains(msg, "c2hvcnQ=") {
				t.Errorf("the refusal prints the KEK:\n%s", msg)
			}
		})
	}
}

// TestUnknownKeys (issue 19, defect 6): a mistyped environment variable or
// YAML key gets a warning naming the key it probably meant; --strict makes
// it an error.
func TestUnknownKeys(t *testing.T) {
	media, _ := filepath.Abs("../../testdata/media")
	kek, _ := testKEK(1)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "drmorigin.yaml")
	os.WriteFile(cfg, []byte("cache:\n  manifestControll: no-store\nstorage:\n  root: "+media+"\n"), 0o600)
	o := serveOpts{store: "file://" + filepath.Join(dir, "x.db"), kek: kek, dir: dir, args: []string{"--config", cfg},
		env: []string{"DRMORIGIN_PUBLIC_BASE_URL=http://cdn.example"}}
	want := []string{"cache.manifestControll", "cache.manifestControl", "DRMORIGIN_PUBLIC_BASE_URL", "DRMORIGIN_PUBLIC_BASEURL"}
	p := startServeWith(t, o)
	mustContain(t, "the warnings of serve", p.errb.String(), want...)
	p.stop(t, os.Interrupt)

	o.args = append(o.args, "--strict")
	msg := serveMustFail(t, o)
	mustContain(t, "serve --strict", msg, want...)
}

// TestConfigCommand (issue 19, defect 6): `drmorigin config` lists every
// key with its YAML, environment and flag forms, default, current value and
// where the value came from, never showing a secret; --help names the
// forms too.
func TestConfigCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "drmorigin.yaml")
	os.WriteFile(cfg, []byte("cache:\n  manifestControl: \"public, max-age=5\"\n"), 0o600)
	kek, _ := testKEK(7)
	secrets := []string{kek, "s3cr3t-token", "hunter2", "SIGSECRET", "AKIDSECRET"}
	t.Setenv("DRMORIGIN_KEK", kek)
	t.Setenv("DRMORIGIN_ADMIN_TOKEN", "s3cr3t-token")
	t.Setenv("DRMORIGIN_STORE", "redis://user:hunter2@127.0.0.1:6379/0")
	t.Setenv("DRMORIGIN_STORAGE_ROOT", "azblob://acct/c?sv=2024&sig=SIGSECRET")
	t.Setenv("DRMORIGIN_STORAGE_S3_ENDPOINT", "http://AKIDSECRET:x@minio:9000")
	var out, errb bytes.Buffer
	if err := run([]string{"config", "--config", cfg, "--listen", ":9999"}, &out, &errb); err != nil {
		t.Fatalf("config: %v\n%s", err, errb.String())
	}
	got := out.String()
	for _, d := range defaults {
		mustContain(t, "drmorigin config", got, d.key, "DRMORIGIN_"+strings.ToUpper(strings.ReplaceAll(d.key, ".", "_")), "--"+d.flag)
	}
	for _, row := range [][]string{
		{"public.baseUrl", "DRMORIGIN_PUBLIC_BASEURL", "--public-base-url"},
		{"listen", "DRMORIGIN_LISTEN", "--listen", ":8080", ":9999", "flag"},
		{"cache.manifestControl", "public, max-age=30", "public, max-age=5", "file"},
		{"store", "redis://***@127.0.0.1:6379/0", "env"},
	} {
		line := lineWith(got, row[0]+" ")
		mustContain(t, "the row of "+row[0], line, row...)
	}
	for _, s := range secrets {
		if strings.Contains(got+errb.String(), s) {
			t.Errorf("drmorigin config shows the secret %q:\n%s", s, got)
		}
	}
	mustContain(t, "the kek row", lineWith(got, "kek "), "set", "env")

	out.Reset()
	if err := run([]string{"serve", "--help"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "serve --help", out.String(), "public.baseUrl", "DRMORIGIN_PUBLIC_BASEURL", "--public-base-url", "drmorigin config")
}

// lineWith returns the first line of s that starts with prefix.
func lineWith(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
