package origin

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/origin/token"
	"github.com/drmorigin/drmorigin/packager"
)

// Limits of the streaming and management listeners (quality.md, Safe).
const (
	// MaxRequestLineLen: a longer request line (method, URI and version)
	// gets 414, checked before the header total.
	MaxRequestLineLen = 8 << 10
	// MaxHeaderBytes: request headers past this get 431.
	MaxHeaderBytes = 16 << 10
	// MaxAdminBodyBytes: a larger management request body gets 413.
	MaxAdminBodyBytes = 1 << 20
	// MaxStreamBodyBytes: the streaming listener takes small bodies only
	// (ClearKey license requests).
	MaxStreamBodyBytes = 64 << 10
)

// Config is what the origin needs beyond its collaborators. Zero values take
// the defaults of spec/README.md.
type Config struct {
	// Listen is the streaming and key delivery address.
	Listen string
	// AdminListen is the management API and metrics address.
	AdminListen string
	// AdminToken is the bearer token the management API requires.
	AdminToken string
	// PublicBaseURL is the URL players reach this origin at, for key and
	// license URLs in manifests; empty derives it from each request.
	PublicBaseURL string
	// ManifestCacheControl is the Cache-Control value of manifests and
	// playlists.
	ManifestCacheControl string
	// ManifestCacheEntries bounds the generated-manifest cache.
	ManifestCacheEntries int
	// ReadTimeout, WriteTimeout and IdleTimeout bound slow and idle
	// connections so that they cannot starve the others.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// StoreTimeout bounds one store lookup on a cache miss.
	StoreTimeout time.Duration
	// PlayerDir, when set, enables the demo player page at /player/: the
	// directory holding player.html and the node_modules that `make web`
	// installs.
	PlayerDir string
	// KeyAllowedOrigins limits which browser origins may call key delivery
	// (their Origin is echoed); empty allows any.
	KeyAllowedOrigins []string
	// TokenSkew is the clock skew allowed on token exp/nbf; zero takes the
	// token package's default.
	TokenSkew time.Duration
	// ShutdownTimeout bounds how long Serve waits, once its context is
	// done, for requests in flight to finish; default 25s.
	ShutdownTimeout time.Duration
	// Logger receives the origin's logs, fasthttp's among them; nil logs
	// nothing. No secret is ever logged: not a token, a key, the admin
	// token or a request's query, headers or body.
	Logger *slog.Logger
	// AuditLogger receives one line per change made through the
	// management API (who, what, when; never a body or a key) and per
	// refused management request; nil is Logger.
	AuditLogger *slog.Logger
	// AccessLog receives one line per request of the streaming listener,
	// in AccessLogFormat; nil writes none (and costs nothing).
	AccessLog io.Writer
	// AccessLogFormat is the form of the access log's lines:
	// AccessLogCombined (the default) or AccessLogJSON.
	AccessLogFormat AccessLogFormat
	// TLSCert and TLSKey are PEM files of the streaming listener's
	// certificate (with its chain) and private key. Set together, they turn
	// on TLS: on the streaming listener, or, with TLSListen, on a listener
	// of its own while the streaming listener stays plain HTTP. The files
	// are read again every TLSReloadInterval and a changed pair is used for
	// new connections (a pair that does not load is logged, the old one
	// kept).
	TLSCert, TLSKey string
	// TLSListen is the HTTPS address when the streaming listener should
	// stay plain HTTP (ServeListeners' TLS listener).
	TLSListen string
	// TLSReloadInterval is how often the TLS files are checked; default
	// DefaultTLSReloadInterval.
	TLSReloadInterval time.Duration
	// IngestListen is the live ingest listener's address (live.md,
	// "Ingest"); default :8082.
	IngestListen string
	// IngestBaseURL is the base of the ingest URLs a live event's GET
	// gives encoders ({IngestBaseURL}/{event}/{accessToken}/ingest.isml);
	// empty derives it from the ingest listener's address.
	IngestBaseURL string
	// IngestStallTimeout ends an ingest POST that sends no byte for this
	// long (408); default 30s. A feed may last for days: no other timeout
	// bounds its body.
	IngestStallTimeout time.Duration
	// Metrics is the registry the origin registers its metrics on and
	// /metrics serves; nil means Prometheus's default registry (where
	// the storage metrics and the Go runtime's are).
	Metrics *prometheus.Registry
}

// defaultManifestCacheControl is ManifestCacheControl's default.
const defaultManifestCacheControl = "public, max-age=30"

func (c *Config) setDefaults() {
	if c.Listen == "" {
		c.Listen = ":8080"
	}
	if c.AdminListen == "" {
		c.AdminListen = "127.0.0.1:8081"
	}
	if c.ManifestCacheControl == "" {
		c.ManifestCacheControl = defaultManifestCacheControl
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 25 * time.Second
	}
	if c.ManifestCacheEntries == 0 {
		c.ManifestCacheEntries = 4096
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 10 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 60 * time.Second
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 60 * time.Second
	}
	if c.IngestListen == "" {
		c.IngestListen = ":8082"
	}
	if c.IngestStallTimeout == 0 {
		c.IngestStallTimeout = 30 * time.Second
	}
	if c.StoreTimeout == 0 {
		c.StoreTimeout = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.AuditLogger == nil {
		c.AuditLogger = c.Logger
	}
	if c.AccessLogFormat == "" {
		c.AccessLogFormat = AccessLogCombined
	}
}

// validate reports a Config that cannot work.
func (c *Config) validate() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("origin: TLS needs both a certificate and a key file")
	}
	if c.TLSListen != "" && c.TLSCert == "" {
		return errors.New("origin: a TLS listen address needs a certificate and a key file")
	}
	switch c.AccessLogFormat {
	case AccessLogCombined, AccessLogJSON:
		return nil
	}
	return fmt.Errorf("origin: access log format %q: want %q or %q", c.AccessLogFormat, AccessLogCombined, AccessLogJSON)
}

// locatorResolver is what the streaming path needs from keyclient.
type locatorResolver interface {
	Resolve(ctx context.Context, name string) (*keyclient.Resolved, error)
	// ResolveAt is Resolve for a request that arrived at now.
	ResolveAt(ctx context.Context, name string, now time.Time) (*keyclient.Resolved, error)
	// Filter returns the filter a name means for an asset (players.md).
	Filter(ctx context.Context, asset, name string) (*keyclient.ResolvedFilter, error)
}

var _ locatorResolver = (*keyclient.Resolver)(nil)

// assetLibrary is what the origin needs from packager.
type assetLibrary interface {
	Asset(name string) (*packager.Asset, error)
	// List returns the asset names, sorted.
	List() ([]string, error)
}

var _ assetLibrary = (*packager.Library)(nil)

// Server is the origin: the streaming listener and the management listener.
type Server struct {
	Config   Config
	Assets   assetLibrary
	Resolver locatorResolver
	// Service backs the management API and key delivery.
	Service *keyclient.Service
	// Ready reports whether the origin can serve (e.g. the store answers);
	// nil means always ready.
	Ready func(ctx context.Context) error
	// Ingester is the live room: it takes the ingest listener's feeds and
	// hears of live events started and stopped and live outputs created
	// and deleted. nil: live resources are kept, and the ingest listener
	// answers 503 (a build without the live room).
	Ingester live.Ingester

	settings  atomic.Pointer[Settings]
	manifests *manifestCache
	views     viewCache // filter views (filter_views.go)
	verifier  *token.Verifier
	keys      keyCache
	stream    *fasthttp.Server
	admin     *fasthttp.Server
	wg        sync.WaitGroup
	// streamPort is the streaming listener's port, for CPIX exports answered on
	// the management listener (exportBaseURL).
	streamPort     atomic.Int32
	now            func() time.Time
	metrics        *metrics
	metricsHandler fasthttp.RequestHandler
	access         *accessLog    // nil: no access log
	adminWho       string        // who the audit log says made a change: the admin token's fingerprint
	certs          *certReloader // nil without TLS

	ingest        *fasthttp.Server
	ingestMetrics *ingestMetrics
	ingestAddr    atomic.Pointer[net.TCPAddr] // the ingest listener's address once it listens
	// feeds is cancelled when the drain starts: ingest POSTs never end on
	// their own, so the drain ends them (the encoder reconnects).
	feeds     context.Context
	stopFeeds context.CancelFunc
	announced liveAnnounced // the live outputs the live room was given
	notices   liveNotices   // live fragments to announce to the replicas
}

// Initialize fills defaults and builds the HTTP servers. It must be called
// once before Serve or the handlers. It sets the Service's AssetCheck (a
// new locator's asset must exist in Assets) and AssetTracks (its keys'
// usage rules are checked against the asset's tracks) unless set, and, when
// Assets is a packager.Library, observes its builds to log the tracks an
// asset is served without.
func (s *Server) Initialize() error {
	if s.Assets == nil || s.Resolver == nil || s.Service == nil {
		return errors.New("origin: Assets, Resolver and Service are required")
	}
	s.Config.setDefaults()
	if err := s.Config.validate(); err != nil {
		return err
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.SetSettings(Settings{ManifestCacheControl: s.Config.ManifestCacheControl, KeyAllowedOrigins: s.Config.KeyAllowedOrigins})
	if s.Service.AssetCheck == nil {
		s.Service.AssetCheck = s.checkAsset
	}
	if s.Service.AssetTracks == nil {
		s.Service.AssetTracks = s.assetTracks
	}
	if o, ok := s.Assets.(buildObserver); ok {
		o.Observe(s.assetBuilt)
	}
	s.manifests = newManifestCache(s.Config.ManifestCacheEntries)
	s.verifier = &token.Verifier{Skew: s.Config.TokenSkew, Now: s.now}
	var reg prometheus.Registerer = prometheus.DefaultRegisterer
	s.metricsHandler = defaultMetricsHandler
	if s.Config.Metrics != nil {
		reg = s.Config.Metrics
		s.metricsHandler = fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(s.Config.Metrics, promhttp.HandlerOpts{}))
	}
	s.metrics = newMetrics(reg)
	watchCaches(reg, s.Resolver, s.Assets)
	if s.Config.AccessLog != nil {
		s.access = newAccessLog(s.Config.AccessLog, s.Config.AccessLogFormat)
	}
	s.adminWho = "admin"
	if s.Config.AdminToken != "" {
		// A fingerprint tells tokens apart across a rotation; 32 bits of
		// a hash say nothing useful of a generated token.
		sum := sha256.Sum256([]byte("drmorigin admin token\x00" + s.Config.AdminToken))
		s.adminWho = "admin:" + hex.EncodeToString(sum[:4])
	}
	if s.Config.TLSCert != "" {
		c, err := newCertReloader(s.Config.TLSCert, s.Config.TLSKey, s.Config.TLSReloadInterval, s.Config.Logger)
		if err != nil {
			return err
		}
		s.certs = c
	}
	s.stream = &fasthttp.Server{
		Name:               "drmorigin",
		Handler:            s.handleStream,
		ErrorHandler:       func(ctx *fasthttp.RequestCtx, err error) { s.handleReadError(ctx, err, listenerStream) },
		Logger:             fasthttpLogger{s.Config.Logger.With("listener", listenerNames[listenerStream])},
		ConnState:          s.connState,
		ReadBufferSize:     MaxRequestLineLen + MaxHeaderBytes,
		MaxRequestBodySize: MaxStreamBodyBytes,
		WriteBufferSize:    streamWriteBuffer,
		ReadTimeout:        s.Config.ReadTimeout,
		WriteTimeout:       s.Config.WriteTimeout,
		IdleTimeout:        s.Config.IdleTimeout,
		// Players and CDNs hold keep-alive connections that sit idle
		// between segments. By default fasthttp keeps each connection's
		// response body buffer, that is a segment-sized buffer per idle
		// connection (1.2 GB for 1,000 connections after 1.2 MB
		// segments). Released, the buffers go back to a shared pool and
		// memory follows the requests in flight, not the connections.
		ReduceMemoryUsage: true,
		// While draining, keep-alive clients are told to reconnect
		// (elsewhere) rather than send another request here.
		CloseOnShutdown:               true,
		DisableHeaderNamesNormalizing: false,
		NoDefaultServerHeader:         false,
		NoDefaultDate:                 false,
	}
	s.ingestMetrics = newIngestMetrics(reg)
	if a, ok := s.Ingester.(archiveStatser); ok {
		registerArchiveMetrics(reg, a)
	}
	s.feeds, s.stopFeeds = context.WithCancel(context.Background())
	s.ingest = s.newIngestServer()
	s.admin = &fasthttp.Server{
		Name:               "drmorigin-admin",
		Handler:            s.handleAdmin,
		ErrorHandler:       func(ctx *fasthttp.RequestCtx, err error) { s.handleReadError(ctx, err, listenerAdmin) },
		Logger:             fasthttpLogger{s.Config.Logger.With("listener", listenerNames[listenerAdmin])},
		ConnState:          s.connState,
		ReadBufferSize:     MaxRequestLineLen + MaxHeaderBytes,
		MaxRequestBodySize: MaxAdminBodyBytes,
		ReadTimeout:        s.Config.ReadTimeout,
		WriteTimeout:       s.Config.WriteTimeout,
		IdleTimeout:        s.Config.IdleTimeout,
		CloseOnShutdown:    true,
	}
	return nil
}

// connState hears fasthttp's connection states: once a request is
// answered (StateIdle), the next bytes start the next request line.
func (s *Server) connState(c net.Conn, st fasthttp.ConnState) {
	if st == fasthttp.StateIdle {
		if lc := lineConnOf(c); lc != nil {
			lc.next()
		}
	}
}

// checkLimits answers 414 and 431 for requests that fit the read buffer but
// break the named limits. It reports whether the request may go on.
func checkLimits(ctx *fasthttp.RequestCtx) bool {
	h := &ctx.Request.Header
	if len(h.Method())+1+len(h.RequestURI())+1+len(h.Protocol()) > MaxRequestLineLen {
		plainError(ctx, fasthttp.StatusRequestURITooLong, "request URI too long")
		return false
	}
	if len(ctx.Request.Header.RawHeaders()) > MaxHeaderBytes {
		plainError(ctx, fasthttp.StatusRequestHeaderFieldsTooLarge, "request header fields too large")
		return false
	}
	return true
}

// Serve serves both listeners until ctx is done, then drains them: the
// listeners close, idle connections are closed, keep-alive responses say
// "Connection: close", and requests in flight get Config.ShutdownTimeout
// to finish. It logs when the drain starts and how it ended; connections
// still busy at the timeout are left to the process's exit.
func (s *Server) Serve(ctx context.Context, stream, admin net.Listener) error {
	return s.ServeListeners(ctx, Listeners{Stream: stream, Admin: admin})
}

// ServeWithIngest is Serve with the live ingest listener as well (nil:
// none).
func (s *Server) ServeWithIngest(ctx context.Context, stream, admin, ingest net.Listener) error {
	return s.ServeListeners(ctx, Listeners{Stream: stream, Admin: admin, Ingest: ingest})
}

// Listeners are the listeners Serve serves.
type Listeners struct {
	// Stream is the streaming listener: HTTPS when TLS is on and
	// Config.TLSListen is empty, else plain HTTP.
	Stream net.Listener
	// Admin is the management listener.
	Admin net.Listener
	// TLS is the HTTPS listener of Config.TLSListen (nil without it).
	TLS net.Listener
	// Ingest is the live ingest listener (nil: none).
	Ingest net.Listener
}

// ServeListeners serves the listeners until ctx is done, then drains them
// (Serve). Before the listeners serve it tells the live room which events
// run and which outputs exist (restoreLive, retried while the store does
// not answer). When the drain starts, the feeds in flight are ended
// (their encoders reconnect, to this origin restarted or another).
func (s *Server) ServeListeners(ctx context.Context, ls Listeners) error {
	stream := ls.Stream
	var secure net.Listener
	switch {
	case s.certs == nil && ls.TLS != nil:
		return errors.New("serve: a TLS listener without Config.TLSCert and TLSKey")
	case s.certs != nil && s.Config.TLSListen != "" && ls.TLS == nil:
		return fmt.Errorf("serve: Config.TLSListen is %s, but no TLS listener was given", s.Config.TLSListen)
	case s.certs != nil && ls.TLS != nil:
		secure = tls.NewListener(ls.TLS, s.certs.tlsConfig())
	case s.certs != nil:
		stream = tls.NewListener(stream, s.certs.tlsConfig())
	}
	errc := make(chan error, 4)
	if a, ok := stream.Addr().(*net.TCPAddr); ok {
		s.streamPort.Store(int32(a.Port))
	}
	servers := []*fasthttp.Server{s.stream, s.admin}
	if ls.Ingest != nil {
		if a, ok := ls.Ingest.Addr().(*net.TCPAddr); ok {
			s.ingestAddr.Store(a)
		}
		servers = append(servers, s.ingest)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); errc <- s.ingest.Serve(ls.Ingest) }()
	}
	// The live room's restore and sync end with Serve, whatever ends it.
	lctx, lcancel := context.WithCancel(ctx)
	restored, synced := make(chan struct{}), make(chan struct{})
	go func() { defer close(restored); s.restoreLive(lctx) }()
	go func() { defer close(synced); s.syncLive(lctx) }()
	published := make(chan struct{})
	go func() { defer close(published); s.publishLive(lctx) }()
	defer func() { lcancel(); <-restored; <-synced; <-published }()
	if s.access != nil {
		stop := make(chan struct{})
		flushed := make(chan struct{})
		go func() { s.access.run(stop); close(flushed) }()
		defer func() { close(stop); <-flushed }()
	}
	if s.certs != nil {
		reload, stop := context.WithCancel(ctx)
		defer stop()
		go s.certs.run(reload)
	}
	// Keep-alive connections of the streaming listener wait for their next
	// request in turns (conn_turns_linux.go); without epoll, in the Go
	// poller.
	tn, terr := newTurns()
	if terr != nil {
		s.Config.Logger.Warn("keep-alive connections wait in the Go poller, not in arrival order", "err", terr)
	}
	if tn != nil {
		defer tn.close() // after the drain below: no connection waits any more
	}
	s.wg.Add(2)
	go func() { defer s.wg.Done(); errc <- s.stream.Serve(lineListener{stream, tn}) }()
	go func() { defer s.wg.Done(); errc <- s.admin.Serve(lineListener{ls.Admin, nil}) }()
	if secure != nil {
		// The same server, so one Shutdown drains both listeners. TLS
		// connections have no socket of their own: no turns.
		s.wg.Add(1)
		go func() { defer s.wg.Done(); errc <- s.stream.Serve(lineListener{secure, nil}) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	start := time.Now()
	log := s.Config.Logger
	log.Info("draining: listeners closed, waiting for requests in flight", "timeout", s.Config.ShutdownTimeout)
	shut, cancel := context.WithTimeout(context.Background(), s.Config.ShutdownTimeout)
	defer cancel()
	var drain sync.WaitGroup
	var timedOut atomic.Bool
	s.stopFeeds()
	for _, srv := range servers {
		drain.Go(func() {
			if srv.ShutdownWithContext(shut) != nil && shut.Err() != nil {
				timedOut.Store(true)
			}
		})
	}
	drain.Wait()
	s.wg.Wait()
	if timedOut.Load() {
		log.Warn("shutdown timed out: requests still in flight are cut off", "timeout", s.Config.ShutdownTimeout)
	} else {
		log.Info("shutdown complete: every request in flight finished", "took", time.Since(start).Round(time.Millisecond))
	}
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// StreamHandler is the streaming listener's handler, for in-process
// benchmarks and tests (Serve is the way to run it).
func (s *Server) StreamHandler() fasthttp.RequestHandler { return s.handleStream }

// finish records an answered request: metrics, and the access log for the
// streaming listener. start is when its handling began.
func (s *Server) finish(ctx *fasthttp.RequestCtx, l listener, info reqInfo, start time.Time) {
	took := time.Since(start)
	status := ctx.Response.StatusCode()
	n := 0
	switch {
	case ctx.IsHead():
	case ctx.Response.IsBodyStream():
		n = max(ctx.Response.Header.ContentLength(), 0)
	default:
		n = len(ctx.Response.Body())
	}
	s.metrics.request(l, info, status, n, took)
	if s.access != nil && l == listenerStream {
		s.access.log(ctx, start, status, n, took)
	}
}
