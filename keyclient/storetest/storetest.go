// Package storetest is the behaviour suite every keyclient.Store must
// pass, run through a keyclient.Service: resource CRUD, the locator and
// KID-index rules, atomicity under concurrency, invalidations, use counters
// and that no content key value is stored in the clear.
package storetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/keyclient"
)

// TestKEK is the KEK the suite wraps keys with.
var TestKEK = bytes.Repeat([]byte{0x42}, keyclient.KEKSize)

// NewService returns a Service over st with TestKEK and default built-ins.
func NewService(t testing.TB, st keyclient.Store) *keyclient.Service {
	t.Helper()
	kek, err := keyclient.NewKEK(TestKEK)
	if err != nil {
		t.Fatal(err)
	}
	return keyclient.NewService(st, kek, keyclient.BuiltinConfig{})
}

// Run runs the suite; newStore returns a fresh, empty store (closed by the
// caller's cleanup).
func Run(t *testing.T, newStore func(t *testing.T) keyclient.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *keyclient.Service, st keyclient.Store)
	}{
		{"PolicyCRUD", testPolicyCRUD},
		{"BuiltinPolicies", testBuiltins},
		{"ListPaging", testListPaging},
		{"LocatorGeneratedKeys", testLocatorGenerated},
		{"LocatorIdempotentPut", testLocatorIdempotent},
		{"SharedKID", testSharedKID},
		{"KIDConflicts", testKIDConflicts},
		{"References", testReferences},
		{"DeliverableKeyWindow", testDeliverableWindow},
		{"IncrUses", testIncrUses},
		{"Subscribe", testSubscribe},
		{"NoClearKeyInDump", testDump},
		{"ConcurrentSharedKID", testConcurrentShared},
		{"ConcurrentSamePut", testConcurrentSamePut},
		{"KEKRegistry", testKEKRegistry},
		{"Rewrap", testRewrap},
		{"Filters", testFilters},
		{"CPIXIdentity", testCPIXIdentity},
		{"CPIXIdentityService", testCPIXIdentityService},
		{"CPIXRecipients", testCPIXRecipients},
		{"LiveEventStates", testLiveEventStates},
		{"LiveOutputs", testLiveOutputs},
		{"LivePaging", testLivePaging},
		{"LiveConcurrentAsset", testLiveConcurrentAsset},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			tc.fn(t, NewService(t, st), st)
		})
	}
}

// Fixtures shared with other tests.
const (
	OpenPolicy = `{"name":"open","options":[{"name":"aes","configuration":{"type":"aesEnvelope"},"restriction":{"type":"open"}},` +
		`{"name":"ck","configuration":{"type":"clearKey"},"restriction":{"type":"open"}}]}`
	KID1   = "0b7e1c58-2f3a-4d5e-8a9b-0c1d2e3f4a5b"
	Value1 = "AAECAwQFBgcICQoLDA0ODw==" // 00 01 .. 0f
	Value2 = "EBESExQVFhcYGRobHB0eHw=="
)

var ctx = context.Background()

func mustPut(t *testing.T, s *keyclient.Service, kind keyclient.Kind, name, body string) []byte {
	t.Helper()
	out, _, err := s.Put(ctx, kind, name, []byte(body))
	if err != nil {
		t.Fatalf("put %s %s: %v", kind, name, err)
	}
	return out
}

func locator(name, policy, ckp string, keys ...string) string {
	d := ""
	if ckp != "" {
		d = fmt.Sprintf(`,"defaultContentKeyPolicyName":%q`, ckp)
	}
	return fmt.Sprintf(`{"name":%q,"assetName":"bbb","streamingPolicyName":%q%s,"contentKeys":[%s]}`,
		name, policy, d, strings.Join(keys, ","))
}

func cencKey(id, value string) string {
	return fmt.Sprintf(`{"id":%q,"value":%q,"type":"commonEncryptionCenc"}`, id, value)
}

func testPolicyCRUD(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	out, created, err := s.Put(ctx, keyclient.KindContentKeyPolicies, "open", []byte(OpenPolicy))
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	_, created, err = s.Put(ctx, keyclient.KindContentKeyPolicies, "open", []byte(OpenPolicy))
	if err != nil || created {
		t.Fatalf("same again: created=%v %v", created, err)
	}
	got, err := s.Get(ctx, keyclient.KindContentKeyPolicies, "open")
	if err != nil || !bytes.Equal(got, out) {
		t.Fatalf("get: %s %v", got, err)
	}
	// Replace, with the name filled from the URL.
	upd := `{"options":[{"configuration":{"type":"clearKey"},"restriction":{"type":"open"}}]}`
	if _, created, err = s.Put(ctx, keyclient.KindContentKeyPolicies, "open", []byte(upd)); err != nil || created {
		t.Fatalf("replace: %v %v", created, err)
	}
	p, err := s.ContentKeyPolicy(ctx, "open")
	if err != nil || p.Name != "open" || len(p.Options) != 1 {
		t.Fatalf("after replace: %+v %v", p, err)
	}
	if _, _, err = s.Put(ctx, keyclient.KindContentKeyPolicies, "other", []byte(OpenPolicy)); !isValidation(err, "name") {
		t.Fatalf("name mismatch: %v", err)
	}
	if err := s.Delete(ctx, keyclient.KindContentKeyPolicies, "open"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, keyclient.KindContentKeyPolicies, "open"); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if err := s.Delete(ctx, keyclient.KindContentKeyPolicies, "open"); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("delete deleted: %v", err)
	}
}

func isValidation(err error, target string) bool {
	var ve *keyclient.ValidationError
	return errors.As(err, &ve) && ve.Target == target
}

func testBuiltins(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	for _, n := range []string{keyclient.PredefinedClearStreamingOnly, keyclient.PredefinedClearKey,
		keyclient.PredefinedMultiDrmCencStreaming, keyclient.PredefinedMultiDrmStreaming} {
		if _, err := s.Get(ctx, keyclient.KindStreamingPolicies, n); err != nil {
			t.Fatalf("get %s: %v", n, err)
		}
		if _, _, err := s.Put(ctx, keyclient.KindStreamingPolicies, n, []byte(`{"noEncryption":{"protocols":["hls"]}}`)); !errors.Is(err, keyclient.ErrReadOnly) || !errors.Is(err, keyclient.ErrConflict) {
			t.Fatalf("put %s: %v", n, err)
		}
		if err := s.Delete(ctx, keyclient.KindStreamingPolicies, n); !errors.Is(err, keyclient.ErrReadOnly) {
			t.Fatalf("delete %s: %v", n, err)
		}
	}
}

func testListPaging(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	want := []string{}
	for _, n := range []string{"b", "Z", "a", "m", "Predefined_ClearKey", "x_1"} {
		if strings.HasPrefix(n, "Predefined_") {
			want = append(want, n)
			continue
		}
		mustPut(t, s, keyclient.KindStreamingPolicies, n, `{"noEncryption":{"protocols":["dash"]}}`)
		want = append(want, n)
	}
	want = append(want, keyclient.PredefinedClearStreamingOnly, keyclient.PredefinedMultiDrmCencStreaming, keyclient.PredefinedMultiDrmStreaming)
	var got []string
	skip := ""
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("paging does not end")
		}
		items, next, err := s.List(ctx, keyclient.KindStreamingPolicies, skip, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) > 2 {
			t.Fatalf("page of %d", len(items))
		}
		for _, it := range items {
			var v struct{ Name string }
			if err := json.Unmarshal(it, &v); err != nil {
				t.Fatal(err)
			}
			got = append(got, v.Name)
		}
		if next == "" {
			break
		}
		skip = next
	}
	sortStrings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("listed %v, want %v", got, want)
	}
	items, next, err := s.List(ctx, keyclient.KindContentKeyPolicies, "", 0)
	if err != nil || len(items) != 0 || next != "" {
		t.Fatalf("empty list: %v %q %v", items, next, err)
	}
}

func sortStrings(a []string) {
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			if a[j] < a[i] {
				a[i], a[j] = a[j], a[i]
			}
		}
	}
}

func testLocatorGenerated(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	body := locator("loc1", keyclient.PredefinedMultiDrmStreaming, "")
	out, created, err := s.Put(ctx, keyclient.KindStreamingLocators, "loc1", []byte(body))
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	if bytes.Contains(out, []byte(`"value"`)) || bytes.Contains(out, []byte("wrapped")) {
		t.Fatalf("output carries values: %s", out)
	}
	l, err := s.Locator(ctx, "loc1")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.ContentKeys) != 2 || l.ContentKeys[0].Type != keyclient.KeyTypeCENC || l.ContentKeys[1].Type != keyclient.KeyTypeCBCS {
		t.Fatalf("generated keys: %+v", l.ContentKeys)
	}
	keys, err := s.ListContentKeys(ctx, "loc1")
	if err != nil || len(keys) != 2 {
		t.Fatalf("list keys: %v %v", keys, err)
	}
	for _, k := range keys {
		if len(k.Value) != 16 || bytes.Equal(k.Value, make([]byte, 16)) {
			t.Fatalf("bad generated value for %s", k.ID)
		}
	}
	if keys[0].ID == keys[1].ID || bytes.Equal(keys[0].Value, keys[1].Value) {
		t.Fatal("generated keys are not distinct")
	}
	got, err := s.Get(ctx, keyclient.KindStreamingLocators, "loc1")
	if err != nil || !bytes.Equal(got, out) {
		t.Fatalf("get: %s %v, want %s", got, err, out)
	}
	if _, err := s.Get(ctx, keyclient.KindStreamingLocators, "nope"); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	// No key policy: stored and listed, never delivered without a policy.
	dk, err := s.DeliverableKey(ctx, keys[0].ID, time.Now())
	if err != nil || dk.Policy != nil || dk.Value != [16]byte(keys[0].Value) {
		t.Fatalf("deliverable: %+v %v", dk, err)
	}
}

func testLocatorIdempotent(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	mustPut(t, s, keyclient.KindContentKeyPolicies, "open", OpenPolicy)
	body := `{"name":"loc1","assetName":"bbb","streamingPolicyName":"Predefined_ClearKey","defaultContentKeyPolicyName":"open",` +
		`"startTime":"2026-11-01T00:00:00Z","endTime":null,"contentKeys":[{"type":"envelopeEncryption","labelReferenceInStreamingPolicy":"aes"},` +
		`{"id":"` + KID1 + `","value":"` + Value1 + `","type":"commonEncryptionCenc","tracks":[{"trackType":"video"}]},` +
		`{"type":"commonEncryptionCenc","tracks":[{"trackType":"audio"}]}]}`
	out1, created, err := s.Put(ctx, keyclient.KindStreamingLocators, "loc1", []byte(body))
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	out2, created, err := s.Put(ctx, keyclient.KindStreamingLocators, "loc1", []byte(body))
	if err != nil || created || !bytes.Equal(out1, out2) {
		t.Fatalf("same again: created=%v err=%v\n%s\n%s", created, err, out1, out2)
	}
	// Same body with the start time written in another zone: same instant.
	alt := strings.Replace(body, "2026-11-01T00:00:00Z", "2026-11-01T01:00:00+01:00", 1)
	if _, created, err = s.Put(ctx, keyclient.KindStreamingLocators, "loc1", []byte(alt)); err != nil || created {
		t.Fatalf("same instant: %v %v", created, err)
	}
	for _, changed := range []string{
		strings.Replace(body, `"bbb"`, `"ccc"`, 1),
		strings.Replace(body, Value1, Value2, 1),
		strings.Replace(body, `"labelReferenceInStreamingPolicy":"aes"`, `"labelReferenceInStreamingPolicy":"x"`, 1),
		strings.Replace(body, `{"type":"envelopeEncryption","labelReferenceInStreamingPolicy":"aes"},`, "", 1),
		strings.Replace(body, `"endTime":null`, `"endTime":"2027-01-01T00:00:00Z"`, 1),
	} {
		if _, _, err := s.Put(ctx, keyclient.KindStreamingLocators, "loc1", []byte(changed)); !errors.Is(err, keyclient.ErrConflict) {
			t.Fatalf("changed put: %v\n%s", err, changed)
		}
	}
	// A changed body that is a conflict changes nothing.
	got, _ := s.Get(ctx, keyclient.KindStreamingLocators, "loc1")
	if !bytes.Equal(got, out1) {
		t.Fatalf("changed by a refused put:\n%s\n%s", got, out1)
	}
}

func testSharedKID(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	mustPut(t, s, keyclient.KindContentKeyPolicies, "open", OpenPolicy)
	mustPut(t, s, keyclient.KindStreamingLocators, "a", locator("a", keyclient.PredefinedMultiDrmCencStreaming, "open", cencKey(KID1, Value1)))
	// Same KID by id only: takes the stored value.
	mustPut(t, s, keyclient.KindStreamingLocators, "b", locator("b", keyclient.PredefinedMultiDrmCencStreaming, "open",
		`{"id":"`+strings.ToUpper(KID1)+`","type":"commonEncryptionCenc"}`))
	mustPut(t, s, keyclient.KindStreamingLocators, "c", locator("c", keyclient.PredefinedMultiDrmCencStreaming, "open", cencKey(KID1, base64.RawURLEncoding.EncodeToString(mustB64(Value1)))))
	kid, _ := keyclient.ParseKID(KID1)
	e, err := st.GetKey(ctx, kid)
	if err != nil || strings.Join(e.Locators, ",") != "a,b,c" || e.PolicyName != "open" {
		t.Fatalf("key entry: %+v %v", e, err)
	}
	keys, err := s.ListContentKeys(ctx, "b")
	if err != nil || len(keys) != 1 || !bytes.Equal(keys[0].Value, mustB64(Value1)) {
		t.Fatalf("b keys: %v %v", keys, err)
	}
	dk, err := s.DeliverableKey(ctx, kid, time.Now())
	if err != nil || dk.Value != [16]byte(mustB64(Value1)) || dk.Policy == nil || dk.Policy.Name != "open" {
		t.Fatalf("deliverable: %+v %v", dk, err)
	}
	for _, n := range []string{"a", "c"} {
		if err := s.Delete(ctx, keyclient.KindStreamingLocators, n); err != nil {
			t.Fatal(err)
		}
	}
	if e, err = st.GetKey(ctx, kid); err != nil || strings.Join(e.Locators, ",") != "b" {
		t.Fatalf("after deletes: %+v %v", e, err)
	}
	if err := s.Delete(ctx, keyclient.KindStreamingLocators, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err = st.GetKey(ctx, kid); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("KID entry survives its last locator: %v", err)
	}
	if _, err := s.DeliverableKey(ctx, kid, time.Now()); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("deliverable after delete: %v", err)
	}
	if err := s.Delete(ctx, keyclient.KindStreamingLocators, "b"); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	// Now the KID may come back with another value.
	mustPut(t, s, keyclient.KindStreamingLocators, "d", locator("d", keyclient.PredefinedMultiDrmCencStreaming, "open", cencKey(KID1, Value2)))
}

func mustB64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func testKIDConflicts(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	mustPut(t, s, keyclient.KindContentKeyPolicies, "open", OpenPolicy)
	mustPut(t, s, keyclient.KindContentKeyPolicies, "open2", strings.Replace(OpenPolicy, `"open"`, `"open2"`, 1))
	mustPut(t, s, keyclient.KindStreamingLocators, "a", locator("a", keyclient.PredefinedMultiDrmCencStreaming, "open", cencKey(KID1, Value1)))
	for name, body := range map[string]string{
		"value":  locator("b", keyclient.PredefinedMultiDrmCencStreaming, "open", cencKey(KID1, Value2)),
		"policy": locator("b", keyclient.PredefinedMultiDrmCencStreaming, "open2", cencKey(KID1, Value1)),
		"none":   locator("b", keyclient.PredefinedMultiDrmCencStreaming, "", cencKey(KID1, Value1)),
	} {
		if _, _, err := s.Put(ctx, keyclient.KindStreamingLocators, "b", []byte(body)); !errors.Is(err, keyclient.ErrConflict) {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := s.Get(ctx, keyclient.KindStreamingLocators, "b"); !errors.Is(err, keyclient.ErrNotFound) {
			t.Fatalf("%s: refused locator was written: %v", name, err)
		}
	}
	kid, _ := keyclient.ParseKID(KID1)
	if e, err := st.GetKey(ctx, kid); err != nil || strings.Join(e.Locators, ",") != "a" {
		t.Fatalf("key entry touched: %+v %v", e, err)
	}
}

func testReferences(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	mustPut(t, s, keyclient.KindContentKeyPolicies, "open", OpenPolicy)
	mustPut(t, s, keyclient.KindContentKeyPolicies, "k2", strings.Replace(OpenPolicy, `"open"`, `"k2"`, 1))
	sp := `{"name":"sp","commonEncryptionCenc":{"protocols":["dash"],"drm":{"clearKey":{}}}}`
	mustPut(t, s, keyclient.KindStreamingPolicies, "sp", sp)
	// Missing references are 400s naming the field; nothing is written.
	for target, body := range map[string]string{
		"streamingPolicyName":         locator("x", "nosuch", "open"),
		"defaultContentKeyPolicyName": locator("x", "sp", "nosuch"),
		"contentKeys[0].policyName":   locator("x", "sp", "", `{"type":"commonEncryptionCenc","policyName":"nosuch"}`),
	} {
		if _, _, err := s.Put(ctx, keyclient.KindStreamingLocators, "x", []byte(body)); !isValidation(err, target) {
			t.Fatalf("%s: %v", target, err)
		}
		if _, err := s.Get(ctx, keyclient.KindStreamingLocators, "x"); !errors.Is(err, keyclient.ErrNotFound) {
			t.Fatalf("%s: written: %v", target, err)
		}
	}
	mustPut(t, s, keyclient.KindStreamingLocators, "x", locator("x", "sp", "open", `{"type":"commonEncryptionCenc","policyName":"k2"}`))
	for _, r := range []struct {
		kind keyclient.Kind
		name string
	}{{keyclient.KindStreamingPolicies, "sp"}, {keyclient.KindContentKeyPolicies, "open"}, {keyclient.KindContentKeyPolicies, "k2"}} {
		// The refusal names the locator that blocks it.
		err := s.Delete(ctx, r.kind, r.name)
		var iu *keyclient.InUseError
		if !errors.Is(err, keyclient.ErrConflict) || !errors.As(err, &iu) || iu.Count != 1 ||
			len(iu.Locators) != 1 || iu.Locators[0] != "x" || !strings.Contains(err.Error(), "streaming locator x") {
			t.Fatalf("delete referenced %s %s: %v, want an InUseError naming locator x", r.kind, r.name, err)
		}
	}
	// A referenced streaming policy is immutable; the same body is fine.
	if _, _, err := s.Put(ctx, keyclient.KindStreamingPolicies, "sp", []byte(sp)); err != nil {
		t.Fatalf("same streaming policy: %v", err)
	}
	_, _, err := s.Put(ctx, keyclient.KindStreamingPolicies, "sp", []byte(`{"noEncryption":{"protocols":["dash"]}}`))
	if iu := (*keyclient.InUseError)(nil); !errors.Is(err, keyclient.ErrConflict) || !errors.As(err, &iu) || !iu.Change || iu.Locators[0] != "x" {
		t.Fatalf("change referenced streaming policy: %v, want an InUseError naming locator x", err)
	}
	// Many referencing locators: a few are named, and how many more.
	for i := range keyclient.MaxInUseNames + 2 {
		n := fmt.Sprintf("m%d", i)
		mustPut(t, s, keyclient.KindStreamingLocators, n, locator(n, "sp", "k2"))
	}
	err = s.Delete(ctx, keyclient.KindContentKeyPolicies, "k2")
	if iu := (*keyclient.InUseError)(nil); !errors.As(err, &iu) || iu.Count != keyclient.MaxInUseNames+3 ||
		len(iu.Locators) != keyclient.MaxInUseNames || !strings.Contains(err.Error(), "and 3 more") {
		t.Fatalf("delete a policy of %d locators: %v", keyclient.MaxInUseNames+3, err)
	}
	for i := range keyclient.MaxInUseNames + 2 {
		if err := s.Delete(ctx, keyclient.KindStreamingLocators, fmt.Sprintf("m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// A content key policy may change (key rotation in its restriction).
	if _, _, err := s.Put(ctx, keyclient.KindContentKeyPolicies, "open", []byte(`{"options":[{"configuration":{"type":"clearKey"},"restriction":{"type":"open"}}]}`)); err != nil {
		t.Fatalf("change content key policy: %v", err)
	}
	if err := s.Delete(ctx, keyclient.KindStreamingLocators, "x"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		kind keyclient.Kind
		name string
	}{{keyclient.KindStreamingPolicies, "sp"}, {keyclient.KindContentKeyPolicies, "open"}, {keyclient.KindContentKeyPolicies, "k2"}} {
		if err := s.Delete(ctx, r.kind, r.name); err != nil {
			t.Fatalf("delete unreferenced %s %s: %v", r.kind, r.name, err)
		}
	}
}

func testDeliverableWindow(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	mustPut(t, s, keyclient.KindContentKeyPolicies, "open", OpenPolicy)
	past := `{"name":"past","assetName":"a","streamingPolicyName":"Predefined_ClearKey","defaultContentKeyPolicyName":"open",` +
		`"startTime":"2020-01-01T00:00:00Z","endTime":"2021-01-01T00:00:00Z","contentKeys":[` + cencKey(KID1, Value1) + `]}`
	mustPut(t, s, keyclient.KindStreamingLocators, "past", past)
	kid, _ := keyclient.ParseKID(KID1)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	if _, err := s.DeliverableKey(ctx, kid, now); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("expired locator delivers: %v", err)
	}
	if _, err := s.DeliverableKey(ctx, kid, time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatalf("inside window: %v", err)
	}
	future := strings.NewReplacer(`"past"`, `"future"`, "2020-01-01", "2026-12-01", "2021-01-01", "2027-01-01").Replace(past)
	mustPut(t, s, keyclient.KindStreamingLocators, "future", future)
	if _, err := s.DeliverableKey(ctx, kid, now); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("not yet started locator delivers: %v", err)
	}
	open := strings.NewReplacer(`"past"`, `"now"`, `"startTime":"2020-01-01T00:00:00Z","endTime":"2021-01-01T00:00:00Z",`, "").Replace(past)
	mustPut(t, s, keyclient.KindStreamingLocators, "now", open)
	if dk, err := s.DeliverableKey(ctx, kid, now); err != nil || dk.Policy == nil {
		t.Fatalf("active locator: %+v %v", dk, err)
	}
	var unknown keyclient.KID
	if _, err := s.DeliverableKey(ctx, unknown, now); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("unknown KID: %v", err)
	}
}

func testIncrUses(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	exp := time.Now().Add(time.Hour)
	for want := int64(1); want <= 3; want++ {
		n, err := st.IncrUses(ctx, "tok-a", exp)
		if err != nil || n != want {
			t.Fatalf("incr: %d %v, want %d", n, err, want)
		}
	}
	if n, err := st.IncrUses(ctx, "tok-b", exp); err != nil || n != 1 {
		t.Fatalf("other token: %d %v", n, err)
	}
	past := time.Now().Add(-time.Second)
	for range 2 {
		if n, err := st.IncrUses(ctx, "tok-c", past); err != nil || n != 1 {
			t.Fatalf("expired counter: %d %v", n, err)
		}
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := st.IncrUses(ctx, "tok-d", exp); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n, _ := st.IncrUses(ctx, "tok-d", exp); n != 21 {
		t.Fatalf("concurrent increments: %d, want 21", n)
	}
}

func testSubscribe(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := st.Subscribe(sctx)
	// Subscriptions may take a moment to be established remotely.
	deadline := time.After(5 * time.Second)
	mustPut(t, s, keyclient.KindContentKeyPolicies, "open", OpenPolicy)
	want := keyclient.Invalidation{Kind: keyclient.KindStreamingLocators, Name: "loc-sub"}
	mustPut(t, s, keyclient.KindStreamingLocators, "loc-sub", locator("loc-sub", keyclient.PredefinedClearStreamingOnly, ""))
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for {
		select {
		case inv := <-ch:
			if inv == want {
				cancel()
				for range ch {
				}
				return
			}
		case <-tick.C:
			// Re-publish through a delete/create cycle until subscribed.
			n++
			if err := s.Delete(ctx, keyclient.KindStreamingLocators, "loc-sub"); err != nil {
				t.Fatal(err)
			}
			mustPut(t, s, keyclient.KindStreamingLocators, "loc-sub", locator("loc-sub", keyclient.PredefinedClearStreamingOnly, ""))
		case <-deadline:
			t.Fatalf("no invalidation for %v after %d writes", want, n)
		}
	}
}

func testDump(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	d, ok := st.(keyclient.Dumper)
	if !ok {
		t.Fatal("store does not implement Dumper")
	}
	mustPut(t, s, keyclient.KindContentKeyPolicies, "open", OpenPolicy)
	mustPut(t, s, keyclient.KindStreamingLocators, "a", locator("a", keyclient.PredefinedMultiDrmStreaming, "open", cencKey(KID1, Value1)))
	keys, err := s.ListContentKeys(ctx, "a")
	if err != nil || len(keys) != 2 {
		t.Fatal(keys, err)
	}
	dump, err := d.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(dump, []byte(KID1)) {
		t.Fatalf("dump lacks the KID, so it proves nothing:\n%s", dump)
	}
	for _, k := range keys {
		for _, form := range [][]byte{k.Value, []byte(hex.EncodeToString(k.Value)),
			[]byte(base64.StdEncoding.EncodeToString(k.Value)), []byte(base64.RawStdEncoding.EncodeToString(k.Value)),
			[]byte(base64.RawURLEncoding.EncodeToString(k.Value))} {
			if bytes.Contains(dump, form) {
				t.Fatalf("dump reveals the value of %s", k.ID)
			}
		}
	}
}

func testConcurrentShared(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	mustPut(t, s, keyclient.KindContentKeyPolicies, "open", OpenPolicy)
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("c%02d", i)
			if _, _, err := s.Put(ctx, keyclient.KindStreamingLocators, name,
				[]byte(locator(name, keyclient.PredefinedMultiDrmCencStreaming, "open", cencKey(KID1, Value1)))); err != nil {
				t.Errorf("put %s: %v", name, err)
			}
		}()
	}
	wg.Wait()
	kid, _ := keyclient.ParseKID(KID1)
	e, err := st.GetKey(ctx, kid)
	if err != nil || len(e.Locators) != n {
		t.Fatalf("after concurrent creates: %+v %v", e, err)
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Delete(ctx, keyclient.KindStreamingLocators, fmt.Sprintf("c%02d", i)); err != nil {
				t.Errorf("delete: %v", err)
			}
		}()
	}
	wg.Wait()
	if _, err := st.GetKey(ctx, kid); !errors.Is(err, keyclient.ErrNotFound) {
		t.Fatalf("KID entry after deleting every locator: %v", err)
	}
	items, _, err := s.List(ctx, keyclient.KindStreamingLocators, "", 0)
	if err != nil || len(items) != 0 {
		t.Fatalf("locators left: %d %v", len(items), err)
	}
}

func testConcurrentSamePut(t *testing.T, s *keyclient.Service, st keyclient.Store) {
	body := []byte(locator("same", keyclient.PredefinedMultiDrmStreaming, ""))
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		outs    [][]byte
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, c, err := s.Put(ctx, keyclient.KindStreamingLocators, "same", body)
			if err != nil {
				t.Errorf("put: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if c {
				created++
			}
			outs = append(outs, out)
		}()
	}
	wg.Wait()
	if created != 1 {
		t.Fatalf("created %d times", created)
	}
	for _, o := range outs[1:] {
		if !bytes.Equal(o, outs[0]) {
			t.Fatalf("different results:\n%s\n%s", o, outs[0])
		}
	}
}
