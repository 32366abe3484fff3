package keyclient

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Kind names a resource collection, as in the management URL.
type Kind string

// Resource kinds.
const (
	KindContentKeyPolicies Kind = "contentKeyPolicies"
	KindStreamingPolicies  Kind = "streamingPolicies"
	KindStreamingLocators  Kind = "streamingLocators"
	// Filters (players.md): account filters by name, asset filters by
	// "{asset}/{name}" (asset names hold no "/"), so that one asset's
	// filters list together.
	KindAccountFilters Kind = "accountFilters"
	KindAssetFilters   Kind = "assetFilters"

	// KindCPIXRecipients are the certificates CPIX exports are encrypted
	// for (exchange.md). Stored like policies: documents by name that no
	// locator references.
	KindCPIXRecipients Kind = "cpixRecipients"
)

// valid reports whether the store holds a collection of kind k.
func (k Kind) valid() bool {
	return k == KindContentKeyPolicies || k == KindStreamingPolicies || k == KindStreamingLocators ||
		k.isFilter() || k == KindCPIXRecipients
}

func (k Kind) isFilter() bool { return k == KindAccountFilters || k == KindAssetFilters }

// stored reports whether a store holds documents of kind: the Service's
// collections (valid) and the live ones.
func (k Kind) stored() bool { return k.valid() || k == KindLiveEvents || k == KindLiveOutputs }

// Doc is one stored resource: its name and stored JSON.
type Doc struct {
	Name string
	JSON []byte
}

// KeyEntry is the KID index entry: the wrapped value, the KEK that wrapped
// it and the KID's content key policy. Raw is the stored JSON of the entry
// (without Locators), which a LocatorWrite uses as its compare-and-set
// expectation.
type KeyEntry struct {
	KID          KID    `json:"kid"`
	WrappedValue []byte `json:"wrappedValue"`
	KEKID        string `json:"kekId"`
	PolicyName   string `json:"policyName,omitempty"`
	// Locators carrying the KID, sorted (filled by the store).
	Locators []string `json:"-"`
	Raw      []byte   `json:"-"`
}

// LocatorWrite is the atomic creation of a locator with its KID index
// entries and policy references.
type LocatorWrite struct {
	Name string
	Doc  []byte
	Keys []KeyWrite
	Refs []Ref
}

// KeyWrite creates a KID entry or joins the locator to an existing one.
type KeyWrite struct {
	KID KID
	// Entry is the JSON stored when the KID is new.
	Entry []byte
	// Expect is the Raw entry the caller saw: nil means the KID must not
	// exist; otherwise the stored entry must equal it byte for byte.
	Expect []byte
}

// RewrapWrite replaces, in one transaction, a locator's document and the
// KID entries of its keys after their values were wrapped again under
// another KEK. Each write happens only if the stored JSON still equals Old.
type RewrapWrite struct {
	Name     string
	Old, New []byte // the locator document
	Keys     []KeyRewrite
}

// KeyRewrite replaces one KID entry (KeyEntry JSON).
type KeyRewrite struct {
	KID      KID
	Old, New []byte
}

// KEKCanary is an entry of the store's KEK registry: the id of a KEK that
// may have wrapped a value the store holds, and a random value wrapped
// under that KEK (with the zero KID as associated data), which only a
// process holding that KEK can unwrap. Stored as JSON.
type KEKCanary struct {
	KEKID   string `json:"kekId"`
	Wrapped []byte `json:"wrappedCanary"`
}

// Ref is a reference from a locator to a policy that must exist (unless it
// is built in), and that may not be deleted while referenced. Target names
// the field for the validation error when the policy is missing.
type Ref struct {
	Kind   Kind
	Name   string
	Target string
}

// LiveWrite is one atomic write of a live event or a live output
// (WriteLive).
type LiveWrite struct {
	Kind Kind   // KindLiveEvents or KindLiveOutputs
	Name string // an event's name; an output's "{event}/{output}"
	// Expect is the stored JSON the caller read; nil means the resource
	// must not exist.
	Expect []byte
	// Doc is the new JSON; nil deletes.
	Doc []byte
	// Asset is a live output's assetName: claimed when the output is
	// created (no two live outputs archive into one asset), released when
	// it is deleted.
	Asset string
}

// Invalidation says that a resource changed. An empty Kind means "anything
// may have changed" (sent after the subscription reconnects).
type Invalidation struct {
	Kind Kind
	Name string
}

// Store holds the resources. Implementations wrap every I/O failure in
// ErrUnavailable and pass storetest.Run. Values are stored as JSON; content
// key values only ever as wrapped blobs.
type Store interface {
	// Get returns the stored JSON of a resource, or ErrNotFound.
	Get(ctx context.Context, kind Kind, name string) ([]byte, error)
	// List returns up to limit resources with names greater than after,
	// in byte order of names.
	List(ctx context.Context, kind Kind, after string, limit int) ([]Doc, error)
	// PutPolicy creates or replaces a content key or streaming policy, or a
	// filter (KindAccountFilters, KindAssetFilters).
	// An identical document is not rewritten (created=false, no
	// notification). With immutableWhileReferenced, a different document
	// for a policy that a locator references fails with ErrConflict.
	PutPolicy(ctx context.Context, kind Kind, name string, doc []byte, immutableWhileReferenced bool) (created bool, err error)
	// DeletePolicy deletes a policy: ErrNotFound, or ErrConflict while a
	// locator references it.
	DeletePolicy(ctx context.Context, kind Kind, name string) error
	// CreateLocator writes a locator, its KID entries and references in one
	// transaction. It fails with errLocatorExists when the name is taken,
	// errStale when a KeyWrite expectation does not hold, and a
	// *ValidationError for a missing reference.
	CreateLocator(ctx context.Context, w *LocatorWrite) error
	// DeleteLocator removes the locator whose stored document is w.Doc,
	// leaves each KID's locator set (deleting the KID entry when it empties)
	// and drops its references, in one transaction. ErrNotFound if absent,
	// errStale if the stored document differs.
	DeleteLocator(ctx context.Context, w *LocatorWrite) error
	// GetKey returns the KID index entry with its locators, or ErrNotFound.
	GetKey(ctx context.Context, kid KID) (*KeyEntry, error)
	// Rewrap replaces a locator document and KID entries (RewrapWrite)
	// in one transaction: ErrNotFound when the locator is gone, errStale
	// when any stored JSON differs from its Old. It publishes nothing: the
	// unwrapped values are the same.
	Rewrap(ctx context.Context, w *RewrapWrite) error
	// KEKs returns the KEK registry, sorted by id.
	KEKs(ctx context.Context) ([]KEKCanary, error)
	// AddKEK adds c to the registry unless its id is registered already.
	AddKEK(ctx context.Context, c KEKCanary) error
	// RetireKEKs removes every registry entry but keep's.
	RetireKEKs(ctx context.Context, keep string) error
	// CPIXIdentity returns the stored JSON of the origin's own CPIX
	// recipient identity, or ErrNotFound.
	CPIXIdentity(ctx context.Context) ([]byte, error)
	// AddCPIXIdentity stores doc as the identity unless one is stored
	// already, and returns the identity stored: the first writer wins, so
	// replicas that start together agree on one.
	AddCPIXIdentity(ctx context.Context, doc []byte) ([]byte, error)
	// ReplaceCPIXIdentity replaces the identity with new if it is still
	// old (errStale otherwise): its private key wrapped again by Rewrap.
	ReplaceCPIXIdentity(ctx context.Context, old, new []byte) error
	// WriteLive creates, replaces or deletes a live event or live output
	// (LiveWrite) in one transaction: errStale when the stored JSON is not
	// w.Expect; creating an output fails with ErrNotFound (errNoLiveEvent)
	// without its event, and with ErrConflict when another output has
	// claimed its asset; deleting an event fails with ErrConflict while it
	// has outputs. Get and List read both collections; an output's name
	// is "{event}/{output}".
	WriteLive(ctx context.Context, w *LiveWrite) error
	// IncrUses increments the use counter of a token and returns the new
	// count; the counter expires at expiry.
	IncrUses(ctx context.Context, tokenID string, expiry time.Time) (int64, error)
	// Subscribe delivers invalidations published by any writer to this
	// store (other processes too, where the store is shared) until ctx is
	// done, then closes the channel.
	Subscribe(ctx context.Context) <-chan Invalidation
	// Ping checks that the store answers (for readiness probes).
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// Dumper is implemented by stores that can write everything they hold
// (for operators, and for the test that no content key leaks).
type Dumper interface {
	Dump(ctx context.Context) ([]byte, error)
}

// errNoLiveEvent is returned by WriteLive when an output's event is
// missing.
var errNoLiveEvent = fmt.Errorf("no such live event: %w", ErrNotFound)

// liveAssetTaken is WriteLive's error for an asset another live output
// archives into.
func liveAssetTaken(asset, owner string) error {
	return fmt.Errorf("asset %q is the archive of live output %s already: %w", asset, owner, ErrConflict)
}

// liveEventHasOutputs is WriteLive's error for deleting an event that has
// outputs.
func liveEventHasOutputs(event, output string) error {
	return fmt.Errorf("live event %s has live outputs (%s): delete them first: %w", event, output, ErrConflict)
}

// errLocatorExists is returned by CreateLocator when the name is taken.
var errLocatorExists = fmt.Errorf("locator exists: %w", ErrConflict)

// OpenStore opens a store by URL scheme:
//
//   - file://PATH: the embedded single-file store (bbolt); the rest of the
//     URL is the path, file://./data/x.db relative, file:///var/x.db
//     absolute. Parent directories are created.
//   - redis://, rediss://: Redis; see OpenRedis for the URL forms of
//     standalone, Sentinel and Cluster deployments.
func OpenStore(ctx context.Context, rawURL string) (Store, error) {
	switch {
	case strings.HasPrefix(rawURL, "file://"):
		return OpenBolt(strings.TrimPrefix(rawURL, "file://"))
	case strings.HasPrefix(rawURL, "redis://"), strings.HasPrefix(rawURL, "rediss://"):
		return OpenRedis(ctx, rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store url: %w", err)
	}
	return nil, fmt.Errorf("store url: unsupported scheme %q (want file, redis or rediss)", u.Scheme)
}

// checkPolicyKind guards PutPolicy and DeletePolicy, which write policies
// and filters alike: documents that locators may reference.
func checkPolicyKind(kind Kind) error {
	if kind != KindContentKeyPolicies && kind != KindStreamingPolicies && !kind.isFilter() && kind != KindCPIXRecipients {
		return fmt.Errorf("%q is not a policy collection: %w", kind, ErrNotFound)
	}
	return nil
}
