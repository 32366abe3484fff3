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

// AddCPIXIdentity implements Store: SETNX, then what is stored.
func (s *RedisStore) AddCPIXIdentity(ctx context.Context, doc []byte) ([]byte, error) {
	if err := s.c.SetNX(ctx, rCPIXIdentity, doc, 0).Err(); err != nil {
		return nil, unavailable("redis add cpix identity", err)
	}
	return s.CPIXIdentity(ctx)
}
