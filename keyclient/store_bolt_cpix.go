package keyclient

import (
	"bytes"
	"context"

	bolt "go.etcd.io/bbolt"
)

// cpixIdentityKey is the identity's key in bucketCPIX.
var cpixIdentityKey = []byte("self")

// CPIXIdentity implements Store.
func (s *BoltStore) CPIXIdentity(ctx context.Context) ([]byte, error) {
	var out []byte
	err := s.view("cpix identity", func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCPIX).Get(cpixIdentityKey)
		if v == nil {
			return ErrNotFound
		}
		out = clone(v)
		return nil
	})
	return out, err
}

// ReplaceCPIXIdentity implements Store.
func (s *BoltStore) ReplaceCPIXIdentity(ctx context.Context, old, new []byte) error {
	return s.update("replace cpix identity", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCPIX)
		if !bytes.Equal(b.Get(cpixIdentityKey), old) {
			return errStale
		}
		return b.Put(cpixIdentityKey, new)
	})
}

// AddCPIXIdentity implements Store.
func (s *BoltStore) AddCPIXIdentity(ctx context.Context, doc []byte) ([]byte, error) {
	var out []byte
	err := s.update("add cpix identity", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCPIX)
		if v := b.Get(cpixIdentityKey); v != nil {
			out = clone(v)
			return nil
		}
		out = clone(doc)
		return b.Put(cpixIdentityKey, doc)
	})
	return out, err
}
