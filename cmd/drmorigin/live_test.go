package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drmorigin/drmorigin/keyclient"
	"github.com/drmorigin/drmorigin/origin"
	"github.com/drmorigin/drmorigin/packager"
	"github.com/drmorigin/drmorigin/storage"
)

// startAPIOrigin runs an origin in process (no live room) on loopback
// ports, for the CLI's commands to talk to; it returns the admin URL.
func startAPIOrigin(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := keyclient.OpenStore(ctx, "file://"+filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	kek, _ := keyclient.NewKEK(bytes.Repeat([]byte{9}, 32))
	svc := keyclient.NewService(store, kek, keyclient.BuiltinConfig{})
	res := keyclient.NewResolver(svc, keyclient.ResolverConfig{TTL: time.Minute})
	lib := packager.NewLibrary(storage.NewLocal(t.TempDir(), storage.LocalOptions{}), 4)
	srv := &origin.Server{Config: origin.Config{AdminToken: "t", Metrics: prometheus.NewRegistry()}, Assets: lib, Resolver: res, Service: svc}
	if err := srv.Initialize(); err != nil {
		t.Fatal(err)
	}
	var lns [3]net.Listener
	for i := range lns {
		if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeWithIngest(ctx, lns[0], lns[1], lns[2]) }()
	t.Cleanup(func() {
		cancel()
		<-done
		lib.Close()
		store.Close()
	})
	return "http://" + lns[1].Addr().String()
}

// TestLiveCLI: live-event and live-output against a real management API:
// tables, JSON, errors that name the flag the user typed.
func TestLiveCLI(t *testing.T) {
	admin := startAPIOrigin(t)
	cli := func(args ...string) (string, error) {
		t.Helper()
		var out, errb bytes.Buffer
		err := run(append([]string{"--admin-url", admin, "--admin-token", "t", "--storage-root", t.TempDir()}, args...), &out, &errb)
		return out.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := cli(args...)
		if err != nil {
			t.Fatalf("%s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	out := must("live-event", "create", "ev", "--access-token", "tok123")
	if !strings.Contains(out, "State:") || !strings.Contains(out, "Stopped") || !strings.Contains(out, "/ev/tok123/ingest.isml/Streams({stream})") {
		t.Errorf("create: %s", out)
	}
	if _, err := cli("live-event", "create", "ev2", "--access-token", "a/b"); err == nil || !strings.Contains(err.Error(), "--access-token") {
		t.Errorf("bad token: %v, want an error naming --access-token", err)
	}
	if out := must("live-event", "start", "ev"); !strings.Contains(out, "Running") {
		t.Errorf("start: %s", out)
	}
	if out := must("live-event", "get", "ev", "-o", "json"); !strings.Contains(out, `"resourceState": "Running"`) {
		t.Errorf("get -o json: %s", out)
	}
	if _, err := cli("live-event", "delete", "ev"); err == nil || !strings.Contains(err.Error(), "Running") {
		t.Errorf("delete running: %v", err)
	}
	if _, err := cli("live-event", "get", "nope"); err == nil || !strings.Contains(err.Error(), `no live event named "nope"`) {
		t.Errorf("get nope: %v", err)
	}
	out = must("live-output", "create", "ev", "out1", "--asset", "arch1", "--window", "PT2M", "--manifest", "live")
	if !strings.Contains(out, "arch1") || !strings.Contains(out, "PT2M") {
		t.Errorf("output create: %s", out)
	}
	if _, err := cli("live-output", "create", "ev", "out2", "--asset", "arch2", "--window", "PT30S"); err == nil || !strings.Contains(err.Error(), `--window "PT30S"`) {
		t.Errorf("short window: %v, want an error naming --window", err)
	}
	if _, err := cli("live-output", "create", "ev", "out2", "--asset", "arch2"); err == nil || !strings.Contains(err.Error(), "--window") {
		t.Errorf("no window: %v", err)
	}
	must("live-output", "create", "ev", "out2", "--asset", "arch2", "--window", "PT1H")
	out = must("live-output", "list", "ev", "--top", "1")
	if !strings.Contains(out, "out1") || !strings.Contains(out, "out2") || !strings.Contains(out, "ARCHIVE WINDOW") {
		t.Errorf("list (pages of 1): %s", out)
	}
	if _, err := cli("live-output", "list", "nope"); err == nil || !strings.Contains(err.Error(), `no live event named "nope"`) {
		t.Errorf("list nope: %v", err)
	}
	if out := must("live-output", "get", "ev", "out1"); !strings.Contains(out, "Manifest:") || !strings.Contains(out, "live") {
		t.Errorf("output get: %s", out)
	}
	if out := must("live-event", "list"); !strings.Contains(out, "ev") || !strings.Contains(out, "Running") {
		t.Errorf("event list: %s", out)
	}
	if out := must("live-event", "stop", "ev"); !strings.Contains(out, "Stopped") {
		t.Errorf("stop: %s", out)
	}
	if _, err := cli("live-event", "delete", "ev"); err == nil || !strings.Contains(err.Error(), "live outputs") {
		t.Errorf("delete with outputs: %v", err)
	}
	if out := must("live-output", "delete", "ev", "out1"); !strings.Contains(out, "Deleted live output ev/out1") {
		t.Errorf("output delete: %s", out)
	}
	must("live-output", "delete", "ev", "out2")
	if out := must("live-event", "delete", "ev"); !strings.Contains(out, "Deleted live event ev") {
		t.Errorf("delete: %s", out)
	}
}
