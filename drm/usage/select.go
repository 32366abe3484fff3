package usage

import (
	"fmt"
	"strings"
)

// Select returns the key that encrypts t among keys, where keys[i] are key
// i's rules (of one key type): a key with a Name rule naming t, else a key
// with a Kind rule (and height range) selecting t, else the key without
// rules, which covers every track no other key selects. ok is false when
// no key applies. Where rules are ambiguous (Check refuses such keys) the
// first key wins. It does not allocate.
func Select(keys [][]Rule, t Track) (key int, ok bool) {
	catchAll := -1
	byKind := -1
	for i, rules := range keys {
		if len(rules) == 0 {
			if catchAll < 0 {
				catchAll = i
			}
			continue
		}
		for _, r := range rules {
			if !r.Matches(t) {
				continue
			}
			if r.Name != "" {
				return i, true
			}
			if byKind < 0 {
				byKind = i
			}
		}
	}
	if byKind >= 0 {
		return byKind, true
	}
	return catchAll, catchAll >= 0
}

// OverlapError says that two keys' rules select the same tracks.
type OverlapError struct {
	KeyA, KeyB int  // indexes into the keys given to CheckRules or Check
	RuleA      Rule // the rule of KeyA
	RuleB      Rule // the rule of KeyB
	// Track is the track both select when Check found it on an asset.
	Track *Track
}

func (e *OverlapError) Error() string {
	if e.RuleA == (Rule{}) && e.RuleB == (Rule{}) {
		return fmt.Sprintf("keys %d and %d both cover every track; select tracks", e.KeyA, e.KeyB)
	}
	s := fmt.Sprintf("keys %d (%s) and %d (%s) overlap", e.KeyA, e.RuleA, e.KeyB, e.RuleB)
	if e.Track != nil {
		s += ": both select " + e.Track.String()
	}
	return s
}

// UncoveredError says that no key encrypts a track.
type UncoveredError struct{ Track Track }

func (e *UncoveredError) Error() string { return "no key selects " + e.Track.String() }

// CheckRules checks keys without an asset: every rule valid, no two keys
// whose kind rules can select the same track, no two keys naming the
// same track and at most one key without rules.
func CheckRules(keys [][]Rule) error {
	catchAll := -1
	for i, rules := range keys {
		for _, r := range rules {
			if msg := r.Valid(); msg != "" {
				return fmt.Errorf("key %d rule %s: %s", i, r, msg)
			}
		}
		if len(rules) == 0 {
			if catchAll >= 0 {
				return &OverlapError{KeyA: catchAll, KeyB: i}
			}
			catchAll = i
		}
		for j := range i {
			for _, a := range keys[j] {
				for _, b := range rules {
					if Overlaps(a, b) {
						return &OverlapError{KeyA: j, KeyB: i, RuleA: a, RuleB: b}
					}
				}
			}
		}
	}
	return nil
}

// Check checks keys against an asset's tracks: CheckRules, then every
// track selected by exactly one key (Select's precedence: by name, by
// kind and height, else the key without rules) — a track that two keys
// select at the same precedence gives an *OverlapError, a track no key
// selects an *UncoveredError.
func Check(keys [][]Rule, tracks []Track) error {
	if err := CheckRules(keys); err != nil {
		return err
	}
	for ti := range tracks {
		t := tracks[ti]
		for _, named := range []bool{true, false} {
			first, firstRule := -1, Rule{}
			for i, rules := range keys {
				for _, r := range rules {
					if (r.Name != "") != named || !r.Matches(t) {
						continue
					}
					if first >= 0 && first != i {
						return &OverlapError{KeyA: first, KeyB: i, RuleA: firstRule, RuleB: r, Track: &t}
					}
					first, firstRule = i, r
				}
			}
			if first >= 0 {
				break
			}
		}
		if _, ok := Select(keys, t); !ok {
			return &UncoveredError{Track: t}
		}
	}
	return nil
}

// PixelRange returns the smallest and largest width × height among the
// video tracks of an asset that r selects: the VideoFilter@minPixels and
// @maxPixels that select the same tracks of that asset, as long as the
// other keys' ranges on that asset do not interleave with it (they do not
// where frame sizes grow with height, as in any ladder of one aspect).
// ok is false when r selects no video track.
func PixelRange(r Rule, tracks []Track) (minPixels, maxPixels int, ok bool) {
	for _, t := range tracks {
		if t.Kind != Video || !r.Matches(t) {
			continue
		}
		p := t.Width * t.Height
		if !ok || p < minPixels {
			minPixels = p
		}
		if !ok || p > maxPixels {
			maxPixels = p
		}
		ok = true
	}
	return minPixels, maxPixels, ok
}

// Describe lists rules for a message: "trackType=video maxHeight=576, trackName=x".
func Describe(rules []Rule) string {
	if len(rules) == 0 {
		return "every other track"
	}
	s := make([]string, len(rules))
	for i, r := range rules {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}
