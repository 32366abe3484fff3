package origin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/packager"
)

// The management API of live events and live outputs (live.md,
// "Resources"):
//
//	GET                /api/v1/liveEvents                       paged
//	PUT, GET, DELETE   /api/v1/liveEvents/{name}
//	POST               /api/v1/liveEvents/{name}/start, …/stop
//	GET                /api/v1/liveEvents/{name}/liveOutputs     paged
//	PUT, GET, DELETE   /api/v1/liveEvents/{name}/liveOutputs/{output}
//
// keyclient keeps the resources and their rules; this file tells the live
// room (Server.Ingester) what changed.

// liveEventJSON is a live event as the API gives it.
type liveEventJSON struct {
	Name          string           `json:"name"`
	Input         liveInputJSON    `json:"input"`
	ResourceState string           `json:"resourceState"`
	Streams       []liveStreamJSON `json:"streams"`
}

type liveInputJSON struct {
	StreamingProtocol string `json:"streamingProtocol"`
	AccessToken       string `json:"accessToken"`
	IngestURL         string `json:"ingestUrl"`
}

type liveStreamJSON struct {
	Name             string `json:"name"`
	LastFragmentTime string `json:"lastFragmentTime,omitempty"`
	Bitrate          int    `json:"bitrate"`
}

const liveEventsPath = apiPrefix + "liveEvents"

func (s *Server) handleLive(c context.Context, ctx *fasthttp.RequestCtx, method string, parts []string) {
	switch {
	case len(parts) == 0 || len(parts) == 1 && parts[0] == "":
		if method != fasthttp.MethodGet {
			methodNotAllowed(ctx, "GET")
			return
		}
		s.listLiveEvents(c, ctx)
	case len(parts) == 1:
		switch method {
		case fasthttp.MethodPut:
			e, created, err := s.Service.PutLiveEvent(c, parts[0], ctx.PostBody())
			if err != nil {
				s.apiFail(ctx, err)
				return
			}
			if created {
				ctx.SetStatusCode(fasthttp.StatusCreated)
			}
			writeJSON(ctx, s.liveEventJSON(ctx, e))
		case fasthttp.MethodGet:
			e, err := s.Service.LiveEvent(c, parts[0])
			if err != nil {
				s.apiFail(ctx, err)
				return
			}
			writeJSON(ctx, s.liveEventJSON(ctx, e))
		case fasthttp.MethodDelete:
			if err := s.Service.DeleteLiveEvent(c, parts[0]); err != nil {
				s.apiFail(ctx, err)
				return
			}
			ctx.SetStatusCode(fasthttp.StatusNoContent)
		default:
			methodNotAllowed(ctx, "GET, PUT, DELETE")
		}
	case len(parts) == 2 && (parts[1] == "start" || parts[1] == "stop"):
		if method != fasthttp.MethodPost {
			methodNotAllowed(ctx, "POST")
			return
		}
		var e *keyclient.LiveEvent
		var err error
		if parts[1] == "start" {
			e, err = s.startLiveEvent(c, parts[0])
		} else {
			e, err = s.stopLiveEvent(c, parts[0])
		}
		if err != nil {
			s.apiFail(ctx, err)
			return
		}
		writeJSON(ctx, s.liveEventJSON(ctx, e))
	case parts[1] == "liveOutputs" && (len(parts) == 2 || len(parts) == 3 && parts[2] == ""):
		if method != fasthttp.MethodGet {
			methodNotAllowed(ctx, "GET")
			return
		}
		s.listLiveOutputs(c, ctx, parts[0])
	case parts[1] == "liveOutputs" && len(parts) == 3:
		s.handleLiveOutput(c, ctx, method, parts[0], parts[2])
	default:
		apiError(ctx, fasthttp.StatusNotFound, "NotFound", "no such route", "")
	}
}

func (s *Server) handleLiveOutput(c context.Context, ctx *fasthttp.RequestCtx, method, event, name string) {
	switch method {
	case fasthttp.MethodPut:
		o, created, err := s.Service.PutLiveOutput(c, event, name, ctx.PostBody(), s.checkLiveAsset)
		if err != nil {
			s.apiFail(ctx, err)
			return
		}
		if created && s.Ingester != nil {
			if err := s.announceOutput(event, o); err != nil {
				// The live room cannot archive it: the output is not kept.
				if _, derr := s.Service.DeleteLiveOutput(c, event, name); derr != nil {
					s.Config.Logger.Error("live output refused by the live room, and left in the store", "event", event, "output", name, "err", derr)
				}
				s.apiFail(ctx, fmt.Errorf("live output %s/%s: the live room refused it: %w", event, name, err))
				return
			}
		}
		if created {
			ctx.SetStatusCode(fasthttp.StatusCreated)
		}
		writeJSON(ctx, o)
	case fasthttp.MethodGet:
		o, err := s.Service.LiveOutput(c, event, name)
		if err != nil {
			s.apiFail(ctx, err)
			return
		}
		writeJSON(ctx, o)
	case fasthttp.MethodDelete:
		if _, err := s.Service.DeleteLiveOutput(c, event, name); err != nil {
			s.apiFail(ctx, err)
			return
		}
		if s.Ingester != nil {
			if err := s.endOutput(event, name); err != nil {
				// The output is gone from the store; the live room logs
				// why it could not end the presentation as asked.
				s.Config.Logger.Error("live output deleted, but the live room could not end its presentation", "event", event, "output", name, "err", err)
			}
		}
		ctx.SetStatusCode(fasthttp.StatusNoContent)
	default:
		methodNotAllowed(ctx, "GET, PUT, DELETE")
	}
}

// startLiveEvent moves an event Stopped → Starting, tells the live room,
// then Starting → Running. Starting it again (Running, or Starting left by
// a crash) tells the live room again: StartEvent is idempotent.
func (s *Server) startLiveEvent(c context.Context, name string) (*keyclient.LiveEvent, error) {
	e, _, err := s.Service.SetLiveEventState(c, name, keyclient.LiveStarting, keyclient.LiveStopped)
	if errors.Is(err, keyclient.ErrConflict) {
		if cur, gerr := s.Service.LiveEvent(c, name); gerr == nil && cur.ResourceState == keyclient.LiveRunning {
			e, err = cur, nil
		}
	}
	if err != nil {
		return nil, err
	}
	if s.Ingester != nil {
		if err := s.Ingester.StartEvent(name); err != nil {
			if e.ResourceState == keyclient.LiveStarting {
				if _, _, rerr := s.Service.SetLiveEventState(c, name, keyclient.LiveStopped, keyclient.LiveStarting); rerr != nil {
					s.Config.Logger.Error("live event left Starting", "event", name, "err", rerr)
				}
			}
			return nil, fmt.Errorf("live event %s: the live room cannot start it: %w", name, err)
		}
	}
	e, _, err = s.Service.SetLiveEventState(c, name, keyclient.LiveRunning, keyclient.LiveStarting)
	return e, err
}

// stopLiveEvent moves an event Running (or Starting) → Stopping, tells the
// live room (its feeds end), then Stopping → Stopped. Stopping a stopped
// event tells the live room again.
func (s *Server) stopLiveEvent(c context.Context, name string) (*keyclient.LiveEvent, error) {
	e, _, err := s.Service.SetLiveEventState(c, name, keyclient.LiveStopping, keyclient.LiveRunning, keyclient.LiveStarting)
	if errors.Is(err, keyclient.ErrConflict) {
		if cur, gerr := s.Service.LiveEvent(c, name); gerr == nil && cur.ResourceState == keyclient.LiveStopped {
			e, err = cur, nil
		}
	}
	if err != nil {
		return nil, err
	}
	if s.Ingester != nil {
		if err := s.Ingester.StopEvent(name); err != nil {
			return nil, fmt.Errorf("live event %s: the live room cannot stop it (it stays Stopping; stop it again): %w", name, err)
		}
	}
	e, _, err = s.Service.SetLiveEventState(c, name, keyclient.LiveStopped, keyclient.LiveStopping)
	return e, err
}

// checkLiveAsset is PutLiveOutput's asset check: a live output archives
// into an asset of its own, so an asset that is in the asset store
// already (a VOD asset, or the archive of an earlier output) is refused
// with 409 naming assetName. An asset store that cannot be read fails
// the PUT with 503.
func (s *Server) checkLiveAsset(_ context.Context, name string) error {
	_, err := s.Assets.Asset(name)
	switch {
	case errors.Is(err, packager.ErrAssetNotFound):
		return nil
	case errors.Is(err, packager.ErrInvalidName):
		return &keyclient.ValidationError{Target: "assetName", Message: fmt.Sprintf("%q is not a valid asset name", name)}
	case err == nil, errors.Is(err, packager.ErrNoTrackFiles), errors.Is(err, packager.ErrCorrupt),
		errors.Is(err, packager.ErrUnsupported):
		return &keyclient.FieldConflictError{Target: "assetName", Err: fmt.Errorf(
			"asset %q exists already: a live output archives into a new asset: %w", name, keyclient.ErrConflict)}
	}
	return fmt.Errorf("asset %s: %w", name, err)
}

func (s *Server) listLiveEvents(c context.Context, ctx *fasthttp.RequestCtx) {
	top, ok := pageSize(ctx)
	if !ok {
		return
	}
	events, next, err := s.Service.ListLiveEvents(c, string(ctx.QueryArgs().Peek("$skiptoken")), top)
	if err != nil {
		s.apiFail(ctx, err)
		return
	}
	out := make([]liveEventJSON, 0, len(events))
	for _, e := range events {
		out = append(out, s.liveEventJSON(ctx, e))
	}
	res := map[string]any{"value": out}
	if next != "" {
		res["nextLink"] = liveEventsPath + "?$top=" + strconv.Itoa(top) + "&$skiptoken=" + urlQueryEscape(next)
	}
	writeJSON(ctx, res)
}

func (s *Server) listLiveOutputs(c context.Context, ctx *fasthttp.RequestCtx, event string) {
	top, ok := pageSize(ctx)
	if !ok {
		return
	}
	outputs, next, err := s.Service.ListLiveOutputs(c, event, string(ctx.QueryArgs().Peek("$skiptoken")), top)
	if err != nil {
		s.apiFail(ctx, err)
		return
	}
	res := map[string]any{"value": outputs}
	if next != "" {
		res["nextLink"] = liveEventsPath + "/" + url.PathEscape(event) + "/liveOutputs?$top=" + strconv.Itoa(top) + "&$skiptoken=" + urlQueryEscape(next)
	}
	writeJSON(ctx, res)
}

// liveEventJSON is e with its ingest URL and, from the live room, its
// streams.
func (s *Server) liveEventJSON(ctx *fasthttp.RequestCtx, e *keyclient.LiveEvent) liveEventJSON {
	out := liveEventJSON{Name: e.Name, ResourceState: e.ResourceState, Streams: []liveStreamJSON{},
		Input: liveInputJSON{StreamingProtocol: e.Input.StreamingProtocol, AccessToken: e.Input.AccessToken,
			IngestURL: s.ingestBase(ctx) + "/" + e.Name + "/" + e.Input.AccessToken + "/ingest.isml"}}
	if s.Ingester != nil {
		for _, st := range s.Ingester.Streams(e.Name) {
			j := liveStreamJSON{Name: st.Name, Bitrate: st.Bitrate}
			if !st.LastFragmentTime.IsZero() {
				j.LastFragmentTime = st.LastFragmentTime.UTC().Format(time.RFC3339Nano)
			}
			out.Streams = append(out.Streams, j)
		}
	}
	return out
}

// ingestBase is Config.IngestBaseURL, else http:// and the ingest
// listener's address: its port, and its host unless it listens on every
// address, when the host the management request was sent to stands in.
func (s *Server) ingestBase(ctx *fasthttp.RequestCtx) string {
	if s.Config.IngestBaseURL != "" {
		return s.Config.IngestBaseURL
	}
	host, port, err := net.SplitHostPort(s.Config.IngestListen)
	if a := s.ingestAddr.Load(); a != nil {
		host, port, err = net.SplitHostPort(a.String())
	}
	if err != nil {
		return "http://" + s.Config.IngestListen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if h, _, err := net.SplitHostPort(string(ctx.Host())); err == nil && h != "" {
			host = h
		} else if len(ctx.Host()) > 0 && err != nil {
			host = string(ctx.Host())
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}
