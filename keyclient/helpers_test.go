package keyclient_test

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

type (
	redisClient        = redis.Client
	redisClusterClient = redis.ClusterClient
)

// quietLogger drops go-redis's own log lines (dial failures during the
// outage tests, Sentinel master discovery), which would bury test output.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quietLogger{})
	os.Exit(m.Run())
}
