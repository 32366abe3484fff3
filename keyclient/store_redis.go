package keyclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis layout. Every key that a write must update atomically carries the
// hash tag {drmorigin}, so in a cluster they all live in one slot and one
// Lua script can update them (the control-plane data is small; the
// per-token use counters, which need no atomicity with anything, are
// spread over the cluster):
//
//	{drmorigin}:<kind>:<name>          STRING  resource JSON (locators: values wrapped)
//	{drmorigin}:names:<kind>           ZSET    names (score 0) for ordered listing
//	{drmorigin}:key:<kid>              STRING  KeyEntry JSON
//	{drmorigin}:keylocators:<kid>      SET     locators carrying the KID
//	{drmorigin}:refs:<kind>:<name>     SET     locators referencing a policy
//	{drmorigin}:keks                   HASH    kekId -> KEKCanary JSON (the KEK registry)
//	{drmorigin}:liveassets             HASH    assetName -> "<event>/<output>" (the live output archiving into it)
//	drmorigin:uses:<tokenID>           STRING  INCR counter, EXPIREAT token expiry
//
// Live events and outputs are resources as above (kinds liveEvents and
// liveOutputs, an output named "<event>/<output>").
//
// Invalidations are published on the channel drmorigin:invalidate as
// "<kind>/<name>".
const (
	redisPrefix         = "{drmorigin}:"
	InvalidationChannel = "drmorigin:invalidate"
	redisUsesPrefix     = "drmorigin:uses:"
)

func rDoc(kind Kind, name string) string  { return redisPrefix + string(kind) + ":" + name }
func rNames(kind Kind) string             { return redisPrefix + "names:" + string(kind) }
func rKey(kid KID) string                 { return redisPrefix + "key:" + kid.String() }
func rKeyLocators(kid KID) string         { return redisPrefix + "keylocators:" + kid.String() }
func rRefs(kind Kind, name string) string { return redisPrefix + "refs:" + string(kind) + ":" + name }

// RedisStore is the shared store for deployments with more than one node.
type RedisStore struct {
	c redis.UniversalClient
}

var _ Store = (*RedisStore)(nil)

// NewRedisStore wraps an existing client (standalone, Sentinel or Cluster).
func NewRedisStore(c redis.UniversalClient) *RedisStore { return &RedisStore{c: c} }

// OpenRedis opens a Redis store from a URL (go-redis option parameters such
// as dial_timeout are accepted in the query):
//
//	redis://[user:pass@]host:port[/db]             standalone (rediss:// for TLS)
//	redis://h1:p1,h2:p2,h3:p3?cluster=true         Cluster; several hosts imply it,
//	                                               cluster=true with one host forces it
//	redis://[user:pass@]s1:p1,s2:p2?master_name=m  Sentinel (hosts are sentinels)
//
// It does not contact the server: Ping does, and every operation reports
// an unreachable server as ErrUnavailable.
func OpenRedis(ctx context.Context, rawURL string) (*RedisStore, error) {
	c, err := redisClient(rawURL)
	if err != nil {
		return nil, err
	}
	return &RedisStore{c: c}, nil
}

func redisClient(rawURL string) (redis.UniversalClient, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, errors.New("redis url: missing scheme")
	}
	authEnd := strings.IndexAny(rest, "/?")
	if authEnd < 0 {
		authEnd = len(rest)
	}
	auth, tail := rest[:authEnd], rest[authEnd:]
	userinfo, hostlist := "", auth
	if i := strings.LastIndex(auth, "@"); i >= 0 {
		userinfo, hostlist = auth[:i+1], auth[i+1:]
	}
	hosts := strings.Split(hostlist, ",")
	path, rawQuery, _ := strings.Cut(tail, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("redis url: query: %w", err)
	}
	cluster := len(hosts) > 1
	if v := q.Get("cluster"); v != "" {
		cluster, err = strconv.ParseBool(v)
		if err != nil {
			return nil, errors.New("redis url: cluster must be true or false")
		}
		q.Del("cluster")
	}
	sentinel := q.Get("master_name") != ""
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}
	rebuilt := scheme + "://" + userinfo + hosts[0] + path
	if len(q) > 0 {
		rebuilt += "?" + q.Encode()
	}
	switch {
	case sentinel:
		o, err := redis.ParseFailoverURL(rebuilt)
		if err != nil {
			return nil, fmt.Errorf("redis url (sentinel): %w", err)
		}
		o.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(o), nil
	case cluster:
		o, err := redis.ParseClusterURL(rebuilt)
		if err != nil {
			return nil, fmt.Errorf("redis url (cluster): %w", err)
		}
		o.ContextTimeoutEnabled = true
		return redis.NewClusterClient(o), nil
	default:
		o, err := redis.ParseURL(rebuilt)
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", err)
		}
		o.ContextTimeoutEnabled = true
		return redis.NewClient(o), nil
	}
}

// Client returns the underlying client.
func (s *RedisStore) Client() redis.UniversalClient { return s.c }

// Close closes the client.
func (s *RedisStore) Close() error { return s.c.Close() }

// Ping implements Store.
func (s *RedisStore) Ping(ctx context.Context) error {
	return unavailable("redis ping", s.c.Ping(ctx).Err())
}

func (s *RedisStore) publish(ctx context.Context, kind Kind, name string) {
	// A lost message is covered by the resolver's TTL; the write stands.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = s.c.Publish(ctx, InvalidationChannel, string(kind)+"/"+name).Err()
}

// Get implements Store.
func (s *RedisStore) Get(ctx context.Context, kind Kind, name string) ([]byte, error) {
	b, err := s.c.Get(ctx, rDoc(kind, name)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, unavailable("redis get", err)
	}
	return b, nil
}

// List implements Store.
func (s *RedisStore) List(ctx context.Context, kind Kind, after string, limit int) ([]Doc, error) {
	min := "-"
	if after != "" {
		min = "(" + after
	}
	names, err := s.c.ZRangeByLex(ctx, rNames(kind), &redis.ZRangeBy{Min: min, Max: "+", Count: int64(limit)}).Result()
	if err != nil {
		return nil, unavailable("redis list", err)
	}
	if len(names) == 0 {
		return nil, nil
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = rDoc(kind, n)
	}
	vals, err := s.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, unavailable("redis list", err)
	}
	out := make([]Doc, 0, len(names))
	for i, v := range vals {
		if sv, ok := v.(string); ok {
			out = append(out, Doc{Name: names[i], JSON: []byte(sv)})
		}
	}
	return out, nil
}

var putPolicyScript = redis.NewScript(`
local old = redis.call('GET', KEYS[1])
if old == ARGV[1] then return 0 end
if old and ARGV[3] == '1' and redis.call('SCARD', KEYS[3]) > 0 then return -1 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
if old then return 1 end
return 2`)

// PutPolicy implements Store.
func (s *RedisStore) PutPolicy(ctx context.Context, kind Kind, name string, doc []byte, immutableWhileReferenced bool) (bool, error) {
	if err := checkPolicyKind(kind); err != nil {
		return false, err
	}
	imm := "0"
	if immutableWhileReferenced {
		imm = "1"
	}
	r, err := putPolicyScript.Run(ctx, s.c, []string{rDoc(kind, name), rNames(kind), rRefs(kind, name)}, doc, name, imm).Int()
	if err != nil {
		return false, unavailable("redis put", err)
	}
	switch r {
	case 0:
		return false, nil
	case -1:
		return false, s.inUse(ctx, kind, name, true)
	}
	s.publish(ctx, kind, name)
	return r == 2, nil
}

var deletePolicyScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('SCARD', KEYS[3]) > 0 then return -1 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`)

// DeletePolicy implements Store.
func (s *RedisStore) DeletePolicy(ctx context.Context, kind Kind, name string) error {
	if err := checkPolicyKind(kind); err != nil {
		return err
	}
	r, err := deletePolicyScript.Run(ctx, s.c, []string{rDoc(kind, name), rNames(kind), rRefs(kind, name)}, name).Int()
	if err != nil {
		return unavailable("redis delete", err)
	}
	switch r {
	case 0:
		return ErrNotFound
	case -1:
		return s.inUse(ctx, kind, name, false)
	}
	s.publish(ctx, kind, name)
	return nil
}

// inUse is the InUseError of a policy that locators reference. The names
// are read after the refused write, for the message only: the first few
// in byte order of a set of up to a thousand, else a few at random.
func (s *RedisStore) inUse(ctx context.Context, kind Kind, name string, change bool) error {
	e := &InUseError{Kind: kind, Name: name, Change: change}
	key := rRefs(kind, name)
	n, err := s.c.SCard(ctx, key).Result()
	if err != nil {
		return e
	}
	e.Count = int(n)
	var names []string
	if n <= 1000 {
		names, err = s.c.SMembers(ctx, key).Result()
	} else {
		names, err = s.c.SRandMemberN(ctx, key, MaxInUseNames).Result()
	}
	if err == nil {
		slices.Sort(names)
		e.Locators = names[:min(len(names), MaxInUseNames)]
	}
	return e
}

// KEYS: locator doc, names, then (policy doc, refs set) per ref, then
// (kid entry, kid locator set) per key. ARGV: doc, name, nrefs, nkeys,
// then (entry, has-expectation, expectation) per key. Every check runs
// before the first write, so a refused write leaves nothing behind.
var createLocatorScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
local nrefs = tonumber(ARGV[3])
local nkeys = tonumber(ARGV[4])
for i = 0, nrefs - 1 do
  if redis.call('EXISTS', KEYS[3 + 2*i]) == 0 then return 'missing:' .. i end
end
local kb = 3 + 2*nrefs
for i = 0, nkeys - 1 do
  local cur = redis.call('GET', KEYS[kb + 2*i])
  if ARGV[6 + 3*i] == '0' then
    if cur then return 'stale' end
  elseif cur ~= ARGV[7 + 3*i] then
    return 'stale'
  end
end
for i = 0, nrefs - 1 do redis.call('SADD', KEYS[4 + 2*i], ARGV[2]) end
for i = 0, nkeys - 1 do
  if ARGV[6 + 3*i] == '0' then redis.call('SET', KEYS[kb + 2*i], ARGV[5 + 3*i]) end
  redis.call('SADD', KEYS[kb + 2*i + 1], ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
return 'ok'`)

// CreateLocator implements Store.
func (s *RedisStore) CreateLocator(ctx context.Context, w *LocatorWrite) error {
	keys := []string{rDoc(KindStreamingLocators, w.Name), rNames(KindStreamingLocators)}
	args := []any{w.Doc, w.Name, len(w.Refs), len(w.Keys)}
	for _, r := range w.Refs {
		keys = append(keys, rDoc(r.Kind, r.Name), rRefs(r.Kind, r.Name))
	}
	for _, k := range w.Keys {
		keys = append(keys, rKey(k.KID), rKeyLocators(k.KID))
		has := "0"
		if k.Expect != nil {
			has = "1"
		}
		args = append(args, k.Entry, has, k.Expect)
	}
	r, err := createLocatorScript.Run(ctx, s.c, keys, args...).Text()
	if err != nil {
		return unavailable("redis create locator", err)
	}
	switch {
	case r == "ok":
	case r == "exists":
		return errLocatorExists
	case r == "stale":
		return errStale
	case strings.HasPrefix(r, "missing:"):
		i, _ := strconv.Atoi(strings.TrimPrefix(r, "missing:"))
		if i < 0 || i >= len(w.Refs) {
			return unavailable("redis create locator", fmt.Errorf("unexpected reply %q", r))
		}
		ref := w.Refs[i]
		return invalid(ref.Target, "no %s named %q", ref.Kind, ref.Name)
	default:
		return unavailable("redis create locator", fmt.Errorf("unexpected reply %q", r))
	}
	s.publish(ctx, KindStreamingLocators, w.Name)
	return nil
}

// KEYS: locator doc, names, refs sets..., then (kid entry, kid locator
// set) per key. ARGV: expected doc, name, nrefs, nkeys.
var deleteLocatorScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 'notfound' end
if cur ~= ARGV[1] then return 'stale' end
local nrefs = tonumber(ARGV[3])
local nkeys = tonumber(ARGV[4])
for i = 0, nrefs - 1 do redis.call('SREM', KEYS[3 + i], ARGV[2]) end
local kb = 3 + nrefs
for i = 0, nkeys - 1 do
  redis.call('SREM', KEYS[kb + 2*i + 1], ARGV[2])
  if redis.call('SCARD', KEYS[kb + 2*i + 1]) == 0 then redis.call('DEL', KEYS[kb + 2*i]) end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 'ok'`)

// DeleteLocator implements Store.
func (s *RedisStore) DeleteLocator(ctx context.Context, w *LocatorWrite) error {
	keys := []string{rDoc(KindStreamingLocators, w.Name), rNames(KindStreamingLocators)}
	for _, r := range w.Refs {
		keys = append(keys, rRefs(r.Kind, r.Name))
	}
	for _, k := range w.Keys {
		keys = append(keys, rKey(k.KID), rKeyLocators(k.KID))
	}
	r, err := deleteLocatorScript.Run(ctx, s.c, keys, w.Doc, w.Name, len(w.Refs), len(w.Keys)).Text()
	if err != nil {
		return unavailable("redis delete locator", err)
	}
	switch r {
	case "ok":
	case "notfound":
		return ErrNotFound
	case "stale":
		return errStale
	default:
		return unavailable("redis delete locator", fmt.Errorf("unexpected reply %q", r))
	}
	s.publish(ctx, KindStreamingLocators, w.Name)
	return nil
}

// GetKey implements Store.
func (s *RedisStore) GetKey(ctx context.Context, kid KID) (*KeyEntry, error) {
	var get *redis.StringCmd
	var members *redis.StringSliceCmd
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, rKey(kid))
		members = p.SMembers(ctx, rKeyLocators(kid))
		return nil
	})
	if errors.Is(get.Err(), redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, unavailable("redis get key", err)
	}
	raw, _ := get.Bytes()
	e, err := decodeKeyEntry(raw)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", kid, err)
	}
	e.Locators = members.Val()
	slices.Sort(e.Locators)
	return e, nil
}

// IncrUses implements Store: INCR and EXPIREAT in one MULTI.
func (s *RedisStore) IncrUses(ctx context.Context, tokenID string, expiry time.Time) (int64, error) {
	var incr *redis.IntCmd
	key := redisUsesPrefix + tokenID
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, key)
		p.ExpireAt(ctx, key, expiry)
		return nil
	})
	if err != nil {
		return 0, unavailable("redis incr uses", err)
	}
	return incr.Val(), nil
}

// Subscribe implements Store through Redis pub/sub. Each time the
// subscription is (re-)established it first delivers an Invalidation with
// an empty Kind: messages may have been lost while it was down. A broken
// subscription is replaced by a new one until ctx is done.
func (s *RedisStore) Subscribe(ctx context.Context) <-chan Invalidation {
	out := make(chan Invalidation, 64)
	go func() {
		defer close(out)
		for {
			ps := s.c.Subscribe(ctx, InvalidationChannel)
			// Closing unblocks a pending receive as soon as ctx is done.
			stop := context.AfterFunc(ctx, func() { ps.Close() })
			s.pump(ctx, ps, out)
			stop()
			ps.Close()
			select {
			case <-ctx.Done():
				return
			case <-time.After(subscribeRetry):
			}
		}
	}()
	return out
}

// Pub/sub liveness: a subscription idle for subscribeIdle is pinged; a
// broken one is replaced after subscribeRetry.
const (
	subscribeIdle  = 3 * time.Second
	subscribeRetry = 250 * time.Millisecond
)

// pump forwards messages until the subscription fails or ctx is done.
func (s *RedisStore) pump(ctx context.Context, ps *redis.PubSub, out chan<- Invalidation) {
	for {
		m, err := ps.ReceiveTimeout(ctx, subscribeIdle)
		if err != nil {
			var ne net.Error
			if ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() && ps.Ping(ctx) == nil {
				continue
			}
			return
		}
		var inv Invalidation
		switch m := m.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
		case *redis.Message:
			kind, name, _ := strings.Cut(m.Payload, "/")
			inv = Invalidation{Kind: Kind(kind), Name: name}
		default:
			continue
		}
		select {
		case out <- inv:
		case <-ctx.Done():
			return
		}
	}
}

// Dump implements Dumper: every drmorigin key with its value.
func (s *RedisStore) Dump(ctx context.Context) ([]byte, error) {
	var (
		mu sync.Mutex
		b  strings.Builder
	)
	dump := func(ctx context.Context, c redis.Cmdable) error {
		var keys []string
		for _, pattern := range []string{redisPrefix + "*", redisUsesPrefix + "*"} {
			it := c.Scan(ctx, 0, pattern, 100).Iterator()
			for it.Next(ctx) {
				keys = append(keys, it.Val())
			}
			if err := it.Err(); err != nil {
				return err
			}
		}
		slices.Sort(keys)
		mu.Lock()
		defer mu.Unlock()
		for _, k := range keys {
			t, err := c.Type(ctx, k).Result()
			if err != nil {
				return err
			}
			var v any
			switch t {
			case "string":
				v, err = c.Get(ctx, k).Result()
			case "set":
				v, err = c.SMembers(ctx, k).Result()
			case "zset":
				v, err = c.ZRange(ctx, k, 0, -1).Result()
			case "hash":
				v, err = c.HGetAll(ctx, k).Result()
			}
			if err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			fmt.Fprintf(&b, "%s\t%v\n", k, v)
		}
		return nil
	}
	var err error
	if cc, ok := s.c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return dump(ctx, c) })
	} else {
		err = dump(ctx, s.c)
	}
	if err != nil {
		return nil, unavailable("redis dump", err)
	}
	return []byte(b.String()), nil
}
