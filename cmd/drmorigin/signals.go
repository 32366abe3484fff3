package main

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"syscall"

	"github.com/drmorigin/drmorigin/origin"
)

// Signals of serve:
//
//   - SIGHUP reads the configuration again (file, environment and the
//     flags given at start) and applies what a running origin can change:
//     log.level, cache.manifestControl and keys.allowedOrigins (and TLS
//     files, once the listeners serve TLS: reloadTLS). It logs what it
//     applied and which changed keys wait for a restart. A configuration
//     that does not load is logged and the running one kept.
//   - SIGTERM and SIGINT stop the listeners and drain requests in flight
//     within shutdown.timeout (origin.Server.Serve logs the drain).

// reloadable are the keys SIGHUP applies.
var reloadable = map[string]bool{"log.level": true, "cache.manifestControl": true, "keys.allowedOrigins": true, "strict": true}

// signalName names the signals serve handles as operators write them.
func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGTERM:
		return "SIGTERM"
	case os.Interrupt:
		return "SIGINT"
	}
	return s.String()
}

// reloader applies a new configuration to a running serve.
type reloader struct {
	running *config // what runs: the reloadable keys as last applied, the others as at start
	load    func() (*config, error)
	level   *slog.LevelVar
	srv     *origin.Server
	logger  *slog.Logger
}

// watchSignals handles sigs until ctx is done or a stop signal arrives,
// which it logs before calling stop.
func (r *reloader) watchSignals(ctx context.Context, sigs <-chan os.Signal, stop context.CancelFunc) {
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				r.reload()
				continue
			}
			r.logger.Info(signalName(sig)+": shutting down", "timeout", r.running.ShutdownTimeout)
			stop()
			return
		}
	}
}

func (r *reloader) reload() {
	c, err := r.load()
	if err != nil {
		r.logger.Error("SIGHUP: configuration not reloaded; the running one stays", "err", err)
		return
	}
	for _, w := range c.warnings {
		r.logger.Warn("configuration: " + w)
	}
	var applied, restart []string
	attrs := []any{}
	for _, d := range defaults {
		if c.values[d.key] == r.running.values[d.key] {
			continue
		}
		if !reloadable[d.key] {
			restart = append(restart, d.key)
			continue
		}
		applied = append(applied, d.key)
		attrs = append(attrs, d.key, displayValue(d.key, c.values[d.key]))
		r.running.values[d.key] = c.values[d.key]
	}
	if l, err := parseLevel(c.LogLevel); err == nil {
		r.level.Set(l)
	}
	r.srv.SetSettings(origin.Settings{ManifestCacheControl: c.ManifestCache, KeyAllowedOrigins: c.KeyOrigins})
	applied = append(applied, reloadTLS(r.running, c)...)
	r.running.LogLevel, r.running.ManifestCache, r.running.KeyOrigins = c.LogLevel, c.ManifestCache, c.KeyOrigins
	file := c.file
	if file == "" {
		file = "none (environment and flags only)"
	}
	if len(applied) == 0 && len(restart) == 0 {
		r.logger.Info("SIGHUP: configuration reloaded; nothing changed", "file", file)
		return
	}
	attrs = append(attrs, "file", file, "applied", strings.Join(applied, " "))
	if len(restart) > 0 {
		attrs = append(attrs, "restart_needed", strings.Join(restart, " "))
	}
	r.logger.Info("SIGHUP: configuration reloaded", attrs...)
}

// reloadTLS is where SIGHUP re-reads TLS certificate and key files, once
// the listeners serve TLS (they do not yet: TLS ends at a proxy or CDN in
// front): load the new pair, check it, swap it into the tls.Config's
// GetCertificate, and return the keys applied. A failure must keep the
// running pair and be logged, like a configuration that does not load.
func reloadTLS(running, next *config) []string { return nil }
