package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// proc is a child process pinned to a core.
type proc struct {
	cmd  *exec.Cmd
	pid  int
	done chan struct{}
}

// pinned returns argv prefixed with `taskset -c core` when taskset exists.
func pinned(core string, argv ...string) []string {
	if core == "" {
		return argv
	}
	if ts, err := exec.LookPath("taskset"); err == nil {
		return append([]string{ts, "-c", core}, argv...)
	}
	return argv
}

func startProc(argv []string, env []string, logw io.Writer) (*proc, io.ReadCloser, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logw
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	p := &proc{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	return p, out, nil
}

// stop ends the process (SIGTERM, then SIGKILL after 10 s).
func (p *proc) stop() {
	if p == nil || p.cmd == nil { // nil: none; no cmd: a process the suite did not start
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// freeAddr returns a loopback address with a free port.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// originProc is a running drmorigin.
type originProc struct {
	*proc
	base, admin, token string
}

// startOrigin runs `drmorigin serve` pinned to core with an embedded store in
// dataDir over the asset root, and waits until its admin listener answers.
// extra is more environment (credentials of an object store).
func startOrigin(bin, core, root, dataDir string, logw io.Writer, extra ...string) (*originProc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	admin, err := freeAddr()
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 16)
	kek := make([]byte, 32)
	rand.Read(tok)
	rand.Read(kek)
	o := &originProc{base: "http://" + addr, admin: "http://" + admin, token: hex.EncodeToString(tok)}
	env := []string{
		"DRMORIGIN_LISTEN=" + addr,
		"DRMORIGIN_ADMIN_LISTEN=" + admin,
		"DRMORIGIN_INGEST_LISTEN=127.0.0.1:0",
		"DRMORIGIN_ADMIN_TOKEN=" + o.token,
		"DRMORIGIN_KEK=" + base64.StdEncoding.EncodeToString(kek),
		"DRMORIGIN_STORE=file://" + filepath.Join(dataDir, "store.db"),
		"DRMORIGIN_STORAGE_ROOT=" + root,
		"DRMORIGIN_PUBLIC_BASEURL=" + o.base,
		"DRMORIGIN_LOG_LEVEL=warn",
	}
	env = append(env, extra...)
	p, out, err := startProc(pinned(core, bin, "serve"), env, logw)
	if err != nil {
		return nil, err
	}
	go io.Copy(logw, out)
	o.proc = p
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return nil, fmt.Errorf("drmorigin exited during start-up (see its log)")
		default:
		}
		if resp, err := http.Get(o.admin + "/metrics"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return o, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("drmorigin did not answer on %s within 30 s", o.admin)
}

// api calls the management API.
func (o *originProc) api(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, o.admin+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+o.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, b, err
}

// benchKeyPolicy is the open content key policy of the bench's
// Predefined_ClearKey locators: the origin refuses a locator whose keys
// only its own key delivery hands out without one.
const benchKeyPolicy = `{"name":"bench-open","options":[` +
	`{"configuration":{"type":"aesEnvelope"},"restriction":{"type":"open"}},` +
	`{"configuration":{"type":"clearKey"},"restriction":{"type":"open"}}]}`

// locator creates a streaming locator for asset with policy.
func (o *originProc) locator(name, asset, policy string) error {
	return o.locatorWithKeys(name, asset, policy, nil)
}

// locatorWithKeys creates a streaming locator with the given content keys
// (none: the policy's keys are generated). A Predefined_ClearKey locator
// gets the open content key policy bench-open: the origin hands out no key
// of its own without one.
func (o *originProc) locatorWithKeys(name, asset, policy string, keys []map[string]any) error {
	body := map[string]any{"name": name, "assetName": asset, "streamingPolicyName": policy}
	if policy == "Predefined_ClearKey" {
		st, b, err := o.api(http.MethodPut, "/api/v1/contentKeyPolicies/bench-open", json.RawMessage(benchKeyPolicy))
		if err != nil {
			return err
		}
		if st != http.StatusCreated && st != http.StatusOK {
			return fmt.Errorf("content key policy bench-open: %d %s", st, strings.TrimSpace(string(b)))
		}
		body["defaultContentKeyPolicyName"] = "bench-open"
	}
	if len(keys) > 0 {
		body["contentKeys"] = keys
	}
	st, b, err := o.api(http.MethodPut, "/api/v1/streamingLocators/"+name, body)
	if err != nil {
		return err
	}
	if st != http.StatusCreated && st != http.StatusOK {
		return fmt.Errorf("locator %s (%s): %d %s", name, policy, st, strings.TrimSpace(string(b)))
	}
	return nil
}

// memSample reads the origin's anonymous resident memory from /proc, and
// go_goroutines and process_resident_memory_bytes (all of RSS, the mapped
// media included) from the admin listener's /metrics.
func (o *originProc) memSample() (anon, rss, goroutines float64, err error) {
	a, err := ProcRSSAnon(o.pid)
	if err != nil {
		return 0, 0, 0, err
	}
	b, err := o.metrics()
	if err != nil {
		return 0, 0, 0, err
	}
	m := ParseMetrics(b, "go_goroutines", "process_resident_memory_bytes")
	return float64(a), m["process_resident_memory_bytes"], m["go_goroutines"], nil
}

// metrics reads the admin listener's /metrics.
func (o *originProc) metrics() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.admin+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: status %d", o.admin, resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 4<<20))
}

// floorProc is the copy-only floor server in a process of its own (this
// binary's floor-server command), so that its CPU time can be read.
type floorProc struct {
	*proc
	base string
}

// startFloor writes bodies (by path) under dir and starts `self
// floor-server dir` pinned to core.
func startFloor(self, core, dir string, bodies map[string][]byte, logw io.Writer) (*floorProc, error) {
	for p, b := range bodies {
		f := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "/")))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(f, b, 0o644); err != nil {
			return nil, err
		}
	}
	p, out, err := startProc(pinned(core, self, "floor-server", "--dir", dir, "--listen", "127.0.0.1:0"), nil, logw)
	if err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("floor server: %w", err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if !ok {
		p.stop()
		return nil, fmt.Errorf("floor server said %q", line)
	}
	go io.Copy(io.Discard, out)
	return &floorProc{proc: p, base: "http://" + addr}, nil
}

// LoadFloorDir reads every file under dir into bodies keyed by "/" + its
// slash path relative to dir.
func LoadFloorDir(dir string) (map[string][]byte, error) {
	bodies := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		bodies["/"+filepath.ToSlash(rel)] = b
		return nil
	})
	return bodies, err
}
