package keyclient

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// maxRedisLogLen bounds one line of go-redis's own log (a panic's stack
// would be kilobytes).
const maxRedisLogLen = 1024

// SetRedisLogger sends go-redis's own log lines to l, at warn level, in
// place of its default logger on stderr. go-redis logs what it meets
// outside a call (a pool connection that fails, a subscription that drops
// and reconnects) with addresses and errors, never a command's arguments.
// go-redis has one logger per process: the last call wins.
func SetRedisLogger(l *slog.Logger) { redis.SetLogger(redisLogger{l}) }

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if len(msg) > maxRedisLogLen {
		msg = msg[:maxRedisLogLen] + "..."
	}
	if !strings.HasPrefix(msg, "redis: ") {
		msg = "redis: " + msg
	}
	r.l.LogAttrs(ctx, slog.LevelWarn, msg)
}
