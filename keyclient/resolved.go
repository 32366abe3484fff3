package keyclient

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"time"
)

// Resolved is a locator with its streaming policy and unwrapped keys, as
// the streaming path needs it. It is shared by every request that hits the
// cache: treat it as read-only.
type Resolved struct {
	Locator *StreamingLocator
	Policy  *StreamingPolicy
	Keys    []Key
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

// KeyFor returns the key that encrypts a track with scheme s: a key of the
// scheme's type naming the track by name, else by type, else the key of
// that type without tracks. It does not allocate.
func (r *Resolved) KeyFor(s Scheme, trackType string, trackName string) (*Key, bool) {
	t := KeyTypeFor(s)
	if t == "" {
		return nil, false
	}
	for pass := 0; pass < 3; pass++ {
		for i := range r.Keys {
			k := &r.Keys[i]
			if k.Type != t {
				continue
			}
			switch pass {
			case 0, 1:
				for _, ts := range k.Tracks {
					if pass == 0 && ts.TrackName != "" && ts.TrackName == trackName ||
						pass == 1 && ts.TrackType != "" && ts.TrackType == trackType {
						return k, true
					}
				}
			case 2:
				if len(k.Tracks) == 0 {
					return k, true
				}
			}
		}
	}
	return nil, false
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
	return r, nil
}
