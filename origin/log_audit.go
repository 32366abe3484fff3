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
	resource, name, action := parts[0], "", ""
	if len(parts) > 1 {
		name = parts[1]
	}
	if len(parts) > 2 {
		action = parts[2]
	}
	// A live output is liveOutputs "{event}/{output}".
	if resource == "liveEvents" && len(parts) > 3 && parts[2] == "liveOutputs" {
		resource, name, action = "liveOutputs", parts[1]+"/"+parts[3], ""
	}
	switch method {
	case fasthttp.MethodPut, fasthttp.MethodDelete:
	case fasthttp.MethodPost:
		// Changes (a live event's start and stop), and listContentKeys,
		// which hands out key values.
		if action != "listContentKeys" && action != "start" && action != "stop" {
			return
		}
	default:
		return
	}
	name = string(appendEscaped(nil, []byte(name), MaxLoggedHeader))
	s.Config.AuditLogger.Info("audit", "who", s.adminWho, "method", method,
		"resource", string(appendEscaped(nil, []byte(resource), 64)), "name", name, "action", action,
		"status", ctx.Response.StatusCode(), "remote", remoteIP(ctx))
}
