package keyclient

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Filter is an asset or account filter (players.md, "Dynamic filters"): the
// cloud media service's JSON, so that operators' existing definitions work
// unchanged. The stored and returned form is the object as the PUT gave it,
// normalised: the properties and operations spelled as documented, absent
// optional members of presentationTimeRange written as null.
type Filter struct {
	PresentationTimeRange *PresentationTimeRange `json:"presentationTimeRange,omitempty"`
	FirstQuality          *FirstQuality          `json:"firstQuality,omitempty"`
	Tracks                []FilterTrackGroup     `json:"tracks,omitempty"`
}

// PresentationTimeRange cuts a presentation in time. Timestamps are on the
// track files' media timeline, in Timescale units (default 10,000,000).
// PresentationWindowDuration and LiveBackoffDuration are for live streams.
type PresentationTimeRange struct {
	StartTimestamp             *uint64 `json:"startTimestamp"`
	EndTimestamp               *uint64 `json:"endTimestamp"`
	PresentationWindowDuration *uint64 `json:"presentationWindowDuration"`
	LiveBackoffDuration        *uint64 `json:"liveBackoffDuration"`
	Timescale                  *uint64 `json:"timescale"`
	ForceEndTimestamp          bool    `json:"forceEndTimestamp"`
}

// DefaultFilterTimescale is the timescale of a time range that states none.
const DefaultFilterTimescale = 10_000_000

// Scale returns the range's timescale, DefaultFilterTimescale when unset.
func (r *PresentationTimeRange) Scale() uint64 {
	if r.Timescale == nil {
		return DefaultFilterTimescale
	}
	return *r.Timescale
}

// FirstQuality names the bitrate whose nearest video track is the first
// HLS variant.
type FirstQuality struct {
	Bitrate int64 `json:"bitrate"`
}

// FilterTrackGroup is one group of selections: a track passes the group
// when it matches every selection in it.
type FilterTrackGroup struct {
	TrackSelections []TrackSelection `json:"trackSelections"`
}

// TrackSelection is one condition on a track property.
type TrackSelection struct {
	Property  string `json:"property"`
	Operation string `json:"operation"`
	Value     string `json:"value"`
}

// Track selection properties and operations, spelled as stored.
const (
	PropertyType     = "Type"
	PropertyName     = "Name"
	PropertyLanguage = "Language"
	PropertyFourCC   = "FourCC"
	PropertyBitrate  = "Bitrate"

	OperationEqual    = "Equal"
	OperationNotEqual = "NotEqual"
)

var (
	filterProperties = []string{PropertyType, PropertyName, PropertyLanguage, PropertyFourCC, PropertyBitrate}
	filterOperations = []string{OperationEqual, OperationNotEqual}
	filterTypes      = []string{"Video", "Audio", "Text"}
)

// Bounds on a filter, so that evaluating one per request stays cheap.
const (
	MaxFilterGroups     = 64
	MaxFilterSelections = 16
	maxFilterValueLen   = 256
)

// DecodeFilter strictly decodes a filter body, naming the offending field
// in a *ValidationError: unknown members, a property, operation or value
// that is not one of the documented ones, a Bitrate that is not a
// "min-max" range, timestamps that are not non-negative integers or an end
// not after the start, a zero timescale, a firstQuality bitrate that is not
// positive.
func DecodeFilter(body []byte) (*Filter, error) {
	var d dec
	m := d.root(body, "presentationTimeRange", "firstQuality", "tracks")
	f := &Filter{}
	if raw, ok := m["presentationTimeRange"]; ok && !isNull(raw) {
		f.PresentationTimeRange = d.timeRange(raw)
	}
	if raw, ok := m["firstQuality"]; ok && !isNull(raw) {
		fm := d.object(raw, "firstQuality", "bitrate")
		b := d.uint(fm, "firstQuality", "bitrate")
		switch {
		case d.err != nil:
		case b == nil:
			d.fail("firstQuality.bitrate", "required")
		case *b == 0 || *b > 1<<40:
			d.fail("firstQuality.bitrate", "must be a positive bitrate in bits per second")
		default:
			f.FirstQuality = &FirstQuality{Bitrate: int64(*b)}
		}
	}
	groups := d.array(m, "", "tracks")
	if d.err == nil && len(groups) > MaxFilterGroups {
		d.fail("tracks", "at most %d groups", MaxFilterGroups)
	}
	for i, raw := range groups {
		path := index("tracks", i)
		gm := d.object(raw, path, "trackSelections")
		sels := d.array(gm, path, "trackSelections")
		switch {
		case d.err != nil:
		case len(sels) == 0:
			d.fail(join(path, "trackSelections"), "must hold at least one selection")
		case len(sels) > MaxFilterSelections:
			d.fail(join(path, "trackSelections"), "at most %d selections", MaxFilterSelections)
		}
		g := FilterTrackGroup{}
		for j, sraw := range sels {
			g.TrackSelections = append(g.TrackSelections, d.selection(sraw, index(join(path, "trackSelections"), j)))
		}
		f.Tracks = append(f.Tracks, g)
	}
	if d.err != nil {
		return nil, d.err
	}
	return f, nil
}

func (d *dec) timeRange(raw json.RawMessage) *PresentationTimeRange {
	const path = "presentationTimeRange"
	m := d.object(raw, path, "startTimestamp", "endTimestamp", "presentationWindowDuration",
		"liveBackoffDuration", "timescale", "forceEndTimestamp")
	r := &PresentationTimeRange{
		StartTimestamp:             d.uint(m, path, "startTimestamp"),
		EndTimestamp:               d.uint(m, path, "endTimestamp"),
		PresentationWindowDuration: d.uint(m, path, "presentationWindowDuration"),
		LiveBackoffDuration:        d.uint(m, path, "liveBackoffDuration"),
		Timescale:                  d.uint(m, path, "timescale"),
		ForceEndTimestamp:          d.boolean(m, path, "forceEndTimestamp"),
	}
	switch {
	case d.err != nil:
	case r.Timescale != nil && *r.Timescale == 0:
		d.fail(join(path, "timescale"), "must be a positive number of units per second")
	case r.StartTimestamp != nil && r.EndTimestamp != nil && *r.EndTimestamp <= *r.StartTimestamp:
		d.fail(join(path, "endTimestamp"), "must be after startTimestamp")
	}
	return r
}

// uint decodes a non-negative integer field below 2^63 (JSON number, or a
// string of digits as some tools write 64-bit values); null and absent give
// nil.
func (d *dec) uint(m map[string]json.RawMessage, path, key string) *uint64 {
	raw := bytes.TrimSpace(m[key])
	if d.err != nil || isNull(raw) {
		return nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if json.Unmarshal(raw, &s) != nil {
			s = ""
		}
	}
	v, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		d.fail(join(path, key), "must be a non-negative integer")
		return nil
	}
	return &v
}

func (d *dec) selection(raw json.RawMessage, path string) TrackSelection {
	m := d.object(raw, path, "property", "operation", "value")
	var s TrackSelection
	prop := d.reqStr(m, path, "property")
	op, _ := d.str(m, path, "operation")
	val := d.reqStr(m, path, "value")
	if d.err != nil {
		return s
	}
	var ok bool
	if s.Property, ok = lookupName(filterProperties, prop); !ok {
		d.fail(join(path, "property"), "%q: want one of %s", prop, strings.Join(filterProperties, ", "))
		return s
	}
	if op == "" {
		op = OperationEqual // the cloud service's default
	}
	if s.Operation, ok = lookupName(filterOperations, op); !ok {
		d.fail(join(path, "operation"), "%q: want Equal or NotEqual", op)
		return s
	}
	s.Value = strings.TrimSpace(val)
	vpath := join(path, "value")
	switch {
	case len(s.Value) > maxFilterValueLen:
		d.fail(vpath, "longer than %d characters", maxFilterValueLen)
	case s.Property == PropertyType:
		if s.Value, ok = lookupName(filterTypes, s.Value); !ok {
			d.fail(vpath, "%q: a Type is Video, Audio or Text", val)
		}
	case s.Property == PropertyBitrate:
		if _, _, ok := ParseBitrateRange(s.Value); !ok {
			d.fail(vpath, "%q: a Bitrate is a range min-max in bits per second, e.g. 0-2000000", val)
		}
	case s.Property == PropertyLanguage:
		if !validLanguageTag(s.Value) {
			d.fail(vpath, "%q: a Language is an ISO 639 code or a BCP-47 tag (en, eng, en-GB)", val)
		}
	case s.Property == PropertyFourCC:
		if len(s.Value) > 8 {
			d.fail(vpath, "%q: a FourCC has four characters (avc1, hev1, mp4a, …)", val)
		}
	}
	return s
}

// ParseBitrateRange parses "min-max" (bits per second, min <= max).
func ParseBitrateRange(s string) (lo, hi int64, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	x, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	y, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	if err1 != nil || err2 != nil || x < 0 || y < x {
		return 0, 0, false
	}
	return x, y, true
}

func validLanguageTag(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, "-") {
		if part == "" || len(part) > 8 {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

// lookupName returns the documented spelling of s among names, compared
// without regard to case.
func lookupName(names []string, s string) (string, bool) {
	for _, n := range names {
		if strings.EqualFold(n, s) {
			return n, true
		}
	}
	return "", false
}
