package storetest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
)

// kekService returns a Service over st wrapping with raw, which also
// unwraps under old.
func kekService(t *testing.T, st keyclient.Store, raw []byte, old ...[]byte) *keyclient.Service {
	t.Helper()
	kek, err := keyclient.NewKEK(raw, old...)
	if err != nil {
		t.Fatal(err)
	}
	return keyclient.NewService(st, kek, keyclient.BuiltinConfig{})
}

// OtherKEK is a KEK other than TestKEK.
var OtherKEK = bytes.Repeat([]byte{0x43}, keyclient.KEKSize)

func registryIDs(t *testing.T, st keyclient.Store) string {
	t.Helper()
	reg, err := st.KEKs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(reg))
	for i, c := range reg {
		ids[i] = c.KEKID
	}
	return strings.Join(ids, ",")
}

func wantKEKError(t *testing.T, what string, err error, ids ...string) {
	t.Helper()
	if !errors.Is(err, keyclient.ErrKEK) {
		t.Fatalf("%s: %v, want ErrKEK", what, err)
	}
	for _, id := range ids {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("%s: %q does not name kek id %s", what, err, id)
		}
	}
}

// testKEKRegistry: a process with another KEK is refused before it writes,
// readiness (CheckKEK) fails on every process that lacks a registered KEK,
// and a store written before the registry is checked by its keys.
func testKEKRegistry(t *testing.T, _ *keyclient.Service, st keyclient.Store) {
	id1, id2 := keyclient.KEKID(TestKEK), keyclient.KEKID(OtherKEK)
	a := kekService(t, st, TestKEK)
	if err := a.InitKEK(ctx); err != nil {
		t.Fatal(err)
	}
	if got := registryIDs(t, st); got != id1 {
		t.Fatalf("registry after the first start: %s, want %s", got, id1)
	}
	mustPut(t, a, keyclient.KindStreamingLocators, "l1", locator("l1", keyclient.PredefinedMultiDrmCencStreaming, "", cencKey(KID1, Value1)))

	b := kekService(t, st, OtherKEK)
	wantKEKError(t, "InitKEK with another KEK", b.InitKEK(ctx), id1, id2)
	wantKEKError(t, "CheckKEK with another KEK", b.CheckKEK(ctx), id1)
	if got := registryIDs(t, st); got != id1 {
		t.Fatalf("a refused process changed the registry: %s", got)
	}
	_, _, err := b.Put(ctx, keyclient.KindStreamingLocators, "l2", []byte(locator("l2", keyclient.PredefinedMultiDrmCencStreaming, "")))
	wantKEKError(t, "a locator written by a process with another KEK", err, id1)
	if _, err := st.Get(ctx, keyclient.KindStreamingLocators, "l2"); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("the refused locator was written: %v", err)
	}

	// A process wrapping with the new KEK and holding the old one: both
	// registered; the process that lacks the new one is no longer ready.
	c := kekService(t, st, OtherKEK, TestKEK)
	if err := c.InitKEK(ctx); err != nil {
		t.Fatal(err)
	}
	if got := registryIDs(t, st); got != strings.Join(sortedIDs(id1, id2), ",") {
		t.Fatalf("registry: %s", got)
	}
	wantKEKError(t, "CheckKEK of a process lacking a registered KEK", a.CheckKEK(ctx), id2)
	dk, err := c.DeliverableKey(ctx, mustKID(t, KID1), time.Now())
	if err != nil || !bytes.Equal(dk.Value[:], mustB64(Value1)) {
		t.Fatalf("key under the old KEK: %v", err)
	}

	// A store written before the registry: its keys decide.
	if err := st.RetireKEKs(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got := registryIDs(t, st); got != "" {
		t.Fatalf("registry after retiring all: %s", got)
	}
	wantKEKError(t, "InitKEK with another KEK on a store without a registry", b.InitKEK(ctx), id1)
	ids, err := keyclient.StoredKEKIDs(ctx, st)
	if err != nil || strings.Join(ids, ",") != id1 {
		t.Fatalf("StoredKEKIDs: %v %v", ids, err)
	}
	if err := a.InitKEK(ctx); err != nil {
		t.Fatal(err)
	}
	if got := registryIDs(t, st); got != id1 {
		t.Fatalf("registry from the stored keys: %s", got)
	}
}

func sortedIDs(ids ...string) []string {
	sortStrings(ids)
	return ids
}

func mustKID(t *testing.T, s string) keyclient.KID {
	t.Helper()
	k, err := keyclient.ParseKID(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testRewrap: Rewrap moves every stored value (locator copies and KID
// entries) to the current KEK and retires the others; values, idempotent
// PUTs and deletes are unchanged, and the old KEK alone is then refused.
func testRewrap(t *testing.T, _ *keyclient.Service, st keyclient.Store) {
	id1, id2 := keyclient.KEKID(TestKEK), keyclient.KEKID(OtherKEK)
	a := kekService(t, st, TestKEK)
	if err := a.InitKEK(ctx); err != nil {
		t.Fatal(err)
	}
	l1 := locator("l1", keyclient.PredefinedMultiDrmCencStreaming, "", cencKey(KID1, Value1))
	mustPut(t, a, keyclient.KindStreamingLocators, "l1", l1)
	mustPut(t, a, keyclient.KindStreamingLocators, "l2", locator("l2", keyclient.PredefinedMultiDrmCencStreaming, "", cencKey(KID1, Value1)))
	mustPut(t, a, keyclient.KindStreamingLocators, "l3", locator("l3", keyclient.PredefinedMultiDrmStreaming, ""))
	_, identity, err := a.CPIXIdentity(ctx) // the CPIX recipient's private key is wrapped too
	if err != nil {
		t.Fatal(err)
	}
	before := map[string][]keyclient.ContentKey{}
	for _, l := range []string{"l1", "l2", "l3"} {
		keys, err := a.ListContentKeys(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		before[l] = keys
	}

	rot := kekService(t, st, OtherKEK, TestKEK)
	rep, err := rot.Rewrap(ctx)
	if err != nil {
		t.Fatalf("rewrap: %v", err)
	}
	// l1 and l2 share KID1; l3 has a cenc and a cbcs key: 3 KID entries.
	if rep.KEKID != id2 || rep.Locators != 3 || rep.Keys != 3 || strings.Join(rep.Retired, ",") != id1 {
		t.Fatalf("report: %+v", rep)
	}
	if got := registryIDs(t, st); got != id2 {
		t.Fatalf("registry after rewrap: %s", got)
	}
	if _, c, err := kekService(t, st, OtherKEK).CPIXIdentity(ctx); err != nil || !bytes.Equal(c.Raw, identity.Raw) {
		t.Fatalf("the CPIX identity under the new KEK alone: %v", err)
	}
	if d, ok := st.(keyclient.Dumper); ok {
		dump, err := d.Dump(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(dump, []byte(id1)) {
			t.Fatalf("the store still names the old KEK after rewrap:\n%s", dump)
		}
	}

	b := kekService(t, st, OtherKEK)
	if err := b.InitKEK(ctx); err != nil {
		t.Fatalf("the new KEK alone: %v", err)
	}
	for l, want := range before {
		got, err := b.ListContentKeys(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i].ID != want[i].ID || !bytes.Equal(got[i].Value, want[i].Value) {
				t.Fatalf("%s key %d changed by the rewrap", l, i)
			}
		}
	}
	dk, err := b.DeliverableKey(ctx, mustKID(t, KID1), time.Now())
	if err != nil || !bytes.Equal(dk.Value[:], mustB64(Value1)) {
		t.Fatalf("key after rewrap: %v", err)
	}
	if _, created, err := b.Put(ctx, keyclient.KindStreamingLocators, "l1", []byte(l1)); err != nil || created {
		t.Fatalf("the same locator again after rewrap: created=%v %v", created, err)
	}
	wantKEKError(t, "the old KEK alone after rewrap", a.InitKEK(ctx), id2)
	wantKEKError(t, "CheckKEK of a process wrapping with the retired KEK", kekService(t, st, TestKEK, OtherKEK).CheckKEK(ctx), id1)

	again, err := b.Rewrap(ctx)
	if err != nil || again.Locators != 0 || again.Keys != 0 || again.Unchanged != 3 {
		t.Fatalf("a second rewrap: %+v %v", again, err)
	}
	for _, l := range []string{"l1", "l2", "l3"} {
		if err := b.Delete(ctx, keyclient.KindStreamingLocators, l); err != nil {
			t.Fatalf("delete %s after rewrap: %v", l, err)
		}
	}
}
