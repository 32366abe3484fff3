package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drmorigin/drmorigin/origin"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/azblob"
	"github.com/drmorigin/drmorigin/storage/s3"
)

// storageConfig is the storage.* configuration beyond the root.
type storageConfig struct {
	S3Endpoint     string
	S3Region       string
	S3PathStyle    bool
	AzblobEndpoint string
	// Credentials from config; empty: each SDK's standard places.
	S3AccessKey, S3SecretKey    string
	AzblobAccountKey, AzblobSAS string
	CacheSize                   int64
	Timeout                     time.Duration
}

// parseSize reads a byte count: digits, optionally followed by B, KiB,
// MiB, GiB, TiB (or KB, MB, GB, TB, taken as the same powers of two, as
// memory sizes usually are).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToUpper(strings.TrimSpace(s[len(num):]))
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want a number of bytes such as 1GiB", s)
	}
	shift := map[string]uint{"": 0, "B": 0, "K": 10, "KB": 10, "KIB": 10, "M": 20, "MB": 20, "MIB": 20, "G": 30, "GB": 30, "GIB": 30, "T": 40, "TB": 40, "TIB": 40}
	sh, ok := shift[unit]
	if !ok || n > (1<<62)>>sh {
		return 0, fmt.Errorf("size %q: want a number of bytes such as 1GiB", s)
	}
	return n << sh, nil
}

// openStorage returns the Store of storage.root: a local directory, or an
// object store (s3://, azblob://) read through the block cache, with its
// metrics registered on reg. remote is nil for a local root.
func openStorage(c *config, reg prometheus.Registerer) (st storage.Store, remote *storage.RemoteStore, err error) {
	var r storage.Remote
	switch {
	case strings.HasPrefix(c.StorageRoot, "s3://"):
		cfg, err := s3.ParseURL(c.StorageRoot)
		if err != nil {
			return nil, nil, fmt.Errorf("storage.root: %w", err)
		}
		if cfg.Endpoint == "" {
			cfg.Endpoint = c.Storage.S3Endpoint
		}
		if cfg.Region == "" {
			cfg.Region = c.Storage.S3Region
		}
		cfg.PathStyle = cfg.PathStyle || c.Storage.S3PathStyle
		cfg.AccessKey, cfg.SecretKey = c.Storage.S3AccessKey, c.Storage.S3SecretKey
		if r, err = s3.New(cfg); err != nil {
			return nil, nil, fmt.Errorf("storage.root %s: %w", redactRoot(c.StorageRoot), err)
		}
	case strings.HasPrefix(c.StorageRoot, "azblob://"):
		cfg, err := azblob.ParseURL(c.StorageRoot)
		if err != nil {
			return nil, nil, fmt.Errorf("storage.root: %w", err)
		}
		if cfg.Endpoint == "" {
			cfg.Endpoint = c.Storage.AzblobEndpoint
		}
		cfg.AccountKey, cfg.SASToken = c.Storage.AzblobAccountKey, c.Storage.AzblobSAS
		if cfg, err = azblob.FromEnv(cfg); err != nil {
			return nil, nil, fmt.Errorf("storage.root %s: %w", redactRoot(c.StorageRoot), err)
		}
		if r, err = azblob.New(cfg); err != nil {
			return nil, nil, fmt.Errorf("storage.root %s: %w", redactRoot(c.StorageRoot), err)
		}
	case strings.Contains(c.StorageRoot, "://"):
		return nil, nil, fmt.Errorf("storage.root %s: want a directory, s3://bucket[/prefix] or azblob://account[/container[/prefix]]", redactRoot(c.StorageRoot))
	default:
		return storage.NewLocal(c.StorageRoot, storage.LocalOptions{NoMapping: !c.StorageMmap}), nil, nil
	}
	m := origin.NewStorageMetrics(reg)
	remote = storage.NewRemote(r, storage.RemoteOptions{
		CacheSize: c.Storage.CacheSize, Timeout: c.Storage.Timeout, Observe: m.Observe,
	})
	m.Watch(reg, remote)
	return remote, remote, nil
}

// redactRoot is storage.root as it may be logged: no query (where an
// endpoint is named, never a credential, but an operator may paste a SAS
// there) and no user information.
func redactRoot(root string) string {
	root, _, _ = strings.Cut(root, "?")
	return redactURL(root)
}
