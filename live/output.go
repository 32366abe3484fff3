package live

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// output is a live output: its live asset and its tracks, one per
// (stream, track) of the event, in "{stream}-{trackID}.live" directories.
type output struct {
	o  Output
	la *packager.LiveAsset

	// ap is held (read) by each append, which run in parallel, one per
	// track, and (write) by EndOutput, which waits for them.
	ap sync.RWMutex
	// starting is held by the appends before the output's first one has
	// stored its availabilityStartTime (startOnce).
	starting sync.Mutex

	mu      sync.Mutex
	tracks  map[string]*packager.LiveTrack // by directory name
	started bool                           // la's LiveInfo has its start
	ended   bool
	listed  time.Time // the last full refresh (poll.go)
	swept   time.Time // the last sweep of temporary files (sweep.go)

	stop     chan struct{} // closed when the output ends: its poll stops
	stopOnce sync.Once
}

// halt stops the output's poll.
func (out *output) halt() { out.stopOnce.Do(func() { close(out.stop) }) }

// openOutput opens (resumes) the archive of o.
func (h *Hub) openOutput(o Output) (*output, error) {
	out := &output{o: o, tracks: map[string]*packager.LiveTrack{}, stop: make(chan struct{})}
	info := packager.LiveInfo{ManifestName: o.Manifest, Window: o.Window}
	old, err := packager.ReadLiveInfo(h.c.Store, o.Asset)
	switch {
	case err == nil:
		info.Start, out.started = old.Start, !old.Start.IsZero()
	case errors.Is(err, storage.ErrNotFound):
		// The asset exists from now on (a locator may be made on it
		// before the first fragment); its start comes with that fragment.
		if _, err := packager.WriteLiveInfo(h.c.Store, h.c.Writer, o.Asset, info); err != nil {
			return nil, fmt.Errorf("live: output %s: %w", o.Name, err)
		}
	default:
		return nil, fmt.Errorf("live: output %s: %w", o.Name, err)
	}
	out.la = packager.NewLiveAsset(o.Asset, info)
	entries, err := h.c.Store.List(o.Asset + "/")
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("live: output %s: %w", o.Name, err)
	}
	var dirs []string
	for _, e := range entries {
		if e.Dir && strings.HasSuffix(e.Name, packager.LiveDirExt) {
			dirs = append(dirs, e.Name)
		}
	}
	h.sweepTemp(o.Asset, dirs)
	out.listed, out.swept = time.Now(), time.Now()
	for _, e := range entries {
		if !e.Dir || !strings.HasSuffix(e.Name, packager.LiveDirExt) {
			continue
		}
		lt, err := packager.OpenLiveTrack(h.c.Store, h.c.Writer, o.Asset+"/"+e.Name, nil, packager.LiveTrackMeta{})
		if err != nil {
			// A damaged track is left out; its stream starts it again
			// only under another name (never over what is there).
			h.log.Warn("live archive track left out", "asset", o.Asset, "track", e.Name, "err", err)
			continue
		}
		if err := lt.Slide(o.Window, h.c.Now()); err != nil {
			h.log.Warn("live archive: fragments outside the window not removed", "asset", o.Asset, "track", e.Name, "err", err)
		}
		out.tracks[e.Name] = lt
		out.la.AddTrack(lt)
	}
	if len(out.tracks) > 0 {
		h.log.Info("live output resumed", "event", o.Event, "output", o.Name, "asset", o.Asset, "tracks", len(out.tracks))
	}
	return out, nil
}

// trackDir is the directory name of a stream's track: the stream name
// reduced to letters, digits, '_' and '-' (it is the encoder's choice).
func trackDir(stream string, trackID uint32) string {
	var b strings.Builder
	for _, c := range stream {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 100 {
			break
		}
	}
	if b.Len() == 0 {
		b.WriteString("stream")
	}
	return b.String() + "-" + strconv.FormatUint(uint64(trackID), 10) + packager.LiveDirExt
}

// fragment is one moof+mdat of one track of a stream, ready to archive.
type fragment struct {
	stream  *stream
	init    *packager.LiveInit
	meta    smilTrack // what the live server manifest said of the track
	trackID uint32
	time    uint64
	b       []byte

	arrived  time.Time // its last byte read
	dequeued time.Time // its track's archiver took it
}

// appendTo archives f into the output: the track is opened (created, or
// resumed and checked against f's init) on its first fragment. It returns
// the announcement of the fragment, nil when there is none to make (a
// repeat, an ended output), and the track, whose reclaimed fragments the
// caller removes from storage once the fragment is announced.
func (h *Hub) appendTo(out *output, f *fragment) (*Announcement, *packager.LiveTrack, error) {
	out.ap.RLock()
	defer out.ap.RUnlock()
	lt, err := h.trackOf(out, f)
	if lt == nil || err != nil {
		return nil, nil, err
	}
	out.mu.Lock()
	started := out.started
	out.mu.Unlock()
	if !started {
		// Until the first fragment has stored the start, the tracks
		// append one at a time: a fragment stored is always published
		// (after the start nothing is written between the two).
		out.starting.Lock()
		defer out.starting.Unlock()
	}
	// Stored without out.mu: the output's other tracks append meanwhile.
	err = lt.Append(f.b, f.time, out.o.Window, f.arrived)
	if errors.Is(err, packager.ErrRepeated) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	stored := h.c.Now()
	if err := h.startOnce(out, lt, f); err != nil {
		return nil, nil, err
	}
	out.la.AddTrack(lt) // publishes
	return &Announcement{Event: out.o.Event, Output: out.o.Name, Asset: out.o.Asset, Track: trackDir(f.stream.name, f.trackID), Time: f.time,
		Arrived: f.arrived, Stored: stored, Published: h.c.Now()}, lt, nil
}

// trackOf returns the output's track of f, opened (created, or resumed and
// checked against f's init) on its first fragment; nil once the output
// ended.
func (h *Hub) trackOf(out *output, f *fragment) (*packager.LiveTrack, error) {
	out.mu.Lock()
	defer out.mu.Unlock()
	if out.ended {
		return nil, nil
	}
	dir := trackDir(f.stream.name, f.trackID)
	lt := out.tracks[dir]
	if lt == nil {
		meta := h.metaOf(out, f)
		var err error
		lt, err = packager.OpenLiveTrack(h.c.Store, h.c.Writer, out.o.Asset+"/"+dir, f.init, meta)
		if err != nil {
			return nil, err
		}
		out.tracks[dir] = lt
	} else if t := lt.Track(); t.Codecs != f.init.Codecs || t.CodecPrivateData != f.init.CodecPrivateData || t.Timescale != f.init.Timescale {
		return nil, fmt.Errorf("%w: %s: archived %s/%d, now %s/%d", packager.ErrCodecChanged, dir, t.Codecs, t.Timescale, f.init.Codecs, f.init.Timescale)
	}
	return lt, nil
}

// startOnce stores the output's availabilityStartTime at its first
// fragment: the wall clock of media time 0, so that the first fragment is
// available when it arrived. Stored once: the same for the whole event,
// after restarts and on replicas.
func (h *Hub) startOnce(out *output, lt *packager.LiveTrack, f *fragment) error {
	out.mu.Lock()
	defer out.mu.Unlock()
	if out.started {
		return nil
	}
	t := lt.Track()
	last := t.Fragments[len(t.Fragments)-1]
	end := time.Duration(float64(last.Time+last.Duration) / float64(t.Timescale) * float64(time.Second))
	info := out.la.Info()
	info.Start = f.arrived.Add(-end).UTC().Truncate(time.Millisecond)
	info, err := packager.WriteLiveInfo(h.c.Store, h.c.Writer, out.o.Asset, info)
	if err != nil {
		return err
	}
	info.Window, info.ManifestName = out.o.Window, out.o.Manifest
	out.la.SetInfo(info)
	out.started = true
	return nil
}

// metaOf names a new track: the live server manifest's trackName and
// systemBitrate, else its kind and the first fragment's bitrate; the
// bitrate made unique among the output's tracks of that name.
func (h *Hub) metaOf(out *output, f *fragment) packager.LiveTrackMeta {
	m := packager.LiveTrackMeta{Name: f.meta.name, Bitrate: f.meta.bitrate, Language: f.meta.language}
	if m.Name == "" {
		m.Name = f.init.Kind.String()
	}
	if m.Language == "und" {
		m.Language = ""
	}
	if m.Bitrate <= 0 {
		m.Bitrate = estimateBitrate(f)
	}
	for taken := true; taken; {
		taken = false
		for _, lt := range out.tracks {
			if t := lt.Track(); strings.EqualFold(t.Name, m.Name) && t.Bitrate == m.Bitrate {
				m.Bitrate++
				taken = true
			}
		}
	}
	return m
}

// estimateBitrate is the first fragment's bitrate in kb/s steps (the
// stream's manifest did not say): fixed from then on, since it is in URLs.
func estimateBitrate(f *fragment) int {
	d := fragmentDuration(f.b, f.init.Timescale)
	if d <= 0 {
		return 1000
	}
	r := int(float64(len(f.b)) * 8 / d)
	return max(1000, r/1000*1000)
}
