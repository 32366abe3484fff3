package keyclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The Service's live events and live outputs. It keeps them and their
// rules (names, states, one asset per output); telling the live room what
// changed is the origin's.

// PutLiveEvent creates a live event (Stopped, with a generated access
// token when the body gives none) or changes the input of a stopped one.
// A body whose input equals the stored one, or that leaves the token out,
// changes nothing and gives created=false and the stored event; another
// input for an event that is not Stopped is ErrConflict.
func (s *Service) PutLiveEvent(ctx context.Context, name string, body []byte) (*LiveEvent, bool, error) {
	if err := checkName(name); err != nil {
		return nil, false, err
	}
	e, err := decodeLiveEvent(body)
	if err != nil {
		return nil, false, err
	}
	if err := nameFromURL(&e.Name, name); err != nil {
		return nil, false, err
	}
	given := e.Input.AccessToken
	for range maxWriteAttempts {
		cur, raw, err := s.liveEvent(ctx, name)
		w := &LiveWrite{Kind: KindLiveEvents, Name: name, Expect: raw}
		switch {
		case errors.Is(err, ErrNotFound):
			e.ResourceState = LiveStopped
			if e.Input.AccessToken = given; given == "" {
				if e.Input.AccessToken, err = newAccessToken(); err != nil {
					return nil, false, fmt.Errorf("live event %s: access token: %w", name, err)
				}
			}
		case err != nil:
			return nil, false, err
		default:
			e.ResourceState = cur.ResourceState
			if e.Input.AccessToken = given; given == "" {
				e.Input.AccessToken = cur.Input.AccessToken
			}
			if e.Input == cur.Input {
				return cur, false, nil
			}
			if cur.ResourceState != LiveStopped {
				return nil, false, fmt.Errorf("live event %s is %s: its input changes only while it is Stopped: %w", name, cur.ResourceState, ErrConflict)
			}
		}
		if w.Doc, err = json.Marshal(e); err != nil {
			return nil, false, err
		}
		err = s.store.WriteLive(ctx, w)
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("live event %s: %w", name, err)
		}
		return e, raw == nil, nil
	}
	return nil, false, fmt.Errorf("live event %s: concurrent writes, retry: %w", name, ErrConflict)
}

// LiveEvent returns a stored live event, or ErrNotFound.
func (s *Service) LiveEvent(ctx context.Context, name string) (*LiveEvent, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	e, _, err := s.liveEvent(ctx, name)
	return e, err
}

// liveEvent reads an event and its stored JSON.
func (s *Service) liveEvent(ctx context.Context, name string) (*LiveEvent, []byte, error) {
	raw, err := s.store.Get(ctx, KindLiveEvents, name)
	if err != nil {
		return nil, nil, fmt.Errorf("live event %s: %w", name, err)
	}
	var e LiveEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, nil, fmt.Errorf("stored live event %s: %w", name, err)
	}
	return &e, raw, nil
}

// SetLiveEventState moves an event to state to from one of from. An event
// already in to is returned as it is (changed=false); one in a state
// neither to nor in from is ErrConflict, naming its state.
func (s *Service) SetLiveEventState(ctx context.Context, name, to string, from ...string) (e *LiveEvent, changed bool, err error) {
	if err := checkName(name); err != nil {
		return nil, false, err
	}
	for range maxWriteAttempts {
		e, raw, err := s.liveEvent(ctx, name)
		if err != nil {
			return nil, false, err
		}
		if e.ResourceState == to {
			return e, false, nil
		}
		if !slices.Contains(from, e.ResourceState) {
			return nil, false, fmt.Errorf("live event %s is %s, not %s: %w", name, e.ResourceState, strings.Join(from, " or "), ErrConflict)
		}
		e.ResourceState = to
		doc, err := json.Marshal(e)
		if err != nil {
			return nil, false, err
		}
		err = s.store.WriteLive(ctx, &LiveWrite{Kind: KindLiveEvents, Name: name, Expect: raw, Doc: doc})
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("live event %s: %w", name, err)
		}
		return e, true, nil
	}
	return nil, false, fmt.Errorf("live event %s: concurrent writes, retry: %w", name, ErrConflict)
}

// DeleteLiveEvent deletes a stopped live event that has no live outputs
// left; otherwise ErrConflict saying which.
func (s *Service) DeleteLiveEvent(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	for range maxWriteAttempts {
		e, raw, err := s.liveEvent(ctx, name)
		if err != nil {
			return err
		}
		if e.ResourceState != LiveStopped {
			return fmt.Errorf("live event %s is %s: stop it before deleting it: %w", name, e.ResourceState, ErrConflict)
		}
		err = s.store.WriteLive(ctx, &LiveWrite{Kind: KindLiveEvents, Name: name, Expect: raw})
		if errors.Is(err, errStale) {
			continue
		}
		return err
	}
	return fmt.Errorf("live event %s: concurrent writes, retry: %w", name, ErrConflict)
}

// PutLiveOutput creates a live output of an existing event. A live output
// is immutable: the same body again gives created=false and the stored
// output, another one ErrConflict. assetCheck, when not nil, is asked
// about the asset of an output about to be created: its error refuses it
// (the origin refuses an asset that exists already, not live).
func (s *Service) PutLiveOutput(ctx context.Context, event, name string, body []byte, assetCheck func(ctx context.Context, asset string) error) (*LiveOutput, bool, error) {
	if err := checkName(event); err != nil {
		return nil, false, err
	}
	if err := checkName(name); err != nil {
		return nil, false, err
	}
	o, err := decodeLiveOutput(body)
	if err != nil {
		return nil, false, err
	}
	if err := nameFromURL(&o.Name, name); err != nil {
		return nil, false, err
	}
	doc, err := json.Marshal(o)
	if err != nil {
		return nil, false, err
	}
	for range maxWriteAttempts {
		cur, _, err := s.liveOutput(ctx, event, name)
		switch {
		case err == nil && *cur == *o:
			return cur, false, nil
		case err == nil:
			return nil, false, fmt.Errorf("live output %s/%s exists with other settings: a live output does not change (delete it and create it again): %w", event, name, ErrConflict)
		case !errors.Is(err, ErrNotFound):
			return nil, false, err
		}
		if _, _, err := s.liveEvent(ctx, event); err != nil {
			return nil, false, err
		}
		if assetCheck != nil {
			if err := assetCheck(ctx, o.AssetName); err != nil {
				return nil, false, err
			}
		}
		err = s.store.WriteLive(ctx, &LiveWrite{Kind: KindLiveOutputs, Name: liveOutputKey(event, name), Doc: doc, Asset: o.AssetName})
		switch {
		case errors.Is(err, errStale):
			continue
		case errors.Is(err, errNoLiveEvent):
			return nil, false, fmt.Errorf("live event %s: %w", event, ErrNotFound)
		case errors.Is(err, ErrConflict):
			return nil, false, invalidConflict("assetName", err)
		case err != nil:
			return nil, false, fmt.Errorf("live output %s/%s: %w", event, name, err)
		}
		return o, true, nil
	}
	return nil, false, fmt.Errorf("live output %s/%s: concurrent writes, retry: %w", event, name, ErrConflict)
}

// LiveOutput returns a stored live output, or ErrNotFound.
func (s *Service) LiveOutput(ctx context.Context, event, name string) (*LiveOutput, error) {
	if err := checkName(event); err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	o, _, err := s.liveOutput(ctx, event, name)
	return o, err
}

func (s *Service) liveOutput(ctx context.Context, event, name string) (*LiveOutput, []byte, error) {
	raw, err := s.store.Get(ctx, KindLiveOutputs, liveOutputKey(event, name))
	if err != nil {
		return nil, nil, fmt.Errorf("live output %s/%s: %w", event, name, err)
	}
	var o LiveOutput
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, nil, fmt.Errorf("stored live output %s/%s: %w", event, name, err)
	}
	return &o, raw, nil
}

// DeleteLiveOutput deletes a live output and returns it (the origin ends
// its live presentation); its asset stays.
func (s *Service) DeleteLiveOutput(ctx context.Context, event, name string) (*LiveOutput, error) {
	if err := checkName(event); err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	for range maxWriteAttempts {
		o, raw, err := s.liveOutput(ctx, event, name)
		if err != nil {
			return nil, err
		}
		err = s.store.WriteLive(ctx, &LiveWrite{Kind: KindLiveOutputs, Name: liveOutputKey(event, name), Expect: raw, Asset: o.AssetName})
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("live output %s/%s: %w", event, name, err)
		}
		return o, nil
	}
	return nil, fmt.Errorf("live output %s/%s: concurrent writes, retry: %w", event, name, ErrConflict)
}

// ListLiveEvents pages the live events as List pages any collection.
func (s *Service) ListLiveEvents(ctx context.Context, skipToken string, top int) ([]*LiveEvent, string, error) {
	docs, next, err := s.livePage(ctx, KindLiveEvents, "", skipToken, top)
	if err != nil {
		return nil, "", err
	}
	out := make([]*LiveEvent, 0, len(docs))
	for _, d := range docs {
		var e LiveEvent
		if err := json.Unmarshal(d.JSON, &e); err != nil {
			return nil, "", fmt.Errorf("stored live event %s: %w", d.Name, err)
		}
		out = append(out, &e)
	}
	return out, next, nil
}

// ListLiveOutputs pages an event's live outputs; ErrNotFound without the
// event.
func (s *Service) ListLiveOutputs(ctx context.Context, event, skipToken string, top int) ([]*LiveOutput, string, error) {
	if _, err := s.LiveEvent(ctx, event); err != nil {
		return nil, "", err
	}
	docs, next, err := s.livePage(ctx, KindLiveOutputs, event+"/", skipToken, top)
	if err != nil {
		return nil, "", err
	}
	out := make([]*LiveOutput, 0, len(docs))
	for _, d := range docs {
		var o LiveOutput
		if err := json.Unmarshal(d.JSON, &o); err != nil {
			return nil, "", fmt.Errorf("stored live output %s: %w", d.Name, err)
		}
		out = append(out, &o)
	}
	return out, next, nil
}

// livePage is one page of a live collection: the documents whose names
// start with prefix, after the name skipToken gives (without the prefix),
// top of them (DefaultPageSize for 0), and the next page's token.
func (s *Service) livePage(ctx context.Context, kind Kind, prefix, skipToken string, top int) ([]Doc, string, error) {
	switch {
	case top == 0:
		top = DefaultPageSize
	case top < 0 || top > MaxPageSize:
		return nil, "", invalid("$top", "must be between 1 and %d", MaxPageSize)
	}
	after := prefix
	if skipToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(skipToken)
		if err != nil {
			return nil, "", invalid("$skiptoken", "malformed")
		}
		after = prefix + string(b)
	}
	docs, err := s.store.List(ctx, kind, after, top+1)
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", kind, err)
	}
	for i, d := range docs {
		if !strings.HasPrefix(d.Name, prefix) {
			docs = docs[:i]
			break
		}
	}
	next := ""
	if len(docs) > top {
		docs = docs[:top]
		next = base64.RawURLEncoding.EncodeToString([]byte(strings.TrimPrefix(docs[top-1].Name, prefix)))
	}
	return docs, next, nil
}

// EventOutput is a live output with its event's name.
type EventOutput struct {
	Event  string
	Output LiveOutput
}

// AllLiveEvents returns every live event, for an origin that starts and
// tells its live room which are running.
func (s *Service) AllLiveEvents(ctx context.Context) ([]*LiveEvent, error) {
	var all []*LiveEvent
	for skip := ""; ; {
		page, next, err := s.ListLiveEvents(ctx, skip, MaxPageSize)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		skip = next
	}
}

// AllLiveOutputs returns every live output of every event.
func (s *Service) AllLiveOutputs(ctx context.Context) ([]EventOutput, error) {
	var all []EventOutput
	for after := ""; ; {
		docs, err := s.store.List(ctx, KindLiveOutputs, after, MaxPageSize)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", KindLiveOutputs, err)
		}
		for _, d := range docs {
			var o LiveOutput
			if err := json.Unmarshal(d.JSON, &o); err != nil {
				return nil, fmt.Errorf("stored live output %s: %w", d.Name, err)
			}
			event, _, _ := strings.Cut(d.Name, "/")
			all = append(all, EventOutput{Event: event, Output: o})
		}
		if len(docs) < MaxPageSize {
			return all, nil
		}
		after = docs[len(docs)-1].Name
	}
}

// LiveOutputOfAsset returns the live output that archives into asset, or
// nil when none does.
func (s *Service) LiveOutputOfAsset(ctx context.Context, asset string) (*EventOutput, error) {
	all, err := s.AllLiveOutputs(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Output.AssetName == asset {
			return &all[i], nil
		}
	}
	return nil, nil
}

// invalidConflict keeps a conflict's status (409) and names the field it
// is about.
func invalidConflict(target string, err error) error {
	return &FieldConflictError{Target: target, Err: err}
}

// FieldConflictError is an ErrConflict about one field of a management
// body (a live output's assetName that another output archives into).
type FieldConflictError struct {
	Target string
	Err    error
}

func (e *FieldConflictError) Error() string { return e.Target + ": " + e.Err.Error() }
func (e *FieldConflictError) Unwrap() error { return e.Err }
