package main

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/drmorigin/drmorigin/origin"
)

// keyError is a value that cannot be used. Its message names the key in
// its three forms and, unless the key is secret, the value.
type keyError struct {
	key, value, want string
}

func (e *keyError) Error() string {
	where := fmt.Sprintf("(key %s, env %s, flag --%s)", e.key, envName(e.key), flagOf(e.key))
	if secretKeys[e.key] {
		return fmt.Sprintf("%s: %s %s", e.key, e.want, where)
	}
	return fmt.Sprintf("%s %q: %s %s", e.key, e.value, e.want, where)
}

// parse checks every value and fills the typed fields, collecting every
// problem.
func (c *config) parse() error {
	var errs []error
	get := func(k string) string { return strings.TrimSpace(c.values[k]) }
	bad := func(k, want string) { errs = append(errs, &keyError{key: k, value: c.values[k], want: want}) }
	duration := func(k string, min, max time.Duration, want string) time.Duration {
		d, err := time.ParseDuration(get(k))
		if err != nil || d < min || (max > 0 && d > max) {
			bad(k, want)
		}
		return d
	}
	boolean := func(k string) bool {
		b, err := strconv.ParseBool(get(k))
		if err != nil {
			bad(k, "want true or false")
		}
		return b
	}
	c.Strict = boolean("strict")
	c.Listen, c.AdminListen = get("listen"), get("admin.listen")
	c.IngestListen = get("ingest.listen")
	for _, k := range []string{"listen", "admin.listen", "ingest.listen"} {
		if !validListen(get(k)) {
			bad(k, "want host:port or :port, such as :8080 or 127.0.0.1:8081")
		}
	}
	c.AdminToken = get("admin.token")
	c.AdminURL = get("admin.url")
	if c.AdminURL != "" && !httpURL(c.AdminURL, true) {
		bad("admin.url", "want an http:// or https:// URL, such as http://127.0.0.1:8081")
	}
	c.StorageRoot = get("storage.root")
	switch root := c.StorageRoot; {
	case root == "":
		bad("storage.root", "want a directory, s3://bucket[/prefix] or azblob://account[/container[/prefix]]")
	case strings.Contains(root, "://") && !strings.HasPrefix(root, "s3://") && !strings.HasPrefix(root, "azblob://"):
		errs = append(errs, &keyError{key: "storage.root", value: redactRoot(root),
			want: "want a directory, s3://bucket[/prefix] or azblob://account[/container[/prefix]]"})
	}
	c.StorageMmap = boolean("storage.mmap")
	c.Storage.S3Endpoint, c.Storage.S3Region = get("storage.s3.endpoint"), get("storage.s3.region")
	c.Storage.S3PathStyle = boolean("storage.s3.pathStyle")
	c.Storage.AzblobEndpoint = get("storage.azblob.endpoint")
	c.Storage.S3AccessKey, c.Storage.S3SecretKey = get("storage.s3.accessKeyId"), get("storage.s3.secretAccessKey")
	if (c.Storage.S3AccessKey == "") != (c.Storage.S3SecretKey == "") {
		bad("storage.s3.secretAccessKey", "set with storage.s3.accessKeyId, or neither (the AWS credential chain)")
	}
	c.Storage.AzblobAccountKey, c.Storage.AzblobSAS = get("storage.azblob.accountKey"), get("storage.azblob.sasToken")
	if c.Storage.AzblobAccountKey != "" && c.Storage.AzblobSAS != "" {
		bad("storage.azblob.sasToken", "set storage.azblob.accountKey or storage.azblob.sasToken, not both")
	}
	for _, k := range []string{"storage.s3.endpoint", "storage.azblob.endpoint"} {
		if get(k) != "" && !httpURL(get(k), true) {
			bad(k, "want an http:// or https:// URL")
		}
	}
	var err error
	if c.Storage.CacheSize, err = parseSize(get("storage.cache.size")); err != nil || c.Storage.CacheSize < 1<<20 {
		bad("storage.cache.size", "want a size of at least 1MiB, such as 1GiB or 512MiB")
	}
	c.Storage.Timeout = duration("storage.timeout", 10*time.Millisecond, 0, "want a duration of at least 10ms, such as 5s")
	c.SegmentDur = duration("packaging.segmentDuration", 100*time.Millisecond, time.Minute, "want a duration from 100ms to 1m, such as 2s")
	c.Store = get("store")
	switch {
	case c.Store == "file://":
		bad("store", "want file://PATH with a path")
	case strings.HasPrefix(c.Store, "file://"), strings.HasPrefix(c.Store, "redis://"), strings.HasPrefix(c.Store, "rediss://"):
	default:
		errs = append(errs, &keyError{key: "store", value: maskURL(c.Store), want: "want file://PATH, redis://… or rediss://…"})
	}
	c.KEK = get("kek")
	if c.KEK != "" && !validKEK(c.KEK) {
		bad("kek", "want the standard base64 of 32 bytes (drmorigin kek generate makes one)")
	}
	c.KEKPrevious = list(c.values["kekPrevious"])
	for _, k := range c.KEKPrevious {
		if !validKEK(k) {
			bad("kekPrevious", "want the standard base64 of 32 bytes for each KEK, separated by commas")
			break
		}
	}
	c.PublicBaseURL = strings.TrimSuffix(get("public.baseUrl"), "/")
	if c.PublicBaseURL != "" && !httpURL(c.PublicBaseURL, false) {
		bad("public.baseUrl", "want the absolute http:// or https:// URL players reach this origin at, such as https://media.example.com (no query)")
	}
	c.TLSCert, c.TLSKey, c.TLSListen = get("tls.cert"), get("tls.key"), get("tls.listen")
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls.key", "set tls.cert and tls.key together (PEM files), or neither")
	}
	if c.TLSListen != "" && !validListen(c.TLSListen) {
		bad("tls.listen", "want host:port or :port, such as :8443")
	}
	if c.TLSListen != "" && c.TLSCert == "" {
		bad("tls.listen", "needs tls.cert and tls.key")
	}
	c.IngestBaseURL = strings.TrimSuffix(get("ingest.publicBaseUrl"), "/")
	if c.IngestBaseURL != "" && !httpURL(c.IngestBaseURL, false) {
		bad("ingest.publicBaseUrl", "want the absolute http:// or https:// URL encoders reach the ingest listener at, such as https://ingest.example.com (no query)")
	}
	c.IngestStall = duration("ingest.stallTimeout", time.Second, 0, "want a duration of at least 1s, such as 30s")
	c.WidevineURL = get("drm.widevine.licenseUrlTemplate")
	c.PlayReadyURL = get("drm.playReady.licenseUrlTemplate")
	c.FairPlayURL = get("drm.fairPlay.licenseUrlTemplate")
	for _, k := range []string{"drm.widevine.licenseUrlTemplate", "drm.playReady.licenseUrlTemplate", "drm.fairPlay.licenseUrlTemplate"} {
		if get(k) != "" && !absoluteTemplate(get(k)) {
			bad(k, "want an absolute URL template, such as https://license.example.com/?kid={ContentKeyId}")
		}
	}
	c.ManifestCache = get("cache.manifestControl")
	if c.ManifestCache == "" || strings.ContainsFunc(c.ManifestCache, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		bad("cache.manifestControl", "want a Cache-Control header value, such as \"public, max-age=30\"")
	}
	c.CacheTTL = duration("cache.ttl", time.Nanosecond, 0, "want a positive duration such as 5m")
	c.LogLevel = get("log.level")
	if _, err := parseLevel(c.LogLevel); err != nil {
		bad("log.level", "want debug, info, warn or error")
	}
	c.LogFormat = get("log.format")
	if c.LogFormat != logFormatText && c.LogFormat != logFormatJSON {
		bad("log.format", "want text or json")
	}
	c.LogAccess = get("log.access")
	switch c.LogAccess {
	case accessOff, string(origin.AccessLogCombined), string(origin.AccessLogJSON):
	default:
		bad("log.access", "want off, combined or json")
	}
	c.KeyOrigins = list(c.values["keys.allowedOrigins"])
	for _, o := range c.KeyOrigins {
		if !validOrigin(o) {
			errs = append(errs, &keyError{key: "keys.allowedOrigins", value: o,
				want: "want browser origins (scheme://host[:port], no path), such as https://player.example.com"})
		}
	}
	c.TokenSkew = duration("keys.tokenSkew", 0, 0, "want a duration such as 2m")
	c.PlayerDir = get("player.dir")
	c.ShutdownTimeout = duration("shutdown.timeout", time.Nanosecond, 0, "want a positive duration such as 25s")

	c.tokenFromConfig = c.AdminToken != ""
	if c.AdminURL == "" {
		host := c.AdminListen
		if strings.HasPrefix(host, ":") {
			host = "127.0.0.1" + host
		}
		c.AdminURL = "http://" + host
	}
	return errors.Join(errs...)
}

// checkServe checks what only serve needs: that a local storage root and
// the player directory exist. (An object store's root is checked by its
// first read: it may be unreachable for a while, and serve still starts.)
func (c *config) checkServe() error {
	var errs []error
	dir := func(k, path string) {
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			errs = append(errs, &keyError{key: k, value: path, want: "no such directory"})
		case err != nil:
			errs = append(errs, &keyError{key: k, value: path, want: err.Error()})
		case !fi.IsDir():
			errs = append(errs, &keyError{key: k, value: path, want: "not a directory"})
		}
	}
	if !strings.Contains(c.StorageRoot, "://") && c.StorageRoot != "" {
		dir("storage.root", c.StorageRoot)
	}
	if c.PlayerDir != "" {
		dir("player.dir", c.PlayerDir)
	}
	if c.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			errs = append(errs, &keyError{key: "tls.cert", value: c.TLSCert, want: "with tls.key " + c.TLSKey + ": " + err.Error()})
		}
	}
	return errors.Join(errs...)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

func validKEK(s string) bool {
	raw, err := base64.StdEncoding.DecodeString(s)
	return err == nil && len(raw) == 32
}

// validListen accepts host:port and :port with a numeric port.
func validListen(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// httpURL reports whether s is an absolute http(s) URL with a host (and,
// unless query is allowed, without query or fragment).
func httpURL(s string, query bool) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return false
	}
	return query || (u.RawQuery == "" && u.Fragment == "" && !u.ForceQuery)
}

// validOrigin accepts a browser origin: scheme://host[:port].
func validOrigin(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != "" && (u.Path == "" || u.Path == "/") && u.RawQuery == "" &&
		u.User == nil && u.Fragment == ""
}

var placeholder = regexp.MustCompile(`\{[A-Za-z]+\}`)

// absoluteTemplate reports whether a URL template with its {Placeholders}
// filled in is an absolute URL.
func absoluteTemplate(s string) bool {
	u, err := url.Parse(placeholder.ReplaceAllString(s, "x"))
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
}
