package keyclient

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"
)

// rKEKs is the KEK registry: a HASH of kekId -> KEKCanary JSON.
const rKEKs = redisPrefix + "keks"

// KEYS: locator doc, then the KID entries. ARGV: old doc, new doc, then
// (old, new) per KID entry. Every check runs before the first write.
var rewrapScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 'notfound' end
if cur ~= ARGV[1] then return 'stale' end
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) ~= ARGV[2*i - 1] then return 'stale' end
end
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[2*i]) end
redis.call('SET', KEYS[1], ARGV[2])
return 'ok'`)

// Rewrap implements Store.
func (s *RedisStore) Rewrap(ctx context.Context, w *RewrapWrite) error {
	keys := []string{rDoc(KindStreamingLocators, w.Name)}
	args := []any{w.Old, w.New}
	for _, k := range w.Keys {
		keys = append(keys, rKey(k.KID))
		args = append(args, k.Old, k.New)
	}
	r, err := rewrapScript.Run(ctx, s.c, keys, args...).Text()
	if err != nil {
		return unavailable("redis rewrap", err)
	}
	switch r {
	case "ok":
		return nil
	case "notfound":
		return ErrNotFound
	case "stale":
		return errStale
	}
	return unavailable("redis rewrap", fmt.Errorf("unexpected reply %q", r))
}

// KEKs implements Store.
func (s *RedisStore) KEKs(ctx context.Context) ([]KEKCanary, error) {
	m, err := s.c.HGetAll(ctx, rKEKs).Result()
	if err != nil {
		return nil, unavailable("redis keks", err)
	}
	out := make([]KEKCanary, 0, len(m))
	for id, v := range m {
		var c KEKCanary
		if err := json.Unmarshal([]byte(v), &c); err != nil {
			return nil, fmt.Errorf("kek registry entry %s: %w", id, err)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b KEKCanary) int { return strings.Compare(a.KEKID, b.KEKID) })
	return out, nil
}

// AddKEK implements Store.
func (s *RedisStore) AddKEK(ctx context.Context, c KEKCanary) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return unavailable("redis add kek", s.c.HSetNX(ctx, rKEKs, c.KEKID, v).Err())
}

var retireKEKsScript = redis.NewScript(`
for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
  if id ~= ARGV[1] then redis.call('HDEL', KEYS[1], id) end
end
return 'ok'`)

// RetireKEKs implements Store.
func (s *RedisStore) RetireKEKs(ctx context.Context, keep string) error {
	return unavailable("redis retire keks", retireKEKsScript.Run(ctx, s.c, []string{rKEKs}, keep).Err())
}
