package keyclient

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestRedisLogger: go-redis's lines come out as warn records of the slog
// logger, with one "redis: " prefix, bounded.
func TestRedisLogger(t *testing.T) {
	var buf bytes.Buffer
	l := redisLogger{slog.New(slog.NewJSONHandler(&buf, nil))}
	l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v", 5, errors.New("connection refused"))
	l.Printf(context.Background(), "sentinel: %s", strings.Repeat("x", 3*maxRedisLogLen))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 ||
		!strings.Contains(lines[0], `"level":"WARN","msg":"redis: connection pool: failed to dial after 5 attempts: connection refused"`) ||
		!strings.Contains(lines[1], `"msg":"redis: sentinel: xxx`) || len(lines[1]) > maxRedisLogLen+200 {
		t.Errorf("log:\n%s", buf.String())
	}
}
