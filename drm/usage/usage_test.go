package usage_test

import (
	"errors"
	"testing"

	"github.com/drmorigin/drmorigin/drm/usage"
)

var (
	sd    = usage.Rule{Kind: usage.Video, MaxHeight: 576}
	hd    = usage.Rule{Kind: usage.Video, MinHeight: 577, MaxHeight: 1080}
	uhd   = usage.Rule{Kind: usage.Video, MinHeight: 1081}
	audio = usage.Rule{Kind: usage.Audio}
	video = usage.Rule{Kind: usage.Video}

	v360  = usage.Track{Kind: usage.Video, Name: "video", Width: 640, Height: 360}
	v576  = usage.Track{Kind: usage.Video, Name: "video", Width: 1024, Height: 576}
	v720  = usage.Track{Kind: usage.Video, Name: "video", Width: 1280, Height: 720}
	v2160 = usage.Track{Kind: usage.Video, Name: "video", Width: 3840, Height: 2160}
	aEng  = usage.Track{Kind: usage.Audio, Name: "audio_eng"}
)

// TestSelectTiers: SD, HD, UHD and audio keys each select their tracks,
// the tier bounds inclusive.
func TestSelectTiers(t *testing.T) {
	keys := [][]usage.Rule{{sd}, {hd}, {uhd}, {audio}}
	for _, c := range []struct {
		t    usage.Track
		want int
	}{{v360, 0}, {v576, 0}, {usage.Track{Kind: usage.Video, Height: 577}, 1}, {v720, 1},
		{usage.Track{Kind: usage.Video, Height: 1080}, 1}, {v2160, 2}, {aEng, 3}} {
		got, ok := usage.Select(keys, c.t)
		if !ok || got != c.want {
			t.Errorf("Select(%s) = %d, %v; want %d", c.t, got, ok, c.want)
		}
	}
	if err := usage.Check(keys, []usage.Track{v360, v720, v2160, aEng}); err != nil {
		t.Fatal(err)
	}
}

// TestSelectPrecedence: a name beats a kind rule, a kind rule beats the
// key without rules; nothing selected without a catch-all.
func TestSelectPrecedence(t *testing.T) {
	keys := [][]usage.Rule{nil, {video}, {{Name: "audio_eng"}}}
	if k, _ := usage.Select(keys, aEng); k != 2 {
		t.Errorf("audio_eng → key %d, want 2 (by name)", k)
	}
	if k, _ := usage.Select(keys, v720); k != 1 {
		t.Errorf("video → key %d, want 1 (by kind)", k)
	}
	if k, _ := usage.Select(keys, usage.Track{Kind: usage.Audio, Name: "audio_fra"}); k != 0 {
		t.Errorf("audio_fra → key %d, want 0 (catch-all)", k)
	}
	if _, ok := usage.Select([][]usage.Rule{{sd}}, v720); ok {
		t.Error("720p selected by an SD-only key set")
	}
}

// TestCheckOverlap: rules that can select the same track are refused
// without an asset, naming both keys; disjoint tiers are not.
func TestCheckOverlap(t *testing.T) {
	for _, c := range []struct {
		keys    [][]usage.Rule
		overlap bool
	}{
		{[][]usage.Rule{{sd}, {hd}, {uhd}, {audio}}, false},
		{[][]usage.Rule{{sd}, {video}}, true},
		{[][]usage.Rule{{sd}, {{Kind: usage.Video, MinHeight: 576}}}, true},
		{[][]usage.Rule{{sd}, {{Kind: usage.Video, MaxHeight: 300}}}, true},
		{[][]usage.Rule{{uhd}, {{Kind: usage.Video, MinHeight: 2000}}}, true},
		{[][]usage.Rule{{audio}, {audio}}, true},
		{[][]usage.Rule{nil, nil}, true},
		{[][]usage.Rule{{{Name: "x"}}, {{Name: "x"}}}, true},
		{[][]usage.Rule{{{Name: "video"}}, {video}}, false},
	} {
		err := usage.CheckRules(c.keys)
		var oe *usage.OverlapError
		if got := errors.As(err, &oe); got != c.overlap {
			t.Errorf("CheckRules(%v) = %v, want overlap %v", c.keys, err, c.overlap)
		}
		if oe != nil && (oe.KeyA == oe.KeyB) {
			t.Errorf("%v: overlap names key %d twice", c.keys, oe.KeyA)
		}
	}
}

// TestCheckAsset: a track no key selects, and one two name rules both
// select, are refused naming the track.
func TestCheckAsset(t *testing.T) {
	err := usage.Check([][]usage.Rule{{sd}, {audio}}, []usage.Track{v360, v720, aEng})
	var ue *usage.UncoveredError
	if !errors.As(err, &ue) || ue.Track != v720 {
		t.Fatalf("Check = %v, want the 720p track uncovered", err)
	}
	if got, want := err.Error(), "no key selects video track video 1280x720"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	// A catch-all covers what the tiers leave.
	if err := usage.Check([][]usage.Rule{{sd}, nil}, []usage.Track{v360, v720, aEng}); err != nil {
		t.Fatal(err)
	}
	// Bad rules.
	for _, r := range []usage.Rule{{}, {Kind: "text"}, {Kind: usage.Audio, MaxHeight: 5},
		{Name: "x", MinHeight: 1}, {Kind: usage.Video, MinHeight: 700, MaxHeight: 600}, {Kind: usage.Video, MinHeight: -1}} {
		if err := usage.CheckRules([][]usage.Rule{{r}}); err == nil {
			t.Errorf("rule %+v accepted", r)
		}
	}
}

// TestHeightsAndPixels: what a CPIX writer reads.
func TestHeightsAndPixels(t *testing.T) {
	if k, lo, hi := hd.Heights(); k != usage.Video || lo != 577 || hi != 1080 {
		t.Errorf("hd.Heights() = %s %d %d", k, lo, hi)
	}
	if k, _, _ := (usage.Rule{Name: "x"}).Heights(); k != "" {
		t.Errorf("a name rule has kind %q", k)
	}
	tracks := []usage.Track{v360, v576, v720, v2160, aEng}
	lo, hi, ok := usage.PixelRange(sd, tracks)
	if !ok || lo != 640*360 || hi != 1024*576 {
		t.Errorf("PixelRange(sd) = %d %d %v", lo, hi, ok)
	}
	if _, _, ok := usage.PixelRange(audio, tracks); ok {
		t.Error("PixelRange of an audio rule")
	}
}

// TestSelectAllocs: Select is on the segment path.
func TestSelectAllocs(t *testing.T) {
	keys := [][]usage.Rule{{sd}, {hd}, {uhd}, {audio}}
	if n := testing.AllocsPerRun(100, func() { usage.Select(keys, v720) }); n != 0 {
		t.Errorf("Select: %v allocs", n)
	}
}

// TestPixelRules: rules as a CPIX VideoFilter states them (frame size),
// matched and checked for overlaps like height rules.
func TestPixelRules(t *testing.T) {
	sdPx := usage.Rule{Kind: usage.Video, MaxPixels: 1024 * 576}
	hdPx := usage.Rule{Kind: usage.Video, MinPixels: 1024*576 + 1, MaxPixels: 1920 * 1080}
	keys := [][]usage.Rule{{sdPx}, {hdPx}, {audio}}
	if err := usage.Check(keys, []usage.Track{v360, v576, v720, aEng}); err != nil {
		t.Fatal(err)
	}
	if k, _ := usage.Select(keys, v720); k != 1 {
		t.Errorf("720p by pixels → key %d, want 1", k)
	}
	if lo, hi := hdPx.Pixels(); lo != 1024*576+1 || hi != 1920*1080 {
		t.Errorf("Pixels() = %d %d", lo, hi)
	}
	for _, c := range []struct {
		a, b usage.Rule
		want bool
	}{
		{sdPx, hdPx, false},
		{sdPx, usage.Rule{Kind: usage.Video, MinPixels: 1024 * 576}, true},
		{sdPx, hd, true}, // a 720-line frame of few pixels is possible
		{usage.Rule{Kind: usage.Video, MaxHeight: 576, MaxPixels: 1000}, usage.Rule{Kind: usage.Video, MinHeight: 577}, false},
	} {
		if got := usage.Overlaps(c.a, c.b); got != c.want {
			t.Errorf("Overlaps(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	if err := usage.CheckRules([][]usage.Rule{{{Kind: usage.Video, MinPixels: 9, MaxPixels: 8}}}); err == nil {
		t.Error("minPixels above maxPixels accepted")
	}
}
