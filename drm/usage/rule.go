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
// HD MinHeight 577 MaxHeight 1080, UHD MinHeight 1081). A Name rule selects
// the track(s) of that name (the server manifest's trackName).
type Rule struct {
	Kind      Kind
	Name      string
	MinHeight int
	MaxHeight int
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
	return s
}

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
	case r.Name != "" && (r.MinHeight != 0 || r.MaxHeight != 0):
		return "minHeight and maxHeight go with trackType video, not trackName"
	case r.Name != "":
		return ""
	case r.Kind != Video && r.Kind != Audio:
		return "trackType must be video or audio"
	case r.Kind != Video && (r.MinHeight != 0 || r.MaxHeight != 0):
		return "minHeight and maxHeight go with trackType video only"
	case r.MinHeight < 0 || r.MaxHeight < 0:
		return "minHeight and maxHeight must be positive"
	case r.MaxHeight != 0 && r.MinHeight > r.MaxHeight:
		return "minHeight must not exceed maxHeight"
	}
	return ""
}

// Matches reports whether r selects t.
func (r Rule) Matches(t Track) bool {
	if r.Name != "" {
		return r.Name == t.Name
	}
	if r.Kind != t.Kind {
		return false
	}
	return (r.MinHeight == 0 || t.Height >= r.MinHeight) && (r.MaxHeight == 0 || t.Height <= r.MaxHeight)
}

// Overlaps reports whether a kind rule a and a kind rule b can select the
// same track whatever the asset: the same kind and intersecting height
// ranges. Name rules never overlap kind rules here (a name is more
// specific, see Select); two equal names do.
func Overlaps(a, b Rule) bool {
	if a.Name != "" || b.Name != "" {
		return a.Name != "" && a.Name == b.Name
	}
	if a.Kind != b.Kind {
		return false
	}
	lo := max(a.MinHeight, b.MinHeight)
	hiA, hiB := a.MaxHeight, b.MaxHeight
	switch {
	case hiA == 0:
		return hiB == 0 || lo <= hiB
	case hiB == 0:
		return lo <= hiA
	}
	return lo <= min(hiA, hiB)
}
