package live

import "time"

// Polling the archive (spec/live.md, "Durability and replicas": every
// replica lists a new fragment within a second). Announcements ride on
// pub/sub, which may lose one: a publish that failed, a subscription
// being re-established. A replica would then index the fragment only at
// the next announcement, and never if it was the last one before a quiet
// spell or the feed's end. So every live output's archive is also looked
// at again every Config.RefreshEvery while the output is live, on every
// origin (the one ingesting a stream may be a replica for another stream
// of the same event). A look is cheap when nothing changed: one listing
// of the asset's directory (a few entries: live.json and the tracks) and
// one Open per track (LiveTrack.NextStored: is the next fragment there?);
// a track's directory is listed only when it grew. Every fullEvery looks
// without a full refresh in between (an announcement's), every track is
// listed: a fragment after a gap in the encoder's timeline is found so.
// A lost announcement is therefore healed within RefreshEvery, or within
// fullEvery × RefreshEvery for a fragment after a gap; the poll stops
// when the output ends. The poll also sweeps the archive's stale
// temporary files every TempAge (sweep.go).

// DefaultRefreshEvery is Config.RefreshEvery's default.
const DefaultRefreshEvery = 2 * time.Second

// fullEvery is how many polls may go by without a full listing.
const fullEvery = 15

// poll looks at out's archive every RefreshEvery until out ends.
func (h *Hub) poll(out *output) {
	every := h.c.RefreshEvery
	tick := time.NewTicker(every)
	defer tick.Stop()
	var said string // the last error logged: a damaged track is told once, not every poll
	for {
		select {
		case <-out.stop:
			return
		case <-tick.C:
		}
		out.mu.Lock()
		full := time.Since(out.listed) >= fullEvery*every
		var dirs []string
		sweep := time.Since(out.swept) >= h.c.TempAge
		if sweep {
			out.swept = time.Now()
			for d := range out.tracks {
				dirs = append(dirs, d)
			}
		}
		out.mu.Unlock()
		if err := h.refresh(out, full); err != nil && err.Error() != said {
			said = err.Error()
			h.log.Warn("live archive poll", "event", out.o.Event, "output", out.o.Name, "asset", out.o.Asset, "err", err)
		} else if err == nil {
			said = ""
		}
		if sweep {
			h.sweepTemp(out.o.Asset, dirs)
		}
	}
}
