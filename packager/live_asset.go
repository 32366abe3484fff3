package packager

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/drmorigin/drmorigin/storage"
)

// LiveAsset is the asset of a live output while it runs: its tracks grow,
// and each change publishes a new *Asset (Asset) whose tracks are the
// LiveTracks' snapshots. A manifest cached for one *Asset is therefore
// never served for the next (origin's manifest cache compares them).
type LiveAsset struct {
	name string
	info LiveInfo

	mu     sync.Mutex
	tracks []*LiveTrack
	cur    atomic.Pointer[Asset]
}

// NewLiveAsset returns the live asset name described by info.
func NewLiveAsset(name string, info LiveInfo) *LiveAsset {
	return &LiveAsset{name: name, info: info}
}

// Info is the asset's LiveInfo.
func (la *LiveAsset) Info() LiveInfo {
	la.mu.Lock()
	defer la.mu.Unlock()
	return la.info
}

// SetInfo replaces the asset's LiveInfo (its start, known at the first
// fragment) and publishes.
func (la *LiveAsset) SetInfo(info LiveInfo) {
	la.mu.Lock()
	la.info = info
	la.mu.Unlock()
	la.Publish()
}

// Name is the asset's name.
func (la *LiveAsset) Name() string { return la.name }

// AddTrack adds a track (its meta's bitrate unique among tracks of its
// name is the caller's to choose) and publishes.
func (la *LiveAsset) AddTrack(lt *LiveTrack) {
	la.mu.Lock()
	if !slices.Contains(la.tracks, lt) {
		la.tracks = append(la.tracks, lt)
	}
	la.mu.Unlock()
	la.Publish()
}

// Tracks returns the asset's live tracks.
func (la *LiveAsset) Tracks() []*LiveTrack {
	la.mu.Lock()
	defer la.mu.Unlock()
	return slices.Clone(la.tracks)
}

// Publish builds the *Asset of the tracks' current snapshots (those with
// a fragment): video by descending bitrate, then audio.
func (la *LiveAsset) Publish() {
	la.mu.Lock()
	defer la.mu.Unlock()
	info := la.info
	a := &Asset{Name: la.name, ManifestName: info.ManifestName, Live: &info}
	if a.ManifestName == "" {
		a.ManifestName = la.name
	}
	for _, lt := range la.tracks {
		if t := lt.Track(); t != nil && len(t.Fragments) > 0 {
			a.Tracks = append(a.Tracks, t)
		}
	}
	orderLive(a.Tracks)
	la.cur.Store(a)
}

// orderLive orders live tracks as nameTracks does, without renaming.
func orderLive(ts []*Track) {
	slices.SortStableFunc(ts, func(x, y *Track) int {
		if x.Kind != y.Kind {
			return int(x.Kind) - int(y.Kind)
		}
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return y.Bitrate - x.Bitrate
	})
}

// Asset returns the current asset, or nil before its first fragment.
func (la *LiveAsset) Asset() *Asset {
	a := la.cur.Load()
	if a == nil || len(a.Tracks) == 0 {
		return nil
	}
	return a
}

// Close closes the tracks' open fragment objects.
func (la *LiveAsset) Close() {
	for _, lt := range la.Tracks() {
		lt.Close()
	}
}

// WriteLiveInfo stores info in the asset directory, once: an existing one
// with a start is kept and returned, so that availabilityStartTime stays
// fixed for the event across restarts and replicas. (An output writes one
// without a start when it is added, so that its asset exists at once.)
func WriteLiveInfo(st storage.Store, w storage.Writer, asset string, info LiveInfo) (LiveInfo, error) {
	if old, err := ReadLiveInfo(st, asset); err == nil && (!old.Start.IsZero() || info.Start.IsZero()) {
		return old, nil
	} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return info, err
	}
	b, _ := json.Marshal(info)
	return info, w.Put(asset+"/"+LiveInfoName, b)
}

// ReadLiveInfo reads the asset's stored LiveInfo (storage.ErrNotFound
// when it has none).
func ReadLiveInfo(st storage.Store, asset string) (LiveInfo, error) {
	var info LiveInfo
	b, err := readSmall(st, asset+"/"+LiveInfoName, 64<<10)
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, corruptf(st.Locate(asset+"/"+LiveInfoName), 0, "%v", err)
	}
	return info, nil
}

// SetLive makes name a live asset: Asset(name) answers la's current asset
// (ErrNoTrackFiles before its first fragment) without building an index.
// SetLive(name, nil) ends that: the next Asset(name) indexes the archive
// from storage, as VOD.
func (l *Library) SetLive(name string, la *LiveAsset) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if la == nil {
		delete(l.live, name)
	} else {
		if l.live == nil {
			l.live = map[string]*LiveAsset{}
		}
		l.live[name] = la
	}
	if e, ok := l.entries[name]; ok && e.elem != nil {
		l.drop(e)
	}
	delete(l.failures, name)
}

// liveAsset answers Asset for a live asset; l.mu is held.
func (l *Library) liveAsset(la *LiveAsset) (*Asset, error) {
	a := la.Asset()
	if a == nil {
		return nil, fmt.Errorf("packager: live asset %s has no fragment yet: %w", la.name, ErrNoTrackFiles)
	}
	return a, nil
}

// openLiveTracks indexes the live track directories of an ended (or not
// yet resumed) live archive, read only.
func (a *Asset) openLiveTracks(st storage.Store, dirs []string) error {
	for _, d := range dirs {
		lt, err := OpenLiveTrack(st, nil, a.Name+"/"+d, nil, LiveTrackMeta{})
		if mediaFault(err) {
			a.skip(Skipped{File: d, Err: err})
			continue
		}
		if err != nil {
			return err
		}
		t := lt.Track()
		if len(t.Fragments) == 0 {
			continue // a track that began and had no fragment archived
		}
		a.files = append(a.files, lt.tf)
		a.Tracks = append(a.Tracks, t)
	}
	orderLive(a.Tracks)
	if info, err := ReadLiveInfo(st, a.Name); err == nil && info.ManifestName != "" {
		a.ManifestName = info.ManifestName
	}
	return nil
}
