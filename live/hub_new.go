package live

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// Config is what a Hub needs. Store and Writer are the assets' storage
// (the same store the packager Library reads); Assets is that Library.
type Config struct {
	Store  storage.Store
	Writer storage.Writer
	// Assets is told which assets are live (packager.Library.SetLive).
	Assets AssetSetter
	// Now is the clock (time.Now when nil): fragment arrival times and
	// each output's availability start.
	Now func() time.Time
	// Log receives refusals, slow storage and reclaims (slog.Default when nil).
	Log *slog.Logger
	// StallTimeout ends a feed that sends no byte for that long
	// (ErrStalled); DefaultStallTimeout when 0.
	StallTimeout time.Duration
	// MaxMdat bounds one mdat (DefaultMaxMdat when 0).
	MaxMdat int64
	// Queue is how many fragments may wait between reading a feed and
	// archiving them, all its tracks together (DefaultQueue when 0):
	// beyond it a slow store holds the encoder back, and that is logged
	// and counted (stall.go).
	Queue int
	// Announce, when set, is called after each fragment is archived and
	// indexed (for replicas: Redis pub/sub), from its track's archiver
	// (the tracks' archivers call it concurrently), with no lock held. It
	// must not block.
	Announce func(Announcement)
	// RefreshEvery is how often a live output's archive is looked at
	// again for fragments another origin archived, should their
	// announcement be lost (poll.go); DefaultRefreshEvery when 0, never
	// when negative.
	RefreshEvery time.Duration
	// SlowWrite is how long a fragment's archiving may take before it
	// is reported as a storage stall (stall.go); DefaultSlowWrite when 0.
	SlowWrite time.Duration
	// TempAge is how old a temporary file of a storage write must be
	// for a live archive's sweep to take it for a crash's leftover
	// (sweep.go); DefaultTempAge when 0.
	TempAge time.Duration
	// CloseWait bounds how long Close waits for the archive polls in
	// progress to end (DefaultCloseWait when 0): a hung storage request
	// does not hang the origin's shutdown.
	CloseWait time.Duration
}

// Defaults of Config.
const (
	DefaultStallTimeout = 30 * time.Second
	DefaultQueue        = 32
	DefaultCloseWait    = 10 * time.Second
)

// AssetSetter is what the Hub needs of the packager's Library.
type AssetSetter interface {
	SetLive(name string, la *packager.LiveAsset)
}

var _ AssetSetter = (*packager.Library)(nil)

// Announcement says that a live output's asset has a new fragment.
type Announcement struct {
	Event, Output, Asset string
	Track                string    // the track's directory in the asset
	Time                 uint64    // the fragment's decode time
	Arrived              time.Time // when its last byte was read (Config.Now)
	// The fragment's way from arrival to the manifests, on the same
	// clock (the origin's metrics): Dequeued when its track's archiver
	// took it from the queue, Stored when the archive held it durably
	// (validated, written, synced, renamed, directory synced) and it was
	// indexed, Published when the asset snapshot listing it was.
	Dequeued, Stored, Published time.Time
}

// Hub is the live room: events, their streams and their outputs. It
// implements Ingester.
type Hub struct {
	c      Config
	log    *slog.Logger
	mu     sync.Mutex
	events map[string]*event
	closed bool           // Close began: no output is added, no poll started
	polls  sync.WaitGroup // the outputs' polls (poll.go), which Close waits for
	archiveCounters
}

var _ Ingester = (*Hub)(nil)

// NewHub returns a Hub over c's storage. Nothing runs until StartEvent.
func NewHub(c Config) *Hub {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.MaxMdat <= 0 {
		c.MaxMdat = DefaultMaxMdat
	}
	if c.Queue <= 0 {
		c.Queue = DefaultQueue
	}
	if c.RefreshEvery == 0 {
		c.RefreshEvery = DefaultRefreshEvery
	}
	if c.SlowWrite <= 0 {
		c.SlowWrite = DefaultSlowWrite
	}
	if c.TempAge <= 0 {
		c.TempAge = DefaultTempAge
	}
	if c.CloseWait <= 0 {
		c.CloseWait = DefaultCloseWait
	}
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	return &Hub{c: c, log: log.With("component", "live"), events: map[string]*event{}}
}

type event struct {
	name    string
	running bool
	streams map[string]*stream
	outputs map[string]*output
}

func (h *Hub) eventLocked(name string) *event {
	ev := h.events[name]
	if ev == nil {
		ev = &event{name: name, streams: map[string]*stream{}, outputs: map[string]*output{}}
		h.events[name] = ev
	}
	return ev
}

// StartEvent lets the event's streams ingest.
func (h *Hub) StartEvent(name string) error {
	h.mu.Lock()
	h.eventLocked(name).running = true
	h.mu.Unlock()
	return nil
}

// StopEvent ends the event's feeds and refuses new ones; its outputs stay
// live (a stopped event may start again) until EndOutput.
func (h *Hub) StopEvent(name string) error {
	h.mu.Lock()
	ev := h.events[name]
	var streams []*stream
	if ev != nil {
		ev.running = false
		for _, s := range ev.streams {
			streams = append(streams, s)
		}
	}
	h.mu.Unlock()
	// Lock order: a stream's lock is taken before the Hub's (parser), so
	// never while holding it.
	var conns []*conn
	for _, s := range streams {
		s.mu.Lock()
		if s.conn != nil {
			conns = append(conns, s.conn)
		}
		s.mu.Unlock()
	}
	for _, c := range conns {
		c.cancel()
		<-c.done
	}
	return nil
}

// AddOutput starts archiving the event's feed into o.Asset, or resumes an
// archive already in storage (an origin restarted mid-event): its tracks
// are indexed again and served at once. Adding an output that exists is
// a no-op.
func (h *Hub) AddOutput(o Output) error {
	if o.Event == "" || o.Name == "" || o.Asset == "" {
		return fmt.Errorf("live: output %q of event %q: event, name and asset are required", o.Name, o.Event)
	}
	if !storage.ValidName(o.Asset) || strings.Contains(o.Asset, "/") {
		return fmt.Errorf("live: output %s: invalid asset name %q", o.Name, o.Asset)
	}
	h.mu.Lock()
	ev := h.eventLocked(o.Event)
	if _, ok := ev.outputs[o.Name]; ok {
		h.mu.Unlock()
		return nil
	}
	h.mu.Unlock()

	out, err := h.openOutput(o)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		out.la.Close()
		return fmt.Errorf("live: output %s of event %s: the live room is closed", o.Name, o.Event)
	}
	if _, ok := ev.outputs[o.Name]; ok { // a concurrent AddOutput won
		out.la.Close()
		return nil
	}
	ev.outputs[o.Name] = out
	h.c.Assets.SetLive(o.Asset, out.la)
	if h.c.RefreshEvery > 0 {
		h.polls.Add(1) // under h.mu, before Close's Wait (closed)
		go func() {
			defer h.polls.Done()
			h.poll(out)
		}()
	}
	return nil
}

// EndOutput ends the live presentation: the dropped fragments still in
// storage are reclaimed, and the asset is served from its archive as VOD.
func (h *Hub) EndOutput(event, name string) error {
	h.mu.Lock()
	ev := h.events[event]
	var out *output
	if ev != nil {
		out = ev.outputs[name]
		delete(ev.outputs, name)
	}
	h.mu.Unlock()
	if out == nil {
		return nil
	}
	out.halt()
	out.ap.Lock() // the appends in progress end first
	out.mu.Lock()
	out.ended = true
	for _, lt := range out.tracks {
		if err := lt.Reclaim(); err != nil {
			h.log.Warn("live archive: fragments outside the window not removed from storage", "asset", out.o.Asset, "track", lt.Dir(), "err", err)
		}
		// The index's last chunk: the ended archive opens from its index
		// (packager/live_index.go), one read per chunk, not per fragment.
		if err := lt.StoreIndex(true); err != nil {
			h.log.Warn("live archive: index not stored (opening the archive reads its fragments instead)", "asset", out.o.Asset, "track", lt.Dir(), "err", err)
		}
	}
	out.mu.Unlock()
	out.ap.Unlock()
	h.c.Assets.SetLive(out.o.Asset, nil)
	out.la.Close()
	h.log.Info("live output ended", "event", event, "output", name, "asset", out.o.Asset)
	return nil
}

// Streams reports the event's streams, by name.
func (h *Hub) Streams(event string) []Stream {
	h.mu.Lock()
	ev := h.events[event]
	var ss []*stream
	if ev != nil {
		for _, s := range ev.streams {
			ss = append(ss, s)
		}
	}
	h.mu.Unlock()
	out := make([]Stream, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.report())
	}
	sortStreams(out)
	return out
}

func sortStreams(ss []Stream) {
	slices.SortFunc(ss, func(a, b Stream) int { return strings.Compare(a.Name, b.Name) })
}

// Close stops every event's feeds and every output's poll, waits (at most
// Config.CloseWait) for the polls in progress to end, then closes the
// outputs' open fragment objects. The archives stay as they are: the
// next origin resumes them (AddOutput).
func (h *Hub) Close() error {
	h.mu.Lock()
	h.closed = true
	names := make([]string, 0, len(h.events))
	for n := range h.events {
		names = append(names, n)
	}
	h.mu.Unlock()
	for _, n := range names {
		_ = h.StopEvent(n)
	}
	h.mu.Lock()
	var outs []*output
	for _, ev := range h.events {
		for _, o := range ev.outputs {
			o.halt()
			outs = append(outs, o)
		}
	}
	h.mu.Unlock()
	// A poll in progress reads the archive (and reopens fragment
	// objects): it ends before they are closed, and before the caller
	// closes the store under it. No poll starts once closed is set.
	done := make(chan struct{})
	go func() {
		h.polls.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(h.c.CloseWait):
		h.log.Warn("live: an archive poll still runs at close (a storage request hangs); closing without it", "waited", h.c.CloseWait)
	}
	for _, o := range outs {
		o.la.Close()
	}
	return nil
}
