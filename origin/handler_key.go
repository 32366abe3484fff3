package origin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin/token"
)

// Key delivery (keys.md, "Key delivery"): raw AES-128 keys for HLS and W3C
// ClearKey licenses, each guarded by its KID's content key policy.

const (
	keysAESPrefix = "/keys/aes/"
	keysClearKey  = "/keys/clearkey"
	// maxClearKeyKIDs bounds the kids of one license request.
	maxClearKeyKIDs = 64
)

var (
	valKeyMethods  = []byte("GET, POST, OPTIONS")
	valKeyHeaders  = []byte("Authorization, Content-Type")
	valTrue        = []byte("true")
	hdrACAC        = []byte("Access-Control-Allow-Credentials")
	wwwAuthMissing = `Bearer realm="drmorigin"`
	wwwAuthInvalid = `Bearer realm="drmorigin", error="invalid_token"`
)

// keyCORS sets CORS for key delivery. Players send tokens, so the request's
// Origin is echoed (a wildcard does not cover credentialed requests), when
// it is on the allow-list or the list is empty.
func (s *Server) keyCORS(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	h.SetBytesKV(hdrVary, []byte("Origin"))
	origin := ctx.Request.Header.Peek("Origin")
	if len(origin) == 0 {
		h.SetBytesKV(hdrACAO, valStar)
		return
	}
	if allowed := s.live().KeyAllowedOrigins; len(allowed) > 0 {
		ok := false
		for _, o := range allowed {
			if o == string(origin) {
				ok = true
				break
			}
		}
		if !ok {
			return
		}
	}
	h.SetBytesKV(hdrACAO, origin)
	h.SetBytesKV(hdrACAC, valTrue)
}

// handleKeys serves /keys/…; it reports whether path was a key delivery
// URL, and which kind of request it was.
func (s *Server) handleKeys(ctx *fasthttp.RequestCtx, path string) (reqKind, bool) {
	if !strings.HasPrefix(path, "/keys/") {
		return reqOther, false
	}
	kind := reqKey
	if path == keysClearKey {
		kind = reqLicense
	}
	s.keyCORS(ctx)
	ctx.Response.Header.SetBytesKV(hdrCacheControl, valNoStore)
	if ctx.IsOptions() {
		h := &ctx.Response.Header
		h.SetBytesKV(hdrACAM, valKeyMethods)
		h.SetBytesKV(hdrACAH, valKeyHeaders)
		h.SetBytesKV(hdrACMA, valMaxAge)
		ctx.SetStatusCode(fasthttp.StatusNoContent)
		return kind, true
	}
	switch {
	case strings.HasPrefix(path, keysAESPrefix) && (ctx.IsGet() || ctx.IsHead()):
		s.serveAESKey(ctx, path[len(keysAESPrefix):])
	case path == keysClearKey && ctx.IsPost():
		s.serveClearKey(ctx)
	case strings.HasPrefix(path, keysAESPrefix) || path == keysClearKey:
		plainError(ctx, fasthttp.StatusMethodNotAllowed, "method not allowed")
	default:
		plainError(ctx, fasthttp.StatusNotFound, "not found")
		kind = reqOther
	}
	return kind, true
}

// requestToken is the bearer token of the Authorization header, else the
// token query parameter (for players that cannot set headers).
func requestToken(ctx *fasthttp.RequestCtx) string {
	if auth := ctx.Request.Header.Peek("Authorization"); len(auth) > 7 && strings.EqualFold(string(auth[:7]), "bearer ") {
		return strings.TrimSpace(string(auth[7:]))
	}
	return string(ctx.QueryArgs().Peek("token"))
}

// keyDecision is the outcome of checking one KID against its policy.
type keyDecision struct {
	key    *keyclient.DeliverableKey
	claims *token.Claims // nil for open policies
}

// authorizeKey finds kid's key and applies its content key policy's option
// for configuration type ct (keys.md): open → deliver; token → verify.
func (s *Server) authorizeKey(c context.Context, kid keyclient.KID, ct keyclient.ConfigurationType, raw string) (keyDecision, error) {
	dk, err := s.Service.DeliverableKey(c, kid, s.now())
	if err != nil {
		return keyDecision{}, err
	}
	if dk.Policy == nil {
		return keyDecision{}, errNoPolicy
	}
	opt, ok := dk.Policy.OptionFor(ct)
	if !ok {
		return keyDecision{}, errNoOption
	}
	switch opt.Restriction.Type {
	case keyclient.RestrictionOpen:
		return keyDecision{key: dk}, nil
	case keyclient.RestrictionToken:
		claims, err := s.verifier.Verify(c, &opt.Restriction, raw)
		if err != nil {
			return keyDecision{}, err
		}
		if claims.ContentKeyID != "" {
			ck, err := keyclient.ParseKID(claims.ContentKeyID)
			if err != nil || ck != kid {
				return keyDecision{}, errKIDMismatch
			}
		}
		return keyDecision{key: dk, claims: claims}, nil
	}
	return keyDecision{}, errNoOption
}

// countUse enforces the maxuses claim across replicas: the token's use
// counter lives in the store and expires with the token. A counter that
// cannot be updated refuses the token.
func (s *Server) countUse(c context.Context, claims *token.Claims) error {
	if claims == nil || claims.MaxUses <= 0 {
		return nil
	}
	n, err := s.Service.Store().IncrUses(c, claims.ID, claims.Expiry)
	if err != nil {
		return err
	}
	if n > claims.MaxUses {
		return errMaxUses
	}
	return nil
}

var errForbidden = &httpError{status: fasthttp.StatusForbidden, msg: "forbidden"}

// keyRefusal is a 403 of key delivery with the reason the log and the
// metrics give; the client sees "forbidden" only.
type keyRefusal struct{ reason string }

func (e *keyRefusal) Error() string { return "key refused: " + e.reason }
func (e *keyRefusal) Unwrap() error { return errForbidden }

// Key delivery's own refusals (the token's are token.Reason).
var (
	errNoPolicy    error = &keyRefusal{"no_policy"}        // the key has no content key policy
	errNoOption    error = &keyRefusal{"no_option"}        // its policy has no option for this delivery type
	errKIDMismatch error = &keyRefusal{"kid_mismatch"}     // the token's content key claim names another key
	errMaxUses     error = &keyRefusal{"maxuses_exceeded"} // the token was used maxuses times already
)

// refusalReason is the fixed reason a key was refused for, the
// drmorigin_key_refusals_total label and the log's reason.
func refusalReason(err error) string {
	var kr *keyRefusal
	switch {
	case errors.As(err, &kr):
		return kr.reason
	case token.ReasonOf(err) != "":
		return string(token.ReasonOf(err))
	case errors.Is(err, keyclient.ErrNotFound):
		return "unknown_key"
	case errors.Is(err, keyclient.ErrKEK):
		return "kek_mismatch"
	case errors.Is(err, keyclient.ErrUnavailable):
		return "store_unavailable"
	}
	return "internal"
}

// keyFail answers a key delivery failure with RFC 6750 semantics and no
// detail that helps an attacker; statusOf decides the status. The log
// gets the reason (never the token or a key), refused counts the KIDs
// refused (their metric is already counted when refused is 0).
func (s *Server) keyFail(ctx *fasthttp.RequestCtx, t keyType, kid string, refused int, err error) {
	switch {
	case errors.Is(err, token.ErrMissing):
		ctx.Response.Header.Set("WWW-Authenticate", wwwAuthMissing)
	case errors.Is(err, token.ErrInvalid):
		ctx.Response.Header.Set("WWW-Authenticate", wwwAuthInvalid)
	}
	status, msg := statusOf(err, false)
	reason := refusalReason(err)
	for range refused {
		s.metrics.refused(t, reason)
	}
	switch {
	case status >= 500:
		if !errors.Is(err, token.ErrUnavailable) {
			s.metrics.storeError("key")
		}
		s.Config.Logger.Warn("key delivery failed", "type", keyTypeNames[t], "kid", kid, "status", status,
			"reason", reason, "remote", remoteIP(ctx), "err", err)
	case status == fasthttp.StatusNotFound:
		s.Config.Logger.Debug("key refused", "type", keyTypeNames[t], "kid", kid, "status", status,
			"reason", reason, "remote", remoteIP(ctx))
	default:
		// Token errors say why (expired, wrong audience…) and never
		// quote the token (origin/token).
		s.Config.Logger.Info("key refused", "type", keyTypeNames[t], "kid", kid, "status", status,
			"reason", reason, "remote", remoteIP(ctx), "err", err)
	}
	plainError(ctx, status, msg)
}

func (s *Server) keyContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*s.Config.StoreTimeout)
}

// serveAESKey answers GET /keys/aes/{kid} with the 16-byte key.
func (s *Server) serveAESKey(ctx *fasthttp.RequestCtx, kidText string) {
	kid, err := keyclient.ParseKID(kidText)
	if err != nil {
		s.metrics.refused(keyAES, "unknown_key")
		plainError(ctx, fasthttp.StatusNotFound, "not found")
		return
	}
	c, cancel := s.keyContext()
	defer cancel()
	d, err := s.authorizeKey(c, kid, keyclient.ConfigAESEnvelope, requestToken(ctx))
	if err == nil {
		err = s.countUse(c, d.claims)
	}
	if err != nil {
		s.keyFail(ctx, keyAES, kid.String(), 1, err)
		return
	}
	s.metrics.delivered(keyAES, 1)
	ctx.SetContentTypeBytes(ctOctets)
	ctx.SetBody(d.key.Value[:])
}

type clearKeyRequest struct {
	KIDs []string `json:"kids"`
	Type string   `json:"type"`
}

type clearKeyJWK struct {
	Kty string `json:"kty"`
	KID string `json:"kid"`
	K   string `json:"k"`
}

type clearKeyResponse struct {
	Keys []clearKeyJWK `json:"keys"`
	Type string        `json:"type"`
}

// serveClearKey answers a W3C EME ClearKey license request with the
// requested keys that the token allows.
func (s *Server) serveClearKey(ctx *fasthttp.RequestCtx) {
	var req clearKeyRequest
	dec := json.NewDecoder(strings.NewReader(string(ctx.PostBody())))
	if err := dec.Decode(&req); err != nil || len(req.KIDs) == 0 || len(req.KIDs) > maxClearKeyKIDs {
		plainError(ctx, fasthttp.StatusBadRequest, `want a ClearKey license request: {"kids":["<base64url>"],"type":"temporary"}`)
		return
	}
	if req.Type == "" {
		req.Type = "temporary"
	}
	if req.Type != "temporary" && req.Type != "persistent-license" {
		plainError(ctx, fasthttp.StatusBadRequest, `type must be "temporary" or "persistent-license"`)
		return
	}
	c, cancel := s.keyContext()
	defer cancel()
	raw := requestToken(ctx)
	resp := clearKeyResponse{Keys: []clearKeyJWK{}, Type: req.Type}
	var firstErr error
	var firstKID string
	counted := map[string]bool{}
	for _, k := range req.KIDs {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k, "="))
		if err != nil || len(b) != 16 {
			plainError(ctx, fasthttp.StatusBadRequest, "kids must be base64url of 16 bytes")
			return
		}
		kid := keyclient.KID(b)
		d, err := s.authorizeKey(c, kid, keyclient.ConfigClearKey, raw)
		if err == nil && d.claims != nil && !counted[d.claims.ID] {
			counted[d.claims.ID] = true
			err = s.countUse(c, d.claims)
		}
		if err != nil {
			if firstErr == nil || errors.Is(err, keyclient.ErrUnavailable) {
				firstErr, firstKID = err, kid.String()
			}
			s.metrics.refused(keyClearKey, refusalReason(err))
			continue
		}
		resp.Keys = append(resp.Keys, clearKeyJWK{Kty: "oct",
			KID: base64.RawURLEncoding.EncodeToString(kid[:]),
			K:   base64.RawURLEncoding.EncodeToString(d.key.Value[:])})
	}
	if len(resp.Keys) == 0 {
		s.keyFail(ctx, keyClearKey, firstKID, 0, firstErr)
		return
	}
	s.metrics.delivered(keyClearKey, len(resp.Keys))
	if firstErr != nil {
		s.Config.Logger.Info("key refused", "type", keyTypeNames[keyClearKey], "kid", firstKID,
			"reason", refusalReason(firstErr), "remote", remoteIP(ctx), "err", firstErr,
			"delivered", len(resp.Keys), "requested", len(req.KIDs))
	}
	b, _ := json.Marshal(resp)
	ctx.SetContentTypeBytes(ctJSON)
	ctx.SetBody(b)
}
