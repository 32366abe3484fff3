package azblob_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/azblob"
	"github.com/drmorigin/drmorigin/storage/storagetest"
)

func newRemote(t *testing.T, srv *testservers.AzuriteServer, container, prefix string) *azblob.Remote {
	t.Helper()
	return newRemoteCfg(t, azblob.Config{
		Account:    srv.Account,
		Container:  container,
		Prefix:     prefix,
		Endpoint:   srv.Endpoint,
		AccountKey: srv.Key,
	})
}

// backend is Azurite for the conformance suites: the container's blobs
// under the prefix root/ or, with container "", a container per asset.
func backend(t *testing.T, srv *testservers.AzuriteServer, container string) storagetest.Backend {
	// A key that is base64 but not the account's, and a SAS token that
	// signs nothing.
	const key = "c2VjcmV0LWtleS1uZXZlci1wcmludC1tZS0wMTIzNDU2Nzg5"
	const sig = "neverPrintThisSignature0123456789abcdef"
	sas := "sv=2023-11-03&ss=b&srt=sco&sp=rl&se=2099-01-01T00:00:00Z&sig=" + sig
	// A port nobody listens on, with the SAS in every URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String() + "/" + srv.Account
	ln.Close()
	b := storagetest.Backend{
		Server:      srv.Conformance(),
		Busy:        "ServerBusy",
		Missing:     newRemote(t, srv, "no-such-container", ""),
		MissingCode: "ContainerNotFound",
		Refused: []storage.Remote{
			newRemoteCfg(t, azblob.Config{Account: srv.Account, Container: "media", Endpoint: srv.Endpoint, AccountKey: key}),
			newRemoteCfg(t, azblob.Config{Account: srv.Account, Container: "media", Endpoint: srv.Endpoint, SASToken: "?" + sas}),
			newRemoteCfg(t, azblob.Config{Account: srv.Account, Container: "media", Endpoint: down, SASToken: sas}),
		},
		Secrets:             []string{key, sig, srv.Key},
		MissingAtVersion412: true,
	}
	if container == "" {
		b.Remote = newRemote(t, srv, "", "")
		b.Path = func(key string) string { return "/" + srv.Account + "/" + key }
		return b
	}
	srv.CreateContainer(container)
	b.Remote = newRemote(t, srv, container, "root")
	b.Root = "root/"
	b.Top = newRemote(t, srv, container, "")
	b.Put = func(key string, data []byte) { srv.Put(container, key, data) }
	b.Delete = func(key string) { srv.Delete(container, key) }
	b.Path = func(key string) string { return "/" + srv.Account + "/" + container + "/" + key }
	b.Locate = "azblob://" + srv.Account + "/" + container + "/root/demo/video.mp4"
	return b
}

// TestRemote runs the Remote's reads against one Azurite, in both
// layouts: assets as blob prefixes in a container
// (storagetest.RemoteReads), and a container per asset; and a remote Store
// over it as a storage.Store (storagetest.Reader).
func TestRemote(t *testing.T) {
	srv := testservers.Azurite(t)
	storagetest.RemoteReads(t, backend(t, srv, "media"))
	t.Run("PerAsset", func(t *testing.T) { testPerAsset(t, srv) })
	t.Run("Store", func(t *testing.T) {
		srv.CreateContainer("store")
		st := storage.NewRemote(newRemote(t, srv, "store", "root"), storage.RemoteOptions{})
		storagetest.Reader(t, st, func(name string, b []byte) { srv.Put("store", "root/"+name, b) })
	})

	t.Run("ConnectionString", func(t *testing.T) {
		r, err := azblob.New(azblob.Config{Container: "media", Prefix: "root", ConnectionString: srv.ConnectionString()})
		if err != nil {
			t.Fatal(err)
		}
		if size, _, err := r.Stat(ctx(t), "demo/video.mp4"); err != nil || size != 300_000 {
			t.Errorf("Stat through a connection string: %d, %v", size, err)
		}
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// testPerAsset runs the Remote's reads with a container per asset, where
// the layout differs from a bucket's: the top lists containers, a name's
// first element is a container (one that cannot be is ErrInvalidName;
// one that is missing, ErrNotFound).
func testPerAsset(t *testing.T, srv *testservers.AzuriteServer) {
	video := storagetest.Media(300_000, 1)
	srv.CreateContainer("asset-abc")
	srv.Put("asset-abc", "video.mp4", video)
	srv.Put("asset-abc", "hls/index.m3u8", storagetest.Media(99, 7))
	srv.CreateContainer("asset-empty")
	perAsset := newRemote(t, srv, "", "")

	t.Run("Stat", func(t *testing.T) {
		size, version, err := perAsset.Stat(ctx(t), "asset-abc/video.mp4")
		if err != nil {
			t.Fatal(err)
		}
		if size != int64(len(video)) || version == "" || strings.Contains(version, `"`) {
			t.Errorf("Stat = %d, %q; want %d and an ETag without quotes", size, version, len(video))
		}
	})

	t.Run("ReadRange", func(t *testing.T) {
		_, version, err := perAsset.Stat(ctx(t), "asset-abc/video.mp4")
		if err != nil {
			t.Fatal(err)
		}
		srv.ResetCounts()
		for _, rg := range []struct{ off, n int64 }{
			{0, 1}, {0, 188}, {1, 1000}, {65_535, 65_537}, {123_457, 3}, {299_999, 1}, {0, 300_000},
		} {
			got, err := storagetest.ReadRange(t, perAsset, "asset-abc/video.mp4", version, rg.off, rg.n)
			if err != nil {
				t.Fatalf("ReadRange(%d, %d): %v", rg.off, rg.n, err)
			}
			if !bytes.Equal(got, video[rg.off:rg.off+rg.n]) {
				t.Errorf("ReadRange(%d, %d): wrong bytes", rg.off, rg.n)
			}
		}
		if n := srv.Gets("asset-abc", "video.mp4"); n != 7 {
			t.Errorf("the store saw %d GETs, want 7", n)
		}
		for _, q := range srv.Requests() {
			if q.Method == "GET" && q.Range == "" {
				t.Errorf("a GET without a range: %+v", q)
			}
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		for _, name := range []string{
			"asset-abc/nope",   // BlobNotFound
			"asset-none/video", // ContainerNotFound
		} {
			if _, _, err := perAsset.Stat(ctx(t), name); !errors.Is(err, storage.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat(%s): %v", name, err)
			}
			if _, err := perAsset.ReadRange(ctx(t), name, "", 0, 10); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("ReadRange(%s) without a version: %v", name, err)
			}
			// Azurite answers 412 at a version (storagetest.Backend's
			// MissingAtVersion412).
			if _, err := perAsset.ReadRange(ctx(t), name, "0x1", 0, 10); !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrChanged) {
				t.Errorf("ReadRange(%s) at a version: %v", name, err)
			}
		}
		for _, prefix := range []string{"asset-none/", "asset-abc/nope/"} {
			if _, err := perAsset.List(ctx(t), prefix); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("List(%s): %v", prefix, err)
			}
		}
	})

	t.Run("InvalidName", func(t *testing.T) {
		// Names whose container could not exist, and a name of one
		// element, which has no blob.
		for _, name := range []string{"Asset/video.mp4", "ab/video.mp4", "a_b/video.mp4", "a--b/x", "-ab/x",
			strings.Repeat("a", 64) + "/x", "video.mp4"} {
			if _, _, err := perAsset.Stat(ctx(t), name); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("Stat(%q): %v, want ErrInvalidName", name, err)
			}
			if _, err := perAsset.ReadRange(ctx(t), name, "0x1", 0, 1); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("ReadRange(%q): %v, want ErrInvalidName", name, err)
			}
		}
		if _, err := perAsset.List(ctx(t), "Asset/"); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("List(Asset/): %v, want ErrInvalidName", err)
		}
	})

	t.Run("List", func(t *testing.T) {
		for _, c := range []struct {
			prefix string
			want   []storage.Entry
		}{
			{"", []storage.Entry{{Name: "asset-abc", Dir: true}, {Name: "asset-empty", Dir: true}, {Name: "media", Dir: true}}},
			{"asset-abc/", []storage.Entry{{Name: "hls", Dir: true}, {Name: "video.mp4", Size: 300_000}}},
			{"asset-abc/hls/", []storage.Entry{{Name: "index.m3u8", Size: 99}}},
			{"asset-empty/", nil},
		} {
			got, err := perAsset.List(ctx(t), c.prefix)
			if err != nil {
				t.Errorf("List(%q): %v", c.prefix, err)
			} else if !storagetest.SameEntries(got, c.want) {
				t.Errorf("List(%q) = %v, want %v", c.prefix, got, c.want)
			}
		}
	})

	t.Run("Locate", func(t *testing.T) {
		if got, want := perAsset.Locate("asset-abc/video.mp4"), "azblob://devstoreaccount1/asset-abc/video.mp4"; got != want {
			t.Errorf("Locate = %q, want %q", got, want)
		}
	})
}

func newRemoteCfg(t *testing.T, cfg azblob.Config) *azblob.Remote {
	t.Helper()
	r, err := azblob.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		root string
		want azblob.Config
	}{
		{"azblob://acct", azblob.Config{Account: "acct"}},
		{"azblob://acct/", azblob.Config{Account: "acct"}},
		{"azblob://acct/media", azblob.Config{Account: "acct", Container: "media"}},
		{"azblob://acct/media/vod/x/", azblob.Config{Account: "acct", Container: "media", Prefix: "vod/x"}},
		{"azblob://devstoreaccount1/media?endpoint=http://127.0.0.1:10000/devstoreaccount1",
			azblob.Config{Account: "devstoreaccount1", Container: "media", Endpoint: "http://127.0.0.1:10000/devstoreaccount1"}},
	} {
		got, err := azblob.ParseURL(c.root)
		if err != nil || got != c.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", c.root, got, err, c.want)
		}
	}
	for _, root := range []string{
		"", "acct", "s3://acct", "azblob:acct", "azblob:///media", "azblob://Acct", "azblob://ab",
		"azblob://acct/Media", "azblob://acct/a_b", "azblob://acct/media/../x",
		"azblob://acct?sig=topsecret", "azblob://acct?endpoint=a&endpoint=b",
		"azblob://acct?endpoint=ftp://x", "azblob://acct?endpoint=" + "http://h/acct%3Fsig%3Dtopsecret",
		"azblob://acct#frag", "azblob://acct:topsecret@acct",
	} {
		_, err := azblob.ParseURL(root)
		if err == nil {
			t.Errorf("ParseURL(%q): no error", root)
		} else if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("ParseURL(%q): the error shows the secret: %v", root, err)
		}
	}
}

func TestNew(t *testing.T) {
	const key = "c2VjcmV0LWtleS1uZXZlci1wcmludC1tZS0wMTIzNDU2Nzg5"
	for _, cfg := range []azblob.Config{
		{},
		{Account: "Acct"},
		{Account: "acct", Container: "Media"},
		{Account: "acct", Prefix: "vod"}, // a prefix without a container
		{Account: "acct", Container: "media", Prefix: "a/../b"},
		{Account: "acct", Endpoint: "acct.blob.core.windows.net"},
		{Account: "acct", Endpoint: "https://acct.blob.core.windows.net/?sig=topsecret"},
		{Account: "acct", AccountKey: key, SASToken: "sig=topsecret"},
		{Account: "acct", AccountKey: "not base64 topsecret"},
		{ConnectionString: "garbage topsecret"},
		{Account: "other", ConnectionString: "AccountName=acct;AccountKey=" + key},
		{ConnectionString: "AccountName=acct;AccountKey=" + key + ";SharedAccessSignature=sig=topsecret"},
	} {
		_, err := azblob.New(cfg)
		if err == nil {
			t.Errorf("New(%+v): no error", cfg)
		} else if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), key) {
			t.Errorf("New: the error shows a secret: %v", err)
		}
	}
	for _, cfg := range []azblob.Config{
		{Account: "acct"}, // public access
		{Account: "acct", Container: "media", Prefix: "/vod/", SASToken: "?sv=1&sig=x"},
		{ConnectionString: "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + key + ";EndpointSuffix=core.windows.net"},
		{ConnectionString: "UseDevelopmentStorage=true", Container: "media"},
		{ConnectionString: "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=1&sig=x", Account: "acct"},
	} {
		if _, err := azblob.New(cfg); err != nil {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(azblob.EnvConnectionString, "")
	t.Setenv(azblob.EnvSASToken, "")
	t.Setenv(azblob.EnvAccount, "acct")
	t.Setenv(azblob.EnvKey, "a2V5")
	cfg, err := azblob.FromEnv(azblob.Config{})
	if err != nil || cfg.Account != "acct" || cfg.AccountKey != "a2V5" {
		t.Errorf("FromEnv with account and key: %+v, %v", cfg, err)
	}
	if _, err := azblob.FromEnv(azblob.Config{Account: "other"}); err == nil {
		t.Error("FromEnv: another account's key taken")
	}
	cfg, err = azblob.FromEnv(azblob.Config{Account: "acct", SASToken: "sig=x"})
	if err != nil || cfg.AccountKey != "" || cfg.SASToken != "sig=x" {
		t.Errorf("FromEnv replaced the given credentials: %+v, %v", cfg, err)
	}
	t.Setenv(azblob.EnvConnectionString, "AccountName=acct;AccountKey=a2V5")
	cfg, err = azblob.FromEnv(azblob.Config{})
	if err != nil || cfg.ConnectionString == "" || cfg.AccountKey != "" {
		t.Errorf("FromEnv with a connection string: %+v, %v", cfg, err)
	}
	t.Setenv(azblob.EnvConnectionString, "")
	t.Setenv(azblob.EnvKey, "")
	t.Setenv(azblob.EnvSASToken, "sv=1&sig=x")
	cfg, err = azblob.FromEnv(azblob.Config{})
	if err != nil || cfg.SASToken != "sv=1&sig=x" {
		t.Errorf("FromEnv with a SAS token: %+v, %v", cfg, err)
	}
}
