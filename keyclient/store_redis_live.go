package keyclient

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

const rLiveAssets = redisPrefix + "liveassets"

// KEYS: doc, names, then for an event the output names, for an output its
// event's doc and the asset hash. ARGV: has-expectation, expectation,
// has-doc, doc, name, asset, kind. Every check runs before the first write.
var writeLiveScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if cur then return 'stale' end
elseif cur ~= ARGV[2] then
  return 'stale'
end
local del = ARGV[3] == '0'
if ARGV[7] == 'liveEvents' then
  if del then
    local o = redis.call('ZRANGEBYLEX', KEYS[3], '[' .. ARGV[5] .. '/', '(' .. ARGV[5] .. '0', 'LIMIT', 0, 1)
    if #o > 0 then return 'outputs:' .. o[1] end
  end
else
  if del then
    if redis.call('HGET', KEYS[4], ARGV[6]) == ARGV[5] then redis.call('HDEL', KEYS[4], ARGV[6]) end
  elseif not cur then
    if redis.call('EXISTS', KEYS[3]) == 0 then return 'noevent' end
    local owner = redis.call('HGET', KEYS[4], ARGV[6])
    if owner and owner ~= ARGV[5] then return 'asset:' .. owner end
    redis.call('HSET', KEYS[4], ARGV[6], ARGV[5])
  end
end
if del then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[4])
  redis.call('ZADD', KEYS[2], 0, ARGV[5])
end
return 'ok'`)

// WriteLive implements Store.
func (s *RedisStore) WriteLive(ctx context.Context, w *LiveWrite) error {
	keys := []string{rDoc(w.Kind, w.Name), rNames(w.Kind)}
	switch w.Kind {
	case KindLiveEvents:
		keys = append(keys, rNames(KindLiveOutputs))
	case KindLiveOutputs:
		event, _, _ := strings.Cut(w.Name, "/")
		keys = append(keys, rDoc(KindLiveEvents, event), rLiveAssets)
	default:
		return fmt.Errorf("%q is not a live collection: %w", w.Kind, ErrNotFound)
	}
	has, doc := "0", "0"
	if w.Expect != nil {
		has = "1"
	}
	if w.Doc != nil {
		doc = "1"
	}
	r, err := writeLiveScript.Run(ctx, s.c, keys, has, w.Expect, doc, w.Doc, w.Name, w.Asset, string(w.Kind)).Text()
	if err != nil {
		return unavailable("redis write live", err)
	}
	switch {
	case r == "ok":
	case r == "stale":
		return errStale
	case r == "noevent":
		return errNoLiveEvent
	case strings.HasPrefix(r, "asset:"):
		return liveAssetTaken(w.Asset, strings.TrimPrefix(r, "asset:"))
	case strings.HasPrefix(r, "outputs:"):
		_, out, _ := strings.Cut(strings.TrimPrefix(r, "outputs:"), "/")
		return liveEventHasOutputs(w.Name, out)
	default:
		return unavailable("redis write live", fmt.Errorf("unexpected reply %q", r))
	}
	s.publish(ctx, w.Kind, w.Name)
	return nil
}
