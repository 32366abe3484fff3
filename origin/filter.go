package origin

import (
	"context"
	"math/bits"
	"sort"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/manifest"
	"github.com/drmorigin/drmorigin/packager"
)

// maxRequestFilters is how many filters one request applies: the
// locator's and the URL's.
const maxRequestFilters = 2 * keyclient.MaxFilters

// requestFilters are the filters that apply to one request, the locator's
// first, then the URL's, in the order named (players.md: all apply).
type requestFilters struct {
	list [maxRequestFilters]*keyclient.ResolvedFilter
	n    int
}

func (f *requestFilters) all() []*keyclient.ResolvedFilter { return f.list[:f.n] }

// resolveFilters looks up the locator's filters and those of the URL's
// filter= option for asset: each name means the asset's filter of that
// name, else the account filter. An unknown name is 404 (errNotFound).
func (s *Server) resolveFilters(res *keyclient.Resolved, r *StreamRequest, asset string) (requestFilters, error) {
	var rf requestFilters
	var err error
	add := func(name string) {
		if err != nil {
			return
		}
		var f *keyclient.ResolvedFilter
		if f, err = s.Resolver.Filter(context.Background(), asset, name); err == nil {
			rf.list[rf.n] = f
			rf.n++
		}
	}
	for _, name := range res.Locator.Filters {
		if rf.n < keyclient.MaxFilters {
			add(name)
		}
	}
	r.FilterNames(add)
	return rf, err
}

// assetView is what a request's filters keep of an asset (the decision;
// the manifest builders and the packager apply it): the tracks that pass
// every filter's selections, each with the fragments inside every filter's
// time range, and the video track that firstQuality puts first.
type assetView struct {
	tracks []viewTrack // in asset order
	// first is the index in tracks of the video track firstQuality picks,
	// -1 when no filter states one.
	first int
}

// viewTrack is one kept track and its kept fragments [from, to).
type viewTrack struct {
	t        *packager.Track
	from, to int
}

// fullView is the view of an unfiltered request.
func fullView(a *packager.Asset) *assetView {
	v := &assetView{tracks: make([]viewTrack, 0, len(a.Tracks)), first: -1}
	for _, t := range a.Tracks {
		v.tracks = append(v.tracks, viewTrack{t: t, from: 0, to: len(t.Fragments)})
	}
	return v
}

// find returns the kept track t, or nil.
func (v *assetView) find(t *packager.Track) *viewTrack {
	for i := range v.tracks {
		if v.tracks[i].t == t {
			return &v.tracks[i]
		}
	}
	return nil
}

// defaultAudio is the audio that m3u8-aapl-v3 muxes into video segments:
// the first kept audio track in server-manifest order (urls.md, "TS
// formats").
func (v *assetView) defaultAudio() *packager.Track {
	for _, vt := range v.tracks {
		if vt.t.Kind == packager.Audio {
			return vt.t
		}
	}
	return nil
}

func (v *assetView) hasVideo() bool {
	for _, vt := range v.tracks {
		if vt.t.Kind == packager.Video {
			return true
		}
	}
	return false
}

// filterView applies filters to asset a, in order. A filter after which
// no video and no audio is left is a 400 naming it.
func filterView(a *packager.Asset, filters []*keyclient.ResolvedFilter) (*assetView, error) {
	v := fullView(a)
	var firstQuality int64
	for _, f := range filters {
		kept := v.tracks[:0]
		for _, vt := range v.tracks {
			if !passes(vt.t, f.Filter) {
				continue
			}
			if r := f.Filter.PresentationTimeRange; r != nil {
				vt.from, vt.to = cut(vt.t, r, vt.from, vt.to)
				if a.Live != nil {
					vt.from, vt.to = liveCut(vt.t, r, vt.from, vt.to)
				}
				if vt.from >= vt.to {
					continue
				}
			}
			kept = append(kept, vt)
		}
		v.tracks = kept
		if len(v.tracks) == 0 {
			return nil, httpErrorf(fasthttp.StatusBadRequest, "filter %s leaves no video and no audio track of this asset", f.Ref.Name)
		}
		if q := f.Filter.FirstQuality; q != nil {
			firstQuality = q.Bitrate // the last that states one: the URL's over the locator's
		}
	}
	if firstQuality > 0 {
		best := int64(-1)
		for i, vt := range v.tracks {
			if vt.t.Kind != packager.Video {
				continue
			}
			d := int64(vt.t.Bitrate) - firstQuality
			if d < 0 {
				d = -d
			}
			if best < 0 || d < best {
				best, v.first = d, i
			}
		}
	}
	return v, nil
}

// passes reports whether track t passes filter f's selections: it matches
// every selection of at least one group; no groups pass every track.
func passes(t *packager.Track, f *keyclient.Filter) bool {
	if len(f.Tracks) == 0 {
		return true
	}
	for _, g := range f.Tracks {
		all := true
		for _, sel := range g.TrackSelections {
			if !matches(t, sel) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// matches evaluates one selection (players.md): Type, Name, Language,
// FourCC (the first element of the RFC 6381 codecs, e.g. avc1, or the
// Smooth FourCC, e.g. H264), Bitrate (a min-max range), Equal or NotEqual.
func matches(t *packager.Track, sel keyclient.TrackSelection) bool {
	var eq bool
	switch sel.Property {
	case keyclient.PropertyType:
		eq = strings.EqualFold(sel.Value, t.Kind.String())
	case keyclient.PropertyName:
		eq = strings.EqualFold(sel.Value, t.Name)
	case keyclient.PropertyLanguage:
		eq = languageMatches(t.Language, sel.Value)
	case keyclient.PropertyFourCC:
		codec, _, _ := strings.Cut(t.Codecs, ".")
		eq = strings.EqualFold(sel.Value, codec) || strings.EqualFold(sel.Value, t.FourCC)
	case keyclient.PropertyBitrate:
		lo, hi, ok := keyclient.ParseBitrateRange(sel.Value)
		eq = ok && int64(t.Bitrate) >= lo && int64(t.Bitrate) <= hi
	}
	if sel.Operation == keyclient.OperationNotEqual {
		return !eq
	}
	return eq
}

// cut narrows the fragments [from, to) of t to those that overlap the
// time range r: the first kept fragment is the one holding startTimestamp,
// the last the one holding endTimestamp (a fragment that starts exactly at
// endTimestamp holds nothing before it and is not kept). Times are on the
// track file's media timeline, converted from r's timescale to the
// track's.
func cut(t *packager.Track, r *keyclient.PresentationTimeRange, from, to int) (int, int) {
	fr := t.Fragments
	if r.StartTimestamp != nil {
		start := rescale(*r.StartTimestamp, uint64(t.Timescale), r.Scale())
		from += sort.Search(to-from, func(i int) bool { return fr[from+i].Time+fr[from+i].Duration > start })
	}
	if r.EndTimestamp != nil {
		end := rescale(*r.EndTimestamp, uint64(t.Timescale), r.Scale())
		to = from + sort.Search(to-from, func(i int) bool { return fr[from+i].Time >= end })
	}
	return from, to
}

// liveCut narrows the fragments [from, to) of a live track to a filter's
// live window (players.md, live.md): liveBackoffDuration leaves out the
// newest fragments, those that end less than it before the live edge (the
// newest fragment's end); presentationWindowDuration then keeps the
// fragments that start no earlier than it before the end of what is left.
// Both are in the range's timescale. An ended archive is VOD: the caller
// applies neither.
func liveCut(t *packager.Track, r *keyclient.PresentationTimeRange, from, to int) (int, int) {
	fr := t.Fragments
	if from >= to {
		return from, to
	}
	edge := fr[len(fr)-1].Time + fr[len(fr)-1].Duration
	if r.LiveBackoffDuration != nil {
		edge -= min(edge, rescale(*r.LiveBackoffDuration, uint64(t.Timescale), r.Scale()))
		to = from + sort.Search(to-from, func(i int) bool { return fr[from+i].Time+fr[from+i].Duration > edge })
	}
	if r.PresentationWindowDuration != nil && from < to {
		start := edge - min(edge, rescale(*r.PresentationWindowDuration, uint64(t.Timescale), r.Scale()))
		from += sort.Search(to-from, func(i int) bool { return fr[from+i].Time >= start })
	}
	return from, to
}

// rescale returns v*num/den, rounded down, saturating at the largest
// uint64 (timestamps near 2^63 in a fine timescale).
func rescale(v, num, den uint64) uint64 {
	hi, lo := bits.Mul64(v, num)
	if hi >= den {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, den)
	return q
}

// byTrack returns the kept track that presentation track mt describes
// (name and bitrate are unique in an asset).
func (v *assetView) byTrack(mt *manifest.Track) *viewTrack {
	for i := range v.tracks {
		if t := v.tracks[i].t; t.Name == mt.Name && t.Bitrate == mt.Bitrate {
			return &v.tracks[i]
		}
	}
	panic("origin: presentation track " + mt.Name + " not in its view") // built from v
}
