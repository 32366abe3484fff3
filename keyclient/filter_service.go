package keyclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// FilterRef names one filter: an account filter (Asset empty) or a filter
// of Asset.
type FilterRef struct {
	Kind  Kind // KindAccountFilters or KindAssetFilters
	Asset string
	Name  string
}

// storeName is the filter's name in the store: "{asset}/{name}" for asset
// filters.
func (r FilterRef) storeName() string {
	if r.Kind == KindAssetFilters {
		return r.Asset + "/" + r.Name
	}
	return r.Name
}

func (r FilterRef) String() string {
	if r.Kind == KindAssetFilters {
		return "asset filter " + r.Name + " of asset " + r.Asset
	}
	return "account filter " + r.Name
}

// check validates the names of r.
func (r FilterRef) check() error {
	if !r.Kind.isFilter() {
		return fmt.Errorf("collection %q: %w", r.Kind, ErrNotFound)
	}
	if r.Kind == KindAssetFilters && !validAssetName(r.Asset) {
		return invalid("asset", "%q is not a valid asset name", r.Asset)
	}
	return checkName(r.Name)
}

// PutFilter creates or replaces a filter from its JSON (DecodeFilter) and
// returns the stored form. An asset filter's asset must exist (AssetCheck:
// otherwise ErrNotFound). A filter that locators list may change: they
// see the change at once, as URLs naming it do.
func (s *Service) PutFilter(ctx context.Context, r FilterRef, body []byte) (out []byte, created bool, err error) {
	if err := r.check(); err != nil {
		return nil, false, err
	}
	f, err := DecodeFilter(body)
	if err != nil {
		return nil, false, err
	}
	if r.Kind == KindAssetFilters && s.AssetCheck != nil {
		if err := s.AssetCheck(ctx, r.Asset); err != nil {
			if ve := (*ValidationError)(nil); errors.As(err, &ve) {
				return nil, false, fmt.Errorf("asset %s: %w", r.Asset, ErrNotFound)
			}
			return nil, false, err
		}
	}
	doc, err := json.Marshal(f)
	if err != nil {
		return nil, false, err
	}
	created, err = s.store.PutPolicy(ctx, r.Kind, r.storeName(), doc, false)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", r, err)
	}
	return doc, created, nil
}

// GetFilter returns a filter's stored JSON, or ErrNotFound.
func (s *Service) GetFilter(ctx context.Context, r FilterRef) ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	doc, err := s.store.Get(ctx, r.Kind, r.storeName())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r, err)
	}
	return doc, nil
}

// DeleteFilter deletes a filter: ErrNotFound, or an InUseError while a
// streaming locator lists it (URLs naming it answer 404 at once).
func (s *Service) DeleteFilter(ctx context.Context, r FilterRef) error {
	if err := r.check(); err != nil {
		return err
	}
	err := s.store.DeletePolicy(ctx, r.Kind, r.storeName())
	if iu := (*InUseError)(nil); errors.As(err, &iu) {
		iu.Name = r.Name
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	return nil
}

// NamedFilter is one filter of a listing.
type NamedFilter struct {
	Name       string          `json:"name"`
	Properties json.RawMessage `json:"properties"`
}

// ListFilters lists the account filters, or the filters of one asset
// (r.Name is ignored), paged as List pages.
func (s *Service) ListFilters(ctx context.Context, r FilterRef, skipToken string, top int) (items []NamedFilter, nextSkipToken string, err error) {
	r.Name = "x"
	if err := r.check(); err != nil {
		return nil, "", err
	}
	switch {
	case top == 0:
		top = DefaultPageSize
	case top < 0 || top > MaxPageSize:
		return nil, "", invalid("$top", "must be between 1 and %d", MaxPageSize)
	}
	prefix := ""
	if r.Kind == KindAssetFilters {
		prefix = r.Asset + "/"
	}
	after := prefix
	if skipToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(skipToken)
		if err != nil || !validName(string(b)) {
			return nil, "", invalid("$skiptoken", "malformed")
		}
		after = prefix + string(b)
	}
	docs, err := s.store.List(ctx, r.Kind, after, top+1)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", r.Kind, err)
	}
	items = []NamedFilter{}
	for _, d := range docs {
		if !strings.HasPrefix(d.Name, prefix) {
			break // the next asset's filters
		}
		if len(items) == top {
			nextSkipToken = base64.RawURLEncoding.EncodeToString([]byte(items[top-1].Name))
			break
		}
		items = append(items, NamedFilter{Name: d.Name[len(prefix):], Properties: d.JSON})
	}
	return items, nextSkipToken, nil
}

// lookupFilter returns the stored filter named name for asset: the
// asset's own filter of that name first, else the account filter.
func (s *Service) lookupFilter(ctx context.Context, asset, name string) (FilterRef, []byte, error) {
	for _, kind := range []Kind{KindAssetFilters, KindAccountFilters} {
		r := FilterRef{Kind: kind, Asset: asset, Name: name}
		doc, err := s.store.Get(ctx, kind, r.storeName())
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return r, nil, err
		}
		return r, doc, nil
	}
	return FilterRef{}, nil, fmt.Errorf("filter %s: %w", name, ErrNotFound)
}
