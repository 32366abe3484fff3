package keyclient_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/redis/go-redis/v9"
)

func TestOpenStoreURLs(t *testing.T) {
	for _, c := range []struct {
		url  string
		want string // client type, "" = error
	}{
		{"redis://127.0.0.1:6399/2", "*redis.Client"},
		{"rediss://user:pw@cache.example.com:6380", "*redis.Client"},
		{"redis://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002", "*redis.ClusterClient"},
		{"redis://127.0.0.1:7000?cluster=true", "*redis.ClusterClient"},
		{"redis://:pw@127.0.0.1:7000,127.0.0.1:7001?cluster=true&dial_timeout=1s", "*redis.ClusterClient"},
		{"redis://127.0.0.1:26379,127.0.0.1:26380?master_name=mymaster", "*redis.Client"},
		{"redis://127.0.0.1:7000?cluster=maybe", ""},
		{"redis://127.0.0.1:7000?bogus=1", ""},
		{"http://x", ""},
		{"x.db", ""},
	} {
		st, err := keyclient.OpenStore(ctx, c.url)
		if c.want == "" {
			if err == nil {
				st.Close()
				t.Errorf("%s: accepted", c.url)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		var got string
		switch st.(*keyclient.RedisStore).Client().(type) {
		case *redis.Client:
			got = "*redis.Client"
		case *redis.ClusterClient:
			got = "*redis.ClusterClient"
		}
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.url, got, c.want)
		}
		st.Close()
	}
}

func TestOpenStoreRelativeFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	st, err := keyclient.OpenStore(ctx, "file://./data/sub/drmorigin.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := os.Stat(filepath.Join(dir, "data", "sub", "drmorigin.db")); err != nil {
		t.Fatal(err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}
