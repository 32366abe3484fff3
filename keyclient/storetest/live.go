package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/drmorigin/drmorigin/keyclient"
)

// The live resources' rules, for every store: states persisted and moved
// only from the states named, deletion refused while running or while
// outputs remain, one live output per asset (atomically), paging.

const liveEventBody = `{"input":{"streamingProtocol":"FragmentedMP4","accessToken":"tok123"}}`

func liveOutputBody(asset string) string {
	return fmt.Sprintf(`{"assetName":%q,"manifestName":"live","archiveWindowLength":"PT2M"}`, asset)
}

func mustEvent(t *testing.T, s *keyclient.Service, name, body string) *keyclient.LiveEvent {
	t.Helper()
	e, _, err := s.PutLiveEvent(ctx, name, []byte(body))
	if err != nil {
		t.Fatalf("put live event %s: %v", name, err)
	}
	return e
}

func testLiveEventStates(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	e, created, err := s.PutLiveEvent(ctx, "ev", []byte(`{"input":{}}`))
	if err != nil || !created || e.ResourceState != keyclient.LiveStopped || len(e.Input.AccessToken) != 32 ||
		e.Input.StreamingProtocol != keyclient.ProtocolFragmentedMP4 || e.Name != "ev" {
		t.Fatalf("create: %+v %v %v", e, created, err)
	}
	// Without a token, a PUT keeps the generated one.
	again, created, err := s.PutLiveEvent(ctx, "ev", []byte(`{"input":{"streamingProtocol":"FragmentedMP4"}}`))
	if err != nil || created || again.Input.AccessToken != e.Input.AccessToken {
		t.Fatalf("put again: %+v %v %v", again, created, err)
	}
	if _, _, err := s.SetLiveEventState(ctx, "ev", keyclient.LiveStarting, keyclient.LiveStopped); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.SetLiveEventState(ctx, "ev", keyclient.LiveRunning, keyclient.LiveStarting)
	if err != nil || got.ResourceState != keyclient.LiveRunning {
		t.Fatalf("running: %+v %v", got, err)
	}
	if got, err := s.LiveEvent(ctx, "ev"); err != nil || got.ResourceState != keyclient.LiveRunning {
		t.Fatalf("state not persisted: %+v %v", got, err)
	}
	if _, changed, err := s.SetLiveEventState(ctx, "ev", keyclient.LiveRunning, keyclient.LiveStarting); err != nil || changed {
		t.Fatalf("running again: %v %v", changed, err)
	}
	if _, _, err := s.SetLiveEventState(ctx, "ev", keyclient.LiveStarting, keyclient.LiveStopped); !errors.Is(err, keyclient.ErrConflict) {
		t.Fatalf("starting a running event from Stopped: %v", err)
	}
	if err := s.DeleteLiveEvent(ctx, "ev"); !errors.Is(err, keyclient.ErrConflict) || !strings.Contains(err.Error(), "Running") {
		t.Fatalf("delete running: %v", err)
	}
	if _, _, err := s.PutLiveEvent(ctx, "ev", []byte(liveEventBody)); !errors.Is(err, keyclient.ErrConflict) {
		t.Fatalf("new token while running: %v", err)
	}
	for _, to := range []string{keyclient.LiveStopping, keyclient.LiveStopped} {
		if _, _, err := s.SetLiveEventState(ctx, "ev", to, keyclient.LiveRunning, keyclient.LiveStopping); err != nil {
			t.Fatal(err)
		}
	}
	if e, created, err := s.PutLiveEvent(ctx, "ev", []byte(liveEventBody)); err != nil || created || e.Input.AccessToken != "tok123" {
		t.Fatalf("new token while stopped: %+v %v", e, err)
	}
	if err := s.DeleteLiveEvent(ctx, "ev"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LiveEvent(ctx, "ev"); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	if err := s.DeleteLiveEvent(ctx, "ev"); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
	if _, _, err := s.SetLiveEventState(ctx, "ev", keyclient.LiveStarting, keyclient.LiveStopped); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("start a missing event: %v", err)
	}
}

func testLiveOutputs(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	body := []byte(liveOutputBody("arch"))
	if _, _, err := s.PutLiveOutput(ctx, "ev", "out", body, nil); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("output of a missing event: %v", err)
	}
	mustEvent(t, s, "ev", liveEventBody)
	mustEvent(t, s, "ev2", liveEventBody)
	o, created, err := s.PutLiveOutput(ctx, "ev", "out", body, nil)
	if err != nil || !created || o.Name != "out" || o.AssetName != "arch" || o.Window().Minutes() != 2 {
		t.Fatalf("create: %+v %v %v", o, created, err)
	}
	if _, created, err := s.PutLiveOutput(ctx, "ev", "out", body, nil); err != nil || created {
		t.Fatalf("same again: %v %v", created, err)
	}
	if _, _, err := s.PutLiveOutput(ctx, "ev", "out", []byte(liveOutputBody("other")), nil); !errors.Is(err, keyclient.ErrConflict) {
		t.Fatalf("changed: %v", err)
	}
	// The asset is this output's: no other output, of any event, takes it.
	for _, ev := range []string{"ev", "ev2"} {
		_, _, err := s.PutLiveOutput(ctx, ev, "out2", body, nil)
		var fc *keyclient.FieldConflictError
		if !errors.Is(err, keyclient.ErrConflict) || !errors.As(err, &fc) || fc.Target != "assetName" || !strings.Contains(err.Error(), "ev/out") {
			t.Fatalf("asset taken (%s): %v", ev, err)
		}
	}
	refused := errors.New("asset exists")
	if _, _, err := s.PutLiveOutput(ctx, "ev2", "out2", []byte(liveOutputBody("vod")), func(_ context.Context, a string) error {
		if a != "vod" {
			t.Errorf("checked %q", a)
		}
		return refused
	}); !errors.Is(err, refused) {
		t.Fatalf("asset check: %v", err)
	}
	// An event with outputs stays.
	if err := s.DeleteLiveEvent(ctx, "ev"); !errors.Is(err, keyclient.ErrConflict) || !strings.Contains(err.Error(), "out") {
		t.Fatalf("delete event with outputs: %v", err)
	}
	all, err := s.AllLiveOutputs(ctx)
	if err != nil || len(all) != 1 || all[0].Event != "ev" || all[0].Output != *o {
		t.Fatalf("all outputs: %+v %v", all, err)
	}
	if got, err := s.DeleteLiveOutput(ctx, "ev", "out"); err != nil || *got != *o {
		t.Fatalf("delete: %+v %v", got, err)
	}
	if _, err := s.LiveOutput(ctx, "ev", "out"); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	if _, err := s.DeleteLiveOutput(ctx, "ev", "out"); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("delete again: %v", err)
	}
	// The asset is free again.
	if _, _, err := s.PutLiveOutput(ctx, "ev2", "out", body, nil); err != nil {
		t.Fatalf("asset released: %v", err)
	}
	if err := s.DeleteLiveEvent(ctx, "ev"); err != nil {
		t.Fatalf("delete event without outputs: %v", err)
	}
}

func testLivePaging(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	// Events whose names sort around "e/" ("e-x" before, "e_x" and "e0"
	// after) must not leak their outputs into e's listing.
	for _, ev := range []string{"e", "e-x", "e_x", "e0"} {
		mustEvent(t, s, ev, liveEventBody)
	}
	want := []string{}
	for i := range 5 {
		n := fmt.Sprintf("o%d", i)
		want = append(want, n)
		if _, _, err := s.PutLiveOutput(ctx, "e", n, []byte(liveOutputBody("a"+n)), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, ev := range []string{"e-x", "e_x", "e0"} {
		if _, _, err := s.PutLiveOutput(ctx, ev, "o", []byte(liveOutputBody("a"+ev)), nil); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for skip, pages := "", 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		items, next, err := s.ListLiveOutputs(ctx, "e", skip, 2)
		if err != nil || len(items) > 2 {
			t.Fatalf("page: %d %v", len(items), err)
		}
		for _, o := range items {
			got = append(got, o.Name)
		}
		if next == "" {
			break
		}
		skip = next
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("outputs of e: %v, want %v", got, want)
	}
	evs, next, err := s.ListLiveEvents(ctx, "", 3)
	if err != nil || len(evs) != 3 || next == "" || evs[0].Name != "e" || evs[1].Name != "e-x" {
		t.Fatalf("events page 1: %v %q %v", evs, next, err)
	}
	evs, next, err = s.ListLiveEvents(ctx, next, 3)
	if err != nil || len(evs) != 1 || next != "" || evs[0].Name != "e_x" {
		t.Fatalf("events page 2: %v %q %v", evs, next, err)
	}
	if _, _, err := s.ListLiveOutputs(ctx, "nope", "", 0); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("outputs of a missing event: %v", err)
	}
	all, err := s.AllLiveOutputs(ctx)
	if err != nil || len(all) != 8 {
		t.Fatalf("all outputs: %d %v", len(all), err)
	}
}

// testLiveConcurrentAsset: outputs racing for one asset, one wins.
func testLiveConcurrentAsset(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	mustEvent(t, s, "ev", liveEventBody)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Go(func() {
			_, _, err := s.PutLiveOutput(ctx, "ev", fmt.Sprintf("o%d", i), []byte(liveOutputBody("same")), nil)
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, keyclient.ErrConflict):
				t.Errorf("o%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d outputs archive into one asset", won)
	}
}
