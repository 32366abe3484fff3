package packager

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drmorigin/drmorigin/storage"
)

// A live track's archive, in its asset's directory (spec/live.md,
// "Durability"): one object per fragment, since objects cannot be
// appended, named so that a listing in name order is decode order and
// carries each fragment's sequence number and decode time:
//
//	{asset}/live.json                   the presentation (LiveInfo), written once
//	{asset}/{track}.live/init.mp4       ftyp + the track's single-track moov
//	{asset}/{track}.live/track.json     name, bitrate, language (LiveTrackMeta)
//	{asset}/{track}.live/{seq:010}-{time:020}.m4s   one moof+mdat, as ingested
//	{asset}/{track}.live/index-{seq:010}.idx        the fragments' index, a chunk per
//	                                                LiveIndexEvery (live_index.go)
//
// The VOD path (loadAsset) reads the same layout: a live output's asset is
// an asset like any other once the output ends, and after a restart.

// LiveDirExt ends the name of a live track's directory.
const LiveDirExt = ".live"

// LiveInfoName is the presentation's object in the asset directory.
const LiveInfoName = "live.json"

// Errors of LiveTrack.Append that the live room tells apart.
var (
	// ErrRepeated: the fragment's decode time is the newest one's (an
	// encoder resending after a reconnection): dropped, no error to it.
	ErrRepeated = errors.New("packager: fragment already archived")
	// ErrBackwards: the fragment starts before the newest one ends.
	ErrBackwards = errors.New("packager: decode time going backwards")
	// ErrCodecChanged: a track resumed with another codec configuration.
	ErrCodecChanged = errors.New("packager: codec changed")
)

// LiveInfo is what makes an asset live (Asset.Live): fixed for the event,
// stored in the archive, the same on every replica and after a restart.
type LiveInfo struct {
	// ManifestName is the {name} of the streaming URLs.
	ManifestName string `json:"manifestName"`
	// Start is the wall clock of media time 0: DASH
	// availabilityStartTime, HLS PROGRAM-DATE-TIME of time 0.
	Start time.Time `json:"start"`
	// Window is the archive window, in media time back from the newest
	// fragment.
	Window time.Duration `json:"window"`
}

// LiveTrackMeta is a live track's identity, fixed when it began so that
// its URLs ({name}, QualityLevels({bitrate})) never change.
type LiveTrackMeta struct {
	Name     string `json:"name"`
	Bitrate  int    `json:"bitrate"`
	Language string `json:"language,omitempty"`
}

// LiveTrack is a track growing in a live archive. Append adds a fragment
// (written to storage first, then indexed); Track returns the current
// snapshot, an ordinary immutable *Track that every output path serves.
// Snapshots share the track's protected init segments and encryption
// state, so a new fragment costs no rebuild of them.
type LiveTrack struct {
	store storage.Store
	w     storage.Writer // nil: read only (an ended archive)
	dir   string
	obj   *liveObject
	tf    *trackFile

	mu      sync.Mutex // Append, drops and reclaims
	cur     atomic.Pointer[Track]
	base    *Track      // the init's description, with no fragment
	parts   []*livePart // window first, then none: dropped ones are in reclaim
	seq     uint64      // the next fragment's sequence number
	reclaim []reclaimPart
	doomed  []string // reclaimed fragments' objects, for RemoveReclaimed
	st      SampleTable

	// The index chunk in progress (live_index.go): the entries of the
	// fragments from the last multiple of LiveIndexEvery on; and the
	// chunks completed but not yet stored (StoreIndex).
	idx      []liveIndexEntry
	pending  []liveIndexChunk
	loading  bool // load: parts are published once, at its end
	appended bool // Append archived a fragment: this origin ingests the track
}

// liveIndexChunk is an index chunk to store.
type liveIndexChunk struct {
	name string
	b    []byte
}

type reclaimPart struct {
	p  *livePart
	at time.Time
}

// liveOffsetShift places fragment k of a live track at virtual offset
// k<<liveOffsetShift: room for MaxFragmentSize bytes each.
const liveOffsetShift = 28

var _ [1]struct{} = [MaxFragmentSize >> liveOffsetShift]struct{}{} // MaxFragmentSize fits

// ReclaimDelay is how long a fragment that left the window stays in
// storage: requests that resolved it just before it left finish.
var ReclaimDelay = 30 * time.Second

// OpenLiveTrack opens the live track of directory dir ("{asset}/{track}.live")
// in st, creating it with init and meta when it is new, or resuming it (a
// restart, a reconnection): the archive's fragments are indexed again and
// its own init and meta are kept. A resumed track whose init describes
// other media (codec, codec private data, timescale) is ErrCodecChanged.
// w nil opens an archive read only.
func OpenLiveTrack(st storage.Store, w storage.Writer, dir string, init *LiveInit, meta LiveTrackMeta) (*LiveTrack, error) {
	lt := &LiveTrack{store: st, w: w, dir: dir, obj: newLiveObject(st, dir)}
	lt.tf = &trackFile{store: st, name: dir, path: st.Locate(dir), f: lt.obj,
		reopen: func() (storage.Object, error) { return lt.obj, nil }}
	b, err := readSmall(st, dir+"/init.mp4", MaxInitSize)
	switch {
	case errors.Is(err, storage.ErrNotFound) && init != nil && w != nil:
		mb, _ := json.Marshal(meta)
		if err := w.Put(dir+"/track.json", mb); err != nil {
			return nil, err
		}
		if err := w.Put(dir+"/init.mp4", init.Init); err != nil {
			return nil, err
		}
		b = init.Init
	case err != nil:
		return nil, err
	default:
		if mb, err := readSmall(st, dir+"/track.json", 64<<10); err != nil {
			return nil, err
		} else if err := json.Unmarshal(mb, &meta); err != nil {
			return nil, corruptf(st.Locate(dir+"/track.json"), 0, "%v", err)
		}
	}
	t := &Track{Path: lt.tf.path, file: lt.tf, lazy: new(trackLazy), IndexedFrom: "live", lookAhead: true}
	t.Init = b
	if len(b) >= 8 && string(b[4:8]) == "ftyp" {
		t.ftypLen = int(binary.BigEndian.Uint32(b))
	}
	if t.ftypLen > len(b) {
		return nil, corruptf(t.Path, 0, "init: ftyp runs past the end")
	}
	if err := t.describeInit(int64(t.ftypLen)); err != nil {
		return nil, err
	}
	if init != nil && (init.Codecs != t.Codecs || init.CodecPrivateData != t.CodecPrivateData || init.Timescale != t.Timescale) {
		return nil, fmt.Errorf("%w: %s: archived %s %s/%d, now %s %s/%d", ErrCodecChanged, dir,
			t.Codecs, t.CodecPrivateData, t.Timescale, init.Codecs, init.CodecPrivateData, init.Timescale)
	}
	t.Name, t.Bitrate, t.PeakBitrate = meta.Name, meta.Bitrate, meta.Bitrate
	if meta.Language != "" {
		t.Language = meta.Language
	}
	lt.base = t
	if err := lt.load(); err != nil {
		return nil, err
	}
	return lt, nil
}

// readSmall reads the whole object name, of at most limit bytes.
func readSmall(st storage.Store, name string, limit int64) ([]byte, error) {
	f, err := st.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Size() > limit {
		return nil, corruptf(st.Locate(name), 0, "%d bytes, over %d", f.Size(), limit)
	}
	b := make([]byte, f.Size())
	if _, err := f.ReadAt(b, 0); err != nil && !(errors.Is(err, io.EOF) && len(b) == 0) {
		return nil, fmt.Errorf("packager: read %s: %w", st.Locate(name), err)
	}
	return b, nil
}

// parseFragmentName parses "{seq}-{time}.m4s".
func parseFragmentName(n string) (seq, time uint64, ok bool) {
	s, t, found := strings.Cut(strings.TrimSuffix(n, ".m4s"), "-")
	if !found || !strings.HasSuffix(n, ".m4s") {
		return 0, 0, false
	}
	seq, err1 := strconv.ParseUint(s, 10, 64)
	time, err2 := strconv.ParseUint(t, 10, 64)
	return seq, time, err1 == nil && err2 == nil
}

// IsLiveTrackObject reports whether name (one element) is an object that
// a live track keeps in its directory: init.mp4, track.json or a fragment.
func IsLiveTrackObject(name string) bool {
	_, _, frag := parseFragmentName(name)
	return frag || name == "init.mp4" || name == "track.json" || isLiveIndexName(name)
}

func fragmentName(dir string, seq, time uint64) string {
	return fmt.Sprintf("%s/%010d-%020d.m4s", dir, seq, time)
}

// Refresh indexes the fragments that another origin (the one ingesting)
// archived since the last look, and slides the window as it did: a
// replica that shares the storage serves the same window, byte for byte.
// It reclaims nothing (the ingesting origin does). Call it when that
// origin announces a fragment. It reports whether the track grew.
func (lt *LiveTrack) Refresh(window time.Duration, now time.Time) (bool, error) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	entries, err := lt.listNew()
	if err != nil {
		return false, fmt.Errorf("packager: list %s: %w", lt.store.Locate(lt.dir), err)
	}
	t := lt.cur.Load()
	grown := false
	for _, e := range entries {
		seq, time, ok := parseFragmentName(e.Name)
		if e.Dir || !ok || seq < lt.seq {
			continue
		}
		name := lt.dir + "/" + e.Name
		b, size, err := readHead(lt.store, name)
		if errors.Is(err, storage.ErrNotFound) {
			continue // reclaimed since the listing
		}
		if err != nil {
			return grown, err
		}
		lt.seq = seq
		nt, err := lt.add(t, b, size, time, name)
		if err != nil {
			return grown, fmt.Errorf("packager: %s: %w", name, err)
		}
		t, grown = nt, true
	}
	if !grown {
		return false, nil
	}
	lt.cur.Store(lt.slide(t, window, now))
	// What left the window is closed after the delay, but its objects
	// are the ingesting origin's to remove.
	lt.reclaimDue(now, false)
	return true, nil
}

// NextStored reports, at the cost of one Open, whether the archive may
// hold a fragment this track has not indexed: the one that would follow
// the newest without a gap (the next sequence number, at the newest's
// end) is in storage, or the track has no fragment yet (its directory is
// then small to list), or the store could not say. A replica polling for
// a lost announcement so lists a growing directory only when it grew; a
// fragment after a gap in the encoder's timeline is found by Refresh
// alone.
func (lt *LiveTrack) NextStored() bool {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	t := lt.cur.Load()
	if t == nil || len(t.Fragments) == 0 {
		return true
	}
	last := t.Fragments[len(t.Fragments)-1]
	f, err := lt.store.Open(fragmentName(lt.dir, lt.seq, last.Time+last.Duration))
	if err != nil {
		return !errors.Is(err, storage.ErrNotFound)
	}
	_ = f.Close()
	return true
}

// listNew lists the track's fragments from sequence number lt.seq on (and
// maybe some before). Over a store that lists by name prefix (an object
// store) it asks for the ten sequence numbers that share the next one's
// leading digits, and the ten after while those are all there: a request
// the size of what is new, where a listing of the directory would page
// through the whole window (a 25-hour window of 2 s fragments is 45,000
// objects, 45 pages of S3's 1,000) at every announcement.
func (lt *LiveTrack) listNew() ([]storage.Entry, error) {
	pl, ok := lt.store.(storage.PrefixLister)
	if !ok {
		return lt.store.List(lt.dir + "/")
	}
	var out []storage.Entry
	for next := lt.seq; ; {
		es, err := pl.ListPrefix(lt.dir+"/", fmt.Sprintf("%09d", next/10)) // "{seq:010}" less its last digit
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
		last, found := uint64(0), false
		for _, e := range es {
			if seq, _, ok := parseFragmentName(e.Name); ok && !e.Dir && seq >= next {
				last, found = max(last, seq), true
			}
		}
		if !found || last%10 != 9 {
			return out, nil
		}
		next = last + 1
	}
}

// Slide drops the fragments outside window (a resumed archive may hold
// some that a crash kept from being reclaimed) and removes their objects
// (the error of RemoveReclaimed).
func (lt *LiveTrack) Slide(window time.Duration, now time.Time) error {
	lt.mu.Lock()
	if t := lt.cur.Load(); t != nil {
		lt.cur.Store(lt.slide(t, window, now))
	}
	lt.reclaimDue(now.Add(ReclaimDelay), lt.w != nil)
	lt.mu.Unlock()
	return lt.RemoveReclaimed()
}

// load indexes the fragments already in the archive. Those that the
// archive's index vouches for (live_index.go) are indexed from it; the
// heads of the others are read a batch at a time, several at once: over
// an object store each is a stat and a ranged read, and a window of an
// hour holds 1,800 fragments per track.
func (lt *LiveTrack) load() error {
	entries, err := lt.store.List(lt.dir + "/")
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("packager: list %s: %w", lt.store.Locate(lt.dir), err)
	}
	var frs []storedFragment
	var chunks []string
	for _, e := range entries {
		if seq, time, ok := parseFragmentName(e.Name); ok && !e.Dir {
			frs = append(frs, storedFragment{lt.dir + "/" + e.Name, seq, time, e.Size})
		} else if !e.Dir && isLiveIndexName(e.Name) {
			chunks = append(chunks, e.Name)
		}
	}
	known := lt.readIndex(chunks, frs)
	lt.loading = true
	defer func() {
		lt.loading = false
		lt.publishParts()
	}()
	t := lt.snapshot(nil, nil)
	// The first fragment's head is read whatever the index says: it fixes
	// the track's frame rate and TS shift (add), and it checks the index
	// against a fragment itself.
	for len(frs) > 0 && len(t.Fragments) == 0 {
		fr := frs[0]
		frs = frs[1:]
		b, size, err := readHead(lt.store, fr.name)
		if errors.Is(err, storage.ErrNotFound) {
			continue // reclaimed since the listing (the ingesting origin slid its window)
		}
		if err != nil {
			return err
		}
		lt.seq = fr.seq
		if t, err = lt.add(t, b, size, fr.time, fr.name); err != nil {
			return fmt.Errorf("packager: %s: %w", fr.name, err)
		}
		if e, ok := known[fr.seq]; ok && e != lt.idx[len(lt.idx)-1] {
			known = nil // an index that disagrees with a fragment is not used at all
		}
	}
	heads := make([]fragmentHead, loadBatch)
	var need []int
	for len(frs) > 0 {
		batch := frs[:min(loadBatch, len(frs))]
		frs = frs[len(batch):]
		need = need[:0]
		for i, fr := range batch {
			if _, ok := known[fr.seq]; !ok {
				need = append(need, i)
			}
		}
		var wg sync.WaitGroup
		next := atomic.Int64{}
		for range min(loadReaders, len(need)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := int(next.Add(1) - 1); k < len(need); k = int(next.Add(1) - 1) {
					h := &heads[need[k]]
					h.b, h.size, h.err = readHead(lt.store, batch[need[k]].name)
				}
			}()
		}
		wg.Wait()
		for i, fr := range batch {
			if e, ok := known[fr.seq]; ok {
				lt.seq = fr.seq
				if t, err = lt.addIndexed(t, e, fr.name); err != nil {
					return fmt.Errorf("packager: %s: %w", fr.name, err)
				}
				continue
			}
			h := heads[i]
			heads[i] = fragmentHead{}
			if errors.Is(h.err, storage.ErrNotFound) {
				continue // reclaimed since the listing (the ingesting origin slid its window)
			}
			if h.err != nil {
				return h.err
			}
			lt.seq = fr.seq
			if t, err = lt.add(t, h.b, h.size, fr.time, fr.name); err != nil {
				// A fragment damaged in storage ends the track's archive
				// there: what follows it is not served.
				return fmt.Errorf("packager: %s: %w", fr.name, err)
			}
		}
	}
	lt.cur.Store(t)
	return nil
}

// storedFragment is a fragment as the listing names it.
type storedFragment struct {
	name      string
	seq, time uint64
	size      int64
}

// readIndex reads the archive's index chunks (names in lt.dir) and returns
// the entries that the listing frs confirms, by sequence number: those
// whose fragment is listed under the same sequence number and decode time
// with the same size. A chunk that cannot be read or parsed is passed
// over (its fragments' heads are read). With a writer, the chunks wholly
// before the first listed fragment (left behind by a crash between a
// reclaim and its chunk's removal) are left to RemoveReclaimed.
func (lt *LiveTrack) readIndex(chunks []string, frs []storedFragment) map[uint64]liveIndexEntry {
	if len(chunks) == 0 || len(frs) == 0 {
		return nil
	}
	parsed := make([][]liveIndexEntry, len(chunks))
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range min(loadReaders, len(chunks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(chunks); i = int(next.Add(1) - 1) {
				b, err := readSmall(lt.store, lt.dir+"/"+chunks[i], int64(maxLiveIndexSize))
				if err == nil {
					parsed[i], _ = parseLiveIndex(b)
				}
			}
		}()
	}
	wg.Wait()
	listed := make(map[uint64]storedFragment, len(frs))
	for _, fr := range frs {
		listed[fr.seq] = fr
	}
	known := make(map[uint64]liveIndexEntry, len(frs))
	for i, es := range parsed {
		if lt.w != nil && len(es) > 0 && es[len(es)-1].seq < frs[0].seq {
			lt.doomed = append(lt.doomed, lt.dir+"/"+chunks[i])
			continue
		}
		for _, e := range es {
			if fr, ok := listed[e.seq]; ok && fr.time == e.time && fr.size == e.size {
				known[e.seq] = e
			}
		}
	}
	return known
}

// Resuming a track reads its fragments' heads loadBatch at a time (8 KiB
// or a moof each), loadReaders at once.
const (
	loadBatch   = 64
	loadReaders = 16
)

// fragmentHead is what readHead returned for one fragment.
type fragmentHead struct {
	b    []byte
	size int64
	err  error
}

// snapshot returns a new Track of the base's identity over fragments fr.
func (lt *LiveTrack) snapshot(fr []Fragment, pl []plan) *Track {
	c := *lt.base
	c.Fragments, c.plans = fr, pl
	return &c
}

// Track returns the current snapshot (no fragment before the first Append).
func (lt *LiveTrack) Track() *Track { return lt.cur.Load() }

// Dir is the track's directory in the store.
func (lt *LiveTrack) Dir() string { return lt.dir }

// Append archives one fragment (moof+mdat, as ingested) of the track
// starting at decode time time, then indexes it; fragments older than
// window (0: none) behind the newest leave the index, and their storage
// is reclaimed after ReclaimDelay: the objects of those reclaimed are
// left to RemoveReclaimed, which the caller runs once the new fragment
// is published, so that an object store's DELETEs never delay it. Errors: ErrRepeated, ErrBackwards, a
// damaged fragment (ErrCorrupt, ErrUnsupported), the store's. Nothing is
// indexed unless it was stored.
func (lt *LiveTrack) Append(b []byte, time uint64, window time.Duration, now time.Time) error {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.w == nil {
		return fmt.Errorf("packager: %s: archive is read only", lt.dir)
	}
	cur := lt.cur.Load()
	if _, ok := cur.FragmentAt(time); ok {
		return ErrRepeated
	}
	if n := len(cur.Fragments); n > 0 {
		last := cur.Fragments[n-1]
		switch {
		case time < last.Time+last.Duration:
			return fmt.Errorf("%w: %s: fragment at %d, the newest spans [%d,%d)", ErrBackwards, lt.dir, time, last.Time, last.Time+last.Duration)
		}
	}
	// Validate before storing: nothing that cannot be served is archived.
	if _, err := lt.validate(b, int64(len(b)), cur); err != nil {
		return err
	}
	name := fragmentName(lt.dir, lt.seq, time)
	if err := lt.w.Put(name, b); err != nil {
		// A put that failed may have landed all the same (an object
		// store's answer lost after it stored the object): take it back,
		// so that no replica or resume indexes a fragment that this
		// track did not, under a sequence number the next one will take.
		_ = lt.w.Remove(name)
		return err
	}
	t, err := lt.add(cur, b, int64(len(b)), time, name)
	if err != nil {
		return err
	}
	lt.appended = true
	if lt.seq%LiveIndexEvery == 0 {
		// The last fragment of an index chunk's range: the chunk is
		// complete, and stored by StoreIndex (outside the lock).
		lt.pending = append(lt.pending, lt.chunk())
	}
	t = lt.slide(t, window, now)
	lt.cur.Store(t)
	lt.reclaimDue(now, true)
	return nil
}

// validate reads the fragment's moof as the segment path will. head is
// the fragment's first bytes (the moof and the mdat header at least, or
// all of it), total its size.
func (lt *LiveTrack) validate(head []byte, total int64, t *Track) (plan, error) {
	if len(head) < 16 || total > MaxFragmentSize {
		return plan{}, corruptf(lt.dir, 0, "fragment of %d bytes", total)
	}
	moof := int64(binary.BigEndian.Uint32(head))
	if string(head[4:8]) != "moof" || moof < 8 || moof > MaxMoofSize || moof+8 > int64(len(head)) {
		return plan{}, corruptf(lt.dir, 0, "fragment does not start with a moof")
	}
	m := head[moof:]
	mdat, hdr := int64(binary.BigEndian.Uint32(m)), int64(8)
	if mdat == 1 && len(m) >= 16 {
		mdat, hdr = int64(binary.BigEndian.Uint64(m[8:])&(1<<62-1)), 16
	}
	if string(m[4:8]) != "mdat" || mdat != total-moof {
		return plan{}, corruptf(lt.dir, moof, "want one mdat of %d bytes after the moof", total-moof)
	}
	st := &lt.st
	reason, unsup := st.readMoof(head[:moof], 0, t.TrackID, t.def)
	switch {
	case reason == "" && st.absent:
		return plan{}, unsupportedf(lt.dir, "moof without a traf of track %d", t.TrackID)
	case reason != "" && unsup:
		return plan{}, unsupportedf(lt.dir, "moof: %s", reason)
	case reason != "":
		return plan{}, corruptf(lt.dir, 0, "moof: %s", reason)
	}
	if reason := st.check(moof+hdr, total); reason != "" {
		return plan{}, corruptf(lt.dir, 0, "moof: %s", reason)
	}
	return plan{moofSize: int32(moof), mdatHdr: int8(hdr)}, nil
}

// readHead reads the first bytes of the stored fragment name: its moof
// and mdat header, not its samples (indexing an archive reads no media).
func readHead(st storage.Store, name string) ([]byte, int64, error) {
	f, err := st.Open(name)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	size := f.Size()
	n := min(size, readAhead)
	b := make([]byte, n)
	if _, err := f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, fmt.Errorf("packager: read %s: %w", st.Locate(name), err)
	}
	if n >= 8 {
		if moof := int64(binary.BigEndian.Uint32(b)); moof+16 > n && moof+16 <= min(size, MaxMoofSize+16) {
			b = make([]byte, moof+16)
			if _, err := f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
				return nil, 0, fmt.Errorf("packager: read %s: %w", st.Locate(name), err)
			}
		}
	}
	return b, size, nil
}

// add indexes the stored fragment name, whose first bytes are head (see
// validate) and size total, after t's fragments.
func (lt *LiveTrack) add(t *Track, head []byte, total int64, time uint64, name string) (*Track, error) {
	if n := len(t.Fragments); n > 0 && time < t.Fragments[n-1].Time+t.Fragments[n-1].Duration {
		return t, fmt.Errorf("%w: fragment at %d", ErrBackwards, time)
	}
	p, err := lt.validate(head, total, t)
	if err != nil {
		return t, err
	}
	st := &lt.st
	if len(t.Fragments) == 0 {
		// Fixed by the first fragment: the frame rate the manifests
		// state and the TS decode shift, so that a segment's bytes never
		// change as the track grows.
		lt.base.leastCTO = st.leastCTO()
		if d := st.commonDuration(); d > 0 && lt.base.Kind == Video {
			g := gcd(uint64(lt.base.Timescale), uint64(d))
			lt.base.FrameRateNum, lt.base.FrameRateDen = int(uint64(lt.base.Timescale)/g), int(uint64(d)/g)
		}
	}
	e := liveIndexEntry{seq: lt.seq, time: time, duration: st.Duration(), size: total, dataSize: st.DataSize(),
		samples: uint32(len(st.Samples)), moofSize: uint32(p.moofSize), mdatHdr: uint8(p.mdatHdr)}
	return lt.push(t, e, name), nil
}

// addIndexed indexes the stored fragment name as its index entry e (of
// sequence number lt.seq) describes it, after t's fragments, which are
// never none (add fixes what the first fragment fixes).
func (lt *LiveTrack) addIndexed(t *Track, e liveIndexEntry, name string) (*Track, error) {
	n := len(t.Fragments)
	if n == 0 || e.seq != lt.seq {
		return t, fmt.Errorf("packager: index entry %d indexed as %d", e.seq, lt.seq)
	}
	if e.time < t.Fragments[n-1].Time+t.Fragments[n-1].Duration {
		return t, fmt.Errorf("%w: fragment at %d", ErrBackwards, e.time)
	}
	return lt.push(t, e, name), nil
}

// push indexes fragment e, stored as name, after t's fragments.
func (lt *LiveTrack) push(t *Track, e liveIndexEntry, name string) *Track {
	// The virtual offset comes from the sequence number alone, so that
	// it is the same on every replica, after a restart and once the
	// output ended: segment ETags hash it.
	off := int64(e.seq) << liveOffsetShift
	f := Fragment{Time: e.time, Duration: e.duration, Offset: off, Size: e.size, Samples: int(e.samples)}
	part := &livePart{off: off, size: f.Size, name: name, seq: e.seq}
	lt.seq = e.seq + 1
	lt.parts = append(lt.parts, part)
	if !lt.loading {
		lt.publishParts()
	}
	if len(lt.idx) > 0 && lt.idx[0].seq/LiveIndexEvery != e.seq/LiveIndexEvery {
		lt.idx = lt.idx[:0] // a new chunk
	}
	lt.idx = append(lt.idx, e)
	// Appending in place is safe: older snapshots never read past their
	// own length, and only the current one is appended to (lt.mu).
	fr := append(t.Fragments, f)
	pl := append(t.plans, plan{moofSize: int32(e.moofSize), mdatHdr: int8(e.mdatHdr)})
	nt := lt.snapshot(fr, pl)
	nt.Sequence = lt.parts[len(lt.parts)-len(fr)].seq
	nt.PeakBitrate = t.PeakBitrate
	if f.Duration > 0 {
		nt.PeakBitrate = max(nt.PeakBitrate, rate(uint64(e.dataSize), f.Duration, nt.Timescale))
	}
	lt.base.PeakBitrate = nt.PeakBitrate
	return nt
}

// publishParts lets reads see lt.parts (and the parts awaiting reclaim,
// which older snapshots may still read).
func (lt *LiveTrack) publishParts() {
	ps := make([]*livePart, 0, len(lt.reclaim)+len(lt.parts))
	for _, r := range lt.reclaim {
		ps = append(ps, r.p)
	}
	ps = append(ps, lt.parts...)
	lt.obj.parts.Store(&ps)
}

// slide drops the fragments that start more than window before the
// newest one ends (never the newest).
func (lt *LiveTrack) slide(t *Track, window time.Duration, now time.Time) *Track {
	n := len(t.Fragments)
	if window <= 0 || n < 2 {
		return t
	}
	last := t.Fragments[n-1]
	end := last.Time + last.Duration
	w := uint64(window.Seconds() * float64(t.Timescale))
	k := 0
	for k < n-1 && end-t.Fragments[k].Time > w {
		k++
	}
	if k == 0 {
		return t
	}
	for _, p := range lt.parts[:k] {
		lt.reclaim = append(lt.reclaim, reclaimPart{p: p, at: now.Add(ReclaimDelay)})
	}
	lt.parts = slices.Clone(lt.parts[k:])
	lt.publishParts()
	nt := lt.snapshot(t.Fragments[k:], t.plans[k:])
	nt.Sequence = lt.parts[0].seq
	nt.PeakBitrate = t.PeakBitrate
	return nt
}

// reclaimDue closes the dropped fragments whose delay is over and, with
// remove, leaves their objects to RemoveReclaimed.
func (lt *LiveTrack) reclaimDue(now time.Time, remove bool) {
	k := 0
	for k < len(lt.reclaim) && !now.Before(lt.reclaim[k].at) {
		p := lt.reclaim[k].p
		p.close(true)
		if remove {
			lt.doomed = append(lt.doomed, p.name)
			if (p.seq+1)%LiveIndexEvery == 0 {
				// The last fragment of an index chunk's range: the chunk
				// vouches for nothing stored any more.
				lt.doomed = append(lt.doomed, lt.dir+"/"+liveIndexName(p.seq+1-LiveIndexEvery))
			}
		}
		k++
	}
	if k > 0 {
		lt.reclaim = slices.Delete(lt.reclaim, 0, k)
		lt.publishParts()
	}
}

// Reclaim removes every dropped fragment now, whatever its delay: the
// archive then holds exactly the window (at the end of the output). It
// returns the error of RemoveReclaimed.
func (lt *LiveTrack) Reclaim() error {
	lt.mu.Lock()
	if lt.w != nil {
		lt.reclaimDue(time.Now().Add(ReclaimDelay+time.Hour), true)
	}
	lt.mu.Unlock()
	return lt.RemoveReclaimed()
}

// RemoveReclaimed removes from storage the objects of the fragments
// reclaimed so far, without holding the track's lock: an object store's
// DELETE takes a round trip, more with retries, and neither Append nor a
// reader waits for it. An object that could not be removed is not tried
// again here (its error is returned, for the log); the next resume of
// the archive (Slide) drops it again.
func (lt *LiveTrack) RemoveReclaimed() error {
	lt.mu.Lock()
	names := lt.doomed
	lt.doomed = nil
	lt.mu.Unlock()
	var errs []error
	for _, n := range names {
		if err := lt.w.Remove(n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// chunk returns the index chunk in progress; lt.mu is held.
func (lt *LiveTrack) chunk() liveIndexChunk {
	first := lt.idx[0].seq / LiveIndexEvery * LiveIndexEvery
	return liveIndexChunk{name: lt.dir + "/" + liveIndexName(first), b: appendLiveIndex(nil, lt.idx)}
}

// StoreIndex stores the index chunks completed by Append since the last
// call, without holding the track's lock (an object store's PUT takes a
// round trip, and neither Append nor a reader waits for it); with final
// (the output ended) also the chunk in progress, so that the whole
// archive is indexed. A chunk that could not be stored is tried again at
// the next call; until it is, opening the archive reads its fragments'
// heads instead.
func (lt *LiveTrack) StoreIndex(final bool) error {
	if lt.w == nil {
		return nil
	}
	lt.mu.Lock()
	todo := lt.pending
	lt.pending = nil
	// Only the origin that ingests the track writes the chunk in
	// progress: a replica's may lag behind the archive.
	if final && lt.appended && len(lt.idx) > 0 && lt.seq%LiveIndexEvery != 0 {
		todo = append(todo, lt.chunk())
	}
	lt.mu.Unlock()
	var errs []error
	for i, c := range todo {
		if err := lt.w.Put(c.name, c.b); err != nil {
			errs = append(errs, err)
			lt.mu.Lock()
			lt.pending = append(lt.pending, todo[i])
			lt.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// Close closes the track's open fragment objects.
func (lt *LiveTrack) Close() { _ = lt.obj.Close() }
