package origin

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/drm"
	"github.com/drmorigin/drmorigin/drm/cpix"
	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/manifest"
)

// cpixRecipient answers GET /api/v1/cpixRecipient: the certificate, as
// PEM, of the origin's own CPIX recipient, which documents imported into
// locators must be encrypted for (exchange.md).
func (s *Server) cpixRecipient(c context.Context, ctx *fasthttp.RequestCtx, method string) {
	if method != fasthttp.MethodGet {
		methodNotAllowed(ctx, "GET")
		return
	}
	pem, err := s.Service.CPIXRecipientPEM(c)
	if err != nil {
		s.apiFail(ctx, err)
		return
	}
	ctx.SetContentType("application/x-pem-file")
	ctx.Response.Header.SetBytesKV(hdrCacheControl, valNoStore)
	ctx.SetBody(pem)
}

// exportCPIX answers GET /api/v1/streamingLocators/{name}/cpix?recipient=…:
// the locator's keys as a CPIX 2.3 document encrypted for the named
// recipients, with the DRM signalling the origin writes for them. No
// recipient, or an unknown one, is a 400: keys never leave in clear.
func (s *Server) exportCPIX(c context.Context, ctx *fasthttp.RequestCtx, name string) {
	var names []string
	for _, v := range ctx.QueryArgs().PeekMulti("recipient") {
		names = append(names, string(v))
	}
	recipients, err := s.Service.CPIXRecipients(c, names)
	if err != nil {
		s.apiFail(ctx, err)
		return
	}
	res, err := s.Service.Resolve(c, name)
	if err != nil {
		s.apiFail(ctx, err)
		return
	}
	doc, err := cpixDocument(res, s.exportBaseURL(ctx))
	if err != nil {
		s.apiFail(ctx, err)
		return
	}
	b, err := cpix.Write(doc, recipients)
	if err != nil {
		s.apiFail(ctx, err)
		return
	}
	ctx.SetContentType("application/xml")
	ctx.Response.Header.SetBytesKV(hdrCacheControl, valNoStore)
	ctx.SetBody(b)
}

// exportBaseURL is the base URL that license and key URLs in an export
// are written with: public.baseUrl, as in the manifests, else what a
// player would reach the streaming listener at: the host the management
// request named, on the streaming listener's port (the manifests, without
// public.baseUrl, use the host each player request names).
func (s *Server) exportBaseURL(ctx *fasthttp.RequestCtx) string {
	if s.Config.PublicBaseURL != "" {
		return s.Config.PublicBaseURL
	}
	host := string(ctx.Host())
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	scheme := "http://"
	if ctx.IsTLS() {
		scheme = "https://"
	}
	return scheme + host + ":" + strconv.Itoa(int(s.streamPort.Load()))
}

// cpixDocument describes a resolved locator for a CPIX export: each KID
// once with its value and scheme, the DRM signalling that signalFor gives
// the origin's manifests and init segments (the same function, so the
// bytes are the same), and the usage rules of keyclient.UsageRules.
func cpixDocument(res *keyclient.Resolved, base string) (*cpix.Document, error) {
	doc := &cpix.Document{ContentID: res.Locator.Name}
	seen := map[keyclient.KID]int{}
	for i := range res.Keys {
		k := &res.Keys[i]
		scheme := cencScheme(k.Type)
		if j, ok := seen[k.KID]; ok {
			// One KID for two encryptions: it names no single scheme.
			if doc.Keys[j].Scheme != scheme {
				doc.Keys[j].Scheme = ""
			}
		} else {
			seen[k.KID] = len(doc.Keys)
			doc.Keys = append(doc.Keys, cpix.ContentKey{KID: k.KID, Value: k.Value, Scheme: scheme})
			doc.UsageRules = append(doc.UsageRules, keyclient.UsageRules(k.KID, k.Tracks)...)
		}
		enc := EncryptionCENC
		switch k.Type {
		case keyclient.KeyTypeCENC:
		case keyclient.KeyTypeCBCS:
			enc = EncryptionCBCS
		default:
			continue // envelope keys: HLS AES-128 names a key URL, no DRM system
		}
		sig, err := signalFor(res.Policy, enc, k, res.Locator.Name, base)
		if err != nil {
			return nil, err
		}
		for _, sys := range sig.systems {
			id, pssh := systemOf(sys, sig.pssh)
			if slices.ContainsFunc(doc.DRMSystems, func(d cpix.DRMSystem) bool { return d.KID == k.KID && d.SystemID == id }) {
				continue
			}
			out, err := manifest.ExportSignalling(methodOf(enc), k.KID, sys, "")
			if err != nil {
				return nil, err
			}
			doc.DRMSystems = append(doc.DRMSystems, cpix.DRMSystem{SystemID: id, KID: k.KID, PSSH: pssh,
				ContentProtectionData: out.ContentProtection, HLSMedia: out.HLSMedia, HLSMaster: out.HLSMaster,
				SmoothHeader: out.SmoothHeader})
		}
	}
	return doc, nil
}

// cencScheme is the @commonEncryptionScheme of a key type ("" for
// envelope keys).
func cencScheme(t keyclient.KeyType) string {
	switch t {
	case keyclient.KeyTypeCENC:
		return "cenc"
	case keyclient.KeyTypeCBCS:
		return "cbcs"
	}
	return ""
}

// systemOf returns the DRM system ID of a signalled system and the pssh
// box of it that init segments carry (nil for FairPlay, which has none).
// ClearKey's box is the W3C common system's, so its ID is that system's.
func systemOf(sys manifest.System, boxes [][]byte) (drm.SystemID, []byte) {
	var id drm.SystemID
	switch sys.Kind {
	case manifest.Widevine:
		id = drm.WidevineSystemID
	case manifest.PlayReady:
		id = drm.PlayReadySystemID
	case manifest.ClearKey:
		id = drm.CommonSystemID
	case manifest.FairPlay:
		return drm.FairPlaySystemID, nil
	}
	for _, b := range boxes {
		if len(b) >= 28 && [16]byte(b[12:28]) == id {
			return id, b
		}
	}
	return id, nil
}
