package keyclient

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
)

// The KEK registry: the store lists, with a canary each (KEKCanary), every
// KEK that may have wrapped a value it holds. It answers "can this process
// unwrap everything the store holds?" with one read and a few AES-GCM
// opens, without touching a content key:
//
//   - every registered KEK must be one the process holds (its canary
//     unwraps), else a value it needs may be wrapped under a KEK it lacks;
//   - its current KEK must be registered before it wraps anything, so that
//     the others learn that they need it; Rewrap retires the other KEKs,
//     after which a process still wrapping with one of them is refused.
//
// A process registers its current KEK at start (InitKEK), after checking
// the registry. New values are wrapped under the current KEK only, which
// is registered, so the registry always covers what the store holds.

// canaryKID is the associated data of every canary: the nil GUID.
var canaryKID KID

// canary returns a registry entry for the KEK kekID, which k holds.
func (k *KEK) canary(kekID string) (KEKCanary, error) {
	var v [16]byte
	if _, err := rand.Read(v[:]); err != nil {
		return KEKCanary{}, err
	}
	w, err := k.wrapUnder(kekID, canaryKID, v)
	return KEKCanary{KEKID: kekID, Wrapped: w}, err
}

// checkCanaries returns an ErrKEK naming every registered KEK that k does
// not hold (or whose canary does not unwrap), or nil.
func (k *KEK) checkCanaries(reg []KEKCanary) error {
	var missing []string
	for _, c := range reg {
		if _, err := k.Unwrap(canaryKID, c.Wrapped, c.KEKID); err != nil {
			missing = append(missing, c.KEKID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("the store holds keys wrapped under kek id %s, which this process does not hold (its kek ids: %s): %w",
		strings.Join(missing, ", "), strings.Join(k.IDs(), ", "), ErrKEK)
}

func registered(reg []KEKCanary, kekID string) bool {
	return slices.ContainsFunc(reg, func(c KEKCanary) bool { return c.KEKID == kekID })
}

// KEK returns the Service's key-encryption key.
func (s *Service) KEK() *KEK { return s.kek }

// InitKEK checks at start that this process can unwrap everything the
// store holds, then registers its current KEK. A store without a registry
// (written before there was one) is checked against the KEK ids of its
// stored keys instead, which are then registered. It fails with ErrKEK,
// naming the ids, before anything is written.
func (s *Service) InitKEK(ctx context.Context) error {
	reg, err := s.store.KEKs(ctx)
	if err != nil {
		return fmt.Errorf("kek registry: %w", err)
	}
	if len(reg) > 0 {
		if err := s.kek.checkCanaries(reg); err != nil {
			return err
		}
	} else {
		ids, err := s.wrappedIDs(ctx, true)
		if err != nil {
			return err
		}
		for id := range ids {
			c, err := s.kek.canary(id)
			if err != nil {
				return err
			}
			if err := s.store.AddKEK(ctx, c); err != nil {
				return fmt.Errorf("kek registry: %w", err)
			}
		}
	}
	c, err := s.kek.canary(s.kek.ID())
	if err != nil {
		return err
	}
	if err := s.store.AddKEK(ctx, c); err != nil {
		return fmt.Errorf("kek registry: %w", err)
	}
	// Another process may have registered its KEK meanwhile.
	return s.CheckKEK(ctx)
}

// CheckKEK reports whether this process can unwrap every value the store
// holds and may wrap new ones: every registered KEK must be one it holds,
// and its current KEK must be registered (a Rewrap under another KEK
// retires it). An empty registry (the store was emptied) gets the current
// KEK registered. Readiness probes call it; it costs one store read and
// an AES-GCM open per registered KEK.
func (s *Service) CheckKEK(ctx context.Context) error {
	reg, err := s.store.KEKs(ctx)
	if err != nil {
		return fmt.Errorf("kek registry: %w", err)
	}
	if len(reg) == 0 {
		c, err := s.kek.canary(s.kek.ID())
		if err != nil {
			return err
		}
		if err := s.store.AddKEK(ctx, c); err != nil {
			return fmt.Errorf("kek registry: %w", err)
		}
		return nil
	}
	if err := s.kek.checkCanaries(reg); err != nil {
		return err
	}
	if !registered(reg, s.kek.ID()) {
		ids := make([]string, len(reg))
		for i, c := range reg {
			ids[i] = c.KEKID
		}
		return fmt.Errorf("this process wraps with kek id %s, which the store has retired (its keys are wrapped under %s): %w",
			s.kek.ID(), strings.Join(ids, ", "), ErrKEK)
	}
	return nil
}

// wrappedIDs returns the KEK ids of the wrapped values that the store's
// locators and KID entries hold, with a count of values each. With check,
// it fails with ErrKEK unless this process can unwrap a value of each.
func (s *Service) wrappedIDs(ctx context.Context, check bool) (map[string]int, error) {
	ids := map[string]int{}
	bad := map[string]bool{}
	try := func(kid KID, wrapped []byte, kekID string) {
		if ids[kekID]++; check && ids[kekID] == 1 {
			if _, err := s.kek.Unwrap(kid, wrapped, kekID); err != nil {
				bad[kekID] = true
			}
		}
	}
	seen := map[KID]bool{}
	err := eachLocator(ctx, s.store, func(name string, _ []byte, st *storedLocator) error {
		for _, k := range st.ContentKeys {
			try(k.ID, k.WrappedValue, k.KEKID)
		}
		for _, kid := range distinctKIDs(st) {
			if seen[kid] {
				continue
			}
			seen[kid] = true
			e, err := s.store.GetKey(ctx, kid)
			if err != nil {
				return fmt.Errorf("key %s: %w", kid, err)
			}
			try(kid, e.WrappedValue, e.KEKID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		list := make([]string, 0, len(bad))
		for id := range bad {
			list = append(list, id)
		}
		slices.Sort(list)
		return nil, fmt.Errorf("the store holds keys wrapped under kek id %s, which this process does not hold (its kek ids: %s): %w",
			strings.Join(list, ", "), strings.Join(s.kek.IDs(), ", "), ErrKEK)
	}
	return ids, nil
}

// StoredKEKIDs returns the ids of the KEKs that the store's values may be
// wrapped under: its registry, else (a store written before the registry
// existed) the KEK ids of its locators' keys. None means the store holds
// no key yet.
func StoredKEKIDs(ctx context.Context, store Store) ([]string, error) {
	reg, err := store.KEKs(ctx)
	if err != nil {
		return nil, fmt.Errorf("kek registry: %w", err)
	}
	var ids []string
	for _, c := range reg {
		ids = append(ids, c.KEKID)
	}
	if len(ids) > 0 {
		return ids, nil
	}
	err = eachLocator(ctx, store, func(_ string, _ []byte, st *storedLocator) error {
		for _, k := range st.ContentKeys {
			if !slices.Contains(ids, k.KEKID) {
				ids = append(ids, k.KEKID)
			}
		}
		return nil
	})
	slices.Sort(ids)
	return ids, err
}

// eachLocator calls fn with every locator of store, in name order.
func eachLocator(ctx context.Context, store Store, fn func(name string, doc []byte, st *storedLocator) error) error {
	after := ""
	for {
		docs, err := store.List(ctx, KindStreamingLocators, after, MaxPageSize)
		if err != nil {
			return fmt.Errorf("list %s: %w", KindStreamingLocators, err)
		}
		for _, d := range docs {
			st, err := decodeStoredLocator(d.JSON)
			if err != nil {
				return fmt.Errorf("stored locator %s: %w", d.Name, err)
			}
			if err := fn(d.Name, d.JSON, st); err != nil {
				return err
			}
		}
		if len(docs) < MaxPageSize {
			return nil
		}
		after = docs[len(docs)-1].Name
	}
}

// KEKStatus is what `drmorigin kek status` prints.
type KEKStatus struct {
	// Held lists the ids of the KEKs this process holds, current first.
	Held []string `json:"held"`
	// Registered lists the store's KEK registry.
	Registered []string `json:"registered"`
	// Values counts the wrapped values (locator keys and KID entries) per
	// KEK id.
	Values map[string]int `json:"values"`
	// Problem is CheckKEK's error, if any.
	Problem string `json:"problem,omitempty"`
}

// KEKStatus reports the KEKs this process holds, the store's registry, and
// how many stored values each KEK wraps. It writes nothing.
func (s *Service) KEKStatus(ctx context.Context) (*KEKStatus, error) {
	reg, err := s.store.KEKs(ctx)
	if err != nil {
		return nil, fmt.Errorf("kek registry: %w", err)
	}
	st := &KEKStatus{Held: s.kek.IDs(), Registered: []string{}}
	for _, c := range reg {
		st.Registered = append(st.Registered, c.KEKID)
	}
	if st.Values, err = s.wrappedIDs(ctx, false); err != nil {
		return nil, err
	}
	if err := s.kek.checkCanaries(reg); err != nil {
		st.Problem = err.Error()
	} else if len(reg) > 0 && !registered(reg, s.kek.ID()) {
		st.Problem = fmt.Sprintf("kek id %s is not registered in the store (retired by a rewrap, or never used to serve)", s.kek.ID())
	}
	return st, nil
}

// String formats a status for people.
func (st *KEKStatus) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kek id (current):   %s\n", st.Held[0])
	if len(st.Held) > 1 {
		fmt.Fprintf(&b, "kekPrevious ids:    %s\n", strings.Join(st.Held[1:], ", "))
	}
	fmt.Fprintf(&b, "store registry:     %s\n", strings.Join(st.Registered, ", "))
	ids := make([]string, 0, len(st.Values))
	for id := range st.Values {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	fmt.Fprintf(&b, "wrapped values:     ")
	if len(ids) == 0 {
		b.WriteString("none\n")
	}
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d under %s", st.Values[id], id)
		if i == len(ids)-1 {
			b.WriteString("\n")
		}
	}
	if st.Problem != "" {
		fmt.Fprintf(&b, "problem:            %s\n", st.Problem)
	}
	return b.String()
}
