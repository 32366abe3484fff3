package live

import (
	"time"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// Sweeping a crash's leftovers. A local store's Put writes a hidden
// temporary file beside the object, syncs it and renames it into place
// (storage.Local.Put); an origin that dies between the two leaves the
// temporary file behind, never read (listings skip hidden names) and
// never removed. When an output's archive is opened (AddOutput: a start,
// a restore after a restart, a replica taking the output) and every
// TempAge while it is live (poll.go), the output's own temporary files
// are removed: only Put's pattern ("."+object+"."+digits), only for the
// objects a live archive writes (live.json in the asset's directory;
// init.mp4, track.json and fragments in its ".live" directories), and
// only those last written more than TempAge ago, since a replica sharing
// the storage may be writing one right now.

// DefaultTempAge is Config.TempAge's default: far past the duration of
// any one fragment's write.
const DefaultTempAge = 5 * time.Minute

// sweepTemp removes the stale temporary files of out's archive, in the
// asset's directory and the tracks' directories dirs.
func (h *Hub) sweepTemp(asset string, dirs []string) {
	sw, ok := h.c.Writer.(storage.TempSweeper)
	if !ok {
		return // an object store: a put is whole or absent
	}
	before := time.Now().Add(-h.c.TempAge) // files' times are the OS clock's
	sweep := func(dir string, match func(string) bool) {
		removed, err := sw.SweepTemp(dir, match, before)
		if len(removed) > 0 {
			h.log.Info("live archive: temporary files of interrupted writes removed", "dir", dir, "files", removed)
		}
		if err != nil {
			h.log.Warn("live archive: temporary files not removed", "dir", dir, "err", err)
		}
	}
	sweep(asset, func(o string) bool { return o == packager.LiveInfoName })
	for _, d := range dirs {
		sweep(asset+"/"+d, packager.IsLiveTrackObject)
	}
}
