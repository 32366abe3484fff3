package origin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/drm/usage"
	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// Asset states in the management API's asset JSON.
const (
	// AssetReady: every track file is served.
	AssetReady = "ready"
	// AssetPartial: the asset is served without some tracks
	// (skippedTracks says which and why).
	AssetPartial = "partial"
	// AssetUnservable: nothing of the asset can be served (reason says
	// why; players get 400 for unsupported media, 500 for damaged).
	AssetUnservable = "unservable"
	// AssetUnavailable: the asset store could not be read just now.
	AssetUnavailable = "unavailable"
)

type assetInfo struct {
	Name string `json:"name"`
	// State is one of the Asset* constants; Reason says why an asset is
	// not ready.
	State        string        `json:"state"`
	Reason       string        `json:"reason,omitempty"`
	ManifestName string        `json:"manifestName"`
	Tracks       []trackInfo   `json:"tracks"`
	Skipped      []skippedInfo `json:"skippedTracks"`
	Duration     float64       `json:"durationSeconds"`
}

type trackInfo struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	File        string `json:"file"`
	TrackID     uint32 `json:"trackId"`
	Bitrate     int    `json:"bitrate"`
	PeakBitrate int    `json:"peakBitrate"`
	Codecs      string `json:"codecs"`
	Language    string `json:"language,omitempty"`
	Width       int    `json:"width,omitempty"`
	Height      int    `json:"height,omitempty"`
	FrameRate   string `json:"frameRate,omitempty"`
	SampleRate  int    `json:"sampleRate,omitempty"`
	Channels    int    `json:"channels,omitempty"`
	Fragments   int    `json:"fragments"`
	// Samples and IndexBytes size the track's index: what the origin keeps
	// in memory per track (quality.md: a two-hour 1080p asset under 8 MB).
	Samples    int    `json:"samples"`
	IndexBytes int    `json:"indexBytes"`
	IndexedBy  string `json:"indexedFrom"`
}

// skippedInfo is a track file, or a track of one, that the asset is
// served without.
type skippedInfo struct {
	File    string `json:"file"`
	TrackID uint32 `json:"trackId,omitempty"`
	// Problem is "damaged" (packager.ErrCorrupt: a broken file, or an .ism
	// entry naming what is not there) or "unsupported"
	// (packager.ErrUnsupported: well formed, but not served).
	Problem string `json:"problem"`
	Reason  string `json:"reason"`
}

func describeSkipped(ss []packager.Skipped) []skippedInfo {
	out := make([]skippedInfo, 0, len(ss))
	for _, s := range ss {
		p := "damaged"
		if errors.Is(s.Err, packager.ErrUnsupported) {
			p = "unsupported"
		}
		out = append(out, skippedInfo{File: s.File, TrackID: s.TrackID, Problem: p, Reason: s.Err.Error()})
	}
	return out
}

// describeAsset is the management API's JSON of an asset that was built,
// or of the error its build gave (a nil asset). It reports false for an
// error that is not a state of the asset (no such asset, an invalid name,
// the library closed): the caller answers it with apiFail.
func describeAsset(name string, a *packager.Asset, err error) (assetInfo, bool) {
	info := assetInfo{Name: name, State: AssetReady, Tracks: []trackInfo{}, Skipped: []skippedInfo{}}
	if err != nil {
		var ue *packager.UnservableError
		switch {
		case errors.Is(err, storage.ErrUnavailable), errors.Is(err, storage.ErrChanged):
			info.State, info.Reason = AssetUnavailable, "the asset store cannot be read now; retry"
		case errors.Is(err, packager.ErrNoTrackFiles):
			info.State, info.Reason = AssetUnservable, "the asset holds no track files (.mp4, .cmfv, .ismv, …) and no .ism"
		case errors.As(err, &ue):
			info.State, info.Reason = AssetUnservable, ue.Error()
			info.Skipped = describeSkipped(ue.Skipped)
		case errors.Is(err, packager.ErrCorrupt), errors.Is(err, packager.ErrUnsupported):
			info.State, info.Reason = AssetUnservable, err.Error() // the server manifest
		default:
			return info, false
		}
		return info, true
	}
	info.ManifestName = a.ManifestName
	if len(a.Skipped) > 0 {
		info.State = AssetPartial
		info.Skipped = describeSkipped(a.Skipped)
		files := make([]string, 0, len(a.Skipped))
		for _, s := range info.Skipped {
			f := s.File
			if s.TrackID != 0 {
				f += " track " + strconv.FormatUint(uint64(s.TrackID), 10)
			}
			files = append(files, f+" ("+s.Problem+")")
		}
		info.Reason = "served without " + strings.Join(files, ", ") + ": see skippedTracks"
	}
	for _, t := range a.Tracks {
		ti := trackInfo{Name: t.Name, Type: "video", File: baseName(t.Path), TrackID: t.TrackID, Bitrate: t.Bitrate,
			PeakBitrate: t.PeakBitrate, Codecs: t.Codecs, Language: t.Language, Width: t.Width, Height: t.Height,
			SampleRate: t.SampleRate, Channels: t.Channels, Fragments: len(t.Fragments),
			Samples: t.SampleCount(), IndexBytes: t.IndexBytes(), IndexedBy: t.IndexedFrom}
		if t.Kind == packager.Audio {
			ti.Type = "audio"
		} else if t.FrameRateDen > 0 {
			ti.FrameRate = strconv.Itoa(t.FrameRateNum)
			if t.FrameRateDen != 1 {
				ti.FrameRate += "/" + strconv.Itoa(t.FrameRateDen)
			}
		}
		if n := len(t.Fragments); n > 0 && t.Timescale > 0 {
			last := t.Fragments[n-1]
			d := float64(last.Time+last.Duration-t.Fragments[0].Time) / float64(t.Timescale)
			if d > info.Duration {
				info.Duration = d
			}
		}
		info.Tracks = append(info.Tracks, ti)
	}
	return info, true
}

// handleAssets answers GET /api/v1/assets (paged) and /assets/{name}:
// each asset with its state, its tracks and what it is served without.
func (s *Server) handleAssets(ctx *fasthttp.RequestCtx, method string, parts []string) {
	if len(parts) > 1 {
		apiError(ctx, fasthttp.StatusNotFound, "NotFound", "no such route", "")
		return
	}
	if method != fasthttp.MethodGet {
		methodNotAllowed(ctx, "GET")
		return
	}
	if len(parts) == 1 && parts[0] != "" {
		name := parts[0]
		a, err := s.Assets.Asset(name)
		switch {
		case errors.Is(err, packager.ErrInvalidName):
			apiError(ctx, fasthttp.StatusBadRequest, "BadRequest", fmt.Sprintf("%q is not a valid asset name", name), "name")
			return
		case errors.Is(err, storage.ErrUnavailable), errors.Is(err, storage.ErrChanged):
			s.apiFail(ctx, err)
			return
		}
		info, ok := describeAsset(name, a, err)
		if !ok {
			s.apiFail(ctx, err)
			return
		}
		writeJSON(ctx, info)
		return
	}
	args := ctx.QueryArgs()
	top, ok := pageSize(ctx)
	if !ok {
		return
	}
	names, err := s.Assets.List()
	if err != nil {
		if errors.Is(err, storage.ErrUnavailable) {
			s.apiFail(ctx, err)
			return
		}
		s.Config.Logger.Error("asset listing failed", "err", err)
		apiError(ctx, fasthttp.StatusInternalServerError, "InternalError", "the asset root cannot be listed", "")
		return
	}
	// A page is the names after $skiptoken (the last name of the page
	// before): names are sorted and unique, so a page never repeats or
	// skips one, even when assets come and go between pages.
	after := string(args.Peek("$skiptoken"))
	start, _ := slices.BinarySearch(names, after)
	if start < len(names) && after != "" && names[start] == after {
		start++
	}
	page := names[start:min(start+top, len(names))]
	out := make([]assetInfo, 0, len(page))
	for _, name := range page {
		a, err := s.Assets.Asset(name)
		info, ok := describeAsset(name, a, err)
		if !ok {
			info = assetInfo{Name: name, State: AssetUnservable, Reason: err.Error(), Tracks: []trackInfo{}, Skipped: []skippedInfo{}}
		}
		out = append(out, info)
	}
	res := map[string]any{"value": out}
	if start+top < len(names) {
		res["nextLink"] = apiPrefix + "assets?$top=" + strconv.Itoa(top) + "&$skiptoken=" + urlQueryEscape(page[len(page)-1])
	}
	writeJSON(ctx, res)
}

// checkAsset is the Service's AssetCheck: a new locator's asset must be
// in the asset store. One that is there but cannot be served (wholly or
// partly) is accepted, and the PUT says so in a Warning header
// (assetWarning): its files may still be on their way. An asset store
// that cannot be read fails the PUT with 503, never "no such asset".
func (s *Server) checkAsset(ctx context.Context, name string) error {
	_, err := s.Assets.Asset(name)
	switch {
	case err == nil, errors.Is(err, packager.ErrNoTrackFiles),
		errors.Is(err, packager.ErrCorrupt), errors.Is(err, packager.ErrUnsupported):
		return nil
	case errors.Is(err, packager.ErrAssetNotFound):
		// A live output's asset is there as soon as the output is, even
		// before its first fragment reaches storage (live.md: a locator
		// made before or during the event streams it).
		if o, lerr := s.Service.LiveOutputOfAsset(ctx, name); lerr == nil && o != nil {
			return nil
		} else if lerr != nil {
			return fmt.Errorf("asset %s: %w", name, lerr)
		}
		return &keyclient.ValidationError{Target: "assetName", Message: fmt.Sprintf("no asset named %q in the asset store", name)}
	case errors.Is(err, packager.ErrInvalidName):
		return &keyclient.ValidationError{Target: "assetName", Message: fmt.Sprintf("no asset named %q in the asset store", name)}
	}
	return fmt.Errorf("asset %s: %w", name, err)
}

// assetTracks is the Service's AssetTracks: the tracks of a new locator's
// asset as usage rules see them, so that a locator whose keys leave a
// track without a key is refused (exchange.md, "Usage rules"). An asset
// that cannot be read now (not there yet, damaged) gives nil: its locator
// is checked when the tracks are known, on the segment path (503 for a
// track without a key, never clear media).
func (s *Server) assetTracks(_ context.Context, name string) ([]usage.Track, error) {
	a, err := s.Assets.Asset(name)
	if err != nil {
		return nil, nil
	}
	out := make([]usage.Track, len(a.Tracks))
	for i, t := range a.Tracks {
		out[i] = usageTrack(t)
	}
	return out, nil
}

// assetWarning is the warning for a new locator of an asset that cannot
// be served, or only partly; "" when it can.
func (s *Server) assetWarning(name string) string {
	a, err := s.Assets.Asset(name)
	info, ok := describeAsset(name, a, err)
	if !ok || info.State == AssetReady || info.State == AssetUnavailable {
		return ""
	}
	return "asset " + name + " is " + info.State + ": " + info.Reason
}

// assetBuilt logs, once per build of an asset's index (not per request),
// what the asset is served without, or why nothing of it can be.
func (s *Server) assetBuilt(r packager.BuildReport) {
	log := s.Config.Logger
	if r.Asset != nil {
		for _, sk := range r.Asset.Skipped {
			args := []any{"asset", r.Name, "file", sk.File}
			if sk.TrackID != 0 {
				args = append(args, "trackId", sk.TrackID)
			}
			log.Warn("track file left out of its asset; the rest is served", append(args, "err", sk.Err)...)
		}
		for _, t := range r.Asset.Texts {
			if t.Problem != nil {
				log.Warn("subtitle file served as far as it parses", "asset", r.Name, "file", t.File, "cues", len(t.Cues), "err", t.Problem)
			}
		}
		return
	}
	var ue *packager.UnservableError
	switch {
	case errors.As(r.Err, &ue):
		log.Warn("asset cannot be served: every track file left out", "asset", r.Name, "err", r.Err)
	case errors.Is(r.Err, packager.ErrCorrupt), errors.Is(r.Err, packager.ErrUnsupported):
		log.Warn("asset cannot be served", "asset", r.Name, "err", r.Err)
	}
}

// buildObserver is what the origin needs of an asset library to log each
// build's skipped tracks.
type buildObserver interface {
	Observe(func(packager.BuildReport))
}

var _ buildObserver = (*packager.Library)(nil)
