package testservers

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds the wait for a store to answer after its start.
const startTimeout = 30 * time.Second

// process is a store's server process, restartable with the same
// arguments (the same port and data directory).
type process struct {
	name string
	argv []string
	env  []string

	cmd  *exec.Cmd
	out  *tail
	done chan struct{} // closed when the process has exited
}

// start starts the process; ready is polled until it says yes, the
// process exits, or startTimeout passes.
func (p *process) start(ready func() bool) error {
	p.out = &tail{}
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd = cmd
	done := make(chan struct{})
	p.done = done
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(startTimeout)
	for !ready() {
		select {
		case <-done:
			return fmt.Errorf("%s exited before it was ready (%v):\n%s", p.name, cmd.ProcessState, p.out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return fmt.Errorf("%s not ready after %v:\n%s", p.name, startTimeout, p.out)
		}
	}
	return nil
}

// stop ends the process: SIGTERM, so that a store that keeps its
// metadata in memory (Azurite) writes it out, then SIGKILL after 10 s.
func (p *process) stop() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}

// running says whether the process is started and has not exited.
func (p *process) running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// tail keeps the last 16 KiB a process wrote, for failure messages.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.b = append(t.b, p...)
	if len(t.b) > 16<<10 {
		t.b = append([]byte(nil), t.b[len(t.b)-16<<10:]...)
	}
	t.mu.Unlock()
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}

// freePort returns a port of 127.0.0.1 that nothing listened on a moment
// ago. Another process may take it before the store binds it; the start
// then fails with the store's message.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// answers returns a readiness check: a GET of url answered with a status
// accepted by ok.
func answers(url string, ok func(status int) bool) func() bool {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	return func() bool {
		resp, err := c.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return ok(resp.StatusCode)
	}
}

// environ is the test's environment without the variables whose name
// starts with one of the prefixes (a store's own configuration, which
// the helper sets), plus extra.
func environ(drop []string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !hasAnyPrefix(kv, drop) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// moduleRoot walks up from the working directory (a test's is its
// package's directory) to the directory holding go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testservers: working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testservers: no go.mod above the working directory")
		}
		dir = parent
	}
}

// executable checks that path is an executable file, or says why not.
func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}
