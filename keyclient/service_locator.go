package keyclient

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

func decodeKeyEntry(raw []byte) (*KeyEntry, error) {
	var e KeyEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	e.Raw = raw
	return &e, nil
}

// putLocator validates a locator against its streaming policy, fills in
// missing ids, values and keys, and writes it with its KID entries in one
// transaction, retrying when another writer changed a KID meanwhile.
func (s *Service) putLocator(ctx context.Context, name string, body []byte) ([]byte, bool, error) {
	in, err := decodeLocator(body)
	if err != nil {
		return nil, false, err
	}
	l := &in.loc
	if err := nameFromURL(&l.Name, name); err != nil {
		return nil, false, err
	}
	assetChecked := false
	if in.cpix != "" {
		if err := s.importCPIX(ctx, in); err != nil {
			return nil, false, err
		}
	} else if len(l.ContentKeys) == 0 {
		// A key server is asked once per locator: not when the locator
		// exists (the same PUT again), and not before the rest of the
		// request is known to be good.
		doc, err := s.store.Get(ctx, KindStreamingLocators, name)
		switch {
		case err == nil:
			return s.sameLocator(in, doc)
		case !errors.Is(err, ErrNotFound):
			return nil, false, fmt.Errorf("streaming locator %s: %w", name, err)
		}
		pol, err := s.StreamingPolicy(ctx, l.StreamingPolicyName)
		if errors.Is(err, ErrNotFound) {
			return nil, false, invalid("streamingPolicyName", "no streaming policy named %q", l.StreamingPolicyName)
		}
		if err != nil {
			return nil, false, err
		}
		if pol.KeyServer != nil {
			if err := needKeyPolicy(l, pol, pol.encryptedTypes()); err != nil {
				return nil, false, err
			}
			if s.AssetCheck != nil {
				if err := s.AssetCheck(ctx, l.AssetName); err != nil {
					return nil, false, err
				}
				assetChecked = true
			}
			if err := s.keysFromServer(ctx, in, pol); err != nil {
				return nil, false, err
			}
		}
	}
	for range maxWriteAttempts {
		doc, err := s.store.Get(ctx, KindStreamingLocators, name)
		switch {
		case err == nil:
			return s.sameLocator(in, doc)
		case !errors.Is(err, ErrNotFound):
			return nil, false, fmt.Errorf("streaming locator %s: %w", name, err)
		}
		pol, err := s.StreamingPolicy(ctx, l.StreamingPolicyName)
		if errors.Is(err, ErrNotFound) {
			return nil, false, invalid("streamingPolicyName", "no streaming policy named %q", l.StreamingPolicyName)
		}
		if err != nil {
			return nil, false, err
		}
		enabled := pol.encryptedTypes()
		for i, k := range l.ContentKeys {
			if !slices.Contains(enabled, k.Type) {
				return nil, false, invalid(index("contentKeys", i)+".type",
					"streaming policy %s does not enable %s", pol.Name, k.Type)
			}
		}
		if err := needKeyPolicy(l, pol, enabled); err != nil {
			return nil, false, err
		}
		kinds, err := s.locatorFilterKinds(ctx, l)
		if err != nil {
			return nil, false, err
		}
		if !assetChecked {
			if s.AssetCheck != nil {
				if err := s.AssetCheck(ctx, l.AssetName); err != nil {
					return nil, false, err
				}
			}
			if s.AssetTracks != nil {
				tracks, err := s.AssetTracks(ctx, l.AssetName)
				if err != nil {
					return nil, false, err
				}
				if tracks != nil {
					if err := checkRules(l, tracks); err != nil {
						return nil, false, err
					}
				}
			}
			assetChecked = true
		}
		// Wrap only under a KEK the store has registered, and only while
		// this process can unwrap what the store holds (CheckKEK).
		if err := s.CheckKEK(ctx); err != nil {
			return nil, false, fmt.Errorf("streaming locator %s: %w", name, err)
		}
		st, expect, err := s.buildLocator(ctx, in, enabled)
		if err != nil {
			return nil, false, err
		}
		st.Filters, st.FilterKinds = l.Filters, kinds
		w, err := s.locatorWrite(st, expect)
		if err != nil {
			return nil, false, err
		}
		err = s.store.CreateLocator(ctx, w)
		if errors.Is(err, errStale) || errors.Is(err, errLocatorExists) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("streaming locator %s: %w", name, err)
		}
		out, err := json.Marshal(st.locator())
		return out, true, err
	}
	return nil, false, fmt.Errorf("streaming locator %s: concurrent writes, retry: %w", name, ErrConflict)
}

// needKeyPolicy refuses a locator whose keys this origin's key delivery
// would have to hand out, but could not: a key of an enabled type that
// the streaming policy delivers only through this origin (an envelope key
// URL or a ClearKey license URL that is the origin's own, relative; no
// Widevine, PlayReady or FairPlay signalled beside it), with no content key
// policy, its own (policyName) or the locator's
// (defaultContentKeyPolicyName). Key delivery never hands out a key
// without a policy, so every key request would fail. A key that an external
// license server can serve (it reads the key through listContentKeys)
// needs no policy here.
func needKeyPolicy(l *StreamingLocator, pol *StreamingPolicy, enabled []KeyType) error {
	for _, t := range enabled {
		route := pol.ownDeliveryOnly(t)
		if route == "" {
			continue
		}
		given := false
		for i := range l.ContentKeys {
			k := &l.ContentKeys[i]
			if k.Type != t {
				continue
			}
			given = true
			if l.EffectivePolicyName(k) == "" {
				return invalid("defaultContentKeyPolicyName",
					"streaming policy %s delivers %s keys only through this origin's %s, which hands out no key without a content key policy: "+
						"name one in defaultContentKeyPolicyName (or in %s.policyName)",
					pol.Name, t, route, index("contentKeys", i))
			}
		}
		if !given && l.DefaultContentKeyPolicyName == "" {
			// The key for t is generated, under the locator's default.
			return invalid("defaultContentKeyPolicyName",
				"streaming policy %s delivers %s keys only through this origin's %s, which hands out no key without a content key policy: "+
					"name one in defaultContentKeyPolicyName", pol.Name, t, route)
		}
	}
	return nil
}

// buildLocator resolves every key's id and value: a KID the store already
// holds keeps its value and policy (a different value or policy is a
// conflict); missing ids and values are generated, and so is one key per
// enabled scheme that the request gave none for.
//
// expect maps each KID that exists to the entry as read, which the write
// then requires unchanged (compare-and-set).
func (s *Service) buildLocator(ctx context.Context, in *locatorInput, enabled []KeyType) (*storedLocator, map[KID][]byte, error) {
	l := &in.loc
	st := &storedLocator{Name: l.Name, AssetName: l.AssetName, StreamingPolicyName: l.StreamingPolicyName,
		DefaultContentKeyPolicyName: l.DefaultContentKeyPolicyName, StartTime: l.StartTime, EndTime: l.EndTime}
	values := map[KID][16]byte{}
	// Values given in the request for a KID (all equal: checkKeys).
	for i, k := range l.ContentKeys {
		if in.idGiven[i] && in.valueGiven[i] {
			values[k.ID] = [16]byte(k.Value)
		}
	}
	resolved := map[KID]bool{}
	expect := map[KID][]byte{}
	for i := range l.ContentKeys {
		k := &l.ContentKeys[i]
		sk := storedKey{ID: k.ID, Type: k.Type, LabelReferenceInStreamingPolicy: k.LabelReferenceInStreamingPolicy,
			Tracks: k.Tracks, PolicyName: k.PolicyName, IDGiven: in.idGiven[i], ValueGiven: in.valueGiven[i]}
		if i < len(in.drm) {
			sk.DRM = in.drm[i]
		}
		sk.Generated = in.fromKeyServer
		if !in.idGiven[i] {
			kid, err := randomKID()
			if err != nil {
				return nil, nil, err
			}
			sk.ID = kid
			if in.valueGiven[i] {
				values[kid] = [16]byte(k.Value)
			}
		}
		if !resolved[sk.ID] {
			raw, err := s.resolveValue(ctx, sk.ID, l.EffectivePolicyName(k), values)
			if err != nil {
				return nil, nil, err
			}
			if raw != nil {
				expect[sk.ID] = raw
			}
			resolved[sk.ID] = true
		}
		st.ContentKeys = append(st.ContentKeys, sk)
	}
	for _, t := range enabled {
		if slices.ContainsFunc(l.ContentKeys, func(k ContentKey) bool { return k.Type == t }) {
			continue
		}
		kid, err := randomKID()
		if err != nil {
			return nil, nil, err
		}
		var v [16]byte
		if _, err := rand.Read(v[:]); err != nil {
			return nil, nil, err
		}
		values[kid] = v
		st.ContentKeys = append(st.ContentKeys, storedKey{ID: kid, Type: t, Generated: true})
	}
	wrapped := map[KID][]byte{}
	for i := range st.ContentKeys {
		sk := &st.ContentKeys[i]
		w, ok := wrapped[sk.ID]
		if !ok {
			var err error
			if w, _, err = s.kek.Wrap(sk.ID, values[sk.ID]); err != nil {
				return nil, nil, err
			}
			wrapped[sk.ID] = w
		}
		sk.WrappedValue, sk.KEKID = w, s.kek.ID()
	}
	return st, expect, nil
}

// resolveValue settles the value of kid in values: the stored one when the
// KID exists (checking value and policy), else the given or a random one.
// It returns the stored entry (nil when the KID is new).
func (s *Service) resolveValue(ctx context.Context, kid KID, policy string, values map[KID][16]byte) (raw []byte, err error) {
	e, err := s.store.GetKey(ctx, kid)
	if errors.Is(err, ErrNotFound) {
		if _, ok := values[kid]; !ok {
			var v [16]byte
			if _, err := rand.Read(v[:]); err != nil {
				return nil, err
			}
			values[kid] = v
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", kid, err)
	}
	if e.PolicyName != policy {
		return nil, fmt.Errorf("KID %s is bound to content key policy %q, not %q: %w", kid, e.PolicyName, policy, ErrConflict)
	}
	have, err := s.kek.Unwrap(kid, e.WrappedValue, e.KEKID)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", kid, err)
	}
	if v, ok := values[kid]; ok && !constantTimeEqual(v[:], have[:]) {
		return nil, fmt.Errorf("KID %s already exists with another value: %w", kid, ErrConflict)
	}
	values[kid] = have
	return e.Raw, nil
}

// locatorWrite builds the store write: the document, one KeyWrite per
// distinct KID (expecting the entry as buildLocator read it) and the
// references.
func (s *Service) locatorWrite(st *storedLocator, expect map[KID][]byte) (*LocatorWrite, error) {
	doc, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	w := &LocatorWrite{Name: st.Name, Doc: doc, Refs: s.locatorRefs(st)}
	l := st.locator()
	for i, k := range st.ContentKeys {
		if slices.ContainsFunc(w.Keys, func(kw KeyWrite) bool { return kw.KID == k.ID }) {
			continue
		}
		kw := KeyWrite{KID: k.ID, Expect: expect[k.ID]}
		kw.Entry, err = json.Marshal(KeyEntry{KID: k.ID, WrappedValue: k.WrappedValue, KEKID: k.KEKID,
			PolicyName: l.EffectivePolicyName(&l.ContentKeys[i])})
		if err != nil {
			return nil, err
		}
		w.Keys = append(w.Keys, kw)
	}
	return w, nil
}

// sameLocator answers a PUT of an existing locator: the body as first
// written gives the stored locator, anything else ErrConflict.
func (s *Service) sameLocator(in *locatorInput, doc []byte) ([]byte, bool, error) {
	st, err := decodeStoredLocator(doc)
	if err != nil {
		return nil, false, fmt.Errorf("stored locator %s: %w", in.loc.Name, err)
	}
	if !s.sameAsWritten(in, st) {
		return nil, false, fmt.Errorf("streaming locator %s exists with other content (locators are immutable: delete and recreate): %w",
			in.loc.Name, ErrConflict)
	}
	out, err := json.Marshal(st.locator())
	return out, false, err
}

func (s *Service) sameAsWritten(in *locatorInput, st *storedLocator) bool {
	l := &in.loc
	if l.Name != st.Name || l.AssetName != st.AssetName || l.StreamingPolicyName != st.StreamingPolicyName ||
		l.DefaultContentKeyPolicyName != st.DefaultContentKeyPolicyName ||
		!equalTimes(l.StartTime, st.StartTime) || !equalTimes(l.EndTime, st.EndTime) || !slices.Equal(l.Filters, st.Filters) {
		return false
	}
	n := 0
	for _, sk := range st.ContentKeys {
		if !sk.Generated {
			n++
		}
	}
	if n != len(l.ContentKeys) {
		return false
	}
	for i, k := range l.ContentKeys {
		sk := &st.ContentKeys[i]
		if sk.Generated || sk.IDGiven != in.idGiven[i] || sk.ValueGiven != in.valueGiven[i] ||
			(sk.IDGiven && sk.ID != k.ID) || sk.Type != k.Type ||
			sk.LabelReferenceInStreamingPolicy != k.LabelReferenceInStreamingPolicy ||
			!slices.Equal(sk.Tracks, k.Tracks) || sk.PolicyName != k.PolicyName {
			return false
		}
		if sk.ValueGiven {
			v, err := s.kek.Unwrap(sk.ID, sk.WrappedValue, sk.KEKID)
			if err != nil || !constantTimeEqual(v[:], k.Value) {
				return false
			}
		}
	}
	return true
}

func equalTimes(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// locatorFilterKinds finds each filter a new locator lists: the asset's
// filter of that name, else the account filter; neither is a
// ValidationError on filters[i].
func (s *Service) locatorFilterKinds(ctx context.Context, l *StreamingLocator) ([]Kind, error) {
	var kinds []Kind
	for i, name := range l.Filters {
		ref, _, err := s.lookupFilter(ctx, l.AssetName, name)
		if errors.Is(err, ErrNotFound) {
			return nil, invalid(index("filters", i), "no asset filter of asset %s and no account filter named %q", l.AssetName, name)
		}
		if err != nil {
			return nil, fmt.Errorf("streaming locator %s: %w", l.Name, err)
		}
		kinds = append(kinds, ref.Kind)
	}
	return kinds, nil
}
