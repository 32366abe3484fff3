package keyclient

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"time"

	"github.com/drmorigin/drmorigin/drm/usage"
)

// Resolved is a locator with its streaming policy and unwrapped keys, as
// the streaming path needs it. It is shared by every request that hits the
// cache: treat it as read-only.
type Resolved struct {
	Locator *StreamingLocator
	Policy  *StreamingPolicy
	Keys    []Key

	// byType holds, per key type (typeSlot), the indexes into Keys of
	// that type's keys and their usage rules, parallel, so that KeyFor
	// selects without allocating.
	byType [3]struct {
		idx   []int
		rules [][]usage.Rule
	}
}

// Key is an unwrapped content key with its AES block cipher, made once per
// resolve so that the hot path builds no cipher.
type Key struct {
	KID    KID
	Value  [16]byte
	Type   KeyType
	Tracks []TrackSelector
	// PolicyName is the effective content key policy ("" for none).
	PolicyName string
	Block      cipher.Block
	// DRM is the signalling imported with the key from a CPIX document
	// (empty for keys the origin signals itself).
	DRM []DRMSignal
}

// Active reports whether now is inside the locator's [startTime, endTime).
func (r *Resolved) Active(now time.Time) bool { return r.Locator.Active(now) }

// typeSlot is t's index in Resolved.byType (-1 for none).
func typeSlot(t KeyType) int {
	switch t {
	case KeyTypeEnvelope:
		return 0
	case KeyTypeCENC:
		return 1
	case KeyTypeCBCS:
		return 2
	}
	return -1
}

// index fills byType from Keys; resolve calls it once.
func (r *Resolved) index() {
	for i := range r.Keys {
		k := &r.Keys[i]
		if n := typeSlot(k.Type); n >= 0 {
			b := &r.byType[n]
			b.idx = append(b.idx, i)
			b.rules = append(b.rules, rulesOf(k.Tracks))
		}
	}
}

// KeyFor returns the key that encrypts track t with scheme s, as the
// usage rules of the keys of the scheme's type select it (usage.Select):
// a key naming the track, else one selecting its kind (and video height),
// else the key of that type without tracks. It does not allocate.
func (r *Resolved) KeyFor(s Scheme, t usage.Track) (*Key, bool) {
	n := typeSlot(KeyTypeFor(s))
	if n < 0 {
		return nil, false
	}
	b := &r.byType[n]
	i, ok := usage.Select(b.rules, t)
	if !ok {
		return nil, false
	}
	return &r.Keys[b.idx[i]], true
}

// resolve loads a locator, its streaming policy and its keys.
func (s *Service) resolve(ctx context.Context, name string) (*Resolved, error) {
	st, err := s.storedLocator(ctx, name)
	if err != nil {
		return nil, err
	}
	pol, err := s.StreamingPolicy(ctx, st.StreamingPolicyName)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("streaming locator %s: policy vanished: %w", name, ErrUnavailable)
		}
		return nil, err
	}
	l := st.locator()
	r := &Resolved{Locator: l, Policy: pol, Keys: make([]Key, len(st.ContentKeys))}
	for i, sk := range st.ContentKeys {
		v, err := s.kek.Unwrap(sk.ID, sk.WrappedValue, sk.KEKID)
		if err != nil {
			return nil, fmt.Errorf("streaming locator %s key %s: %w", name, sk.ID, err)
		}
		b, err := aes.NewCipher(v[:])
		if err != nil {
			return nil, err
		}
		r.Keys[i] = Key{KID: sk.ID, Value: v, Type: sk.Type, Tracks: sk.Tracks,
			PolicyName: l.EffectivePolicyName(&l.ContentKeys[i]), Block: b, DRM: sk.DRM}
	}
	r.index()
	return r, nil
}
