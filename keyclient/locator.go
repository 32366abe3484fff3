package keyclient

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/drmorigin/drmorigin/drm/usage"
)

// KeyType is a content key's type: the scheme family it encrypts.
type KeyType string

// Content key types.
const (
	KeyTypeEnvelope KeyType = "envelopeEncryption"   // HLS AES-128, cbc
	KeyTypeCENC     KeyType = "commonEncryptionCenc" // cenc, piff
	KeyTypeCBCS     KeyType = "commonEncryptionCbcs" // cbcs, cbcs-aapl
)

// Scheme returns the scheme a key of type t encrypts.
func (t KeyType) Scheme() Scheme {
	switch t {
	case KeyTypeEnvelope:
		return SchemeEnvelope
	case KeyTypeCENC:
		return SchemeCENC
	case KeyTypeCBCS:
		return SchemeCBCS
	}
	return ""
}

// KeyTypeFor returns the content key type that encrypts scheme s.
func KeyTypeFor(s Scheme) KeyType {
	switch s {
	case SchemeEnvelope:
		return KeyTypeEnvelope
	case SchemeCENC:
		return KeyTypeCENC
	case SchemeCBCS:
		return KeyTypeCBCS
	}
	return ""
}

// TrackSelector selects tracks by type ("video", "audio") or by name; a
// video selector may bound the height, inclusive (0: open), for SD, HD and
// UHD keys (exchange.md, "Usage rules").
type TrackSelector struct {
	TrackType string `json:"trackType,omitempty"`
	TrackName string `json:"trackName,omitempty"`
	MinHeight int    `json:"minHeight,omitempty"`
	MaxHeight int    `json:"maxHeight,omitempty"`
	// MinPixels and MaxPixels bound the frame size (width × height) as a
	// CPIX document's VideoFilter does; only an import sets them (the
	// management API's locator body selects by height).
	MinPixels int `json:"minPixels,omitempty"`
	MaxPixels int `json:"maxPixels,omitempty"`
}

// Rule is s as a usage rule.
func (s TrackSelector) Rule() usage.Rule {
	return usage.Rule{Kind: usage.Kind(s.TrackType), Name: s.TrackName, MinHeight: s.MinHeight, MaxHeight: s.MaxHeight,
		MinPixels: s.MinPixels, MaxPixels: s.MaxPixels}
}

// SelectorOf is the TrackSelector of usage rule r (the inverse of Rule),
// for a reader of CPIX usage rules.
func SelectorOf(r usage.Rule) TrackSelector {
	return TrackSelector{TrackType: string(r.Kind), TrackName: r.Name, MinHeight: r.MinHeight, MaxHeight: r.MaxHeight,
		MinPixels: r.MinPixels, MaxPixels: r.MaxPixels}
}

// Rules are k's usage rules (nil: every track no other key of its type
// selects).
func (k *ContentKey) Rules() []usage.Rule { return rulesOf(k.Tracks) }

func rulesOf(ts []TrackSelector) []usage.Rule {
	if len(ts) == 0 {
		return nil
	}
	r := make([]usage.Rule, len(ts))
	for i, s := range ts {
		r[i] = s.Rule()
	}
	return r
}

// StreamingLocator publishes one asset under a name with a streaming
// policy and content keys. It is immutable once written.
type StreamingLocator struct {
	Name                        string       `json:"name"`
	AssetName                   string       `json:"assetName"`
	StreamingPolicyName         string       `json:"streamingPolicyName"`
	DefaultContentKeyPolicyName string       `json:"defaultContentKeyPolicyName,omitempty"`
	StartTime                   *time.Time   `json:"startTime"`
	EndTime                     *time.Time   `json:"endTime"`
	ContentKeys                 []ContentKey `json:"contentKeys"`
	// Filters apply to every URL of the locator (players.md): each names
	// the asset's filter of that name, else the account filter. They must
	// exist when the locator is created, and cannot be deleted while it
	// lists them.
	Filters []string `json:"filters,omitempty"`
}

// MaxFilters is how many filters one URL (filter=a;b;c), and one
// locator, may name.
const MaxFilters = 3

// ContentKey is one content key of a locator. Value is only set where the
// caller is entitled to it (ListContentKeys); it marshals as standard
// base64.
type ContentKey struct {
	ID                              KID             `json:"id"`
	Value                           []byte          `json:"value,omitempty"`
	Type                            KeyType         `json:"type"`
	LabelReferenceInStreamingPolicy string          `json:"labelReferenceInStreamingPolicy,omitempty"`
	Tracks                          []TrackSelector `json:"tracks,omitempty"`
	PolicyName                      string          `json:"policyName,omitempty"`
}

// EffectivePolicyName is the key's content key policy: its own, else the
// locator's default ("" for none).
func (l *StreamingLocator) EffectivePolicyName(k *ContentKey) string {
	if k.PolicyName != "" {
		return k.PolicyName
	}
	return l.DefaultContentKeyPolicyName
}

// Active reports whether now is inside [StartTime, EndTime).
func (l *StreamingLocator) Active(now time.Time) bool {
	if l.StartTime != nil && now.Before(*l.StartTime) {
		return false
	}
	if l.EndTime != nil && !now.Before(*l.EndTime) {
		return false
	}
	return true
}

// MaxNameLen is the longest resource name: names are URL path segments and
// store keys, and 260 is what the cloud model this follows allows.
const MaxNameLen = 260

// validName reports whether s is 1..MaxNameLen of [A-Za-z0-9_-].
func validName(s string) bool {
	if len(s) == 0 || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validAssetName refuses path separators, "..", control characters and
// over-long names, so an asset name can never leave the asset root.
func validAssetName(s string) bool {
	if s == "" || len(s) > MaxNameLen || s == "." || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f || r == ':' {
			return false
		}
	}
	return true
}

// locatorInput is a decoded locator as written: which ids and values were
// given, so that generated ones can be told apart.
type locatorInput struct {
	loc        StreamingLocator
	idGiven    []bool
	valueGiven []bool
	// cpix is the CPIX document given in place of contentKeys ("" for
	// none); importCPIX turns it into contentKeys and drm.
	cpix string
	// drm is parallel to loc.ContentKeys: the imported signalling.
	drm [][]DRMSignal
	// fromKeyServer: the keys came from the policy's key server, not the
	// request; they are stored as generated (the request gave none).
	fromKeyServer bool
}

// decodeLocator strictly decodes a locator body. It checks shapes and
// formats; rules that need the streaming policy are in Service.
func decodeLocator(body []byte) (*locatorInput, error) {
	var d dec
	m := d.root(body, "name", "assetName", "streamingPolicyName", "defaultContentKeyPolicyName",
		"startTime", "endTime", "contentKeys", "filters", "cpix")
	in := &locatorInput{}
	l := &in.loc
	l.Name, _ = d.str(m, "", "name")
	l.AssetName = d.reqStr(m, "", "assetName")
	if d.err == nil && !validAssetName(l.AssetName) {
		d.fail("assetName", "must not contain path separators or \"..\"")
	}
	l.StreamingPolicyName = d.reqStr(m, "", "streamingPolicyName")
	if d.err == nil && !validName(l.StreamingPolicyName) {
		d.fail("streamingPolicyName", "must be 1..%d characters of A-Z a-z 0-9 _ -", MaxNameLen)
	}
	l.DefaultContentKeyPolicyName, _ = d.str(m, "", "defaultContentKeyPolicyName")
	if d.err == nil && l.DefaultContentKeyPolicyName != "" && !validName(l.DefaultContentKeyPolicyName) {
		d.fail("defaultContentKeyPolicyName", "must be 1..%d characters of A-Z a-z 0-9 _ -", MaxNameLen)
	}
	in.cpix, _ = d.str(m, "", "cpix")
	if d.err == nil && in.cpix != "" && !isNull(m["contentKeys"]) {
		d.fail("cpix", "give either contentKeys or a cpix document, not both")
	}
	l.StartTime = d.timeField(m, "", "startTime")
	l.EndTime = d.timeField(m, "", "endTime")
	if d.err == nil && l.StartTime != nil && l.EndTime != nil && !l.EndTime.After(*l.StartTime) {
		d.fail("endTime", "must be after startTime")
	}
	l.Filters = d.strArray(m, "", "filters")
	if d.err == nil && len(l.Filters) > MaxFilters {
		d.fail("filters", "at most %d filters", MaxFilters)
	}
	for i, f := range l.Filters {
		switch {
		case d.err != nil:
		case !validName(f):
			d.fail(index("filters", i), "must be 1..%d characters of A-Z a-z 0-9 _ -", MaxNameLen)
		case slices.Contains(l.Filters[:i], f):
			d.fail(index("filters", i), "filter %q is listed twice", f)
		}
	}
	if d.err == nil && l.Filters != nil && len(l.Filters) == 0 {
		l.Filters = nil
	}
	for i, raw := range d.array(m, "", "contentKeys") {
		path := index("contentKeys", i)
		km := d.object(raw, path, "id", "value", "type", "labelReferenceInStreamingPolicy", "tracks", "policyName")
		var k ContentKey
		var idGiven, valueGiven bool
		if s, ok := d.str(km, path, "id"); ok {
			kid, err := ParseKID(s)
			if err != nil && d.err == nil {
				d.fail(join(path, "id"), "must be a GUID")
			}
			k.ID, idGiven = kid, true
		}
		if s, ok := d.str(km, path, "value"); ok {
			b, ok := decodeBase64(s)
			if d.err == nil && (!ok || len(b) != 16) {
				d.fail(join(path, "value"), "must be base64 of 16 bytes")
			}
			k.Value, valueGiven = b, true
		}
		switch t := KeyType(d.reqStr(km, path, "type")); t {
		case KeyTypeEnvelope, KeyTypeCENC, KeyTypeCBCS:
			k.Type = t
		default:
			d.fail(join(path, "type"), "must be one of envelopeEncryption, commonEncryptionCenc, commonEncryptionCbcs")
		}
		k.LabelReferenceInStreamingPolicy, _ = d.str(km, path, "labelReferenceInStreamingPolicy")
		tracks := d.array(km, path, "tracks")
		for j, traw := range tracks {
			tpath := index(join(path, "tracks"), j)
			tm := d.object(traw, tpath, "trackType", "trackName", "minHeight", "maxHeight")
			var ts TrackSelector
			tt, hasType := d.str(tm, tpath, "trackType")
			tn, hasName := d.str(tm, tpath, "trackName")
			minH, hasMin := d.height(tm, tpath, "minHeight")
			maxH, hasMax := d.height(tm, tpath, "maxHeight")
			switch {
			case d.err != nil:
			case hasType == hasName:
				d.fail(tpath, "needs exactly one of trackType, trackName")
			case hasType && tt != "video" && tt != "audio":
				d.fail(join(tpath, "trackType"), "must be video or audio")
			case hasName && tn == "":
				d.fail(join(tpath, "trackName"), "must not be empty")
			case hasMin && tt != "video":
				d.fail(join(tpath, "minHeight"), "selects by video height: only with trackType video")
			case hasMax && tt != "video":
				d.fail(join(tpath, "maxHeight"), "selects by video height: only with trackType video")
			case hasMin && hasMax && minH > maxH:
				d.fail(join(tpath, "minHeight"), "must not exceed maxHeight (%d)", maxH)
			}
			ts.TrackType, ts.TrackName, ts.MinHeight, ts.MaxHeight = tt, tn, minH, maxH
			k.Tracks = append(k.Tracks, ts)
		}
		if d.err == nil && tracks != nil && len(tracks) == 0 {
			d.fail(join(path, "tracks"), "must not be empty (omit it to cover every track)")
		}
		k.PolicyName, _ = d.str(km, path, "policyName")
		if d.err == nil && k.PolicyName != "" && !validName(k.PolicyName) {
			d.fail(join(path, "policyName"), "must be 1..%d characters of A-Z a-z 0-9 _ -", MaxNameLen)
		}
		if d.err != nil {
			return nil, d.err
		}
		l.ContentKeys = append(l.ContentKeys, k)
		in.idGiven = append(in.idGiven, idGiven)
		in.valueGiven = append(in.valueGiven, valueGiven)
	}
	if d.err != nil {
		return nil, d.err
	}
	if err := checkKeys(l, in.valueGiven); err != nil {
		return nil, err
	}
	return in, nil
}

// checkKeys enforces the rules within one request: the same KID twice must
// carry the same value and policy, and keys of one type must not overlap in
// the tracks they select.
func checkKeys(l *StreamingLocator, valueGiven []bool) error {
	keys := l.ContentKeys
	for i := range keys {
		ki := &keys[i]
		for j := 0; j < i; j++ {
			kj := &keys[j]
			if !ki.ID.IsZero() && ki.ID == kj.ID {
				if valueGiven[i] && valueGiven[j] && string(ki.Value) != string(kj.Value) {
					return invalid(index("contentKeys", i)+".value", "KID %s appears twice with different values", ki.ID)
				}
				if l.EffectivePolicyName(ki) != l.EffectivePolicyName(kj) {
					return invalid(index("contentKeys", i)+".policyName", "KID %s appears twice with different policies", ki.ID)
				}
				if ki.Type == kj.Type {
					return invalid(index("contentKeys", i)+".id", "KID %s appears twice for type %s", ki.ID, ki.Type)
				}
			}
		}
		seen := map[TrackSelector]bool{}
		for t, ts := range ki.Tracks {
			if seen[ts] {
				return invalid(index(index("contentKeys", i)+".tracks", t), "duplicate track selector")
			}
			seen[ts] = true
		}
	}
	return checkRules(l, nil)
}

// checkRules checks the usage rules of l's keys, type by type: no two
// keys of one type whose rules select the same tracks and, with the
// asset's tracks (nil when unknown), every track selected by exactly one
// key of each type the locator gives keys for. A type without given keys
// gets one generated key for every track.
func checkRules(l *StreamingLocator, tracks []usage.Track) error {
	for _, t := range []KeyType{KeyTypeEnvelope, KeyTypeCENC, KeyTypeCBCS} {
		var idx []int
		var rules [][]usage.Rule
		for i := range l.ContentKeys {
			if k := &l.ContentKeys[i]; k.Type == t {
				idx = append(idx, i)
				rules = append(rules, k.Rules())
			}
		}
		if len(idx) == 0 {
			continue
		}
		var err error
		if tracks == nil {
			err = usage.CheckRules(rules)
		} else {
			err = usage.Check(rules, tracks)
		}
		var oe *usage.OverlapError
		var ue *usage.UncoveredError
		switch {
		case err == nil:
		case errors.As(err, &oe):
			a, b := idx[oe.KeyA], idx[oe.KeyB]
			msg := "overlaps the tracks of " + keyName(l, a) + ": " + keyName(l, a) + " (" + usage.Describe(rules[oe.KeyA]) +
				") and " + keyName(l, b) + " (" + usage.Describe(rules[oe.KeyB]) + ") are both " + string(t) + " keys"
			if oe.Track != nil {
				msg += " and both select " + oe.Track.String()
			}
			return invalid(index("contentKeys", b)+".tracks", "%s", msg)
		case errors.As(err, &ue):
			return invalid("contentKeys", "no %s key selects %s of asset %s: add a key whose tracks select it (or one without tracks)",
				t, ue.Track, l.AssetName)
		default:
			return invalid(index("contentKeys", idx[0])+".tracks", "%v", err)
		}
	}
	return nil
}

// keyName names key i of l in messages: its index, and its KID when given.
func keyName(l *StreamingLocator, i int) string {
	s := index("contentKeys", i)
	if k := &l.ContentKeys[i]; !k.ID.IsZero() {
		s += " (KID " + k.ID.String() + ")"
	}
	return s
}

// json helpers for stored and returned forms.

// storedLocator is the store's form of a locator: the locator as written,
// with each key's value wrapped and what the request gave recorded, so an
// identical PUT can be recognised even where ids and values were generated.
type storedLocator struct {
	Name                        string      `json:"name"`
	AssetName                   string      `json:"assetName"`
	StreamingPolicyName         string      `json:"streamingPolicyName"`
	DefaultContentKeyPolicyName string      `json:"defaultContentKeyPolicyName,omitempty"`
	StartTime                   *time.Time  `json:"startTime"`
	EndTime                     *time.Time  `json:"endTime"`
	ContentKeys                 []storedKey `json:"contentKeys"`
	Filters                     []string    `json:"filters,omitempty"`
	// FilterKinds says, for each filter, whether it was the asset's or
	// the account's when the locator was created: the reference the
	// store keeps.
	FilterKinds []Kind `json:"filterKinds,omitempty"`
}

type storedKey struct {
	ID                              KID             `json:"id"`
	Type                            KeyType         `json:"type"`
	LabelReferenceInStreamingPolicy string          `json:"labelReferenceInStreamingPolicy,omitempty"`
	Tracks                          []TrackSelector `json:"tracks,omitempty"`
	PolicyName                      string          `json:"policyName,omitempty"`
	WrappedValue                    []byte          `json:"wrappedValue"`
	KEKID                           string          `json:"kekId"`
	// IDGiven and ValueGiven say what the request gave; Generated marks a
	// key added for an enabled scheme the request gave no key for.
	IDGiven    bool `json:"idGiven,omitempty"`
	ValueGiven bool `json:"valueGiven,omitempty"`
	Generated  bool `json:"generated,omitempty"`
	// DRM is the signalling a CPIX import gave for the key.
	DRM []DRMSignal `json:"drm,omitempty"`
}

func (s *storedLocator) locator() *StreamingLocator {
	l := &StreamingLocator{
		Name: s.Name, AssetName: s.AssetName, StreamingPolicyName: s.StreamingPolicyName,
		DefaultContentKeyPolicyName: s.DefaultContentKeyPolicyName,
		StartTime:                   s.StartTime, EndTime: s.EndTime,
		ContentKeys: make([]ContentKey, len(s.ContentKeys)),
		Filters:     s.Filters,
	}
	for i, k := range s.ContentKeys {
		l.ContentKeys[i] = ContentKey{ID: k.ID, Type: k.Type, LabelReferenceInStreamingPolicy: k.LabelReferenceInStreamingPolicy,
			Tracks: k.Tracks, PolicyName: k.PolicyName}
	}
	return l
}

func decodeStoredLocator(doc []byte) (*storedLocator, error) {
	var s storedLocator
	if err := json.Unmarshal(doc, &s); err != nil {
		return nil, err
	}
	return &s, nil
}
