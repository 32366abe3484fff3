package origin

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/drmorigin/drmorigin/keyclient"
)

// The live room hears of every change to live events and outputs, whichever
// replica made it: the one that handles the management request tells its
// own live room at once (handler_live.go), and every replica, that one
// included, follows the store's invalidations (syncLive), so that a replica
// behind the same load balancer takes an encoder's POST for an event another
// started, and serves an output another created. StartEvent and StopEvent
// are idempotent; AddOutput and EndOutput are made so by liveAnnounced.

// liveAnnounced is the set of live outputs this origin's live room was
// given (AddOutput) and not yet taken back (EndOutput), "{event}/{output}",
// each with its asset.
type liveAnnounced struct {
	mu      sync.Mutex
	outputs map[string]string
}

// announceOutput gives the live room an output unless it has it.
func (s *Server) announceOutput(event string, o *keyclient.LiveOutput) error {
	key := event + "/" + o.Name
	s.announced.mu.Lock()
	defer s.announced.mu.Unlock()
	if _, ok := s.announced.outputs[key]; ok {
		return nil
	}
	if err := s.Ingester.AddOutput(liveOutput(event, o)); err != nil {
		return err
	}
	if s.announced.outputs == nil {
		s.announced.outputs = map[string]string{}
	}
	s.announced.outputs[key] = o.AssetName
	return nil
}

// endOutput takes an output back from the live room, if it has it.
func (s *Server) endOutput(event, name string) error {
	key := event + "/" + name
	s.announced.mu.Lock()
	defer s.announced.mu.Unlock()
	if _, ok := s.announced.outputs[key]; !ok {
		return nil
	}
	delete(s.announced.outputs, key)
	return s.Ingester.EndOutput(event, name)
}

// syncLive follows the store's invalidations of live events and outputs
// until ctx is done. An invalidation without a kind (the subscription was
// re-established: messages may be lost) reconciles everything.
func (s *Server) syncLive(ctx context.Context) {
	if s.Ingester == nil {
		return
	}
	for inv := range s.Service.Store().Subscribe(ctx) {
		c, cancel := context.WithTimeout(ctx, 4*s.Config.StoreTimeout)
		var err error
		switch inv.Kind {
		case keyclient.KindLiveEvents:
			err = s.syncEvent(c, inv.Name)
		case keyclient.KindLiveOutputs:
			event, name, _ := strings.Cut(inv.Name, "/")
			err = s.syncOutput(c, event, name)
		case keyclient.KindLiveFragments:
			err = s.refreshLive(inv.Name)
		case "":
			err = errors.Join(s.reconcileLive(c), s.refreshAllLive())
		}
		cancel()
		if err != nil && ctx.Err() == nil {
			s.Config.Logger.Warn("live room not in step with the store", "kind", string(inv.Kind), "name", inv.Name, "err", err)
		}
	}
}

// syncEvent tells the live room an event's settled state: Running starts
// it, Stopped (or deleted) stops it; Starting and Stopping are passing.
func (s *Server) syncEvent(c context.Context, name string) error {
	e, err := s.Service.LiveEvent(c, name)
	switch {
	case errors.Is(err, keyclient.ErrNotFound):
		return s.Ingester.StopEvent(name)
	case err != nil:
		return err
	case e.ResourceState == keyclient.LiveRunning:
		return s.Ingester.StartEvent(name)
	case e.ResourceState == keyclient.LiveStopped:
		return s.Ingester.StopEvent(name)
	}
	return nil
}

// syncOutput gives the live room an output the store has, and takes back
// one it no longer has.
func (s *Server) syncOutput(c context.Context, event, name string) error {
	o, err := s.Service.LiveOutput(c, event, name)
	switch {
	case errors.Is(err, keyclient.ErrNotFound):
		return s.endOutput(event, name)
	case err != nil:
		return err
	}
	return s.announceOutput(event, o)
}

// reconcileLive brings the live room in step with the whole store.
func (s *Server) reconcileLive(c context.Context) error {
	outputs, err := s.Service.AllLiveOutputs(c)
	if err != nil {
		return err
	}
	events, err := s.Service.AllLiveEvents(c)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	var errs []error
	for _, o := range outputs {
		have[o.Event+"/"+o.Output.Name] = true
		errs = append(errs, s.announceOutput(o.Event, &o.Output))
	}
	s.announced.mu.Lock()
	var gone []string
	for k := range s.announced.outputs {
		if !have[k] {
			gone = append(gone, k)
		}
	}
	s.announced.mu.Unlock()
	for _, k := range gone {
		event, name, _ := strings.Cut(k, "/")
		errs = append(errs, s.endOutput(event, name))
	}
	for _, e := range events {
		switch e.ResourceState {
		case keyclient.LiveRunning:
			errs = append(errs, s.Ingester.StartEvent(e.Name))
		case keyclient.LiveStopped:
			errs = append(errs, s.Ingester.StopEvent(e.Name))
		}
	}
	return errors.Join(errs...)
}
