package live

import (
	"errors"
	"fmt"
	"strings"

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
		errs = append(errs, h.refresh(o))
	}
	return errors.Join(errs...)
}

func (h *Hub) refresh(out *output) error {
	out.mu.Lock()
	defer out.mu.Unlock()
	if out.ended {
		return nil
	}
	if !out.started {
		if info, err := packager.ReadLiveInfo(h.c.Store, out.o.Asset); err == nil && !info.Start.IsZero() {
			info.Window, info.ManifestName = out.o.Window, out.o.Manifest
			out.la.SetInfo(info)
			out.started = true
		}
	}
	entries, err := h.c.Store.List(out.o.Asset + "/")
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("live: refresh %s: %w", out.o.Asset, err)
	}
	now := h.c.Now()
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
				return err
			}
			out.tracks[e.Name] = lt
		}
		if err := lt.Refresh(out.o.Window, now); err != nil {
			return err
		}
		out.la.AddTrack(lt)
	}
	out.la.Publish()
	return nil
}
