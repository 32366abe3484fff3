package origin

import (
	"context"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/keyclient"
)

// handleFilters answers the filter routes of the management API
// (players.md): the collection (GET lists) when rest is empty, one filter
// (PUT, GET, DELETE) when rest is its name. ref names the collection:
// account filters, or the filters of one asset.
func (s *Server) handleFilters(ctx *fasthttp.RequestCtx, method string, ref keyclient.FilterRef, rest []string) {
	c, cancel := context.WithTimeout(context.Background(), s.Config.StoreTimeout*2)
	defer cancel()
	switch {
	case len(rest) == 0 || len(rest) == 1 && rest[0] == "":
		if method != fasthttp.MethodGet {
			methodNotAllowed(ctx, "GET")
			return
		}
		top, ok := pageSize(ctx)
		if !ok {
			return
		}
		items, next, err := s.Service.ListFilters(c, ref, string(ctx.QueryArgs().Peek("$skiptoken")), top)
		if err != nil {
			s.apiFail(ctx, err)
			return
		}
		out := map[string]any{"value": items}
		if next != "" {
			path := apiPrefix + string(keyclient.KindAccountFilters)
			if ref.Kind == keyclient.KindAssetFilters {
				path = apiPrefix + "assets/" + urlQueryEscape(ref.Asset) + "/" + string(keyclient.KindAssetFilters)
			}
			out["nextLink"] = path + "?$top=" + strconv.Itoa(top) + "&$skiptoken=" + urlQueryEscape(next)
		}
		writeJSON(ctx, out)
	case len(rest) == 1:
		ref.Name = rest[0]
		switch method {
		case fasthttp.MethodPut:
			out, created, err := s.Service.PutFilter(c, ref, ctx.PostBody())
			if err != nil {
				s.apiFail(ctx, err)
				return
			}
			s.filterChanged(ref)
			if created {
				ctx.SetStatusCode(fasthttp.StatusCreated)
			}
			writeJSONRaw(ctx, out)
		case fasthttp.MethodGet:
			out, err := s.Service.GetFilter(c, ref)
			if err != nil {
				s.apiFail(ctx, err)
				return
			}
			writeJSONRaw(ctx, out)
		case fasthttp.MethodDelete:
			if err := s.Service.DeleteFilter(c, ref); err != nil {
				s.apiFail(ctx, err)
				return
			}
			s.filterChanged(ref)
			ctx.SetStatusCode(fasthttp.StatusNoContent)
		default:
			methodNotAllowed(ctx, "GET, PUT, DELETE")
		}
	default:
		apiError(ctx, fasthttp.StatusNotFound, "NotFound", "no such route", "")
	}
}

// filterInvalidator is implemented by resolvers that cache filters
// (keyclient.Resolver).
type filterInvalidator interface {
	InvalidateFilter(keyclient.FilterRef)
}

var _ filterInvalidator = (*keyclient.Resolver)(nil)

// filterChanged makes this replica's next request see a filter written or
// deleted through it at once; other replicas see it through the store's
// invalidation message.
func (s *Server) filterChanged(ref keyclient.FilterRef) {
	if fi, ok := s.Resolver.(filterInvalidator); ok {
		fi.InvalidateFilter(ref)
	}
}
