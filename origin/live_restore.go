package origin

import (
	"context"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/live"
)

// restoreRetry is how long restoreLive waits before it tries a store that
// did not answer again.
const restoreRetry = 2 * time.Second

// restoreLive tells the live room, as the origin starts, what the store
// says: every live output (AddOutput: its archive resumes), then every
// event that is Running or was Starting (StartEvent; Starting becomes
// Running) and every one that was Stopping (StopEvent; it becomes
// Stopped). An origin restarted mid-event so takes its encoders'
// reconnections. Outputs go first so that no fragment is taken before its
// archive is there. It retries until the store answers, and every output's
// storage, or ctx is done.
func (s *Server) restoreLive(ctx context.Context) {
	if s.Ingester == nil {
		return
	}
	for {
		err := s.restoreLiveOnce(ctx)
		if err == nil {
			return
		}
		s.Config.Logger.Warn("live events and outputs not restored yet; retrying", "retry", restoreRetry, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(restoreRetry):
		}
	}
}

func (s *Server) restoreLiveOnce(ctx context.Context) error {
	c, cancel := context.WithTimeout(ctx, 4*s.Config.StoreTimeout)
	defer cancel()
	outputs, err := s.Service.AllLiveOutputs(c)
	if err != nil {
		return err
	}
	events, err := s.Service.AllLiveEvents(c)
	if err != nil {
		return err
	}
	log := s.Config.Logger
	var unrestored error
	for _, o := range outputs {
		if err := s.announceOutput(o.Event, &o.Output); err != nil {
			// Its storage could not be read (an object store not
			// reachable yet): the whole restore is tried again, and
			// what was restored is skipped then (announceOutput).
			log.Error("live output not restored", "event", o.Event, "output", o.Output.Name, "err", err)
			unrestored = err
		}
	}
	running := 0
	for _, e := range events {
		switch e.ResourceState {
		case keyclient.LiveRunning, keyclient.LiveStarting:
			if err := s.Ingester.StartEvent(e.Name); err != nil {
				log.Error("live event not restarted", "event", e.Name, "err", err)
				continue
			}
			running++
			if e.ResourceState == keyclient.LiveStarting {
				if _, _, err := s.Service.SetLiveEventState(c, e.Name, keyclient.LiveRunning, keyclient.LiveStarting); err != nil {
					log.Warn("live event state", "event", e.Name, "err", err)
				}
			}
		case keyclient.LiveStopping:
			if err := s.Ingester.StopEvent(e.Name); err != nil {
				log.Error("live event not stopped", "event", e.Name, "err", err)
				continue
			}
			if _, _, err := s.Service.SetLiveEventState(c, e.Name, keyclient.LiveStopped, keyclient.LiveStopping); err != nil {
				log.Warn("live event state", "event", e.Name, "err", err)
			}
		}
	}
	if unrestored != nil {
		return unrestored
	}
	if len(events) > 0 || len(outputs) > 0 {
		log.Info("live restored", "events", len(events), "running", running, "outputs", len(outputs))
	}
	return nil
}

// liveOutput is what the live room is told of a stored live output.
func liveOutput(event string, o *keyclient.LiveOutput) live.Output {
	return live.Output{Event: event, Name: o.Name, Asset: o.AssetName, Manifest: o.ManifestName, Window: o.Window()}
}
