package keyclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Rewrap implements Store.
func (s *BoltStore) Rewrap(ctx context.Context, w *RewrapWrite) error {
	return s.update("rewrap", func(tx *bolt.Tx) error {
		locs, keys := tx.Bucket([]byte(KindStreamingLocators)), tx.Bucket(bucketKeys)
		cur := locs.Get([]byte(w.Name))
		if cur == nil {
			return ErrNotFound
		}
		if !bytes.Equal(cur, w.Old) {
			return errStale
		}
		for _, k := range w.Keys {
			if !bytes.Equal(keys.Get([]byte(k.KID.String())), k.Old) {
				return errStale
			}
		}
		for _, k := range w.Keys {
			if err := keys.Put([]byte(k.KID.String()), k.New); err != nil {
				return err
			}
		}
		return locs.Put([]byte(w.Name), w.New)
	})
}

// KEKs implements Store.
func (s *BoltStore) KEKs(ctx context.Context) ([]KEKCanary, error) {
	var out []KEKCanary
	err := s.view("keks", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKEKs).ForEach(func(k, v []byte) error {
			var c KEKCanary
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("kek registry entry %s: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// AddKEK implements Store.
func (s *BoltStore) AddKEK(ctx context.Context, c KEKCanary) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.update("add kek", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKEKs)
		if b.Get([]byte(c.KEKID)) != nil {
			return nil
		}
		return b.Put([]byte(c.KEKID), v)
	})
}

// RetireKEKs implements Store.
func (s *BoltStore) RetireKEKs(ctx context.Context, keep string) error {
	return s.update("retire keks", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKEKs)
		var retire [][]byte
		err := b.ForEach(func(k, _ []byte) error {
			if string(k) != keep {
				retire = append(retire, clone(k))
			}
			return nil
		})
		for _, k := range retire {
			if err == nil {
				err = b.Delete(k)
			}
		}
		return err
	})
}
