// Package keyclient owns the control-plane resource model (content key
// policies, streaming policies, streaming locators and their content keys),
// its validation, the two stores (Redis and an embedded single-file store),
// wrapping of content keys under the key-encryption key, and the cached
// resolver that the origin asks for a locator's policy and keys.
//
// Only I/O takes a context.Context. keyclient knows nothing of HTTP and
// must never import fasthttp, a JOSE library, packager or crypto (the
// drmorigin one); besides the standard library it imports go-redis and
// bbolt only.
//
// # Pieces
//
//   - Filters (filter.go, filter_service.go, filter_resolver.go): asset and
//     account filters (players.md), decoded strictly (DecodeFilter), stored
//     as documents that locators may reference (an asset filter as
//     "{asset}/{name}"), and cached by the Resolver (Resolver.Filter),
//     dropped by the same invalidation messages as locators.
//   - Decode*/Service.Put: strict JSON decoding (unknown fields, wrong
//     types and malformed values are a *ValidationError whose Target is
//     the JSON path, e.g. "contentKeys[1].value"), before anything is
//     written.
//   - KEK: AES-256-GCM wrapping of content key values, KID as associated
//     data, with a KEK id stored next to each wrapped value so retired
//     KEKs (NewKEK's old list) can still unwrap. A value that no KEK of
//     the process unwraps is ErrKEK.
//   - The KEK registry (kek_registry.go): the store lists every KEK that
//     may have wrapped one of its values, each with a canary wrapped under
//     it. Service.InitKEK refuses a process that lacks a registered KEK
//     before it writes, then registers its own; Service.CheckKEK (for
//     readiness) fails while a registered KEK is missing or the process's
//     own was retired; Service.Rewrap moves every value to the current
//     KEK and retires the others (KEK rotation).
//   - Store (BoltStore for file://, RedisStore for redis:// and rediss://,
//     chosen by OpenStore): resources as plain JSON, content key values
//     only wrapped; a locator, its KID index entries and its policy
//     references are written and deleted in one transaction (a bbolt
//     transaction; one Lua script in Redis). keyclient/storetest is the
//     suite both pass.
//   - Service: the management operations (Put, Get, Delete, List,
//     ListContentKeys) and the lookups of the streaming path and key
//     delivery (Locator, StreamingPolicy, ContentKeyPolicy,
//     DeliverableKey).
//   - Resolver: the in-process cache of resolved locators (LRU, TTL,
//     negative entries, one lookup in flight per name, invalidation by
//     change messages, stale entries served through store outages).
//   - keyclient/redistest: real redis-server processes for tests.
//
// # Rules the Service enforces
//
//   - A KID names one value and one content key policy in the whole store.
//     A locator reusing a KID with another value or policy is ErrConflict;
//     the same KID twice in one request with different values is a
//     ValidationError. A KID given without a value takes the stored value.
//   - A locator is immutable: the body as first written again gives
//     created=false and the stored locator (generated ids and values
//     included); anything else is ErrConflict. Which ids and values the
//     request gave is stored, and values given are compared by unwrapping.
//   - Keys for encrypted schemes that the streaming policy enables and the
//     request gives no key of that type for are generated (random v4 GUID
//     KID, random value, no tracks, no policyName), after the given ones.
//     A key whose type the policy does not enable is a ValidationError.
//   - Streaming policies named Predefined_* are reserved (ErrReadOnly,
//     which is also ErrConflict). The four built-ins are always present;
//     their own key delivery URLs are relative (/keys/aes/{ContentKeyId},
//     /keys/clearkey): the origin prefixes public.baseUrl.
//   - A content key policy may be replaced at any time (key rotation in its
//     restriction); a streaming policy only while no locator references it
//     (the locators' keys were generated for it). Deleting a policy that a
//     locator references is ErrConflict, an *InUseError naming the
//     locators.
//   - A new locator whose keys of some type the streaming policy sends
//     players for only to this origin's key delivery (a relative or absent
//     envelope key URL, a relative ClearKey license URL, no other DRM
//     beside it) must give those keys a content key policy (the key's
//     policyName or the locator's defaultContentKeyPolicyName): key
//     delivery hands out no key without one. Otherwise it is a
//     ValidationError on defaultContentKeyPolicyName. A key that an
//     external license server serves needs none.
//   - Service.AssetCheck, when set (the origin sets it), is asked whether a
//     new locator's asset exists.
//   - Usage rules (package drm/usage): keys of one type whose tracks can
//     select the same track (by kind and height range, or the same name)
//     are a ValidationError naming both; with Service.AssetTracks (the
//     origin sets it), every track of the asset must be selected by a key
//     of each type the locator gives keys for, else a ValidationError on
//     contentKeys naming the track.
//   - Resource names are 1..260 characters of A-Z a-z 0-9 _ -; asset names
//     must not hold a path separator, ':', a control character or "..".
//
// # Embedded store layout (one bbolt file)
//
//	bucket contentKeyPolicies  name -> policy JSON
//	bucket streamingPolicies   name -> policy JSON
//	bucket streamingLocators   name -> locator JSON, keys with wrappedValue and kekId
//	bucket keys                kid (GUID) -> {"kid","wrappedValue","kekId","policyName"}
//	bucket keyLocators         kid "/" locator -> empty  (the KID's locator set)
//	bucket refs                kind "/" policy "/" locator -> empty
//	bucket uses                tokenID -> {"count":n,"expiresAt":t} (expired ones swept)
//	bucket keks                kekId -> {"kekId","wrappedCanary"} (the KEK registry)
//
// Invalidations go to in-process subscribers only (one node).
//
// # Redis layout
//
//	{drmorigin}:<kind>:<name>        STRING  resource JSON
//	{drmorigin}:names:<kind>         ZSET    names, score 0 (ordered listing by ZRANGEBYLEX)
//	{drmorigin}:key:<kid>            STRING  KID entry JSON
//	{drmorigin}:keylocators:<kid>    SET     locators carrying the KID
//	{drmorigin}:refs:<kind>:<name>   SET     locators referencing the policy
//	{drmorigin}:keks                 HASH    kekId -> {"kekId","wrappedCanary"} (the KEK registry)
//	drmorigin:uses:<tokenID>         STRING  INCR counter with EXPIREAT
//	channel drmorigin:invalidate     "<kind>/<name>" after every write; also
//	                                 "liveFragments/<sender>/<asset>" (Notify) when
//	                                 a live archive gained a fragment
//
// In a Redis Cluster every {drmorigin} key hashes to one slot (the hash
// tag), so the Lua scripts that create and delete a locator touch only
// declared keys of one slot. The control-plane data is small, so one
// shard holds it; the replay counters, which need no atomicity with
// anything, are spread over the cluster.
//
// Redis URLs: redis://[user:pass@]host:port[/db] (standalone; rediss:// for
// TLS), redis://h1:p1,h2:p2,h3:p3 or redis://h1:p1?cluster=true (Cluster),
// redis://s1:p1,s2:p2?master_name=NAME (Sentinel); go-redis option
// parameters (dial_timeout=…, read_timeout=…) are accepted in the query.
//
// # Consistency of the cache
//
// Every write publishes the resource's kind and name; Resolver.Run drops
// the locator (a cached "no such locator" included) or, for a streaming
// policy, every locator that uses it. When the Redis subscription is
// re-established all entries are marked stale, since messages may have
// been lost. An expired entry is served once more while a background
// refresh runs; if the store is unreachable it is kept and retried every
// second, so cached locators stream through an outage; uncached ones get
// ErrUnavailable.
package keyclient
