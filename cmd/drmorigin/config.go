package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// config is the configuration of spec/README.md: a YAML file (--config,
// or DRMORIGIN_CONFIG), then environment variables (DRMORIGIN_ + key
// upper-cased, "." → "_"), then flags, in rising precedence.
type config struct {
	Listen          string
	AdminListen     string
	IngestListen    string
	IngestBaseURL   string        // ingest.publicBaseUrl
	IngestStall     time.Duration // ingest.stallTimeout
	AdminToken      string
	StorageRoot     string
	StorageMmap     bool
	Storage         storageConfig
	Store           string
	KEK             string
	KEKPrevious     []string // kekPrevious: retired KEKs that still unwrap
	PublicBaseURL   string
	TLSCert         string // tls.cert: PEM certificate file of the streaming listener
	TLSKey          string // tls.key: its PEM private key file
	TLSListen       string // tls.listen: HTTPS here, the streaming listener stays plain HTTP
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
	ShutdownTimeout time.Duration
	Strict          bool
	AdminURL        string
	tokenFromConfig bool

	// file is the configuration file read ("" for none).
	file string
	// values holds every key's value as configured (a list joined with
	// ","), sources where it came from: "flag", "env", "file", "default".
	values, sources map[string]string
	// warnings are unknown keys and variables (errors with strict).
	warnings []string
}

// keys and defaults of spec/README.md, plus a few of our own. Every key
// has three forms: the YAML key, the environment variable (envName) and
// the flag. secretKeys, switchKeys and urlKeys say more about some.
var defaults = []struct {
	key, flag, def, usage string
}{
	{"listen", "listen", ":8080", "streaming and key delivery listener"},
	{"admin.listen", "admin-listen", "127.0.0.1:8081", "management API and metrics listener"},
	{"ingest.listen", "ingest-listen", ":8082", "live ingest listener: encoders POST fragmented MP4 to /{event}/{accessToken}/ingest.isml/Streams({stream})"},
	{"ingest.publicBaseUrl", "ingest-public-base-url", "", "base of the ingest URLs live events give encoders (default: http:// + ingest.listen, its host the management request's when it listens on every address)"},
	{"ingest.stallTimeout", "ingest-stall-timeout", "30s", "an ingest POST that sends no byte for this long ends with 408 (no other timeout bounds a feed)"},
	{"admin.token", "admin-token", "", "bearer token for the management API (generated on first start)"},
	{"admin.url", "admin-url", "", "management API URL for the CLI (default: http:// + admin.listen)"},
	{"storage.root", "storage-root", "./media", "where assets live: a directory, s3://bucket[/prefix] or azblob://account[/container[/prefix]]"},
	{"storage.mmap", "storage-mmap", "true", "map track files read-only (false: read them with pread, e.g. on network file systems)"},
	{"storage.s3.endpoint", "storage-s3-endpoint", "", "S3 API endpoint URL (default: Amazon S3), e.g. a MinIO server's http://host:9000"},
	{"storage.s3.region", "storage-s3-region", "", "S3 region (default: from the endpoint or the bucket)"},
	{"storage.s3.pathStyle", "storage-s3-path-style", "false", "address S3 buckets in the path (endpoint/bucket/key)"},
	{"storage.s3.accessKeyId", "storage-s3-access-key-id", "", "S3 access key (default: the AWS credential chain: AWS_ACCESS_KEY_ID…, ~/.aws, instance identity)"},
	{"storage.s3.secretAccessKey", "storage-s3-secret-access-key", "", "S3 secret key, with storage.s3.accessKeyId (never logged)"},
	{"storage.azblob.endpoint", "storage-azblob-endpoint", "", "Azure Blob account URL (default https://{account}.blob.core.windows.net; Azurite: http://127.0.0.1:10000/devstoreaccount1)"},
	{"storage.azblob.accountKey", "storage-azblob-account-key", "", "Azure storage account key (default: AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN; never logged)"},
	{"storage.azblob.sasToken", "storage-azblob-sas-token", "", "Azure SAS token for the account or container (never logged)"},
	{"storage.cache.size", "storage-cache-size", "1GiB", "block cache of media read from object storage (bytes, or with KiB, MiB, GiB)"},
	{"storage.timeout", "storage-timeout", "5s", "bound on one call to object storage (it is tried 3 times, then the request gets 503)"},
	{"packaging.segmentDuration", "segment-duration", "2s", "target duration progressive MP4 tracks are cut to (at sync samples)"},
	{"store", "store", "file://./data/drmorigin.db", "file://PATH (embedded) or redis://… / rediss://…"},
	{"kek", "kek", "", "base64 of the 32-byte key-encryption key; required with a redis:// store (the same on every replica), generated into the data directory for the embedded store"},
	{"kekPrevious", "kek-previous", "", "comma-separated base64 KEKs that still unwrap keys wrapped before a rotation (see drmorigin kek rewrap)"},
	{"public.baseUrl", "public-base-url", "", "URL players reach this origin at (default: derived from the request)"},
	{"tls.cert", "tls-cert", "", "PEM certificate (with chain) file: turns on HTTPS on the streaming listener, or on tls.listen (reread when it changes, within 15s)"},
	{"tls.key", "tls-key", "", "PEM private key file of tls.cert"},
	{"tls.listen", "tls-listen", "", "serve HTTPS here and keep the streaming listener plain HTTP (needs tls.cert and tls.key)"},
	{"drm.widevine.licenseUrlTemplate", "widevine-license-url", "", "Widevine license server URL template"},
	{"drm.playReady.licenseUrlTemplate", "playready-license-url", "", "PlayReady license server URL template"},
	{"drm.fairPlay.licenseUrlTemplate", "fairplay-license-url", "skd://{ContentKeyId}", "FairPlay key URI template"},
	{"cache.manifestControl", "manifest-cache-control", "public, max-age=30", "Cache-Control of manifests and playlists (reloaded on SIGHUP)"},
	{"cache.ttl", "cache-ttl", "5m", "how long a resolved locator is cached without a change message"},
	{"log.level", "log-level", "info", "debug, info, warn or error (reloaded on SIGHUP)"},
	{"log.format", "log-format", "text", "the log's form on stderr: text (key=value) or json (one object a line); go-redis and fasthttp log through it"},
	{"log.access", "log-access", "off", "access log of the streaming listener on stdout, one line a request (path without its query): off, combined or json"},
	{"keys.allowedOrigins", "key-allowed-origins", "", "comma-separated browser origins allowed to call key delivery (default: any; the Origin is echoed; reloaded on SIGHUP)"},
	{"keys.tokenSkew", "token-skew", "2m", "clock skew allowed on token exp/nbf"},
	{"player.dir", "player-dir", "", "enable the demo player page at /player/, with player.html and the npm libraries (make web) in this directory"},
	{"shutdown.timeout", "shutdown-timeout", "25s", "on SIGTERM or SIGINT, how long requests in flight may take to finish"},
	{"strict", "strict", "false", "make unknown configuration keys and DRMORIGIN_* variables an error, not a warning"},
}

// secretKeys are never shown or logged: `drmorigin config` says only
// whether they are set.
var secretKeys = map[string]bool{"admin.token": true, "kek": true, "kekPrevious": true,
	"storage.s3.secretAccessKey": true, "storage.azblob.accountKey": true, "storage.azblob.sasToken": true}

// urlKeys may carry credentials (user information, a SAS or token in the
// query): shown through maskURL.
var urlKeys = map[string]bool{"store": true, "storage.root": true, "storage.s3.endpoint": true,
	"storage.azblob.endpoint": true, "admin.url": true, "public.baseUrl": true, "ingest.publicBaseUrl": true}

// switchKeys take their flag without a value (--strict is --strict=true).
// The older true/false keys (storage.mmap, storage.s3.pathStyle) keep
// taking one, as in --storage-mmap false.
var switchKeys = map[string]bool{"strict": true}

// configEnv names the configuration file when --config is not given.
const configEnv = "DRMORIGIN_CONFIG"

// envName is the environment form of a key: public.baseUrl →
// DRMORIGIN_PUBLIC_BASEURL.
func envName(key string) string {
	return "DRMORIGIN_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// flagOf returns the flag name of a key.
func flagOf(key string) string {
	for _, d := range defaults {
		if d.key == key {
			return d.flag
		}
	}
	return ""
}

// forms names a key in its three forms, for messages.
func forms(key string) string {
	return fmt.Sprintf("%s (%s, --%s)", key, envName(key), flagOf(key))
}

// configHelp is the configuration paragraph of --help.
const configHelp = `Configuration comes from a YAML file (--config, or $DRMORIGIN_CONFIG), then
DRMORIGIN_* environment variables, then flags, each overriding the one before.
Every key has the three forms: public.baseUrl in YAML is $DRMORIGIN_PUBLIC_BASEURL
and --public-base-url. "drmorigin config" lists every key with its forms, its
default and its current value; unknown keys and variables are warned about
(--strict: refused).`

// bindConfig registers the flags of every key on fs.
func bindConfig(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML configuration file ($"+configEnv+")")
	for _, d := range defaults {
		fs.String(d.flag, "", fmt.Sprintf("%s [%s, $%s] (default %s)", d.usage, d.key, envName(d.key), quoteDefault(d.def)))
		if switchKeys[d.key] {
			fs.Lookup(d.flag).NoOptDefVal = "true"
		}
	}
}

func quoteDefault(s string) string {
	if s == "" {
		return "unset"
	}
	return fmt.Sprintf("%q", s)
}

// configFile is the file named by --config, else by DRMORIGIN_CONFIG.
func configFile(fs *pflag.FlagSet) string {
	if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
		return f.Value.String()
	}
	return os.Getenv(configEnv)
}

// loadConfig reads file, environment and flags into a config, checking
// every value (all problems at once, each naming its key's three forms).
// Unknown keys in the file and unknown DRMORIGIN_* variables are warnings,
// errors with strict. Only an unreadable file gives a nil config; other
// errors come with the config as far as it could be read.
func loadConfig(fs *pflag.FlagSet) (*config, error) {
	v := viper.New()
	for _, d := range defaults {
		v.SetDefault(d.key, d.def)
		// Environment form of spec/README.md: DRMORIGIN_PUBLIC_BASEURL for
		// public.baseUrl. viper's AutomaticEnv would keep the case of the
		// key, so bind each one explicitly.
		if err := v.BindEnv(d.key, envName(d.key)); err != nil {
			return nil, err
		}
		if f := fs.Lookup(d.flag); f != nil && f.Changed {
			v.Set(d.key, f.Value.String())
		}
	}
	c := &config{file: configFile(fs), values: map[string]string{}, sources: map[string]string{}}
	var fileKeys []string
	if c.file != "" {
		v.SetConfigFile(c.file)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("config %s: %w", c.file, err)
		}
		var err error
		if fileKeys, err = readFileKeys(c.file); err != nil {
			return nil, fmt.Errorf("config %s: %w", c.file, err)
		}
	}
	inFile := map[string]bool{}
	for _, k := range fileKeys {
		inFile[strings.ToLower(k)] = true
	}
	for _, d := range defaults {
		c.values[d.key] = stringValue(v.Get(d.key))
		switch env, _ := os.LookupEnv(envName(d.key)); {
		case fs.Lookup(d.flag) != nil && fs.Lookup(d.flag).Changed:
			c.sources[d.key] = "flag"
		case env != "":
			c.sources[d.key] = "env"
		case inFile[strings.ToLower(d.key)]:
			c.sources[d.key] = "file"
		default:
			c.sources[d.key] = "default"
		}
	}
	c.warnings = append(unknownFileKeys(c.file, fileKeys), unknownEnv(os.Environ())...)
	err := c.parse()
	if c.Strict && len(c.warnings) > 0 {
		err = errors.Join(append([]error{fmt.Errorf("unknown configuration (strict):\n  %s",
			strings.Join(c.warnings, "\n  "))}, err)...)
	}
	return c, err
}

// stringValue is a configured value as a string; a YAML list is joined
// with ",".
func stringValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	case []string:
		return strings.Join(v, ",")
	}
	return fmt.Sprint(v)
}

// list splits a comma-separated value, dropping empty elements.
func list(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
