package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/origin"
	"github.com/drmorigin/drmorigin/origin/token"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// serveOptions are serve's inputs besides the configuration.
type serveOptions struct {
	demo           bool
	stdout, stderr io.Writer
	// signals delivers SIGHUP, SIGINT and SIGTERM (signals.go).
	signals <-chan os.Signal
	// reload reads the configuration again, for SIGHUP.
	reload func() (*config, error)
}

// serve runs the origin until ctx is done or a stop signal arrives, then
// drains it.
func serve(ctx context.Context, c *config, o serveOptions) error {
	stdout := o.stdout
	level := new(slog.LevelVar)
	l, err := parseLevel(c.LogLevel)
	if err != nil {
		return err
	}
	level.Set(l)
	lg, err := newLogging(level, c.LogFormat, c.LogAccess, o.stderr, processSecrets(c, ""))
	if err != nil {
		return err
	}
	logger := lg.logger
	// Whatever logs through the standard library's log package, and
	// go-redis's own logger, goes through the same handler.
	slog.SetDefault(logger)
	keyclient.SetRedisLogger(logger.With("component", "redis"))
	for _, w := range c.warnings {
		logger.Warn("configuration: " + w)
	}
	if err := c.checkServe(); err != nil {
		return err
	}
	store, err := keyclient.OpenStore(ctx, c.Store)
	if err != nil {
		return fmt.Errorf("open store %s: %w", redactURL(c.Store), err)
	}
	defer store.Close()
	kek, err := c.serveKEK(ctx, store, logger)
	if err != nil {
		return err
	}
	svc := keyclient.NewService(store, kek, keyclient.BuiltinConfig{
		WidevineLicenseURLTemplate:  c.WidevineURL,
		PlayReadyLicenseURLTemplate: c.PlayReadyURL,
		FairPlayLicenseURLTemplate:  c.FairPlayURL,
	})
	ready := &readiness{store: store, svc: svc, logger: logger}
	initCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = svc.InitKEK(initCtx)
	cancel()
	switch {
	case err == nil:
		ready.initDone.Store(true)
	case errors.Is(err, keyclient.ErrUnavailable) && !errors.Is(err, keyclient.ErrKEK):
		logger.Warn("the store cannot be reached: the KEK check waits for it, and /readyz says not ready until the check passes", "err", err)
	default:
		return withKEKAdvice(err)
	}
	token, tokenGenerated, err := c.adminToken()
	if err != nil {
		return err
	}
	// The redactor learns the secrets generated into the data directory
	// (the KEK on a first start, the admin token) now that they exist.
	lg.setSecrets(processSecrets(c, token))
	if tokenGenerated {
		fmt.Fprintf(stdout, "Generated the management API token (saved in %s/admin-token): %s\n", c.dataDir(), token)
		if c.sharedStore() {
			logger.Warn("the generated management API token is this replica's alone: with a shared store, set admin.token (DRMORIGIN_ADMIN_TOKEN) on every replica")
		}
	}
	resolver := keyclient.NewResolver(svc, keyclient.ResolverConfig{TTL: c.CacheTTL})
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go resolver.Run(ctx)
	assets, _, err := openStorage(c, prometheus.DefaultRegisterer)
	if err != nil {
		return err
	}
	lib := packager.NewLibrary(assets, 256)
	lib.SetFragmentDuration(c.SegmentDur)
	defer lib.Close()
	// The live room archives into the storage root: local files, or an
	// object store (one object per fragment). Only a root that cannot be
	// written (an object store Remote without writes) leaves it out, and
	// the ingest listener then answers 503.
	var ingester live.Ingester
	// The live room announces archived fragments through the origin (to
	// the replicas, over the shared store's pub/sub); srv is set before
	// any feed can arrive.
	var srv *origin.Server
	if w := storage.WriterOf(assets); w != nil {
		hub := live.NewHub(live.Config{Store: assets, Writer: w, Assets: lib,
			Log: logger.With("component", "live"), StallTimeout: c.IngestStall,
			Announce: func(a live.Announcement) { srv.AnnounceLive(a) }})
		defer hub.Close() // after Serve's drain has ended the feeds
		ingester = hub
	} else {
		logger.Info("live ingest is off: the storage root cannot be written", "storage", redactRoot(c.StorageRoot))
	}

	srv = &origin.Server{
		Config: origin.Config{
			Listen:               c.Listen,
			AdminListen:          c.AdminListen,
			IngestListen:         c.IngestListen,
			IngestBaseURL:        c.IngestBaseURL,
			IngestStallTimeout:   c.IngestStall,
			AdminToken:           token,
			PublicBaseURL:        c.PublicBaseURL,
			TLSCert:              c.TLSCert,
			TLSKey:               c.TLSKey,
			TLSListen:            c.TLSListen,
			ManifestCacheControl: c.ManifestCache,
			PlayerDir:            c.PlayerDir,
			KeyAllowedOrigins:    c.KeyOrigins,
			TokenSkew:            c.TokenSkew,
			ShutdownTimeout:      c.ShutdownTimeout,
			Logger:               logger.With("component", "origin"),
			AuditLogger:          logger.With("component", "audit"),
		},
		Assets:   lib,
		Resolver: resolver,
		Service:  svc,
		Ready:    ready.check,
		Ingester: ingester,
	}
	if lg.access != "" {
		srv.Config.AccessLog, srv.Config.AccessLogFormat = stdout, lg.access
	}
	if err := srv.Initialize(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", c.Listen, err)
	}
	aln, err := net.Listen("tcp", c.AdminListen)
	if err != nil {
		ln.Close()
		return fmt.Errorf("admin listen %s: %w", c.AdminListen, err)
	}
	iln, err := net.Listen("tcp", c.IngestListen)
	if err != nil {
		ln.Close()
		aln.Close()
		return fmt.Errorf("ingest listen %s: %w", c.IngestListen, err)
	}
	ls := origin.Listeners{Stream: ln, Admin: aln, Ingest: iln}
	if c.TLSListen != "" {
		if ls.TLS, err = net.Listen("tcp", c.TLSListen); err != nil {
			ln.Close()
			aln.Close()
			iln.Close()
			return fmt.Errorf("tls listen %s: %w", c.TLSListen, err)
		}
	}
	logger.Info("drmorigin serving", "version", version, "listen", ln.Addr().String(),
		"admin", aln.Addr().String(), "ingest", iln.Addr().String(), "storage", redactRoot(c.StorageRoot), "store", redactURL(c.Store), "kek", kek.ID())
	switch {
	case ls.TLS != nil:
		logger.Info("HTTPS on its own listener; the streaming listener stays plain HTTP", "tlsListen", ls.TLS.Addr().String(), "cert", c.TLSCert)
	case c.TLSCert != "":
		logger.Info("HTTPS on the streaming listener", "listen", ln.Addr().String(), "cert", c.TLSCert)
	}

	if o.signals != nil {
		running := *c // the reloader's own copy: it changes as SIGHUPs apply
		running.values = maps.Clone(c.values)
		r := &reloader{running: &running, load: o.reload, level: level, srv: srv, logger: logger}
		go r.watchSignals(ctx, o.signals, stop)
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeListeners(ctx, ls) }()
	if o.demo {
		if err := provisionDemo(ctx, c, svc, lib, ln.Addr(), aln.Addr(), token, stdout); err != nil {
			logger.Error("demo provisioning failed", "err", err)
		}
	}
	return <-done
}

// redactURL drops credentials from a store URL before it is logged.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if at := strings.LastIndex(s, "@"); at > i {
			return s[:i+3] + "…@" + s[at+1:]
		}
	}
	return s
}

// provisionDemo publishes every asset under the storage root under a clear
// locator and a ClearKey locator (DASH cenc with ClearKey licenses, HLS
// AES-128) whose keys need a token, and prints the streaming URLs the
// origin's own listPaths gives for them, with a token to play the
// protected ones.
func provisionDemo(ctx context.Context, c *config, svc *keyclient.Service, lib *packager.Library, addr, adminAddr net.Addr, adminToken string, w io.Writer) error {
	all, err := lib.List()
	if err != nil {
		return fmt.Errorf("read storage root: %w", err)
	}
	base := c.PublicBaseURL
	if base == "" {
		base = "http://" + loopbackHost(addr)
		if c.TLSCert != "" && c.TLSListen == "" {
			base = "https://" + loopbackHost(addr)
		}
	}
	var names []string // sorted, as List's
	var skipped, partial []string
	for _, name := range all {
		a, err := lib.Asset(name)
		switch {
		case err != nil:
			skipped = append(skipped, fmt.Sprintf("  asset %s: %s", name, demoReason(err)))
		case len(a.Skipped) > 0:
			for _, s := range a.Skipped {
				partial = append(partial, fmt.Sprintf("  asset %s, %s: %v", name, s.File, s.Err))
			}
			names = append(names, name)
		default:
			names = append(names, name)
		}
	}
	// A token-restricted content key policy with a fresh secret each start:
	// tokens minted below are valid for this run.
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	restriction := map[string]any{"type": "token", "tokenType": "jwt", "issuer": demoIssuer, "audience": demoAudience,
		"primaryVerificationKey": map[string]any{"type": "symmetric", "value": base64.StdEncoding.EncodeToString(secret)}}
	policy, _ := json.Marshal(map[string]any{"name": "demo", "options": []any{
		map[string]any{"name": "aes", "configuration": map[string]any{"type": "aesEnvelope"}, "restriction": restriction},
		map[string]any{"name": "clearkey", "configuration": map[string]any{"type": "clearKey"}, "restriction": restriction},
	}})
	if _, _, err := svc.Put(ctx, keyclient.KindContentKeyPolicies, "demo", policy); err != nil {
		return fmt.Errorf("demo content key policy: %w", err)
	}
	tok, err := token.MintJWT(secret, "HS256", token.MintOptions{Issuer: demoIssuer, Audience: demoAudience, Lifetime: 24 * time.Hour})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nDemo content from %s:\n", c.StorageRoot)
	for _, asset := range names {
		for _, l := range []struct{ name, policy, keyPolicy string }{
			{asset + "-clear", keyclient.PredefinedClearStreamingOnly, ""},
			{asset + "-clearkey", keyclient.PredefinedClearKey, "demo"},
		} {
			m := map[string]any{"name": l.name, "assetName": asset, "streamingPolicyName": l.policy}
			if l.keyPolicy != "" {
				m["defaultContentKeyPolicyName"] = l.keyPolicy
			}
			body, _ := json.Marshal(m)
			if _, _, err := svc.Put(ctx, keyclient.KindStreamingLocators, l.name, body); err != nil {
				return fmt.Errorf("locator %s: %w", l.name, err)
			}
			paths, err := fetchPaths(ctx, "http://"+loopbackHost(adminAddr), adminToken, l.name)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "  asset %s, locator %s (%s):\n", asset, l.name, l.policy)
			for _, p := range paths {
				fmt.Fprintf(w, "    %s%s\n", base, p)
			}
			if c.PlayerDir != "" && len(paths) > 0 && !hevcAsset(lib, asset) { // Chromium decodes no HEVC
				q := "url=" + url.QueryEscape(base+paths[0])
				if l.keyPolicy != "" {
					q += "&token=" + url.QueryEscape(tok)
				}
				fmt.Fprintf(w, "    in the browser: %s/player/?%s\n", base, q)
			}
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "Skipped: nothing of these can be served (drmorigin asset get NAME says more):\n%s\n", strings.Join(skipped, "\n"))
	}
	if len(partial) > 0 {
		fmt.Fprintf(w, "Served without these track files:\n%s\n", strings.Join(partial, "\n"))
	}
	fmt.Fprintf(w, "Keys of the -clearkey locators need this token (Authorization: Bearer, or ?token=):\n  %s\n", tok)
	fmt.Fprintf(w, "Play one with: ffplay '<URL>' for the clear DASH and HLS URLs (README.md plays the -clearkey ones with ffmpeg); Smooth Streaming needs a Smooth player (dash.js on /player/), HEVC one that decodes it (not Chromium)\n\n")
	return nil
}

// demoReason says why serve --demo skipped an asset.
func demoReason(err error) string {
	if errors.Is(err, packager.ErrNoTrackFiles) {
		return "no track files (.mp4, .cmfv, .ismv, …) and no .ism"
	}
	return err.Error()
}

const (
	demoIssuer   = "https://drmorigin.demo/"
	demoAudience = "urn:drmorigin:demo"
)

func loopbackHost(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func fetchPaths(ctx context.Context, adminURL, token, locator string) ([]string, error) {
	var out struct {
		StreamingPaths []struct{ Paths []string } `json:"streamingPaths"`
	}
	if err := adminCall(ctx, adminURL, token, http.MethodPost, "/api/v1/streamingLocators/"+locator+"/listPaths", nil, &out); err != nil {
		return nil, err
	}
	var paths []string
	for _, sp := range out.StreamingPaths {
		paths = append(paths, sp.Paths...)
	}
	return paths, nil
}

// adminCall makes one management API request and decodes a JSON answer into
// out (when out is not nil). An error answer is an *apiError.
func adminCall(ctx context.Context, adminURL, token, method, path string, body []byte, out any) error {
	_, data, err := adminDo(ctx, adminURL, token, method, path, body)
	if err != nil || out == nil {
		return err
	}
	if w, ok := out.(io.Writer); ok {
		_, err := w.Write(data)
		return err
	}
	return json.Unmarshal(data, out)
}

// hevcAsset reports whether the asset has an HEVC track, which the demo
// player page's browser (Chromium) cannot decode.
func hevcAsset(lib *packager.Library, name string) bool {
	a, err := lib.Asset(name)
	if err != nil {
		return false
	}
	for _, t := range a.Tracks {
		if strings.HasPrefix(t.Codecs, "hvc1") || strings.HasPrefix(t.Codecs, "hev1") {
			return true
		}
	}
	return false
}
