package storetest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
)

// LowVideoFilter is players.md's example filter shape: video up to 2 Mb/s,
// and English audio.
const LowVideoFilter = `{"presentationTimeRange":{"startTimestamp":0,"endTimestamp":1200000000,"timescale":10000000},` +
	`"firstQuality":{"bitrate":1000000},"tracks":[{"trackSelections":[{"property":"Type","operation":"Equal","value":"Video"},` +
	`{"property":"Bitrate","operation":"Equal","value":"0-2000000"}]},{"trackSelections":[{"property":"Language","operation":"Equal","value":"en"}]}]}`

// testFilters: asset and account filters are written, read back as the
// same object, listed per asset, invalidated on change and delete, and
// referenced by the locators that list them.
func testFilters(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	sub := st.Subscribe(t.Context())
	subscribed(t, s, sub)
	af := func(asset, name string) keyclient.FilterRef {
		return keyclient.FilterRef{Kind: keyclient.KindAssetFilters, Asset: asset, Name: name}
	}
	acc := keyclient.FilterRef{Kind: keyclient.KindAccountFilters, Name: "low"}
	out, created, err := s.PutFilter(ctx, af("bbb", "low"), []byte(LowVideoFilter))
	if err != nil || !created {
		t.Fatalf("put asset filter: created=%v err=%v", created, err)
	}
	var in, back map[string]any
	json.Unmarshal([]byte(LowVideoFilter), &in)
	json.Unmarshal(out, &back)
	ptr := back["presentationTimeRange"].(map[string]any)
	if ptr["endTimestamp"].(float64) != 1200000000 || ptr["presentationWindowDuration"] != nil || back["firstQuality"] == nil ||
		len(back["tracks"].([]any)) != 2 {
		t.Fatalf("stored form differs from the PUT body: %s", out)
	}
	got, err := s.GetFilter(ctx, af("bbb", "low"))
	if err != nil || string(got) != string(out) {
		t.Fatalf("get = %s, %v; want %s", got, err, out)
	}
	waitInvalidation(t, sub, keyclient.KindAssetFilters, "bbb/low")
	if _, _, err := s.PutFilter(ctx, af("bbb2", "other"), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutFilter(ctx, acc, []byte(`{"tracks":[{"trackSelections":[{"property":"type","value":"audio"}]}]}`)); err != nil {
		t.Fatal(err)
	}
	items, _, err := s.ListFilters(ctx, af("bbb", ""), "", 0)
	if err != nil || len(items) != 1 || items[0].Name != "low" {
		t.Fatalf("list of asset bbb's filters = %+v, %v", items, err)
	}
	items, _, err = s.ListFilters(ctx, acc, "", 0)
	if err != nil || len(items) != 1 || !strings.Contains(string(items[0].Properties), `"property":"Type","operation":"Equal","value":"Audio"`) {
		t.Fatalf("account filters = %+v, %v (want the spelling normalised)", items, err)
	}
	if _, _, err := s.PutFilter(ctx, af("bbb", "bad"), []byte(`{"tracks":[{"trackSelections":[{"property":"Bitrate","value":"2000-1"}]}]}`)); !isValidation(err, "tracks[0].trackSelections[0].value") {
		t.Fatalf("bad bitrate range: %v", err)
	}

	// A locator lists filters: they must exist, and stay while it does.
	mustPut(t, s, keyclient.KindContentKeyPolicies, "open", OpenPolicy)
	bad := `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearStreamingOnly","filters":["nosuch"]}`
	if _, _, err := s.Put(ctx, keyclient.KindStreamingLocators, "fl", []byte(bad)); !isValidation(err, "filters[0]") {
		t.Fatalf("locator with an unknown filter: %v", err)
	}
	good := `{"assetName":"bbb","streamingPolicyName":"Predefined_ClearStreamingOnly","filters":["low"]}`
	lo := mustPut(t, s, keyclient.KindStreamingLocators, "fl", good)
	if !strings.Contains(string(lo), `"filters":["low"]`) {
		t.Fatalf("locator lost its filters: %s", lo)
	}
	if err := s.DeleteFilter(ctx, af("bbb", "low")); !errors.Is(err, keyclient.ErrConflict) || !strings.Contains(err.Error(), "fl") {
		t.Fatalf("delete of a listed filter: %v (want a conflict naming the locator)", err)
	}
	if err := s.DeleteFilter(ctx, acc); err != nil { // the locator took bbb's own filter, not the account's
		t.Fatalf("delete of the account filter: %v", err)
	}
	// Changing a listed filter is allowed: locators follow it.
	if _, created, err := s.PutFilter(ctx, af("bbb", "low"), []byte(`{}`)); err != nil || created {
		t.Fatalf("replace a listed filter: created=%v err=%v", created, err)
	}
	if err := s.Delete(ctx, keyclient.KindStreamingLocators, "fl"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFilter(ctx, af("bbb", "low")); err != nil {
		t.Fatalf("delete after the locator went: %v", err)
	}
	waitInvalidation(t, sub, keyclient.KindAssetFilters, "bbb/low")
	if _, err := s.GetFilter(ctx, af("bbb", "low")); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := s.DeleteFilter(ctx, af("bbb", "low")); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

// waitInvalidation waits for an invalidation of (kind, name), skipping
// others.
func waitInvalidation(t *testing.T, sub <-chan keyclient.Invalidation, kind keyclient.Kind, name string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case inv := <-sub:
			if inv.Kind == kind && inv.Name == name {
				return
			}
		case <-deadline:
			t.Fatalf("no invalidation of %s %s", kind, name)
		}
	}
}

// subscribed rewrites a scratch account filter until its invalidation
// arrives: a remote subscription takes a moment to be established.
func subscribed(t *testing.T, s *keyclient.Service, sub <-chan keyclient.Invalidation) {
	t.Helper()
	probe := keyclient.FilterRef{Kind: keyclient.KindAccountFilters, Name: "probe"}
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for n := 1; ; n++ {
		body := `{"firstQuality":{"bitrate":` + strings.Repeat("1", n%12+1) + `}}`
		if _, _, err := s.PutFilter(ctx, probe, []byte(body)); err != nil {
			t.Fatal(err)
		}
		for waiting := true; waiting; {
			select {
			case inv := <-sub:
				if inv.Kind == keyclient.KindAccountFilters && inv.Name == "probe" {
					if err := s.DeleteFilter(ctx, probe); err != nil {
						t.Fatal(err)
					}
					return
				}
			case <-tick.C:
				waiting = false
			case <-deadline:
				t.Fatal("no invalidation of account filter probe")
			}
		}
	}
}
