package origin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/live"
)

// Replicas that share the store and the storage serve a live stream too
// (spec/live.md, "Durability and replicas"): the ingesting origin's live
// room announces each archived fragment (AnnounceLive, its
// live.Config.Announce), this origin publishes the asset's name on the
// store's invalidation channel (keyclient.Notifier: the same Redis client
// and channel as the resources' invalidations), and every other replica's
// syncLive has its live room index what the storage gained (Refresh).
// With the embedded store there is one node and nothing to announce.
//
// The live room must not wait for Redis: announcements only mark the asset
// pending, and one goroutine publishes each pending asset once, however
// many fragments arrived meanwhile (an announcement says "look again",
// not which fragment).

// liveRefresher is the part of the live room that replicas need
// (live.Hub.Refresh): index what another origin archived into asset.
type liveRefresher interface {
	Refresh(asset string) error
}

var _ liveRefresher = (*live.Hub)(nil)

// liveNotices is the announcements waiting for the publisher.
type liveNotices struct {
	once    sync.Once
	sender  string // this process's id: it skips its own announcements
	mu      sync.Mutex
	pending map[string]struct{}
	wake    chan struct{}
}

func (n *liveNotices) init() {
	n.once.Do(func() {
		var b [8]byte
		_, _ = rand.Read(b[:])
		n.sender = hex.EncodeToString(b[:])
		n.pending = map[string]struct{}{}
		n.wake = make(chan struct{}, 1)
	})
}

// AnnounceLive is the live room's Announce hook (live.Config.Announce):
// it never blocks.
func (s *Server) AnnounceLive(a live.Announcement) {
	if s.ingestMetrics != nil {
		s.ingestMetrics.fragment(a)
	}
	if _, ok := s.Service.Store().(keyclient.Notifier); !ok {
		return
	}
	n := &s.notices
	n.init()
	n.mu.Lock()
	n.pending[a.Asset] = struct{}{}
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// publishLive publishes the pending announcements until ctx is done.
func (s *Server) publishLive(ctx context.Context) {
	nt, ok := s.Service.Store().(keyclient.Notifier)
	if !ok {
		return
	}
	n := &s.notices
	n.init()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
		}
		n.mu.Lock()
		assets := make([]string, 0, len(n.pending))
		for a := range n.pending {
			assets = append(assets, a)
		}
		clear(n.pending)
		n.mu.Unlock()
		for _, a := range assets {
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := nt.Notify(c, keyclient.Invalidation{Kind: keyclient.KindLiveFragments, Name: n.sender + "/" + a})
			cancel()
			if err != nil && ctx.Err() == nil {
				// The replicas catch up at the next fragment's
				// announcement, or at their next poll of the archive
				// (live.Config.RefreshEvery).
				s.Config.Logger.Warn("live fragment not announced to the replicas", "asset", a, "err", err)
			}
		}
	}
}

// refreshLive has the live room index what another replica archived into
// the asset an announcement names ("{sender}/{asset}"); this origin's own
// announcements are skipped (its live room archived the fragment).
func (s *Server) refreshLive(name string) error {
	r, ok := s.Ingester.(liveRefresher)
	if !ok {
		return nil
	}
	s.notices.init()
	sender, asset, _ := strings.Cut(name, "/")
	if sender == s.notices.sender || asset == "" {
		return nil
	}
	return r.Refresh(asset)
}

// refreshAllLive has the live room index every live output's archive
// again: announcements may have been lost while the subscription was down.
func (s *Server) refreshAllLive() error {
	r, ok := s.Ingester.(liveRefresher)
	if !ok {
		return nil
	}
	s.announced.mu.Lock()
	assets := make([]string, 0, len(s.announced.outputs))
	for _, a := range s.announced.outputs {
		assets = append(assets, a)
	}
	s.announced.mu.Unlock()
	var first error
	for _, a := range assets {
		if err := r.Refresh(a); err != nil && first == nil {
			first = err
		}
	}
	return first
}
