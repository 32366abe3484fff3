package origin

import (
	"testing"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/packager"
)

func TestLanguageMatches(t *testing.T) {
	for _, c := range []struct {
		track, filter string
		want          bool
	}{
		{"eng", "en", true}, {"en-GB", "en", true}, {"eng", "eng", true}, {"en", "eng", true},
		{"swe", "sv", true}, {"ger", "de", true}, {"deu", "ger", true}, {"en", "en-GB", false},
		{"fra", "en", false}, {"und", "en", false}, {"enm", "en", false}, {"EN-gb", "en-GB", true},
	} {
		if got := languageMatches(c.track, c.filter); got != c.want {
			t.Errorf("track %q, filter %q: %v, want %v", c.track, c.filter, got, c.want)
		}
	}
}

func TestMatches(t *testing.T) {
	v := &packager.Track{Name: "video", Kind: packager.Video, Bitrate: 600000, Codecs: "avc1.64001e", FourCC: "H264", Language: "und"}
	a := &packager.Track{Name: "audio_eng", Kind: packager.Audio, Bitrate: 96000, Codecs: "mp4a.40.2", FourCC: "AACL", Language: "eng"}
	sel := func(p, op, v string) keyclient.TrackSelection {
		return keyclient.TrackSelection{Property: p, Operation: op, Value: v}
	}
	for _, c := range []struct {
		t    *packager.Track
		s    keyclient.TrackSelection
		want bool
	}{
		{v, sel("Type", "Equal", "Video"), true}, {a, sel("Type", "Equal", "Video"), false},
		{a, sel("Type", "NotEqual", "Video"), true}, {v, sel("Type", "Equal", "Text"), false},
		{v, sel("Bitrate", "Equal", "0-600000"), true}, {v, sel("Bitrate", "Equal", "0-599999"), false},
		{v, sel("Bitrate", "NotEqual", "0-599999"), true},
		{v, sel("FourCC", "Equal", "avc1"), true}, {v, sel("FourCC", "Equal", "H264"), true}, {v, sel("FourCC", "Equal", "hvc1"), false},
		{a, sel("FourCC", "Equal", "mp4a"), true}, {a, sel("Name", "Equal", "AUDIO_ENG"), true},
		{a, sel("Language", "Equal", "en"), true}, {a, sel("Language", "NotEqual", "en"), false},
	} {
		if got := matches(c.t, c.s); got != c.want {
			t.Errorf("%s %+v: %v, want %v", c.t.Name, c.s, got, c.want)
		}
	}
	// Groups: a track passes when it matches every selection of one group.
	f := &keyclient.Filter{Tracks: []keyclient.FilterTrackGroup{
		{TrackSelections: []keyclient.TrackSelection{sel("Type", "Equal", "Video"), sel("Bitrate", "Equal", "0-300000")}},
		{TrackSelections: []keyclient.TrackSelection{sel("Language", "Equal", "en")}},
	}}
	if passes(v, f) || !passes(a, f) || !passes(v, &keyclient.Filter{}) {
		t.Error("group logic")
	}
}

// TestCut: the kept fragments overlap [start, end): the first holds start,
// the last holds end; a fragment starting exactly at end is left out; the
// times are converted from the filter's timescale.
func TestCut(t *testing.T) {
	tr := &packager.Track{Timescale: 12800}
	for i := range 4 { // four 2 s fragments from 1 s: [1,3) [3,5) [5,7) [7,9)
		tr.Fragments = append(tr.Fragments, packager.Fragment{Time: uint64(12800 + i*25600), Duration: 25600})
	}
	u := func(v uint64) *uint64 { return &v }
	ms := uint64(1000)
	for _, c := range []struct {
		start, end *uint64
		from, to   int
	}{
		{nil, nil, 0, 4},
		{u(0), u(100_000), 0, 4},
		{u(3000), u(5000), 1, 2}, // 3 s starts fragment 1; 5 s starts fragment 2, which holds nothing before it
		{u(3500), u(5001), 1, 3}, // 5.001 s is in fragment 2
		{u(2999), nil, 0, 4},     // still fragment 0
		{nil, u(1000), 0, 0},     // ends where the first fragment begins: nothing
		{u(9000), nil, 4, 4},     // after the last
		{u(4000), u(4001), 1, 2}, // inside one fragment
	} {
		r := &keyclient.PresentationTimeRange{StartTimestamp: c.start, EndTimestamp: c.end, Timescale: &ms}
		if from, to := cut(tr, r, 0, 4); from != c.from || to != c.to {
			t.Errorf("start %v end %v (ms): [%d,%d), want [%d,%d)", deref(c.start), deref(c.end), from, to, c.from, c.to)
		}
	}
	if got := rescale(1<<62, 1<<20, 1); got != ^uint64(0) {
		t.Errorf("rescale overflow: %d", got)
	}
}

func deref(p *uint64) any {
	if p == nil {
		return nil
	}
	return *p
}
