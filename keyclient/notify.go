package keyclient

import (
	"context"
	"sync"
)

// hub fans invalidations out to in-process subscribers. Each subscriber
// has an unbounded queue, so a slow reader never loses an invalidation and
// a writer never blocks.
type hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	mu     sync.Mutex
	queue  []Invalidation
	notify chan struct{}
}

func (h *hub) publish(inv Invalidation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.mu.Lock()
		s.queue = append(s.queue, inv)
		s.mu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

func (h *hub) subscribe(ctx context.Context) <-chan Invalidation {
	s := &subscriber{notify: make(chan struct{}, 1)}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	out := make(chan Invalidation)
	go func() {
		defer close(out)
		defer func() {
			h.mu.Lock()
			delete(h.subs, s)
			h.mu.Unlock()
		}()
		for {
			s.mu.Lock()
			q := s.queue
			s.queue = nil
			s.mu.Unlock()
			for _, inv := range q {
				select {
				case out <- inv:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-s.notify:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
