package keyclient_test

import (
	"testing"

	"github.com/drmorigin/drmorigin/drm/usage"
	"github.com/drmorigin/drmorigin/keyclient"
)

// BenchmarkResolveHit times a cache hit: no store round trip, no
// allocation.
func BenchmarkResolveHit(b *testing.B) {
	st, err := keyclient.OpenBolt(b.TempDir() + "/x.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	kek, _ := keyclient.NewKEK(make([]byte, 32))
	s := keyclient.NewService(st, kek, keyclient.BuiltinConfig{})
	if _, _, err := s.Put(ctx, keyclient.KindStreamingLocators, "loc1",
		[]byte(`{"assetName":"a","streamingPolicyName":"Predefined_MultiDrmStreaming"}`)); err != nil {
		b.Fatal(err)
	}
	r := keyclient.NewResolver(s, keyclient.ResolverConfig{})
	if _, err := r.Resolve(ctx, "loc1"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, _ := r.Resolve(ctx, "loc1")
		res.KeyFor(keyclient.SchemeCENC, usage.Track{Kind: usage.Video, Name: "video"})
	}
}
