package azblob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drmorigin/drmorigin/internal/testservers"
	"github.com/drmorigin/drmorigin/storage"
	"github.com/drmorigin/drmorigin/storage/azblob"
)

// media is a test object: every byte differs from its neighbours, so a
// misplaced range shows.
func media(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ byte(i>>8) ^ seed
	}
	return b
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func newRemote(t *testing.T, srv *testservers.AzuriteServer, container, prefix string) *azblob.Remote {
	t.Helper()
	r, err := azblob.New(azblob.Config{
		Account:    srv.Account,
		Container:  container,
		Prefix:     prefix,
		Endpoint:   srv.Endpoint,
		AccountKey: srv.Key,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readRange(t *testing.T, r storage.Remote, name, version string, off, n int64) ([]byte, error) {
	t.Helper()
	body, err := r.ReadRange(ctx(t), name, version, off, n)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b := make([]byte, n)
	_, err = io.ReadFull(body, b)
	return b, err
}

// sameEntries compares listings in any order.
func sameEntries(got, want []storage.Entry) bool {
	cmp := func(a, b storage.Entry) int { return strings.Compare(a.Name, b.Name) }
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, cmp)
	slices.SortFunc(want, cmp)
	return slices.Equal(got, want)
}

// TestRemote runs the Remote's calls against one Azurite, in both
// layouts: assets as blob prefixes in a container, and a container per
// asset.
func TestRemote(t *testing.T) {
	srv := testservers.Azurite(t)
	// One container holding the assets under a prefix…
	srv.CreateContainer("media")
	video := media(300_000, 1)
	srv.Put("media", "root/demo/video.mp4", video)
	srv.Put("media", "root/demo/audio.mp4", media(1234, 2))
	srv.Put("media", "root/demo/sub/x.bin", media(10, 3))
	srv.Put("media", "root/other/a.bin", media(5, 4))
	srv.Put("media", "root/top.bin", media(7, 5))
	srv.Put("media", "elsewhere/b.bin", media(7, 6))
	// …and containers that are assets.
	srv.CreateContainer("asset-abc")
	srv.Put("asset-abc", "video.mp4", video)
	srv.Put("asset-abc", "hls/index.m3u8", media(99, 7))
	srv.CreateContainer("asset-empty")
	inCtr := newRemote(t, srv, "media", "root")
	perAsset := newRemote(t, srv, "", "")

	t.Run("Stat", func(t *testing.T) {
		for _, c := range []struct {
			r    *azblob.Remote
			name string
		}{{inCtr, "demo/video.mp4"}, {perAsset, "asset-abc/video.mp4"}} {
			size, version, err := c.r.Stat(ctx(t), c.name)
			if err != nil {
				t.Fatal(err)
			}
			if size != int64(len(video)) || version == "" || strings.Contains(version, `"`) {
				t.Errorf("Stat(%s) = %d, %q; want %d and an ETag without quotes", c.name, size, version, len(video))
			}
		}
	})

	t.Run("ReadRange", func(t *testing.T) {
		for _, c := range []struct {
			r          *azblob.Remote
			name, path string
		}{
			{inCtr, "demo/video.mp4", "/devstoreaccount1/media/root/demo/video.mp4"},
			{perAsset, "asset-abc/video.mp4", "/devstoreaccount1/asset-abc/video.mp4"},
		} {
			_, version, err := c.r.Stat(ctx(t), c.name)
			if err != nil {
				t.Fatal(err)
			}
			srv.ResetCounts()
			for _, rg := range []struct{ off, n int64 }{
				{0, 1}, {0, 188}, {1, 1000}, {65_535, 65_537}, {123_457, 3}, {299_999, 1}, {0, 300_000},
			} {
				got, err := readRange(t, c.r, c.name, version, rg.off, rg.n)
				if err != nil {
					t.Fatalf("ReadRange(%s, %d, %d): %v", c.name, rg.off, rg.n, err)
				}
				if !bytes.Equal(got, video[rg.off:rg.off+rg.n]) {
					t.Errorf("ReadRange(%s, %d, %d): wrong bytes", c.name, rg.off, rg.n)
				}
			}
			if n := srv.Count("GET", c.path); n != 7 {
				t.Errorf("the store saw %d GETs of %s, want 7", n, c.path)
			}
			for _, q := range srv.Requests() {
				if q.Method == "GET" && q.Range == "" {
					t.Errorf("a GET without a range: %+v", q)
				}
			}
		}
	})

	t.Run("IfMatch", func(t *testing.T) {
		srv.Put("media", "root/demo/seg.bin", media(5000, 7))
		_, v1, err := inCtr.Stat(ctx(t), "demo/seg.bin")
		if err != nil {
			t.Fatal(err)
		}
		newer := media(3000, 8) // shorter too: the old range lies past its end
		srv.Put("media", "root/demo/seg.bin", newer)
		for _, off := range []int64{0, 4000} {
			_, err := readRange(t, inCtr, "demo/seg.bin", v1, off, 1000)
			if !errors.Is(err, storage.ErrChanged) {
				t.Errorf("ReadRange of the replaced version at %d: %v, want ErrChanged", off, err)
			}
		}
		size, v2, err := inCtr.Stat(ctx(t), "demo/seg.bin")
		if err != nil || size != 3000 || v2 == v1 {
			t.Fatalf("Stat after the replacement: %d, %q (was %q), %v", size, v2, v1, err)
		}
		got, err := readRange(t, inCtr, "demo/seg.bin", v2, 100, 200)
		if err != nil || !bytes.Equal(got, newer[100:300]) {
			t.Errorf("ReadRange of the new version: %v", err)
		}
	})

	t.Run("Deleted", func(t *testing.T) {
		srv.Put("media", "root/demo/gone.bin", media(100, 9))
		_, v, err := inCtr.Stat(ctx(t), "demo/gone.bin")
		if err != nil {
			t.Fatal(err)
		}
		srv.Delete("media", "root/demo/gone.bin")
		if _, err := readRange(t, inCtr, "demo/gone.bin", v, 0, 10); !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrChanged) {
			t.Errorf("ReadRange of a deleted object: %v, want ErrNotFound or ErrChanged", err)
		} else {
			t.Logf("ReadRange of a deleted object: %v", err)
		}
		if _, _, err := inCtr.Stat(ctx(t), "demo/gone.bin"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Stat of a deleted object: %v", err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		for _, c := range []struct {
			r    *azblob.Remote
			name string
		}{
			{inCtr, "demo/nope.mp4"},       // BlobNotFound
			{perAsset, "asset-abc/nope"},   // BlobNotFound
			{perAsset, "asset-none/video"}, // ContainerNotFound
		} {
			if _, _, err := c.r.Stat(ctx(t), c.name); !errors.Is(err, storage.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat(%s): %v", c.name, err)
			}
			if _, err := c.r.ReadRange(ctx(t), c.name, "", 0, 10); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("ReadRange(%s) without a version: %v", c.name, err)
			}
			// With If-Match, Azurite answers 412 for a missing blob (as
			// RFC 7232 has it; RFC 9110 and S3 say 404): the version
			// read is gone either way, and the caller's Stat then says
			// ErrNotFound.
			if _, err := c.r.ReadRange(ctx(t), c.name, "0x1", 0, 10); !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrChanged) {
				t.Errorf("ReadRange(%s) at a version: %v", c.name, err)
			}
		}
		for _, c := range []struct {
			r      *azblob.Remote
			prefix string
		}{{inCtr, "nope/"}, {perAsset, "asset-none/"}, {perAsset, "asset-abc/nope/"}} {
			if _, err := c.r.List(ctx(t), c.prefix); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("List(%s): %v", c.prefix, err)
			}
		}
		nc := newRemote(t, srv, "no-such-container", "")
		if _, err := nc.List(ctx(t), ""); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("List of a missing container: %v", err)
		}
	})

	t.Run("InvalidName", func(t *testing.T) {
		for _, name := range []string{"", "/abs", "a/../b", ".hidden"} {
			if _, _, err := inCtr.Stat(ctx(t), name); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("Stat(%q): %v, want ErrInvalidName", name, err)
			}
		}
		// Names whose container could not exist, and a name of one
		// element, which has no blob.
		for _, name := range []string{"Asset/video.mp4", "ab/video.mp4", "a_b/video.mp4", "a--b/x", "-ab/x",
			strings.Repeat("a", 64) + "/x", "video.mp4"} {
			if _, _, err := perAsset.Stat(ctx(t), name); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("Stat(%q) with a container per asset: %v, want ErrInvalidName", name, err)
			}
			if _, err := perAsset.ReadRange(ctx(t), name, "0x1", 0, 1); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("ReadRange(%q) with a container per asset: %v, want ErrInvalidName", name, err)
			}
		}
		if _, err := perAsset.List(ctx(t), "Asset/"); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("List(Asset/): %v, want ErrInvalidName", err)
		}
	})

	t.Run("List", func(t *testing.T) {
		for _, c := range []struct {
			r      *azblob.Remote
			prefix string
			want   []storage.Entry
		}{
			{inCtr, "", []storage.Entry{{Name: "demo", Dir: true}, {Name: "other", Dir: true}, {Name: "top.bin", Size: 7}}},
			{inCtr, "demo/", []storage.Entry{
				{Name: "audio.mp4", Size: 1234}, {Name: "seg.bin", Size: 3000},
				{Name: "sub", Dir: true}, {Name: "video.mp4", Size: 300_000},
			}},
			{newRemote(t, srv, "media", ""), "", []storage.Entry{{Name: "elsewhere", Dir: true}, {Name: "root", Dir: true}}},
			{perAsset, "", []storage.Entry{{Name: "asset-abc", Dir: true}, {Name: "asset-empty", Dir: true}, {Name: "media", Dir: true}}},
			{perAsset, "asset-abc/", []storage.Entry{{Name: "hls", Dir: true}, {Name: "video.mp4", Size: 300_000}}},
			{perAsset, "asset-abc/hls/", []storage.Entry{{Name: "index.m3u8", Size: 99}}},
			{perAsset, "asset-empty/", nil},
		} {
			got, err := c.r.List(ctx(t), c.prefix)
			if err != nil {
				t.Errorf("List(%q): %v", c.prefix, err)
			} else if !sameEntries(got, c.want) {
				t.Errorf("List(%q) = %v, want %v", c.prefix, got, c.want)
			}
		}
	})

	t.Run("Locate", func(t *testing.T) {
		if got, want := inCtr.Locate("demo/video.mp4"), "azblob://devstoreaccount1/media/root/demo/video.mp4"; got != want {
			t.Errorf("Locate = %q, want %q", got, want)
		}
		if got, want := perAsset.Locate("asset-abc/video.mp4"), "azblob://devstoreaccount1/asset-abc/video.mp4"; got != want {
			t.Errorf("Locate = %q, want %q", got, want)
		}
	})

	t.Run("ConnectionString", func(t *testing.T) {
		r, err := azblob.New(azblob.Config{Container: "media", Prefix: "root", ConnectionString: srv.ConnectionString()})
		if err != nil {
			t.Fatal(err)
		}
		if size, _, err := r.Stat(ctx(t), "demo/video.mp4"); err != nil || size != int64(len(video)) {
			t.Errorf("Stat through a connection string: %d, %v", size, err)
		}
	})

	t.Run("Faults", func(t *testing.T) {
		_, version, err := inCtr.Stat(ctx(t), "demo/video.mp4")
		if err != nil {
			t.Fatal(err)
		}
		srv.ResetCounts()
		srv.SetFail(503)
		t0 := time.Now()
		_, err = inCtr.ReadRange(ctx(t), "demo/video.mp4", version, 0, 100)
		srv.SetFail(0)
		if err == nil || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrChanged) {
			t.Fatalf("ReadRange under ServerBusy: %v, want a fault", err)
		}
		if !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "ServerBusy") {
			t.Errorf("error %q does not say 503 ServerBusy", err)
		}
		if d := time.Since(t0); d > 2*time.Second {
			t.Errorf("a refused attempt took %v: the SDK retried?", d)
		}
		if n := srv.Count("GET", "/devstoreaccount1/media/root/demo/video.mp4"); n != 1 {
			t.Errorf("the store saw %d GETs under ServerBusy, want 1: no SDK retry", n)
		}

		srv.SetShortBody(true)
		_, err = readRange(t, inCtr, "demo/video.mp4", version, 0, 10_000)
		srv.SetShortBody(false)
		if err == nil {
			t.Error("a body cut short read without an error")
		}
	})

	t.Run("Secrets", func(t *testing.T) {
		// A key that is base64 but not the account's, and a SAS token
		// that signs nothing.
		const key = "c2VjcmV0LWtleS1uZXZlci1wcmludC1tZS0wMTIzNDU2Nzg5"
		const sig = "neverPrintThisSignature0123456789abcdef"
		sas := "sv=2023-11-03&ss=b&srt=sco&sp=rl&se=2099-01-01T00:00:00Z&sig=" + sig
		badKey := newRemoteCfg(t, azblob.Config{Account: srv.Account, Container: "media", Endpoint: srv.Endpoint, AccountKey: key})
		badSAS := newRemoteCfg(t, azblob.Config{Account: srv.Account, Container: "media", Endpoint: srv.Endpoint, SASToken: "?" + sas})
		// A port nobody listens on, with the SAS in every URL.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		down := newRemoteCfg(t, azblob.Config{Account: srv.Account, Container: "media",
			Endpoint: "http://" + addr + "/" + srv.Account, SASToken: sas})
		var errs []error
		for _, r := range []*azblob.Remote{badKey, badSAS, down} {
			_, _, err1 := r.Stat(ctx(t), "root/demo/video.mp4")
			_, err2 := r.ReadRange(ctx(t), "root/demo/video.mp4", "0x1", 0, 10)
			_, err3 := r.List(ctx(t), "root/")
			errs = append(errs, err1, err2, err3)
		}
		for i, err := range errs {
			if err == nil {
				t.Errorf("call %d with wrong credentials or no server succeeded", i+1)
				continue
			}
			t.Logf("call %d: %v", i+1, err)
			if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrChanged) {
				t.Errorf("call %d: %v classified as the object's fault", i+1, err)
			}
			for _, secret := range []string{key, sig, srv.Key} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("call %d: the error shows a secret: %s", i+1, err)
				}
			}
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
