package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drmorigin/drmorigin/packager"
)

// stream is one (event, stream) across its connections: the init and
// live server manifest of the newest, which a connection of fragments
// only (CMAF ingest, one request per fragment) continues from, and the
// newest decode time per track, which orders a reconnection's fragments.
type stream struct {
	name string

	mu    sync.Mutex
	conn  *conn // the connection ingesting now, nil when none
	inits map[uint32]*packager.LiveInit
	smil  map[uint32]smilTrack
	last  map[uint32]int64 // newest decode time archived or queued, per track

	// what Streams reports
	lastArrival time.Time
	recent      [16]sample
	nrecent     int
}

type sample struct {
	bytes int
	secs  float64
}

// conn is one ingest request.
type conn struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (s *stream) report() Stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	var bytes int
	var secs float64
	for i := range min(s.nrecent, len(s.recent)) {
		bytes += s.recent[i].bytes
		secs += s.recent[i].secs
	}
	r := Stream{Name: s.name, LastFragmentTime: s.lastArrival}
	if secs > 0 {
		r.Bitrate = int(float64(bytes) * 8 / secs)
	}
	return r
}

// admit finds the running event's stream and makes c its connection,
// ending (and waiting for) the one before: a reconnecting encoder's old
// request may linger.
func (h *Hub) admit(ctx context.Context, event, name string) (*event, *stream, *conn, context.Context, error) {
	h.mu.Lock()
	ev := h.events[event]
	if ev == nil || !ev.running {
		h.mu.Unlock()
		return nil, nil, nil, nil, fmt.Errorf("%w: %s", ErrNotRunning, event)
	}
	s := ev.streams[name]
	if s == nil {
		s = &stream{name: name, inits: map[uint32]*packager.LiveInit{}, last: map[uint32]int64{}}
		ev.streams[name] = s
	}
	h.mu.Unlock()
	for {
		s.mu.Lock()
		old := s.conn
		if old == nil {
			cctx, cancel := context.WithCancel(ctx)
			c := &conn{cancel: cancel, done: make(chan struct{})}
			s.conn = c
			s.mu.Unlock()
			return ev, s, c, cctx, nil
		}
		s.mu.Unlock()
		old.cancel()
		<-old.done
	}
}

func (s *stream) release(c *conn) {
	s.mu.Lock()
	if s.conn == c {
		s.conn = nil
	}
	s.mu.Unlock()
	c.cancel()
	close(c.done)
}

// Ingest reads one encoder request body for (event, stream): boxes are
// read and checked here, then queued for the archiver, which writes them
// to every output of the event; players read what the archiver indexed.
// It returns nil at the end of the body (or a closing mfra) once every
// fragment read is archived; ErrNotRunning, ErrNotFMP4, ErrRefused and
// ErrStalled (wrapped) otherwise. On ErrStalled or a cancelled ctx, a
// body that is an io.Closer is closed to free the read.
func (h *Hub) Ingest(ctx context.Context, eventName, name string, body io.Reader) error {
	ev, s, c, ctx, err := h.admit(ctx, eventName, name)
	if err != nil {
		return err
	}
	defer s.release(c)
	log := h.log.With("event", eventName, "stream", name)

	// Reading: its own goroutine, so that a stall is seen while a read
	// blocks.
	var lastRead atomic.Int64
	lastRead.Store(time.Now().UnixNano())
	br := &boxReader{r: &stampReader{r: body, at: &lastRead}, maxMdat: h.c.MaxMdat}
	boxes := make(chan read)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			bx, err := br.next()
			select {
			case boxes <- read{bx, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()

	// Archiving: one goroutine per track, each behind a bounded queue.
	// Storing a fragment waits for two syncs (its file, its directory),
	// and one track's fragment must not wait behind another track's: on
	// a journaling file system, syncs running at once share a commit. A
	// track's fragments stay in order; each is indexed only once stored.
	// The queues share one bound (Config.Queue fragments waiting in all,
	// besides the one being written per track), so the memory a stalled
	// store makes the feed hold grows with its tracks by one fragment
	// each at most: a slot is taken when a fragment is queued, given back
	// when its track's archiver takes it.
	//
	// A fragment is acknowledged when h.archive returns nil for it: its
	// object was put to storage (for a local store: synced and renamed
	// into place), then indexed, published and announced. Nothing else is
	// ever served or found again after a restart. The encoder learns it
	// from the answer to its request, which comes only once every
	// fragment the request carried is acknowledged (200), or once the
	// first one that could not be is known (an error: the fragments
	// before it are acknowledged, those from it on are not, and a
	// reconnection resends them; repeats are dropped). Bytes read off the
	// connection are not acknowledged: up to Config.Queue fragments wait
	// for storage, and a write slower than Config.SlowWrite is reported
	// (watchWrite) while it lasts.
	lanes := map[uint32]chan *fragment{}
	slots := make(chan struct{}, h.c.Queue)
	var lanesDone sync.WaitGroup
	var archErr atomic.Pointer[error]
	lane := func(track uint32) chan *fragment {
		q := lanes[track]
		if q == nil {
			q = make(chan *fragment, h.c.Queue)
			lanes[track] = q
			lanesDone.Add(1)
			go func() {
				defer lanesDone.Done()
				for f := range q {
					h.queued.Add(-1)
					<-slots
					if archErr.Load() == nil { // else drain: the feed is ending
						f.dequeued = h.c.Now()
						done := h.watchWrite(log, f, slots)
						err := h.archive(ev, f)
						done()
						if err != nil {
							archErr.CompareAndSwap(nil, &err)
							c.cancel()
						}
					}
				}
			}()
		}
		return q
	}
	finish := func(err error) error {
		for _, q := range lanes {
			close(q)
		}
		lanesDone.Wait()
		if p := archErr.Load(); p != nil {
			err = *p
			if !refusal(err) {
				// The storage failed: the fragment was not acknowledged,
				// and the feed is not at fault.
				log.Error("live archive failed", "err", err)
				return fmt.Errorf("live: archive of %s/%s: %w", eventName, name, err)
			}
			log.Warn("live feed refused", "err", err)
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
		if err != nil {
			if cl, ok := body.(io.Closer); ok && (errors.Is(err, ErrStalled) || errors.Is(err, context.Canceled)) {
				_ = cl.Close()
			}
			log.Warn("live feed ended", "err", err)
		}
		return err
	}

	p := parser{h: h, s: s}
	tick := time.NewTicker(max(h.c.StallTimeout/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if archErr.Load() != nil {
				return finish(nil)
			}
			if endsWithin(boxes, &p, 200*time.Millisecond) {
				// The body had ended when the request did (a client
				// that hangs up after its last byte): a clean end.
				return finish(nil)
			}
			h.mu.Lock()
			running := ev.running
			h.mu.Unlock()
			if !running {
				return finish(fmt.Errorf("%w: %s stopped during the feed of %s", ErrNotRunning, eventName, name))
			}
			// The caller's context ended, or a reconnection replaced this
			// request.
			return finish(fmt.Errorf("live: feed of %s/%s: %w", eventName, name, context.Cause(ctx)))
		case <-tick.C:
			if idle := time.Since(time.Unix(0, lastRead.Load())); idle > h.c.StallTimeout {
				return finish(fmt.Errorf("%w: no byte from %s/%s for %v", ErrStalled, eventName, name, idle.Round(time.Millisecond)))
			}
		case r := <-boxes:
			if errors.Is(r.err, errEOF) {
				return finish(nil)
			}
			if r.err != nil {
				return finish(r.err)
			}
			frags, end, err := p.box(r.bx)
			if err != nil {
				return finish(err)
			}
			for _, f := range frags {
				f.arrived = h.c.Now()
				h.queued.Add(1)
				select {
				case slots <- struct{}{}:
				default:
					// The bound: the encoder is held back from here on.
					h.waits.Add(1)
					log.Warn("live archive slow: the queue is full, the feed waits for storage", "queued", len(slots))
					select {
					case slots <- struct{}{}:
					case <-ctx.Done():
						h.queued.Add(-1)
						return finish(context.Cause(ctx))
					}
					// The wait was storage's, not the encoder's.
					lastRead.Store(time.Now().UnixNano())
				}
				lane(f.trackID) <- f // never blocks: it holds fewer than Queue fragments
			}
			if end {
				return finish(nil)
			}
		}
	}
}

// endsWithin reports whether the feed's reader, within d, delivers its
// clean end (EOF or a closing mfra) with nothing but complete boxes before
// it; those boxes are dropped (the request is over: nothing after them
// could be acknowledged anyway).
func endsWithin(boxes <-chan read, p *parser, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case r := <-boxes:
			switch {
			case errors.Is(r.err, errEOF):
				return p.moof == nil
			case r.err != nil:
				return false
			case r.bx.is("mfra"):
				return p.moof == nil
			}
		case <-t.C:
			return false
		}
	}
}

// refusal reports whether an archive error is the feed's fault.
func refusal(err error) bool {
	return errors.Is(err, packager.ErrBackwards) || errors.Is(err, packager.ErrCodecChanged) ||
		errors.Is(err, packager.ErrCorrupt) || errors.Is(err, packager.ErrUnsupported)
}

// read is one result of the feed's reader goroutine.
type read struct {
	bx  box
	err error
}

// stampReader records when a read last returned bytes.
type stampReader struct {
	r  io.Reader
	at *atomic.Int64
}

func (s *stampReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.at.Store(time.Now().UnixNano())
	}
	return n, err
}

// slowPublish is live.md's target for a fragment's arrival to the
// manifests: a fragment slower than that is logged with its stages.
const slowPublish = 100 * time.Millisecond

// archive appends one fragment to every output of the event.
func (h *Hub) archive(ev *event, f *fragment) error {
	h.mu.Lock()
	outs := make([]*output, 0, len(ev.outputs))
	for _, o := range ev.outputs {
		outs = append(outs, o)
	}
	h.mu.Unlock()
	for _, o := range outs {
		a, lt, err := h.appendTo(o, f)
		if err != nil {
			return err
		}
		if a == nil {
			continue
		}
		a.Dequeued = f.dequeued
		if d := a.Published.Sub(a.Arrived); d >= slowPublish {
			// What a player of the live edge waits for, by stage.
			h.log.Warn("live fragment slow to publish", "asset", a.Asset, "track", a.Track, "time", a.Time,
				"total_ms", d.Milliseconds(), "queue_ms", a.Dequeued.Sub(a.Arrived).Milliseconds(),
				"store_ms", a.Stored.Sub(a.Dequeued).Milliseconds(), "publish_ms", a.Published.Sub(a.Stored).Milliseconds())
		}
		if h.c.Announce != nil {
			h.c.Announce(*a)
		}
		if lt != nil {
			// After the announcement: a DELETE never delays a fragment.
			if err := lt.RemoveReclaimed(); err != nil {
				h.log.Warn("live archive: reclaimed fragments not removed from storage", "asset", o.o.Asset, "track", lt.Dir(), "err", err)
			}
			if err := lt.StoreIndex(false); err != nil {
				h.log.Warn("live archive: index chunk not stored (opening the archive reads its fragments instead)", "asset", o.o.Asset, "track", lt.Dir(), "err", err)
			}
		}
	}
	s := f.stream
	s.mu.Lock()
	s.lastArrival = f.arrived
	s.recent[s.nrecent%len(s.recent)] = sample{bytes: len(f.b), secs: fragmentDuration(f.b, f.init.Timescale)}
	s.nrecent++
	s.mu.Unlock()
	return nil
}

// parser is the state of one request's boxes.
type parser struct {
	h       *Hub
	s       *stream
	seen    bool   // a box was read
	ftyp    []byte // of the init being read
	moof    []byte // waiting for its mdat
	other   int    // bytes of skipped boxes since the last fragment
	gotInit bool   // this request sent a moov
}

// maxOther bounds the skipped boxes between two fragments: a feed of
// nothing but free boxes is refused.
const maxOther = 4 << 20

// box takes one box; it returns the fragments it completes and whether
// the feed ended (mfra).
func (p *parser) box(bx box) ([]*fragment, bool, error) {
	first := !p.seen
	p.seen = true
	switch {
	case bx.is("ftyp"):
		p.ftyp = bx.b
	case bx.is("uuid") && len(bx.b) >= 24 && [16]byte(bx.b[8:24]) == uuidLiveManifest:
		m := parseSMIL(bx.b[24:])
		p.s.mu.Lock()
		p.s.smil = m
		p.s.mu.Unlock()
	case bx.is("moov"):
		inits, err := packager.SplitInit(p.ftyp, bx.b)
		if err != nil {
			return nil, false, fmt.Errorf("%w: %w", ErrNotFMP4, err)
		}
		p.s.mu.Lock()
		defer p.s.mu.Unlock()
		for _, in := range inits {
			if old := p.s.inits[in.TrackID]; old != nil && (old.Codecs != in.Codecs || old.CodecPrivateData != in.CodecPrivateData || old.Timescale != in.Timescale) {
				return nil, false, fmt.Errorf("%w: %w: track %d was %s/%d, now %s/%d", ErrRefused, packager.ErrCodecChanged,
					in.TrackID, old.Codecs, old.Timescale, in.Codecs, in.Timescale)
			}
		}
		for i := range inits {
			p.s.inits[inits[i].TrackID] = &inits[i]
		}
		p.gotInit = true
	case bx.is("moof"):
		if p.moof != nil {
			return nil, false, fmt.Errorf("%w: moof after moof, without mdat", p.errKind())
		}
		p.s.mu.Lock()
		n := len(p.s.inits)
		p.s.mu.Unlock()
		if n == 0 {
			return nil, false, fmt.Errorf("%w: moof before any moov", ErrNotFMP4)
		}
		p.moof = bx.b
	case bx.is("mdat"):
		if p.moof == nil {
			return nil, false, fmt.Errorf("%w: mdat without a moof before it", p.errKind())
		}
		frags, err := p.fragments(bx)
		p.moof, p.other = nil, 0
		return frags, false, err
	case bx.is("mfra"):
		return nil, true, nil
	case first && !bx.is("styp") && !bx.is("free") && !bx.is("uuid"):
		return nil, false, fmt.Errorf("%w: feed starts with box %q", ErrNotFMP4, bx.typ[:])
	default:
		p.other += len(bx.b)
		if p.other > maxOther {
			return nil, false, fmt.Errorf("%w: %d bytes of boxes other than fragments", ErrRefused, p.other)
		}
	}
	return nil, false, nil
}

// errKind is ErrNotFMP4 before this request sent media, ErrRefused after.
func (p *parser) errKind() error {
	if p.gotInit {
		return ErrRefused
	}
	return ErrNotFMP4
}

// fragments routes moof+mdat to its tracks (one per traf): a repeated
// fragment is dropped, one going backwards refused; of an audio fragment
// that starts before time 0 (ffmpeg's first AAC fragment, primed at a
// negative time) the samples from 0 on are kept (trim.go), any other
// fragment before 0 is dropped (a video one: see below).
func (p *parser) fragments(mdat box) ([]*fragment, error) {
	trafs, err := readTrafs(p.moof)
	if err != nil {
		return nil, fmt.Errorf("%w: moof: %v", p.errKind(), err)
	}
	// The reader put the moof before the mdat when they came one after
	// the other (always, but for skipped boxes between them).
	b := mdat.frag
	if len(b) != len(p.moof)+len(mdat.b) {
		b = make([]byte, len(p.moof)+len(mdat.b))
		copy(b[copy(b, p.moof):], mdat.b)
	}
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*fragment
	for _, tr := range trafs {
		in := s.inits[tr.trackID]
		if in == nil {
			continue // a track the origin does not serve (text, data)
		}
		if !tr.hasTime {
			return nil, fmt.Errorf("%w: track %d: fragment without tfdt or tfxd decode time", ErrRefused, tr.trackID)
		}
		fb := b
		if tr.time < 0 {
			// An audio encoder's priming (trim.go): keep the samples
			// from time 0 on; drop what cannot be cut.
			//
			// A video fragment before 0 (an encoder that starts its
			// decode times below 0 for B-frames, rather than stating the
			// reordering with negative composition offsets, as ffmpeg's
			// ismv muxer does: TestBFramesBeforeZero) is dropped whole,
			// by choice. live.md keeps the encoder's clock (never
			// rebased) and no output can state a negative time, so the
			// samples before 0 would have to go; but the first of them in
			// decode order is the fragment's keyframe, without which the
			// rest cannot be decoded until the next fragment's. What is
			// lost is the event's first fragment; the archive starts at
			// the next keyframe, at the encoder's time.
			kept, start, cut, err := []byte(nil), uint64(0), 0, noTrim("a moof of %d trafs", len(trafs))
			if in.Kind != packager.Audio {
				err = noTrim("%s: cutting the samples before 0 would cut the keyframe", in.Kind)
			} else if len(trafs) == 1 {
				kept, start, cut, err = trimBeforeZero(b, len(p.moof), tr.time)
			}
			if err != nil {
				p.h.log.Info("live fragment before time 0 dropped", "stream", s.name, "track", tr.trackID, "time", tr.time, "reason", err)
				continue
			}
			p.h.log.Info("live fragment: samples before time 0 cut", "stream", s.name, "track", tr.trackID, "time", tr.time, "samples", cut, "start", start)
			fb, tr.time = kept, int64(start)
		}
		last, ok := s.last[tr.trackID]
		switch {
		case ok && tr.time == last:
			continue // repeated after a reconnection
		case ok && tr.time < last:
			if p.archived(tr.trackID, uint64(tr.time)) {
				continue // resent after a reconnection
			}
			return nil, fmt.Errorf("%w: track %d: decode time %d after %d", ErrRefused, tr.trackID, tr.time, last)
		}
		s.last[tr.trackID] = tr.time
		out = append(out, &fragment{stream: s, init: in, meta: s.smil[tr.trackID], trackID: tr.trackID, time: uint64(tr.time), b: fb})
	}
	return out, nil
}

// archived reports whether some output holds the stream's track fragment
// at time already.
func (p *parser) archived(trackID uint32, time uint64) bool {
	h := p.h
	dir := trackDir(p.s.name, trackID)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		if ev.streams[p.s.name] != p.s {
			continue
		}
		for _, o := range ev.outputs {
			o.mu.Lock()
			lt := o.tracks[dir]
			o.mu.Unlock()
			if lt == nil {
				continue
			}
			if _, ok := lt.Track().FragmentAt(time); ok {
				return true
			}
		}
	}
	return false
}
