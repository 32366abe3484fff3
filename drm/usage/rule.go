package usage

import "strconv"

// Kind is a track kind as usage rules name it (the JSON trackType).
type Kind string

// Track kinds.
const (
	Video Kind = "video"
	Audio Kind = "audio"
)

// Rule selects tracks. Exactly one of Kind and Name is set. A Kind rule
// with Kind Video may bound the height: MinHeight and MaxHeight are
// inclusive, in lines, and 0 leaves that side open (SD is MaxHeight 576,
// HD MinHeight 577 MaxHeight 1080, UHD MinHeight 1081). It may bound the
// frame size as well, MinPixels and MaxPixels (width × height, inclusive,
// 0 open): what a CPIX VideoFilter states, for rules read from a CPIX
// document (the management API speaks heights). A Name rule selects the
// track(s) of that name (the server manifest's trackName).
type Rule struct {
	Kind      Kind
	Name      string
	MinHeight int
	MaxHeight int
	MinPixels int
	MaxPixels int
}

// Track is what rules see of a track: its kind, name and (video) size.
type Track struct {
	Kind   Kind
	Name   string
	Width  int
	Height int
}

// String names t in errors: "video track video 1280x720", "audio track audio_eng".
func (t Track) String() string {
	s := string(t.Kind) + " track " + t.Name
	if t.Kind == Video && t.Height > 0 {
		s += " " + strconv.Itoa(t.Width) + "x" + strconv.Itoa(t.Height)
	}
	return s
}

// String writes r as its JSON selector would read:
// "trackType=video maxHeight=576", "trackName=audio_eng".
func (r Rule) String() string {
	if r.Name != "" {
		return "trackName=" + r.Name
	}
	s := "trackType=" + string(r.Kind)
	if r.MinHeight > 0 {
		s += " minHeight=" + strconv.Itoa(r.MinHeight)
	}
	if r.MaxHeight > 0 {
		s += " maxHeight=" + strconv.Itoa(r.MaxHeight)
	}
	if r.MinPixels > 0 {
		s += " minPixels=" + strconv.Itoa(r.MinPixels)
	}
	if r.MaxPixels > 0 {
		s += " maxPixels=" + strconv.Itoa(r.MaxPixels)
	}
	return s
}

// Pixels returns r's frame size range (width × height, 0 for an open
// side), as a rule read from a CPIX VideoFilter states it.
func (r Rule) Pixels() (minPixels, maxPixels int) { return r.MinPixels, r.MaxPixels }

// bounded reports whether r bounds the video size at all.
func (r Rule) bounded() bool { return r.MinHeight|r.MaxHeight|r.MinPixels|r.MaxPixels != 0 }

// Heights returns r's kind and height range (0 for an open side), what a
// CPIX writer turns into a VideoFilter or AudioFilter. A Name rule has
// kind "" (CPIX has no filter by track name).
func (r Rule) Heights() (kind Kind, minHeight, maxHeight int) {
	if r.Name != "" {
		return "", 0, 0
	}
	return r.Kind, r.MinHeight, r.MaxHeight
}

// Valid says what is wrong with r ("" when nothing): exactly one of Kind
// and Name, a known kind, heights only on video, not negative, min <= max.
func (r Rule) Valid() string {
	switch {
	case (r.Kind == "") == (r.Name == ""):
		return "needs exactly one of trackType, trackName"
	case r.Name != "" && r.bounded():
		return "minHeight and maxHeight go with trackType video, not trackName"
	case r.Name != "":
		return ""
	case r.Kind != Video && r.Kind != Audio:
		return "trackType must be video or audio"
	case r.Kind != Video && r.bounded():
		return "minHeight and maxHeight go with trackType video only"
	case r.MinHeight < 0 || r.MaxHeight < 0 || r.MinPixels < 0 || r.MaxPixels < 0:
		return "minHeight and maxHeight must be positive"
	case r.MaxHeight != 0 && r.MinHeight > r.MaxHeight:
		return "minHeight must not exceed maxHeight"
	case r.MaxPixels != 0 && r.MinPixels > r.MaxPixels:
		return "minPixels must not exceed maxPixels"
	}
	return ""
}

// within reports whether v is in [lo, hi], 0 leaving a side open.
func within(v, lo, hi int) bool { return (lo == 0 || v >= lo) && (hi == 0 || v <= hi) }

// intersect reports whether [a0, a1] and [b0, b1] meet, 0 leaving a side
// open.
func intersect(a0, a1, b0, b1 int) bool {
	lo := max(a0, b0)
	switch {
	case a1 == 0 && b1 == 0:
		return true
	case a1 == 0:
		return lo <= b1
	case b1 == 0:
		return lo <= a1
	}
	return lo <= min(a1, b1)
}

// Matches reports whether r selects t.
func (r Rule) Matches(t Track) bool {
	if r.Name != "" {
		return r.Name == t.Name
	}
	if r.Kind != t.Kind {
		return false
	}
	return within(t.Height, r.MinHeight, r.MaxHeight) && within(t.Width*t.Height, r.MinPixels, r.MaxPixels)
}

// Overlaps reports whether a kind rule a and a kind rule b can select the
// same track whatever the asset: the same kind, intersecting height
// ranges and intersecting pixel ranges (a frame of any height can have
// any pixel count, its width being free). Name rules never overlap kind
// rules here (a name is more specific, see Select); two equal names do.
func Overlaps(a, b Rule) bool {
	if a.Name != "" || b.Name != "" {
		return a.Name != "" && a.Name == b.Name
	}
	return a.Kind == b.Kind && intersect(a.MinHeight, a.MaxHeight, b.MinHeight, b.MaxHeight) &&
		intersect(a.MinPixels, a.MaxPixels, b.MinPixels, b.MaxPixels)
}
