package live

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// Replicas (spec/live.md, "Durability and replicas"). The origin that
// ingests announces each archived fragment (Config.Announce); the origin
// carries the Announcement to the replicas that share the storage (Redis
// pub/sub is its business, not live's), and each replica calls Refresh for
// its asset. A replica must have the output too (AddOutput, as after a
// restart): Refresh then indexes what the storage gained, and serves the
// same window byte for byte, sequence numbers, offsets and start included,
// all of which come from the archive's names and live.json.

// Refresh brings the live outputs archiving into asset up to date with
// the storage: new tracks, new fragments, the window slid. An asset no
// output of this Hub has is no error (nothing to do).
func (h *Hub) Refresh(asset string) error {
	h.mu.Lock()
	var outs []*output
	for _, ev := range h.events {
		for _, o := range ev.outputs {
			if o.o.Asset == asset {
				outs = append(outs, o)
			}
		}
	}
	h.mu.Unlock()
	var errs []error
	for _, o := range outs {
		errs = append(errs, h.refresh(o, true))
	}
	return errors.Join(errs...)
}

// refresh indexes what the storage gained for out, and publishes a new
// snapshot of its asset when there is anything new (a snapshot unchanged
// keeps the manifests cached for it). full lists every track's directory;
// otherwise (a poll) a track is listed only when its next fragment is
// there (LiveTrack.NextStored).
func (h *Hub) refresh(out *output, full bool) error {
	out.mu.Lock()
	defer out.mu.Unlock()
	if out.ended {
		return nil
	}
	if full {
		out.listed = time.Now()
	}
	changed := false
	if !out.started {
		if info, err := packager.ReadLiveInfo(h.c.Store, out.o.Asset); err == nil && !info.Start.IsZero() {
			info.Window, info.ManifestName = out.o.Window, out.o.Manifest
			out.la.SetInfo(info)
			out.started = true
		}
	}
	if out.started {
		// Another origin that opened the output when it was made found no
		// live.json and put one without the start (openOutput): a read
		// then a put, not atomic, so it may land over the start this
		// origin (or the one ingesting) stored. An origin that knows the
		// start puts it back; every one puts the same.
		if info, err := packager.ReadLiveInfo(h.c.Store, out.o.Asset); err == nil && info.Start.IsZero() {
			if _, err := packager.WriteLiveInfo(h.c.Store, h.c.Writer, out.o.Asset, out.la.Info()); err != nil {
				return fmt.Errorf("live: refresh %s: restore the start: %w", out.o.Asset, err)
			}
			h.log.Warn("live archive: the stored availabilityStartTime was overwritten; put back", "asset", out.o.Asset)
		}
	}
	entries, err := h.c.Store.List(out.o.Asset + "/")
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("live: refresh %s: %w", out.o.Asset, err)
	}
	now := h.c.Now()
	var errs []error
	for _, e := range entries {
		if !e.Dir || !strings.HasSuffix(e.Name, packager.LiveDirExt) {
			continue
		}
		lt := out.tracks[e.Name]
		if lt == nil {
			if lt, err = packager.OpenLiveTrack(h.c.Store, h.c.Writer, out.o.Asset+"/"+e.Name, nil, packager.LiveTrackMeta{}); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					continue // its init is not written yet
				}
				errs = append(errs, err)
				continue
			}
			out.tracks[e.Name] = lt
			out.la.AddTrack(lt)
			changed = true
		}
		if !full && !lt.NextStored() {
			continue
		}
		grew, err := lt.Refresh(out.o.Window, now)
		changed = changed || grew
		if err != nil {
			errs = append(errs, err)
		}
	}
	if changed {
		out.la.Publish()
	}
	return errors.Join(errs...)
}
