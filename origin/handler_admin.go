package origin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http/pprof"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/storage"
)

const apiPrefix = "/api/v1/"

var (
	defaultMetricsHandler = fasthttpadaptor.NewFastHTTPHandler(promhttp.Handler())
	pprofHandler          = fasthttpadaptor.NewFastHTTPHandlerFunc(pprof.Index)
	pprofProfile          = fasthttpadaptor.NewFastHTTPHandlerFunc(pprof.Profile)
	pprofSymbol           = fasthttpadaptor.NewFastHTTPHandlerFunc(pprof.Symbol)
	pprofTrace            = fasthttpadaptor.NewFastHTTPHandlerFunc(pprof.Trace)
)

// handleAdmin is the management listener's handler: the router, then the
// request's metrics.
func (s *Server) handleAdmin(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	kind := s.routeAdmin(ctx)
	s.finish(ctx, listenerAdmin, reqInfo{kind: kind, format: -1, enc: -1}, start)
}

// routeAdmin is the management listener's router: /metrics is open (the
// listener is loopback by default), everything else needs the bearer
// token.
func (s *Server) routeAdmin(ctx *fasthttp.RequestCtx) reqKind {
	if !checkLimits(ctx) {
		return reqOther
	}
	path := string(ctx.Path())
	if path == "/metrics" {
		s.metricsHandler(ctx)
		return reqOther
	}
	if !s.adminAuthorized(ctx) {
		return reqOther
	}
	kind := reqOther
	switch {
	case strings.HasPrefix(path, "/debug/pprof/"):
		switch strings.TrimPrefix(path, "/debug/pprof/") {
		case "profile":
			pprofProfile(ctx)
		case "symbol":
			pprofSymbol(ctx)
		case "trace":
			pprofTrace(ctx)
		default:
			pprofHandler(ctx)
		}
	case strings.HasPrefix(path, apiPrefix):
		kind = reqAPI
		parts, ok := apiParts(ctx, path)
		if !ok {
			apiError(ctx, fasthttp.StatusBadRequest, "BadRequest", "malformed percent-encoding in the path", "")
			return kind
		}
		s.handleAPI(ctx, parts)
		s.audit(ctx, parts)
	default:
		apiError(ctx, fasthttp.StatusNotFound, "NotFound", "no such route", "")
	}
	return kind
}

// apiParts splits the management path after /api/v1/ into its segments,
// each percent-decoded on its own, so that a name holding an encoded
// slash ("a%2Fb") stays one segment (and is refused as a name) rather than
// becoming two. path is the decoded, normalized path, for requests whose
// raw path does not start with the prefix.
func apiParts(ctx *fasthttp.RequestCtx, path string) ([]string, bool) {
	raw := string(ctx.Request.URI().PathOriginal())
	if !strings.HasPrefix(raw, apiPrefix) {
		return strings.Split(strings.TrimPrefix(path, apiPrefix), "/"), true
	}
	parts := strings.Split(strings.TrimPrefix(raw, apiPrefix), "/")
	for i, p := range parts {
		d, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = d
	}
	return parts, true
}

// adminAuthorized checks the bearer token in constant time and answers 401
// when it is missing or wrong.
func (s *Server) adminAuthorized(ctx *fasthttp.RequestCtx) bool {
	auth := ctx.Request.Header.Peek("Authorization")
	const prefix = "Bearer "
	if len(auth) > len(prefix) && strings.EqualFold(string(auth[:len(prefix)]), prefix) && s.Config.AdminToken != "" &&
		subtle.ConstantTimeCompare(auth[len(prefix):], []byte(s.Config.AdminToken)) == 1 {
		return true
	}
	ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="drmorigin-admin"`)
	reason := "missing token"
	if len(auth) > 0 {
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="drmorigin-admin", error="invalid_token"`)
		reason = "invalid token"
	}
	s.Config.AuditLogger.Warn("management request refused", "reason", reason, "remote", remoteIP(ctx),
		"method", string(appendEscaped(nil, ctx.Method(), 16)), "path", string(appendEscaped(nil, pathOf(ctx), MaxLoggedPath)))
	apiError(ctx, fasthttp.StatusUnauthorized, "Unauthorized", "a valid bearer token is required", "")
	return false
}

func (s *Server) handleAPI(ctx *fasthttp.RequestCtx, parts []string) {
	c, cancel := context.WithTimeout(context.Background(), s.Config.StoreTimeout*2)
	defer cancel()
	method := string(ctx.Method())
	switch {
	case parts[0] == "assets" && len(parts) >= 3 && parts[2] == string(keyclient.KindAssetFilters):
		s.handleFilters(ctx, method, keyclient.FilterRef{Kind: keyclient.KindAssetFilters, Asset: parts[1]}, parts[3:])
		return
	case parts[0] == "assets":
		s.handleAssets(ctx, method, parts[1:])
		return
	case parts[0] == string(keyclient.KindAccountFilters):
		s.handleFilters(ctx, method, keyclient.FilterRef{Kind: keyclient.KindAccountFilters}, parts[1:])
		return
	}
	if parts[0] == "cpixRecipient" && len(parts) == 1 {
		s.cpixRecipient(c, ctx, method)
		return
	}
	if parts[0] == string(keyclient.KindLiveEvents) {
		s.handleLive(c, ctx, method, parts[1:])
		return
	}
	kind := keyclient.Kind(parts[0])
	switch kind {
	case keyclient.KindContentKeyPolicies, keyclient.KindStreamingPolicies, keyclient.KindStreamingLocators, keyclient.KindCPIXRecipients:
	default:
		apiError(ctx, fasthttp.StatusNotFound, "NotFound", "no such collection", "")
		return
	}
	switch {
	case len(parts) == 1 || (len(parts) == 2 && parts[1] == ""):
		if method != fasthttp.MethodGet {
			methodNotAllowed(ctx, "GET")
			return
		}
		s.list(c, ctx, kind)
	case len(parts) == 2:
		name := parts[1]
		switch method {
		case fasthttp.MethodPut:
			out, created, err := s.Service.Put(c, kind, name, ctx.PostBody())
			if err != nil {
				s.apiFail(ctx, err)
				return
			}
			if created {
				ctx.SetStatusCode(fasthttp.StatusCreated)
				if kind == keyclient.KindStreamingLocators {
					s.warnAsset(ctx, out)
				}
			}
			writeJSONRaw(ctx, out)
		case fasthttp.MethodGet:
			out, err := s.Service.Get(c, kind, name)
			if err != nil {
				s.apiFail(ctx, err)
				return
			}
			writeJSONRaw(ctx, out)
		case fasthttp.MethodDelete:
			if err := s.Service.Delete(c, kind, name); err != nil {
				s.apiFail(ctx, err)
				return
			}
			ctx.SetStatusCode(fasthttp.StatusNoContent)
		default:
			methodNotAllowed(ctx, "GET, PUT, DELETE")
		}
	case len(parts) == 3 && kind == keyclient.KindStreamingLocators && parts[2] == "cpix":
		if method != fasthttp.MethodGet {
			methodNotAllowed(ctx, "GET")
			return
		}
		s.exportCPIX(c, ctx, parts[1])
	case len(parts) == 3 && kind == keyclient.KindStreamingLocators:
		if method != fasthttp.MethodPost {
			methodNotAllowed(ctx, "POST")
			return
		}
		switch parts[2] {
		case "listContentKeys":
			keys, err := s.Service.ListContentKeys(c, parts[1])
			if err != nil {
				s.apiFail(ctx, err)
				return
			}
			writeJSON(ctx, map[string]any{"contentKeys": keys})
		case "listPaths":
			s.listPaths(c, ctx, parts[1])
		default:
			apiError(ctx, fasthttp.StatusNotFound, "NotFound", "no such action", "")
		}
	default:
		apiError(ctx, fasthttp.StatusNotFound, "NotFound", "no such route", "")
	}
}

func (s *Server) list(c context.Context, ctx *fasthttp.RequestCtx, kind keyclient.Kind) {
	args := ctx.QueryArgs()
	top, ok := pageSize(ctx)
	if !ok {
		return
	}
	items, next, err := s.Service.List(c, kind, string(args.Peek("$skiptoken")), top)
	if err != nil {
		s.apiFail(ctx, err)
		return
	}
	out := map[string]any{"value": items}
	if next != "" {
		out["nextLink"] = apiPrefix + string(kind) + "?$top=" + strconv.Itoa(top) + "&$skiptoken=" + urlQueryEscape(next)
	}
	writeJSON(ctx, out)
}

type streamingPath struct {
	StreamingProtocol string   `json:"streamingProtocol"`
	EncryptionScheme  string   `json:"encryptionScheme"`
	Paths             []string `json:"paths"`
}

var (
	protocolNames = map[string]string{"dash": "Dash", "hls": "Hls", "smooth": "SmoothStreaming"}
	schemeNames   = map[keyclient.Scheme]string{
		keyclient.SchemeClear: "NoEncryption", keyclient.SchemeEnvelope: "EnvelopeEncryption",
		keyclient.SchemeCENC: "CommonEncryptionCenc", keyclient.SchemeCBCS: "CommonEncryptionCbcs",
	}
	allFormats = []Format{FormatMPDTimeCSF, FormatMPDTimeCMAF, FormatM3U8CMAF, FormatM3U8AAPL, FormatM3U8AAPLV3, FormatSmooth}
	// m3u8-aapl-v4 is m3u8-aapl under another name: listPaths gives one.
)

// listPaths answers every streaming path the locator can be played with now:
// for each protocol and scheme its policy enables, each format of the
// protocol that can carry the scheme and that this build implements.
func (s *Server) listPaths(c context.Context, ctx *fasthttp.RequestCtx, name string) {
	loc, err := s.Service.Locator(c, name)
	if err != nil {
		s.apiFail(ctx, err)
		return
	}
	pol, err := s.Service.StreamingPolicy(c, loc.StreamingPolicyName)
	if err != nil {
		s.apiFail(ctx, err)
		return
	}
	manifestName := loc.AssetName
	if a, err := s.Assets.Asset(loc.AssetName); err == nil {
		manifestName = a.ManifestName
	}
	out := []streamingPath{}
	for _, proto := range []string{"dash", "hls", "smooth"} {
		for _, sc := range pol.Schemes(keyclient.Protocol(proto)) {
			sp := streamingPath{StreamingProtocol: protocolNames[proto], EncryptionScheme: schemeNames[sc], Paths: []string{}}
			for _, f := range allFormats {
				if f.Protocol() != proto {
					continue
				}
				tags := []Encryption{EncryptionUnset}
				if sc != keyclient.SchemeClear {
					tags = nil
					for _, e := range allowed[f] {
						if keyclient.Scheme(e.Scheme()) == sc && e != EncryptionPIFF {
							tags = append(tags, e)
						}
					}
				}
				for _, e := range tags {
					if !implemented(f, e) {
						continue
					}
					r := StreamRequest{Format: f, HasFormat: f != FormatSmooth}
					p := "/" + loc.Name + "/" + manifestName + ".ism/manifest"
					if o := r.URLOptions(e); o != "" {
						p += "(" + o + ")"
					}
					sp.Paths = append(sp.Paths, p)
				}
			}
			if len(sp.Paths) > 0 {
				out = append(out, sp)
			}
		}
	}
	writeJSON(ctx, map[string]any{"streamingPaths": out})
}

// implemented reports whether this build can serve format f with encryption
// e: the one switch that listPaths and the handlers' fail-closed gate share.
func implemented(f Format, e Encryption) bool {
	return f.Allows(e)
}

// pageSize reads a collection's $top (1 to 1000, default 100); on a bad
// one it answers 400 and returns false.
func pageSize(ctx *fasthttp.RequestCtx) (int, bool) {
	v := ctx.QueryArgs().Peek("$top")
	if len(v) == 0 {
		return 100, true
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 1 || n > 1000 {
		apiError(ctx, fasthttp.StatusBadRequest, "BadRequest", "$top must be an integer from 1 to 1000", "$top")
		return 0, false
	}
	return n, true
}

// warnAsset adds a Warning header (RFC 9110's 199, "miscellaneous
// warning") to the answer of a new locator whose asset cannot be served,
// or only partly: the locator is created, and the operator told.
func (s *Server) warnAsset(ctx *fasthttp.RequestCtx, locator []byte) {
	var l struct {
		AssetName string `json:"assetName"`
	}
	if json.Unmarshal(locator, &l) != nil {
		return
	}
	if w := s.assetWarning(l.AssetName); w != "" {
		ctx.Response.Header.Set("Warning", "199 drmorigin "+strconv.Quote(w))
	}
}

// apiFail answers a management request's error in the API's JSON error
// shape; statusOf decides the status and message.
func (s *Server) apiFail(ctx *fasthttp.RequestCtx, err error) {
	status, msg := statusOf(err, true)
	if errors.Is(err, keyclient.ErrUnavailable) || errors.Is(err, keyclient.ErrKEK) ||
		status == fasthttp.StatusInternalServerError && !errors.Is(err, storage.ErrUnavailable) {
		s.metrics.storeError("api")
	}
	var target string
	var ve *keyclient.ValidationError
	var fc *keyclient.FieldConflictError
	switch {
	case status == fasthttp.StatusBadRequest && errors.As(err, &ve):
		target = ve.Target
	case status == fasthttp.StatusConflict && errors.As(err, &fc):
		target = fc.Target
	}
	if status == fasthttp.StatusInternalServerError {
		s.Config.Logger.Error("management request failed", "path", string(ctx.Path()), "err", err)
	}
	apiError(ctx, status, apiCode(status), msg, target)
	if status == fasthttp.StatusServiceUnavailable {
		ctx.Response.Header.Set("Retry-After", "1")
	}
}

// apiCode is the management API's error code for a status: its reason
// phrase without spaces ("NotFound"), and AssetCorrupt for 422, the one
// 422 the API gives.
func apiCode(status int) string {
	switch status {
	case fasthttp.StatusUnprocessableEntity:
		return "AssetCorrupt"
	case fasthttp.StatusInternalServerError:
		return "InternalError"
	}
	return strings.ReplaceAll(fasthttp.StatusMessage(status), " ", "")
}

func apiError(ctx *fasthttp.RequestCtx, status int, code, msg, target string) {
	e := map[string]string{"code": code, "message": msg}
	if target != "" {
		e["target"] = target
	}
	ctx.SetStatusCode(status)
	writeJSON(ctx, map[string]any{"error": e})
}

func methodNotAllowed(ctx *fasthttp.RequestCtx, allow string) {
	ctx.Response.Header.Set("Allow", allow)
	apiError(ctx, fasthttp.StatusMethodNotAllowed, "MethodNotAllowed", "method not allowed", "")
}

func writeJSON(ctx *fasthttp.RequestCtx, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		ctx.SetStatusCode(fasthttp.StatusInternalServerError)
		b = []byte(`{"error":{"code":"InternalError","message":"cannot encode the response"}}`)
	}
	writeJSONRaw(ctx, b)
}

func writeJSONRaw(ctx *fasthttp.RequestCtx, b []byte) {
	ctx.SetContentTypeBytes(ctJSON)
	ctx.Response.Header.SetBytesKV(hdrCacheControl, valNoStore)
	ctx.SetBody(b)
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func urlQueryEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
