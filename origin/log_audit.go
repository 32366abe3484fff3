package origin

import (
	"github.com/valyala/fasthttp"
)

// audit logs a change made through the management API: who (the admin
// token's fingerprint), what (method, collection, name and action), the
// answer's status and the client's address; slog adds when. Reads are not
// changes and are not logged, but for listContentKeys, which hands out key
// values. Never a body, a key value or a query.
func (s *Server) audit(ctx *fasthttp.RequestCtx, parts []string) {
	method := string(ctx.Method())
	if len(parts) == 4 && parts[0] == "assets" && parts[2] == "assetFilters" {
		// An asset filter is logged as one resource: assetFilters, {asset}/{name}.
		parts = []string{parts[2], parts[1] + "/" + parts[3]}
	}
	action := ""
	if len(parts) > 2 {
		action = parts[2]
	}
	switch method {
	case fasthttp.MethodPut, fasthttp.MethodDelete:
	case fasthttp.MethodPost:
		if action != "listContentKeys" {
			return
		}
	default:
		return
	}
	name := ""
	if len(parts) > 1 {
		name = string(appendEscaped(nil, []byte(parts[1]), MaxLoggedHeader))
	}
	s.Config.AuditLogger.Info("audit", "who", s.adminWho, "method", method,
		"resource", string(appendEscaped(nil, []byte(parts[0]), 64)), "name", name, "action", action,
		"status", ctx.Response.StatusCode(), "remote", remoteIP(ctx))
}
