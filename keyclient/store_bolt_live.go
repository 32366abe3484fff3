package keyclient

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// WriteLive implements Store.
func (s *BoltStore) WriteLive(ctx context.Context, w *LiveWrite) error {
	if w.Kind != KindLiveEvents && w.Kind != KindLiveOutputs {
		return fmt.Errorf("%q is not a live collection: %w", w.Kind, ErrNotFound)
	}
	err := s.update("write live", func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(w.Kind))
		cur := b.Get([]byte(w.Name))
		switch {
		case w.Expect == nil && cur != nil, w.Expect != nil && !bytes.Equal(cur, w.Expect):
			return errStale
		}
		create, del := cur == nil && w.Doc != nil, w.Doc == nil
		if w.Kind == KindLiveEvents {
			if del {
				prefix := []byte(w.Name + "/")
				if k, _ := tx.Bucket([]byte(KindLiveOutputs)).Cursor().Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
					return liveEventHasOutputs(w.Name, string(k[len(prefix):]))
				}
				return b.Delete([]byte(w.Name))
			}
			return b.Put([]byte(w.Name), w.Doc)
		}
		assets := tx.Bucket(bucketLiveAssets)
		switch {
		case create:
			event, _, _ := strings.Cut(w.Name, "/")
			if tx.Bucket([]byte(KindLiveEvents)).Get([]byte(event)) == nil {
				return errNoLiveEvent
			}
			if owner := assets.Get([]byte(w.Asset)); owner != nil && string(owner) != w.Name {
				return liveAssetTaken(w.Asset, string(owner))
			}
			if err := assets.Put([]byte(w.Asset), []byte(w.Name)); err != nil {
				return err
			}
		case del:
			if owner := assets.Get([]byte(w.Asset)); string(owner) == w.Name {
				if err := assets.Delete([]byte(w.Asset)); err != nil {
					return err
				}
			}
			return b.Delete([]byte(w.Name))
		}
		return b.Put([]byte(w.Name), w.Doc)
	})
	if err == nil {
		s.hub.publish(Invalidation{Kind: w.Kind, Name: w.Name})
	}
	return err
}
