package keyclient

import (
	"context"
	"fmt"
)

// KindLiveFragments is not a stored collection: its invalidations say that
// a live asset's archive gained a fragment (spec/live.md, "Durability and
// replicas"), so that the replicas sharing the storage index it. The name
// is the sender's choosing (origin: "{sender}/{asset}").
const KindLiveFragments Kind = "liveFragments"

// Notifier is implemented by the stores that several processes share: it
// publishes an invalidation that no write made (KindLiveFragments) to
// every subscriber, in this process and in the others. The embedded store
// (one node) does not implement it: its only process knows already.
type Notifier interface {
	Notify(ctx context.Context, inv Invalidation) error
}

var _ Notifier = (*RedisStore)(nil)

// Notify implements Notifier on the invalidation channel, the one channel
// and client the resource invalidations use.
func (s *RedisStore) Notify(ctx context.Context, inv Invalidation) error {
	if err := s.c.Publish(ctx, InvalidationChannel, string(inv.Kind)+"/"+inv.Name).Err(); err != nil {
		return unavailable(fmt.Sprintf("redis publish %s", inv.Kind), err)
	}
	return nil
}
