//go:build !race

package keyclient_test

import (
	"testing"

	"github.com/drmorigin/drmorigin/drm/usage"
	"github.com/drmorigin/drmorigin/keyclient"
)

func TestResolverHitAllocs(t *testing.T) {
	s := setup(t, newBolt(t))
	r := keyclient.NewResolver(s, keyclient.ResolverConfig{})
	res, err := r.Resolve(ctx, "loc1")
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() { r.Resolve(ctx, "loc1") }); n != 0 {
		t.Fatalf("cache hit allocates %v", n)
	}
	if n := testing.AllocsPerRun(1000, func() { res.KeyFor(keyclient.SchemeCENC, usage.Track{Kind: usage.Audio, Name: "audio_en"}) }); n != 0 {
		t.Fatalf("KeyFor allocates %v", n)
	}
	if n := testing.AllocsPerRun(1000, func() { res.Policy.Schemes(keyclient.ProtocolHLS) }); n != 0 {
		t.Fatalf("Schemes allocates %v", n)
	}
	r.Resolve(ctx, "missing")
	if n := testing.AllocsPerRun(1000, func() { r.Resolve(ctx, "missing") }); n != 0 {
		t.Fatalf("negative hit allocates %v", n)
	}
}
