package keyclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RewrapReport says what Rewrap did.
type RewrapReport struct {
	// KEKID is the current KEK, which now wraps every stored value.
	KEKID string
	// Locators and Keys count the locator documents and KID entries
	// rewritten; Unchanged counts the locators that needed nothing.
	Locators, Keys, Unchanged int
	// Retired lists the KEK ids removed from the registry.
	Retired []string
}

func (r *RewrapReport) String() string {
	s := fmt.Sprintf("rewrapped %d locators and %d keys under kek id %s (%d locators were under it already)",
		r.Locators, r.Keys, r.KEKID, r.Unchanged)
	if len(r.Retired) > 0 {
		s += "; retired kek ids " + strings.Join(r.Retired, ", ")
	}
	return s
}

// Rewrap wraps every stored content key value again under the current
// KEK, then retires every other KEK from the store's registry: processes
// that lack the old KEKs become ready, those still wrapping with one are
// refused. The process needs every registered KEK (the old ones as
// retired KEKs of NewKEK). Each locator and its KID entries are rewritten
// in one compare-and-set transaction, so it runs safely beside serving
// replicas; the unwrapped values never change, so no cache is invalidated.
//
// A value wrapped under an old KEK while it runs (a replica not yet
// switched to the new KEK) is found by a last pass: its KEK is registered
// again and Rewrap fails, to be run again once every replica wraps with
// the new KEK.
func (s *Service) Rewrap(ctx context.Context) (*RewrapReport, error) {
	if err := s.InitKEK(ctx); err != nil {
		return nil, err
	}
	before, err := s.store.KEKs(ctx)
	if err != nil {
		return nil, fmt.Errorf("kek registry: %w", err)
	}
	rep := &RewrapReport{KEKID: s.kek.ID()}
	err = eachLocator(ctx, s.store, func(name string, doc []byte, st *storedLocator) error {
		return s.rewrapLocator(ctx, name, doc, st, rep)
	})
	if err != nil {
		return rep, err
	}
	if err := s.rewrapCPIXIdentity(ctx); err != nil {
		return rep, err
	}
	if err := s.store.RetireKEKs(ctx, s.kek.ID()); err != nil {
		return rep, fmt.Errorf("kek registry: %w", err)
	}
	for _, c := range before {
		if c.KEKID != s.kek.ID() {
			rep.Retired = append(rep.Retired, c.KEKID)
		}
	}
	ids, err := s.wrappedIDs(ctx, false)
	if err != nil {
		return rep, err
	}
	var stray []string
	for id := range ids {
		if id == s.kek.ID() {
			continue
		}
		stray = append(stray, id)
		if c, err := s.kek.canary(id); err == nil {
			err = s.store.AddKEK(ctx, c)
		}
	}
	if len(stray) > 0 {
		slices.Sort(stray)
		return rep, fmt.Errorf("values under kek id %s were written while rewrapping: some process still wraps with it; "+
			"set every replica's kek to the new KEK, then run the rewrap again", strings.Join(stray, ", "))
	}
	return rep, nil
}

// rewrapLocator rewrites one locator and its KID entries, re-reading and
// retrying when a concurrent write got there first.
func (s *Service) rewrapLocator(ctx context.Context, name string, doc []byte, st *storedLocator, rep *RewrapReport) error {
	for range maxWriteAttempts {
		w, err := s.rewrapWrite(ctx, name, doc, st)
		switch {
		case errors.Is(err, errStale):
		case err != nil:
			return err
		case w == nil:
			rep.Unchanged++
			return nil
		default:
			err = s.store.Rewrap(ctx, w)
		}
		switch {
		case err == nil:
			if !slices.Equal(w.Old, w.New) {
				rep.Locators++
			}
			rep.Keys += len(w.Keys)
			return nil
		case errors.Is(err, ErrNotFound):
			return nil // deleted meanwhile
		case !errors.Is(err, errStale):
			return fmt.Errorf("rewrap streaming locator %s: %w", name, err)
		}
		if doc, err = s.store.Get(ctx, KindStreamingLocators, name); errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return fmt.Errorf("rewrap streaming locator %s: %w", name, err)
		}
		if st, err = decodeStoredLocator(doc); err != nil {
			return fmt.Errorf("stored locator %s: %w", name, err)
		}
	}
	return fmt.Errorf("rewrap streaming locator %s: concurrent writes, retry: %w", name, ErrConflict)
}

// rewrapWrite builds the write that moves a locator's values and its KID
// entries to the current KEK; nil when all are there already.
func (s *Service) rewrapWrite(ctx context.Context, name string, doc []byte, st *storedLocator) (w *RewrapWrite, err error) {
	cur := s.kek.ID()
	rewrapped := map[KID][]byte{}
	wrap := func(kid KID, wrapped []byte, kekID string) ([]byte, error) {
		if w, ok := rewrapped[kid]; ok {
			return w, nil
		}
		v, err := s.kek.Unwrap(kid, wrapped, kekID)
		if err != nil {
			return nil, fmt.Errorf("streaming locator %s key %s: %w", name, kid, err)
		}
		w, _, err := s.kek.Wrap(kid, v)
		rewrapped[kid] = w
		return w, err
	}
	w = &RewrapWrite{Name: name, Old: doc, New: doc}
	changed := false
	for i := range st.ContentKeys {
		sk := &st.ContentKeys[i]
		if sk.KEKID == cur {
			continue
		}
		if sk.WrappedValue, err = wrap(sk.ID, sk.WrappedValue, sk.KEKID); err != nil {
			return nil, err
		}
		sk.KEKID, changed = cur, true
	}
	if changed {
		if w.New, err = json.Marshal(st); err != nil {
			return nil, err
		}
	}
	for _, kid := range distinctKIDs(st) {
		e, err := s.store.GetKey(ctx, kid)
		if errors.Is(err, ErrNotFound) {
			return nil, errStale // the locator is being deleted
		}
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", kid, err)
		}
		if e.KEKID == cur {
			continue
		}
		if e.WrappedValue, err = wrap(kid, e.WrappedValue, e.KEKID); err != nil {
			return nil, err
		}
		e.KEKID = cur
		raw, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		w.Keys = append(w.Keys, KeyRewrite{KID: kid, Old: e.Raw, New: raw})
	}
	if !changed && len(w.Keys) == 0 {
		return nil, nil
	}
	return w, nil
}
