package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// config is the configuration of spec/README.md: a YAML file (--config),
// then environment variables (DRMORIGIN_ + key upper-cased, "." → "_"), then
// flags, in rising precedence.
type config struct {
	Listen          string
	AdminListen     string
	AdminToken      string
	StorageRoot     string
	StorageMmap     bool
	Storage         storageConfig
	Store           string
	KEK             string
	PublicBaseURL   string
	WidevineURL     string
	PlayReadyURL    string
	FairPlayURL     string
	ManifestCache   string
	LogLevel        string
	LogFormat       string // log.format: text or json
	LogAccess       string // log.access: off, combined or json
	PlayerDir       string
	KeyOrigins      []string
	TokenSkew       time.Duration
	CacheTTL        time.Duration
	SegmentDur      time.Duration // packaging.segmentDuration
	AdminURL        string
	tokenFromConfig bool
}

// keys and defaults of spec/README.md, plus a few of our own.
var defaults = []struct {
	key, flag, def, usage string
}{
	{"listen", "listen", ":8080", "streaming and key delivery listener"},
	{"admin.listen", "admin-listen", "127.0.0.1:8081", "management API and metrics listener"},
	{"admin.token", "admin-token", "", "bearer token for the management API (generated on first start)"},
	{"admin.url", "admin-url", "", "management API URL for the CLI (default: http:// + admin.listen)"},
	{"storage.root", "storage-root", "./media", "where assets live: a directory, s3://bucket[/prefix] or azblob://account[/container[/prefix]]"},
	{"storage.mmap", "storage-mmap", "true", "map track files read-only (false: read them with pread, e.g. on network file systems)"},
	{"storage.s3.endpoint", "storage-s3-endpoint", "", "S3 API endpoint URL (default: Amazon S3), e.g. a MinIO server's http://host:9000"},
	{"storage.s3.region", "storage-s3-region", "", "S3 region (default: from the endpoint or the bucket)"},
	{"storage.s3.pathStyle", "storage-s3-path-style", "false", "address S3 buckets in the path (endpoint/bucket/key)"},
	{"storage.azblob.endpoint", "storage-azblob-endpoint", "", "Azure Blob account URL (default https://{account}.blob.core.windows.net; Azurite: http://127.0.0.1:10000/devstoreaccount1)"},
	{"storage.cache.size", "storage-cache-size", "1GiB", "block cache of media read from object storage (bytes, or with KiB, MiB, GiB)"},
	{"storage.timeout", "storage-timeout", "5s", "bound on one call to object storage (it is tried 3 times, then the request gets 503)"},
	{"packaging.segmentDuration", "segment-duration", "2s", "target duration progressive MP4 tracks are cut to (at sync samples)"},
	{"store", "store", "file://./data/drmorigin.db", "file://PATH (embedded) or redis://… / rediss://…"},
	{"kek", "kek", "", "base64 of the 32-byte key-encryption key (generated into the data directory on first start)"},
	{"public.baseUrl", "public-base-url", "", "URL players reach this origin at (default: derived from the request)"},
	{"drm.widevine.licenseUrlTemplate", "widevine-license-url", "", "Widevine license server URL template"},
	{"drm.playReady.licenseUrlTemplate", "playready-license-url", "", "PlayReady license server URL template"},
	{"drm.fairPlay.licenseUrlTemplate", "fairplay-license-url", "skd://{ContentKeyId}", "FairPlay key URI template"},
	{"cache.manifestControl", "manifest-cache-control", "public, max-age=30", "Cache-Control of manifests and playlists"},
	{"cache.ttl", "cache-ttl", "5m", "how long a resolved locator is cached without a change message"},
	{"log.level", "log-level", "info", "debug, info, warn or error"},
	{"log.format", "log-format", "text", "the log's form on stderr: text (key=value) or json (one object a line); go-redis and fasthttp log through it"},
	{"log.access", "log-access", "off", "access log of the streaming listener on stdout, one line a request (path without its query): off, combined or json"},
	{"keys.allowedOrigins", "key-allowed-origins", "", "comma-separated browser origins allowed to call key delivery (default: any; the Origin is echoed)"},
	{"keys.tokenSkew", "token-skew", "2m", "clock skew allowed on token exp/nbf"},
	{"player.dir", "player-dir", "", "enable the demo player page at /player/, with player.html and the npm libraries (make web) in this directory"},
}

// bindConfig registers the flags of every key on fs.
func bindConfig(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML configuration file")
	for _, d := range defaults {
		fs.String(d.flag, "", d.usage+" (default "+quoteDefault(d.def)+")")
	}
}

func quoteDefault(s string) string {
	if s == "" {
		return "unset"
	}
	return fmt.Sprintf("%q", s)
}

// loadConfig reads file, environment and flags into a config.
func loadConfig(fs *pflag.FlagSet) (*config, error) {
	v := viper.New()
	for _, d := range defaults {
		v.SetDefault(d.key, d.def)
		// Environment form of spec/README.md: DRMORIGIN_PUBLIC_BASEURL for
		// public.baseUrl. viper's AutomaticEnv would keep the case of the
		// key, so bind each one explicitly.
		env := "DRMORIGIN_" + strings.ToUpper(strings.ReplaceAll(d.key, ".", "_"))
		if err := v.BindEnv(d.key, env); err != nil {
			return nil, err
		}
		if f := fs.Lookup(d.flag); f != nil && f.Changed {
			v.Set(d.key, f.Value.String())
		}
	}
	if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
		v.SetConfigFile(f.Value.String())
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("config %s: %w", f.Value.String(), err)
		}
	}
	ttl, err := time.ParseDuration(v.GetString("cache.ttl"))
	if err != nil || ttl <= 0 {
		return nil, fmt.Errorf("cache.ttl %q: want a positive duration such as 5m", v.GetString("cache.ttl"))
	}
	mmap, err := strconv.ParseBool(v.GetString("storage.mmap"))
	if err != nil {
		return nil, fmt.Errorf("storage.mmap %q: want true or false", v.GetString("storage.mmap"))
	}
	sc, err := loadStorageConfig(v)
	if err != nil {
		return nil, err
	}
	segDur, err := time.ParseDuration(v.GetString("packaging.segmentDuration"))
	if err != nil || segDur < 100*time.Millisecond || segDur > time.Minute {
		return nil, fmt.Errorf("packaging.segmentDuration %q: want a duration from 100ms to 1m, such as 2s", v.GetString("packaging.segmentDuration"))
	}
	skew, err := time.ParseDuration(v.GetString("keys.tokenSkew"))
	if err != nil || skew < 0 {
		return nil, fmt.Errorf("keys.tokenSkew %q: want a duration such as 2m", v.GetString("keys.tokenSkew"))
	}
	var origins []string
	for _, o := range strings.Split(v.GetString("keys.allowedOrigins"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	c := &config{
		KeyOrigins:    origins,
		TokenSkew:     skew,
		Listen:        v.GetString("listen"),
		AdminListen:   v.GetString("admin.listen"),
		AdminToken:    v.GetString("admin.token"),
		AdminURL:      v.GetString("admin.url"),
		StorageRoot:   v.GetString("storage.root"),
		StorageMmap:   mmap,
		Storage:       sc,
		SegmentDur:    segDur,
		Store:         v.GetString("store"),
		KEK:           v.GetString("kek"),
		PublicBaseURL: strings.TrimSuffix(v.GetString("public.baseUrl"), "/"),
		WidevineURL:   v.GetString("drm.widevine.licenseUrlTemplate"),
		PlayReadyURL:  v.GetString("drm.playReady.licenseUrlTemplate"),
		FairPlayURL:   v.GetString("drm.fairPlay.licenseUrlTemplate"),
		ManifestCache: v.GetString("cache.manifestControl"),
		LogLevel:      v.GetString("log.level"),
		LogFormat:     v.GetString("log.format"),
		LogAccess:     v.GetString("log.access"),
		PlayerDir:     v.GetString("player.dir"),
		CacheTTL:      ttl,
	}
	c.tokenFromConfig = c.AdminToken != ""
	if c.AdminURL == "" {
		host := c.AdminListen
		if strings.HasPrefix(host, ":") {
			host = "127.0.0.1" + host
		}
		c.AdminURL = "http://" + host
	}
	return c, nil
}

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

func (c *config) kekBytes() (raw []byte, generated bool, err error) {
	s, generated, err := c.secret(c.KEK, "kek", 32, base64.StdEncoding.EncodeToString)
	if err != nil {
		return nil, false, err
	}
	raw, err = base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != 32 {
		return nil, false, errors.New("kek: want the standard base64 of 32 bytes")
	}
	return raw, generated, nil
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
