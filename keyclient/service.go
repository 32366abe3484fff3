package keyclient

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/drmorigin/drmorigin/drm/usage"
)

// Page sizes of List.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// maxWriteAttempts bounds the compare-and-set retries of a locator write
// racing another writer of the same KIDs.
const maxWriteAttempts = 8

// Service is the management and lookup API over a Store: it validates,
// generates and wraps keys, and enforces the cross-resource rules. JSON in,
// JSON out, so the HTTP layer and the CLI stay thin.
type Service struct {
	// AssetCheck, when set, is asked about the assetName of a locator
	// that is about to be created (not of a PUT of an existing one, which
	// is immutable). A *ValidationError refuses the locator (no such
	// asset); any other error fails the PUT as it is (an asset store that
	// cannot be read now). Set it before the first Put.
	AssetCheck func(ctx context.Context, assetName string) error
	// AssetTracks, when set, lists the tracks of a new locator's asset,
	// so that the keys' usage rules are checked against them: every track
	// selected by exactly one key of each type the locator gives keys for
	// (exchange.md, "Usage rules"). nil tracks (the asset cannot be read
	// yet) skip that check; the rules are still checked among themselves.
	AssetTracks func(ctx context.Context, assetName string) ([]usage.Track, error)
	// HTTPClient makes the requests to streaming policies' key servers
	// (nil: http.DefaultClient; each request is bounded by the key
	// server's timeout).
	HTTPClient *http.Client

	store        Store
	kek          *KEK
	builtin      map[string]*StreamingPolicy
	builtinJSON  map[string][]byte
	builtinNames []string

	identityMu sync.Mutex
	identity   *cpixIdentity // the origin's CPIX recipient, once loaded
}

// NewService returns a Service over store, wrapping keys with kek, with the
// built-in streaming policies configured by builtin.
func NewService(store Store, kek *KEK, builtin BuiltinConfig) *Service {
	s := &Service{store: store, kek: kek, builtin: map[string]*StreamingPolicy{}, builtinJSON: map[string][]byte{}}
	for _, p := range BuiltinPolicies(builtin) {
		b, err := json.Marshal(p)
		if err != nil {
			panic(err) // static data
		}
		s.builtin[p.Name] = p
		s.builtinJSON[p.Name] = b
		s.builtinNames = append(s.builtinNames, p.Name)
	}
	slices.Sort(s.builtinNames)
	return s
}

// Store returns the underlying store.
func (s *Service) Store() Store { return s.store }

func checkKind(kind Kind) error {
	if !kind.valid() || kind.isFilter() { // filters have their own methods (filter_service.go)
		return fmt.Errorf("collection %q: %w", kind, ErrNotFound)
	}
	return nil
}

func checkName(name string) error {
	if !validName(name) {
		if len(name) > MaxNameLen {
			return invalid("name", "a name of %d characters is not valid: names are 1..%d characters of A-Z a-z 0-9 _ -", len(name), MaxNameLen)
		}
		return invalid("name", "%q is not a valid name: names are 1..%d characters of A-Z a-z 0-9 _ -", name, MaxNameLen)
	}
	return nil
}

// nameFromURL fills an absent body name, or checks it equals the URL's.
func nameFromURL(body *string, url string) error {
	if *body == "" {
		*body = url
		return nil
	}
	if *body != url {
		return invalid("name", "must equal the name in the URL (%q)", url)
	}
	return nil
}

// Put creates or replaces a resource. The name in the URL must equal the
// body's name (an absent body name is filled in). Policies are replaced
// (a streaming policy only while no locator references it); a locator is
// immutable: the same body again gives created=false and the stored
// resource, a different one ErrConflict. out is the resource as Get
// returns it.
func (s *Service) Put(ctx context.Context, kind Kind, name string, body []byte) (out []byte, created bool, err error) {
	if err := checkKind(kind); err != nil {
		return nil, false, err
	}
	if kind == KindStreamingPolicies && isPredefinedName(name) {
		return nil, false, fmt.Errorf("streaming policy %s: %w", name, ErrReadOnly)
	}
	if err := checkName(name); err != nil {
		return nil, false, err
	}
	var doc []byte
	switch kind {
	case KindContentKeyPolicies:
		doc, err = namedDoc(body, name, DecodeContentKeyPolicy, func(p *ContentKeyPolicy) *string { return &p.Name })
	case KindStreamingPolicies:
		doc, err = namedDoc(body, name, DecodeStreamingPolicy, func(p *StreamingPolicy) *string { return &p.Name })
	case KindCPIXRecipients:
		doc, err = namedDoc(body, name, decodeCPIXRecipient, func(r *CPIXRecipient) *string { return &r.Name })
	default:
		return s.putLocator(ctx, name, body)
	}
	if err != nil {
		return nil, false, err
	}
	// A streaming policy a locator references may not change under it.
	created, err = s.store.PutPolicy(ctx, kind, name, doc, kind == KindStreamingPolicies)
	return doc, created, err
}

// namedDoc decodes body with decode, takes the resource's name (the field
// nameOf points at) from the URL's, and returns the document to store.
func namedDoc[T any](body []byte, url string, decode func([]byte) (T, error), nameOf func(T) *string) ([]byte, error) {
	v, err := decode(body)
	if err != nil {
		return nil, err
	}
	if err := nameFromURL(nameOf(v), url); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// Get returns a resource as written; a locator's contentKeys (generated
// ones included) come without their values. Built-in streaming policies
// are returned too. An invalid name is a ValidationError on "name".
func (s *Service) Get(ctx context.Context, kind Kind, name string) ([]byte, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	if kind == KindStreamingPolicies {
		if b, ok := s.builtinJSON[name]; ok {
			return b, nil
		}
	}
	doc, err := s.store.Get(ctx, kind, name)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, name, err)
	}
	if kind == KindStreamingLocators {
		return publicLocatorJSON(doc)
	}
	return doc, nil
}

func publicLocatorJSON(doc []byte) ([]byte, error) {
	st, err := decodeStoredLocator(doc)
	if err != nil {
		return nil, fmt.Errorf("stored locator: %w", err)
	}
	return json.Marshal(st.locator())
}

// Delete deletes a resource: ErrNotFound, ErrReadOnly for a built-in
// streaming policy, an InUseError (ErrConflict) for a policy a locator
// references, a ValidationError for an invalid name.
// Deleting a locator also drops it from each KID's locator set, and the
// KID's entry when no locator carries it any more.
func (s *Service) Delete(ctx context.Context, kind Kind, name string) error {
	if err := checkKind(kind); err != nil {
		return err
	}
	if err := checkName(name); err != nil {
		return err
	}
	if kind == KindStreamingPolicies && isPredefinedName(name) {
		return fmt.Errorf("streaming policy %s: %w", name, ErrReadOnly)
	}
	if kind != KindStreamingLocators {
		if err := s.store.DeletePolicy(ctx, kind, name); err != nil {
			if iu := (*InUseError)(nil); errors.As(err, &iu) {
				return err // names the policy and what blocks it already
			}
			return fmt.Errorf("%s %s: %w", kind, name, err)
		}
		return nil
	}
	for range maxWriteAttempts {
		doc, err := s.store.Get(ctx, kind, name)
		if err != nil {
			return fmt.Errorf("%s %s: %w", kind, name, err)
		}
		st, err := decodeStoredLocator(doc)
		if err != nil {
			return fmt.Errorf("stored locator %s: %w", name, err)
		}
		w := &LocatorWrite{Name: name, Doc: doc, Refs: s.locatorRefs(st)}
		for _, kid := range distinctKIDs(st) {
			w.Keys = append(w.Keys, KeyWrite{KID: kid})
		}
		err = s.store.DeleteLocator(ctx, w)
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", kind, name, err)
		}
		return nil
	}
	return fmt.Errorf("streaming locator %s: concurrent writes, retry: %w", name, ErrConflict)
}

// List returns up to top resources (DefaultPageSize when top is 0) in
// byte order of names, after the position skipToken names, and the token
// of the next page ("" on the last one). Built-in streaming policies are
// listed with the stored ones.
func (s *Service) List(ctx context.Context, kind Kind, skipToken string, top int) (items []json.RawMessage, nextSkipToken string, err error) {
	if err := checkKind(kind); err != nil {
		return nil, "", err
	}
	switch {
	case top == 0:
		top = DefaultPageSize
	case top < 0 || top > MaxPageSize:
		return nil, "", invalid("$top", "must be between 1 and %d", MaxPageSize)
	}
	after := ""
	if skipToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(skipToken)
		if err != nil {
			return nil, "", invalid("$skiptoken", "malformed")
		}
		after = string(b)
	}
	docs, err := s.store.List(ctx, kind, after, top+1)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", kind, err)
	}
	if kind == KindStreamingPolicies {
		for _, n := range s.builtinNames {
			if n > after {
				docs = append(docs, Doc{Name: n, JSON: s.builtinJSON[n]})
			}
		}
		slices.SortFunc(docs, func(a, b Doc) int {
			switch {
			case a.Name < b.Name:
				return -1
			case a.Name > b.Name:
				return 1
			}
			return 0
		})
	}
	if len(docs) > top {
		docs = docs[:top]
		nextSkipToken = base64.RawURLEncoding.EncodeToString([]byte(docs[top-1].Name))
	}
	items = make([]json.RawMessage, 0, len(docs))
	for _, d := range docs {
		j := d.JSON
		if kind == KindStreamingLocators {
			if j, err = publicLocatorJSON(j); err != nil {
				return nil, "", err
			}
		}
		items = append(items, j)
	}
	return items, nextSkipToken, nil
}

// ListContentKeys returns a locator's content keys with their values, for
// external license servers and operators.
func (s *Service) ListContentKeys(ctx context.Context, locator string) ([]ContentKey, error) {
	st, err := s.storedLocator(ctx, locator)
	if err != nil {
		return nil, err
	}
	out := make([]ContentKey, len(st.ContentKeys))
	for i, k := range st.ContentKeys {
		v, err := s.kek.Unwrap(k.ID, k.WrappedValue, k.KEKID)
		if err != nil {
			return nil, fmt.Errorf("streaming locator %s key %s: %w", locator, k.ID, err)
		}
		out[i] = ContentKey{ID: k.ID, Value: v[:], Type: k.Type, LabelReferenceInStreamingPolicy: k.LabelReferenceInStreamingPolicy,
			Tracks: k.Tracks, PolicyName: k.PolicyName}
	}
	return out, nil
}

func (s *Service) storedLocator(ctx context.Context, name string) (*storedLocator, error) {
	doc, err := s.store.Get(ctx, KindStreamingLocators, name)
	if err != nil {
		return nil, fmt.Errorf("streaming locator %s: %w", name, err)
	}
	st, err := decodeStoredLocator(doc)
	if err != nil {
		return nil, fmt.Errorf("stored locator %s: %w", name, err)
	}
	return st, nil
}

// Locator returns a locator without key values.
func (s *Service) Locator(ctx context.Context, name string) (*StreamingLocator, error) {
	st, err := s.storedLocator(ctx, name)
	if err != nil {
		return nil, err
	}
	return st.locator(), nil
}

// StreamingPolicy returns a stored or built-in streaming policy.
func (s *Service) StreamingPolicy(ctx context.Context, name string) (*StreamingPolicy, error) {
	if p, ok := s.builtin[name]; ok {
		return p, nil
	}
	doc, err := s.store.Get(ctx, KindStreamingPolicies, name)
	if err != nil {
		return nil, fmt.Errorf("streaming policy %s: %w", name, err)
	}
	var p StreamingPolicy
	if err := json.Unmarshal(doc, &p); err != nil {
		return nil, fmt.Errorf("stored streaming policy %s: %w", name, err)
	}
	return &p, nil
}

// ContentKeyPolicy returns a stored content key policy.
func (s *Service) ContentKeyPolicy(ctx context.Context, name string) (*ContentKeyPolicy, error) {
	doc, err := s.store.Get(ctx, KindContentKeyPolicies, name)
	if err != nil {
		return nil, fmt.Errorf("content key policy %s: %w", name, err)
	}
	var p ContentKeyPolicy
	if err := json.Unmarshal(doc, &p); err != nil {
		return nil, fmt.Errorf("stored content key policy %s: %w", name, err)
	}
	return &p, nil
}

// DeliverableKey is what key delivery needs for one KID.
type DeliverableKey struct {
	KID   KID
	Value [16]byte
	// PolicyName and Policy are the KID's content key policy; Policy is nil
	// when the key has none (key delivery then refuses it).
	PolicyName string
	Policy     *ContentKeyPolicy
}

// DeliverableKey returns a KID's value and content key policy. It fails
// with ErrNotFound when the KID is unknown or no locator carrying it is
// inside its time window at now.
func (s *Service) DeliverableKey(ctx context.Context, kid KID, now time.Time) (*DeliverableKey, error) {
	e, err := s.store.GetKey(ctx, kid)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", kid, err)
	}
	active := false
	for _, name := range e.Locators {
		st, err := s.storedLocator(ctx, name)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		if st.locator().Active(now) {
			active = true
			break
		}
	}
	if !active {
		return nil, fmt.Errorf("key %s: no active locator: %w", kid, ErrNotFound)
	}
	v, err := s.kek.Unwrap(kid, e.WrappedValue, e.KEKID)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", kid, err)
	}
	dk := &DeliverableKey{KID: kid, Value: v, PolicyName: e.PolicyName}
	if e.PolicyName != "" {
		p, err := s.ContentKeyPolicy(ctx, e.PolicyName)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return nil, err
		default:
			dk.Policy = p
		}
	}
	return dk, nil
}

// locatorRefs lists the policies a stored locator references, once each;
// built-in streaming policies are not references.
func (s *Service) locatorRefs(st *storedLocator) []Ref {
	var refs []Ref
	add := func(kind Kind, name, target string) {
		if name == "" || (kind == KindStreamingPolicies && s.builtin[name] != nil) {
			return
		}
		for _, r := range refs {
			if r.Kind == kind && r.Name == name {
				return
			}
		}
		refs = append(refs, Ref{Kind: kind, Name: name, Target: target})
	}
	add(KindStreamingPolicies, st.StreamingPolicyName, "streamingPolicyName")
	add(KindContentKeyPolicies, st.DefaultContentKeyPolicyName, "defaultContentKeyPolicyName")
	for i, k := range st.ContentKeys {
		add(KindContentKeyPolicies, k.PolicyName, index("contentKeys", i)+".policyName")
	}
	for i, name := range st.Filters {
		if i < len(st.FilterKinds) {
			r := FilterRef{Kind: st.FilterKinds[i], Asset: st.AssetName, Name: name}
			add(r.Kind, r.storeName(), index("filters", i))
		}
	}
	return refs
}

func distinctKIDs(st *storedLocator) []KID {
	var out []KID
	for _, k := range st.ContentKeys {
		if !slices.Contains(out, k.ID) {
			out = append(out, k.ID)
		}
	}
	return out
}

func constantTimeEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// randomKID returns a random (version 4) GUID.
func randomKID() (KID, error) {
	var k KID
	if _, err := rand.Read(k[:]); err != nil {
		return k, err
	}
	k[6] = k[6]&0x0f | 0x40
	k[8] = k[8]&0x3f | 0x80
	return k, nil
}
