package origin_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/live"
	"github.com/drmorigin/drmorigin/origin"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

const testToken = "test-admin-token"

// testOrigin is a running origin on loopback ports, with real stores and
// real assets.
type testOrigin struct {
	t        testing.TB
	srv      *origin.Server
	base     string // streaming listener
	secure   string // the HTTPS listener of Config.TLSListen ("" without)
	admin    string // management listener
	root     string // asset root
	resolver *keyclient.Resolver
	cancel   context.CancelFunc
	done     chan error
	writes   *atomic.Int64 // Write calls on the streaming listener's connections
}

// countingListener counts the Write calls on the connections it accepts
// (each is one write system call on a TCP connection).
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// SyscallConn exposes the socket, as the TCP connection does, so that the
// origin reads ahead on it (conn_readahead.go) in these tests too.
func (c countingConn) SyscallConn() (syscall.RawConn, error) {
	return c.Conn.(syscall.Conn).SyscallConn()
}

// mediaRoot is the committed demo content.
func mediaRoot(t testing.TB) string {
	root, err := filepath.Abs("../testdata/media")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "demo")); err != nil {
		t.Fatalf("demo media missing (%v): run ./testdata/make-demo.sh", err)
	}
	return root
}

// startOrigin runs an origin over assets under root with the store at
// storeURL ("" for a fresh embedded store in a temp dir).
func startOrigin(t testing.TB, root, storeURL string) *testOrigin {
	t.Helper()
	return startOriginWith(t, root, storeURL, nil)
}

type originConfig = origin.Config

// startOriginWith is startOrigin with a hook to adjust the origin's Config.
func startOriginWith(t testing.TB, root, storeURL string, adjust func(*originConfig)) *testOrigin {
	t.Helper()
	return startOriginLib(t, root, storeURL, adjust, storage.LocalOptions{})
}

// startOriginLib is startOriginWith with the options of the local store
// the asset library reads root through.
func startOriginLib(t testing.TB, root, storeURL string, adjust func(*originConfig), local storage.LocalOptions) *testOrigin {
	t.Helper()
	return startOriginStore(t, storage.NewLocal(root, local), root, storeURL, adjust)
}

// startOriginStore is startOriginWith over any asset store (root is
// what the test's helpers read the source files from).
func startOriginStore(t testing.TB, assets storage.Store, root, storeURL string, adjust func(*originConfig)) *testOrigin {
	t.Helper()
	return launchOrigin(t, originSpec{assets: assets, root: root, storeURL: storeURL, adjust: adjust}).testOrigin
}

// startOriginListen is startOriginStore, with the streaming listener's
// connections counting their Write calls (o.writes) or not: a test of
// what the origin writes with writev needs the bare *net.TCPConn, since
// net.Buffers writes to anything else one Write per buffer.
func startOriginListen(t testing.TB, assets storage.Store, root, storeURL string, adjust func(*originConfig), counting bool) *testOrigin {
	t.Helper()
	return launchOrigin(t, originSpec{assets: assets, root: root, storeURL: storeURL, adjust: adjust, bare: !counting}).testOrigin
}

// originSpec is what the start helpers vary of a test origin; launchOrigin
// puts one together from it.
type originSpec struct {
	assets   storage.Store // what the asset library reads
	root     string        // what the test's helpers read the source files from
	storeURL string        // the resource store ("" for a fresh embedded one)
	adjust   func(*originConfig)
	// logs, when set, takes the application and audit logs, and the
	// origin registers its metrics on a registry of its own.
	logs *logBuffer
	// ingest gives the origin an ingest listener (liveAPIOrigin.ingest).
	ingest bool
	// bare leaves the streaming listener's connections uncounted
	// (startOriginListen).
	bare bool
	// liveRoom, when set, returns the origin's live room (Server.Ingester)
	// once its library and Server exist (a Hub announces through the
	// Server), and what closes it after the origin has shut down (or nil).
	liveRoom func(lib *packager.Library, srv *origin.Server) (live.Ingester, func())
}

// launchOrigin runs an origin as spec says, on loopback ports, and shuts it
// down when the test ends: the one set-up of every start helper here.
func launchOrigin(t testing.TB, spec originSpec) *liveAPIOrigin {
	t.Helper()
	storeURL := spec.storeURL
	if storeURL == "" {
		storeURL = "file://" + filepath.Join(t.TempDir(), "store.db")
	}
	ctx, cancel := context.WithCancel(context.Background())
	store, err := keyclient.OpenStore(ctx, storeURL)
	if err != nil {
		cancel()
		t.Fatalf("open store: %v", err)
	}
	kek, err := keyclient.NewKEK(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := keyclient.NewService(store, kek, keyclient.BuiltinConfig{})
	res := keyclient.NewResolver(svc, keyclient.ResolverConfig{TTL: time.Minute, LookupTimeout: 500 * time.Millisecond})
	go res.Run(ctx)
	lib := packager.NewLibrary(spec.assets, 16)
	srv := &origin.Server{
		Config:   origin.Config{AdminToken: testToken, StoreTimeout: time.Second},
		Assets:   lib,
		Resolver: res,
		Service:  svc,
		Ready:    store.Ping,
	}
	if spec.logs != nil {
		logger := spec.logs.logger()
		srv.Config.Logger, srv.Config.AuditLogger = logger, logger.With("component", "audit")
		srv.Config.Metrics = prometheus.NewRegistry()
	}
	var closeRoom func()
	if spec.liveRoom != nil {
		srv.Ingester, closeRoom = spec.liveRoom(lib, srv)
	}
	if spec.adjust != nil {
		spec.adjust(&srv.Config)
	}
	if err := srv.Initialize(); err != nil {
		cancel()
		t.Fatal(err)
	}
	listen := func() net.Listener {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	ln, aln := listen(), listen()
	o := &liveAPIOrigin{testOrigin: &testOrigin{t: t, srv: srv, base: "http://" + ln.Addr().String(), admin: "http://" + aln.Addr().String(),
		root: spec.root, resolver: res, cancel: cancel, done: make(chan error, 1), writes: new(atomic.Int64)}, logs: spec.logs}
	ls := origin.Listeners{Stream: countingListener{ln, o.writes}, Admin: aln}
	if spec.bare {
		ls.Stream = ln
	}
	if spec.ingest {
		ls.Ingest = listen()
		o.ingest = "http://" + ls.Ingest.Addr().String()
	}
	switch {
	case srv.Config.TLSListen != "":
		if ls.TLS, err = net.Listen("tcp", srv.Config.TLSListen); err != nil {
			t.Fatal(err)
		}
		o.secure = "https://" + ls.TLS.Addr().String()
	case srv.Config.TLSCert != "":
		o.base = "https://" + ln.Addr().String()
	}
	go func() { o.done <- srv.ServeListeners(ctx, ls) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-o.done:
		case <-time.After(10 * time.Second):
			t.Error("origin did not shut down within 10 s")
		}
		if closeRoom != nil {
			closeRoom()
		}
		lib.Close()
		store.Close()
	})
	return o
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) String() string {
	b := r.body
	if len(b) > 200 {
		b = b[:200]
	}
	return fmt.Sprintf("%d %q", r.status, b)
}

// do makes one HTTP request and returns the whole answer.
func do(t testing.TB, method, url string, body []byte, hdr ...string) *response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (o *testOrigin) get(path string, hdr ...string) *response {
	o.t.Helper()
	return do(o.t, http.MethodGet, o.base+path, nil, hdr...)
}

// api calls the management API with the admin token.
func (o *testOrigin) api(method, path string, body any) *response {
	o.t.Helper()
	var b []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			o.t.Fatal(err)
		}
	}
	return do(o.t, method, o.admin+path, b, "Authorization", "Bearer "+testToken, "Content-Type", "application/json")
}

// locator creates a streaming locator and fails the test unless it is
// created.
func (o *testOrigin) locator(name, asset, policy string, extra map[string]any) {
	o.t.Helper()
	body := map[string]any{"name": name, "assetName": asset, "streamingPolicyName": policy}
	for k, v := range extra {
		body[k] = v
	}
	if r := o.api(http.MethodPut, "/api/v1/streamingLocators/"+name, body); r.status != http.StatusCreated && r.status != http.StatusOK {
		o.t.Fatalf("PUT locator %s: %s", name, r)
	}
}

// needTool fails (never skips) when a tool the test needs is missing.
func needTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: apt-get install -y %s", name, pkg)
	}
	return p
}

// framemd5 decodes input (a file path, URL, or "-" with stdin) with ffmpeg
// and returns the frame lines of -f framemd5 for the streams in maps.
func framemd5(t *testing.T, input string, stdin []byte, extra ...string) []string {
	t.Helper()
	return framemd5In(t, nil, input, stdin, extra...)
}

// framemd5In is framemd5 with input options (given before -i).
func framemd5In(t *testing.T, inputOpts []string, input string, stdin []byte, extra ...string) []string {
	t.Helper()
	needTool(t, "ffmpeg", "ffmpeg")
	args := []string{"-nostdin", "-loglevel", "error"}
	if input == "-" {
		args = []string{"-loglevel", "error"}
		input = "pipe:0"
	}
	args = append(args, inputOpts...)
	args = append(args, "-i", input)
	args = append(args, extra...)
	args = append(args, "-f", "framemd5", "-")
	cmd := exec.Command("ffmpeg", args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Logf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, errb.String())
		return nil
	}
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines
}

// md5s keeps the last field (the frame's hash) of framemd5 lines.
func md5s(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		f := strings.Split(l, ",")
		out[i] = strings.TrimSpace(f[len(f)-1])
	}
	return out
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }

func itoa(v int) string { return strconv.Itoa(v) }
