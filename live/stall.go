package live

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// A slow or stalled store (spec/live.md, "Ingest": "a slow storage write
// is reported, not back-pressured into the encoder beyond a bounded
// buffer"). While the archiver waits for a write, the feed is read on
// into the queue (Config.Queue fragments); only a full queue holds the
// encoder back (counted in ArchiveStats.Waits and logged). A write that
// takes longer than Config.SlowWrite is reported as it happens, not when
// it ends (a hung store may never end it): a warning and
// ArchiveStats.Stalled while it lasts, an info line when it clears.

// DefaultSlowWrite is Config.SlowWrite's default: half of a usual
// fragment, so that a store falling behind the feed is seen before the
// queue fills.
const DefaultSlowWrite = time.Second

// ArchiveStats is the live room's archiving, across every feed: what
// origin exports as metrics.
type ArchiveStats struct {
	// Queued is the fragments read from feeds and waiting for the
	// archiver: in a queue, or for room in a full one.
	Queued int64
	// Stalled is the tracks whose current storage write has taken longer
	// than Config.SlowWrite.
	Stalled int64
	// Stalls counts the storage writes that took longer than
	// Config.SlowWrite.
	Stalls uint64
	// Waits counts the times a feed found its queue full and waited:
	// the encoder was held back.
	Waits uint64
}

// archiveCounters are a Hub's ArchiveStats.
type archiveCounters struct {
	queued  atomic.Int64
	stalled atomic.Int64
	stalls  atomic.Uint64
	waits   atomic.Uint64
}

// ArchiveStats reports the live room's archiving.
func (h *Hub) ArchiveStats() ArchiveStats {
	return ArchiveStats{Queued: h.queued.Load(), Stalled: h.stalled.Load(),
		Stalls: h.stalls.Load(), Waits: h.waits.Load()}
}

// watchWrite reports the archiving of f if it takes longer than
// SlowWrite; call the function it returns when the archiving is done.
func (h *Hub) watchWrite(log *slog.Logger, f *fragment, q chan struct{}) (done func()) {
	start := time.Now()
	var fired atomic.Bool
	t := time.AfterFunc(h.c.SlowWrite, func() {
		h.stalls.Add(1)
		h.stalled.Add(1)
		fired.Store(true)
		log.Warn("live archive stalled: a storage write is taking long; the feed is read on into the queue",
			"track", f.trackID, "time", f.time, "after", h.c.SlowWrite, "queued", len(q), "queue", cap(q))
	})
	return func() {
		if !t.Stop() {
			// The timer fired (or is firing: wait for its count).
			for !fired.Load() {
				time.Sleep(time.Millisecond)
			}
			h.stalled.Add(-1)
			log.Info("live archive resumed: the slow storage write ended",
				"track", f.trackID, "time", f.time, "took", time.Since(start).Round(time.Millisecond), "queued", len(q))
		}
	}
}
