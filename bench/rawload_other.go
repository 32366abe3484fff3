//go:build !linux

package bench

import (
	"context"
	"errors"
	"time"
)

// rawLoad needs epoll: the raw generator is Linux only, like the rest of
// the suite's /proc readings.
func rawLoad(ctx context.Context, base string, targets []rawTarget, conns int, rate float64, wall time.Duration) (*rawResult, error) {
	return nil, errors.New("the raw load generator needs Linux (epoll)")
}
