package keyclient_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/keyclient/redistest"
	"github.com/drmorigin/drmorigin/keyclient/storetest"
)

func newBolt(t *testing.T) keyclient.Store {
	t.Helper()
	st, err := keyclient.OpenStore(context.Background(), "file://"+filepath.Join(t.TempDir(), "sub", "dir", "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestBoltStore(t *testing.T) { storetest.Run(t, newBolt) }

// flush empties a shared Redis between subtests.
func flush(t *testing.T, st keyclient.Store) {
	t.Helper()
	rs := st.(*keyclient.RedisStore)
	var err error
	if cc, ok := rs.Client().(interface {
		ForEachMaster(context.Context, func(context.Context, *redisClient) error) error
	}); ok {
		err = cc.ForEachMaster(context.Background(), func(ctx context.Context, c *redisClient) error {
			return c.FlushAll(ctx).Err()
		})
	} else {
		err = rs.Client().FlushAll(context.Background()).Err()
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestRedisStore(t *testing.T) {
	url := redistest.Start(t)
	storetest.Run(t, func(t *testing.T) keyclient.Store {
		st, err := keyclient.OpenStore(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		flush(t, st)
		return st
	})
}

func TestRedisClusterStore(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	storetest.Run(t, func(t *testing.T) keyclient.Store {
		st, err := keyclient.OpenStore(context.Background(), c.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, ok := st.(*keyclient.RedisStore).Client().(*redisClusterClient); !ok {
			t.Fatalf("cluster URL gave %T", st.(*keyclient.RedisStore).Client())
		}
		flush(t, st)
		return st
	})
}

func TestRedisSentinelStore(t *testing.T) {
	master := redistest.StartServer(t)
	sen := redistest.StartSentinel(t, master, "mymaster")
	storetest.Run(t, func(t *testing.T) keyclient.Store {
		st, err := keyclient.OpenStore(context.Background(), sen.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		flush(t, st)
		return st
	})
}
