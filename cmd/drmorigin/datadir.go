package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// dataDir is where generated secrets live: the embedded store's directory,
// else ./data.
func (c *config) dataDir() string {
	if p, ok := strings.CutPrefix(c.Store, "file://"); ok {
		return filepath.Dir(p)
	}
	return "data"
}

// secret returns the configured value, else the one generated into file in
// the data directory on an earlier start, else a new one written there.
// generated reports the last case.
func (c *config) secret(configured, file string, size int, encode func([]byte) string) (value string, generated bool, err error) {
	if configured != "" {
		return configured, false, nil
	}
	path := filepath.Join(c.dataDir(), file)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("read %s: %w", path, err)
	}
	raw := make([]byte, size)
	if _, err := io.ReadFull(rand.Reader, raw); err != nil {
		return "", false, err
	}
	value = encode(raw)
	if err := os.MkdirAll(c.dataDir(), 0o700); err != nil {
		return "", false, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.WriteString(value + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("write %s: %w", path, err)
	}
	return value, true, f.Close()
}

func (c *config) adminToken() (string, bool, error) {
	return c.secret(c.AdminToken, "admin-token", 24, hex.EncodeToString)
}

// cliToken is the admin token the CLI sends: configured, else the one
// serve generated into the data directory.
func (c *config) cliToken() (string, error) {
	if c.AdminToken != "" {
		return c.AdminToken, nil
	}
	path := filepath.Join(c.dataDir(), "admin-token")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("no admin token: set admin.token (DRMORIGIN_ADMIN_TOKEN) or run serve once to generate %s", path)
	}
	return strings.TrimSpace(string(b)), nil
}
