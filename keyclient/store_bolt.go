package keyclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Embedded store layout (one bbolt file), every value plain JSON:
//
//	contentKeyPolicies  name -> policy JSON
//	streamingPolicies   name -> policy JSON
//	streamingLocators   name -> stored locator JSON (values wrapped)
//	accountFilters      name -> filter JSON
//	assetFilters        asset "/" name -> filter JSON
//	keys                kid (GUID) -> KeyEntry JSON
//	keyLocators         kid "/" locator -> ""      (the KID's locator set)
//	refs                kind "/" policy "/" locator -> ""   (filters too)
//	uses                tokenID -> {"count":n,"expiresAt":t}
//	keks                kekId -> KEKCanary JSON (the KEK registry)
//	liveEvents          name -> LiveEvent JSON
//	liveOutputs         event "/" output -> LiveOutput JSON
//	liveAssets          assetName -> event "/" output (the output archiving into it)
var (
	bucketLiveAssets  = []byte("liveAssets")
	bucketKeys        = []byte("keys")
	bucketKeyLocators = []byte("keyLocators")
	bucketRefs        = []byte("refs")
	bucketUses        = []byte("uses")
	bucketKEKs        = []byte("keks")
	bucketCPIX        = []byte("cpixIdentity")
)

// BoltStore is the embedded single-file store for one node. Invalidations
// go to in-process subscribers.
type BoltStore struct {
	db   *bolt.DB
	hub  hub
	incr atomic.Uint64
}

var _ Store = (*BoltStore)(nil)

// OpenBolt opens (creating it and its parent directories) the store file at
// path.
func OpenBolt(path string) (*BoltStore, error) {
	if path == "" {
		return nil, errors.New("bolt store: empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("bolt store %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("bolt store %s: the file is locked by another process (a running drmorigin serve?): "+
			"the embedded store has one user at a time", path)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{[]byte(KindContentKeyPolicies), []byte(KindStreamingPolicies),
			[]byte(KindStreamingLocators), []byte(KindAccountFilters), []byte(KindAssetFilters), bucketKeys, bucketKeyLocators, bucketRefs, bucketUses, bucketKEKs,
			[]byte(KindCPIXRecipients), bucketCPIX,
			[]byte(KindLiveEvents), []byte(KindLiveOutputs), bucketLiveAssets} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt store %s: %w", path, err)
	}
	return &BoltStore{db: db}, nil
}

// Ping implements Store; an open file always answers.
func (s *BoltStore) Ping(ctx context.Context) error { return nil }

// Close closes the file.
func (s *BoltStore) Close() error { return s.db.Close() }

func (s *BoltStore) view(op string, fn func(tx *bolt.Tx) error) error {
	return s.wrapErr(op, s.db.View(fn))
}

func (s *BoltStore) update(op string, fn func(tx *bolt.Tx) error) error {
	return s.wrapErr(op, s.db.Update(fn))
}

// wrapErr passes on the package's own errors and wraps I/O errors.
func (s *BoltStore) wrapErr(op string, err error) error {
	var ve *ValidationError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict), errors.Is(err, errStale), errors.As(err, &ve):
		return err
	}
	return unavailable("bolt "+op, err)
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// Get implements Store.
func (s *BoltStore) Get(ctx context.Context, kind Kind, name string) ([]byte, error) {
	var out []byte
	if !kind.stored() {
		return nil, ErrNotFound
	}
	err := s.view("get", func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(kind)).Get([]byte(name))
		if v == nil {
			return ErrNotFound
		}
		out = clone(v)
		return nil
	})
	return out, err
}

// List implements Store.
func (s *BoltStore) List(ctx context.Context, kind Kind, after string, limit int) ([]Doc, error) {
	var out []Doc
	if !kind.stored() {
		return nil, nil
	}
	err := s.view("list", func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(kind)).Cursor()
		k, v := c.Seek([]byte(after))
		if k != nil && after != "" && string(k) == after {
			k, v = c.Next()
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			out = append(out, Doc{Name: string(k), JSON: clone(v)})
		}
		return nil
	})
	return out, err
}

func refPrefix(kind Kind, name string) []byte { return []byte(string(kind) + "/" + name + "/") }

func hasPrefix(b *bolt.Bucket, prefix []byte) bool {
	k, _ := b.Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}

// PutPolicy implements Store.
func (s *BoltStore) PutPolicy(ctx context.Context, kind Kind, name string, doc []byte, immutableWhileReferenced bool) (bool, error) {
	if err := checkPolicyKind(kind); err != nil {
		return false, err
	}
	var created, changed bool
	err := s.update("put", func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(kind))
		old := b.Get([]byte(name))
		if old != nil && bytes.Equal(old, doc) {
			return nil
		}
		if old != nil && immutableWhileReferenced && hasPrefix(tx.Bucket(bucketRefs), refPrefix(kind, name)) {
			return inUse(tx, kind, name, true)
		}
		created, changed = old == nil, true
		return b.Put([]byte(name), doc)
	})
	if err == nil && changed {
		s.hub.publish(Invalidation{Kind: kind, Name: name})
	}
	return created, err
}

// DeletePolicy implements Store.
func (s *BoltStore) DeletePolicy(ctx context.Context, kind Kind, name string) error {
	if err := checkPolicyKind(kind); err != nil {
		return err
	}
	err := s.update("delete", func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(kind))
		if b.Get([]byte(name)) == nil {
			return ErrNotFound
		}
		if hasPrefix(tx.Bucket(bucketRefs), refPrefix(kind, name)) {
			return inUse(tx, kind, name, false)
		}
		return b.Delete([]byte(name))
	})
	if err == nil {
		s.hub.publish(Invalidation{Kind: kind, Name: name})
	}
	return err
}

// inUse is the InUseError of a policy that locators reference, naming the
// first of them (bbolt keys are sorted).
func inUse(tx *bolt.Tx, kind Kind, name string, change bool) error {
	e := &InUseError{Kind: kind, Name: name, Change: change}
	prefix := refPrefix(kind, name)
	c := tx.Bucket(bucketRefs).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(e.Locators) < MaxInUseNames {
			e.Locators = append(e.Locators, string(k[len(prefix):]))
		}
		e.Count++
	}
	return e
}

func keyLocator(kid KID, locator string) []byte { return []byte(kid.String() + "/" + locator) }

// CreateLocator implements Store.
func (s *BoltStore) CreateLocator(ctx context.Context, w *LocatorWrite) error {
	err := s.update("create locator", func(tx *bolt.Tx) error {
		locs := tx.Bucket([]byte(KindStreamingLocators))
		if locs.Get([]byte(w.Name)) != nil {
			return errLocatorExists
		}
		refs := tx.Bucket(bucketRefs)
		for _, r := range w.Refs {
			if tx.Bucket([]byte(r.Kind)).Get([]byte(r.Name)) == nil {
				return invalid(r.Target, "no %s named %q", r.Kind, r.Name)
			}
			if err := refs.Put(append(refPrefix(r.Kind, r.Name), w.Name...), nil); err != nil {
				return err
			}
		}
		keys, kl := tx.Bucket(bucketKeys), tx.Bucket(bucketKeyLocators)
		for _, k := range w.Keys {
			id := []byte(k.KID.String())
			cur := keys.Get(id)
			switch {
			case cur == nil && k.Expect != nil, cur != nil && !bytes.Equal(cur, k.Expect):
				return errStale
			case cur == nil:
				if err := keys.Put(id, k.Entry); err != nil {
					return err
				}
			}
			if err := kl.Put(keyLocator(k.KID, w.Name), nil); err != nil {
				return err
			}
		}
		return locs.Put([]byte(w.Name), w.Doc)
	})
	if err == nil {
		s.hub.publish(Invalidation{Kind: KindStreamingLocators, Name: w.Name})
	}
	return err
}

// DeleteLocator implements Store.
func (s *BoltStore) DeleteLocator(ctx context.Context, w *LocatorWrite) error {
	err := s.update("delete locator", func(tx *bolt.Tx) error {
		locs := tx.Bucket([]byte(KindStreamingLocators))
		cur := locs.Get([]byte(w.Name))
		if cur == nil {
			return ErrNotFound
		}
		if !bytes.Equal(cur, w.Doc) {
			return errStale
		}
		refs := tx.Bucket(bucketRefs)
		for _, r := range w.Refs {
			if err := refs.Delete(append(refPrefix(r.Kind, r.Name), w.Name...)); err != nil {
				return err
			}
		}
		keys, kl := tx.Bucket(bucketKeys), tx.Bucket(bucketKeyLocators)
		for _, k := range w.Keys {
			if err := kl.Delete(keyLocator(k.KID, w.Name)); err != nil {
				return err
			}
			if !hasPrefix(kl, []byte(k.KID.String()+"/")) {
				if err := keys.Delete([]byte(k.KID.String())); err != nil {
					return err
				}
			}
		}
		return locs.Delete([]byte(w.Name))
	})
	if err == nil {
		s.hub.publish(Invalidation{Kind: KindStreamingLocators, Name: w.Name})
	}
	return err
}

// GetKey implements Store.
func (s *BoltStore) GetKey(ctx context.Context, kid KID) (*KeyEntry, error) {
	var e KeyEntry
	err := s.view("get key", func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketKeys).Get([]byte(kid.String()))
		if v == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("key %s: %w", kid, err)
		}
		e.Raw = clone(v)
		prefix := []byte(kid.String() + "/")
		c := tx.Bucket(bucketKeyLocators).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			e.Locators = append(e.Locators, string(k[len(prefix):]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

type useCounter struct {
	Count     int64     `json:"count"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// usesSweepEvery is how many IncrUses calls pass between sweeps of expired
// counters.
const usesSweepEvery = 256

// IncrUses implements Store.
func (s *BoltStore) IncrUses(ctx context.Context, tokenID string, expiry time.Time) (int64, error) {
	var n int64
	sweep := s.incr.Add(1)%usesSweepEvery == 0
	err := s.update("incr uses", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUses)
		now := time.Now()
		if sweep {
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				var u useCounter
				if json.Unmarshal(v, &u) != nil || !now.Before(u.ExpiresAt) {
					if err := c.Delete(); err != nil {
						return err
					}
				}
			}
		}
		var u useCounter
		if v := b.Get([]byte(tokenID)); v != nil {
			if json.Unmarshal(v, &u) != nil || !now.Before(u.ExpiresAt) {
				u = useCounter{}
			}
		}
		u.Count++
		u.ExpiresAt = expiry.UTC()
		n = u.Count
		v, err := json.Marshal(u)
		if err != nil {
			return err
		}
		return b.Put([]byte(tokenID), v)
	})
	return n, err
}

// Subscribe implements Store: in-process notifications only.
func (s *BoltStore) Subscribe(ctx context.Context) <-chan Invalidation { return s.hub.subscribe(ctx) }

// Dump implements Dumper: every bucket and key with its value, as text.
func (s *BoltStore) Dump(ctx context.Context) ([]byte, error) {
	var buf bytes.Buffer
	err := s.view("dump", func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				fmt.Fprintf(&buf, "%s\t%s\t%s\n", name, k, v)
				return nil
			})
		})
	})
	return buf.Bytes(), err
}
