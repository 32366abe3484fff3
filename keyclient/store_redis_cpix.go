package keyclient

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// rCPIXIdentity holds the origin's own CPIX recipient identity.
const rCPIXIdentity = redisPrefix + "cpixidentity"

// CPIXIdentity implements Store.
func (s *RedisStore) CPIXIdentity(ctx context.Context) ([]byte, error) {
	b, err := s.c.Get(ctx, rCPIXIdentity).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, unavailable("redis cpix identity", err)
	}
	return b, nil
}

var replaceIdentityScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'stale' end
redis.call('SET', KEYS[1], ARGV[2])
return 'ok'`)

// ReplaceCPIXIdentity implements Store.
func (s *RedisStore) ReplaceCPIXIdentity(ctx context.Context, old, new []byte) error {
	r, err := replaceIdentityScript.Run(ctx, s.c, []string{rCPIXIdentity}, old, new).Text()
	if err != nil {
		return unavailable("redis replace cpix identity", err)
	}
	if r != "ok" {
		return errStale
	}
	return nil
}

// AddCPIXIdentity implements Store: SETNX, then what is stored.
func (s *RedisStore) AddCPIXIdentity(ctx context.Context, doc []byte) ([]byte, error) {
	if err := s.c.SetNX(ctx, rCPIXIdentity, doc, 0).Err(); err != nil {
		return nil, unavailable("redis add cpix identity", err)
	}
	return s.CPIXIdentity(ctx)
}
