// Package redistest starts real redis-server processes on loopback ports
// for tests: a standalone server (Start, StartServer, with Stop and Restart
// for outage tests) and a three-master cluster (StartCluster). If
// redis-server is not installed the test fails, it never skips.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long a server may take to answer PING.
const startTimeout = 10 * time.Second

// Server is one redis-server process on a fixed loopback port.
type Server struct {
	tb      testing.TB
	port    int
	dir     string
	args    []string
	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	stopped bool
}

func lookPath(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		for _, c := range []string{"/usr/bin/" + name, "/usr/local/bin/" + name} {
			if _, err := os.Stat(c); err == nil {
				return c
			}
		}
		tb.Fatalf("%s not found: apt-get install -y redis-server", name)
	}
	return p
}

// Start starts a standalone redis-server and returns its redis:// URL. It
// is stopped in t.Cleanup.
func Start(tb testing.TB) string {
	tb.Helper()
	return StartServer(tb).URL()
}

// StartServer starts a standalone redis-server and returns its handle.
// extraArgs go to redis-server ("--requirepass", "pw" gives a server that
// wants a password: its URL is then redis://:pw@ + Addr).
func StartServer(tb testing.TB, extraArgs ...string) *Server {
	tb.Helper()
	lookPath(tb, "redis-server")
	s := &Server{tb: tb, port: freePort(tb), dir: tb.TempDir(), args: extraArgs}
	s.start()
	tb.Cleanup(s.kill)
	return s
}

// URL returns redis://127.0.0.1:PORT.
func (s *Server) URL() string { return "redis://" + s.Addr() }

// Addr returns 127.0.0.1:PORT.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Port returns the server's port.
func (s *Server) Port() int { return s.port }

func (s *Server) start() {
	s.tb.Helper()
	args := append([]string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", s.dir, "--protected-mode", "no"}, s.args...)
	cmd := exec.Command(lookPath(s.tb, "redis-server"), args...)
	logf, err := os.Create(filepath.Join(s.dir, "redis.log"))
	if err != nil {
		s.tb.Fatalf("redistest: %v", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("redistest: start redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done, s.stopped = cmd, done, false
	s.mu.Unlock()
	if err := waitPing(s.Addr(), startTimeout); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
		s.tb.Fatalf("redistest: redis-server on %s: %v\n%s", s.Addr(), err, log)
	}
}

// Stop kills the server (an outage); Restart brings it back on the same
// port, empty (no persistence).
func (s *Server) Stop() {
	s.tb.Helper()
	s.kill()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr(), 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
}

// Restart starts a stopped server again on the same port.
func (s *Server) Restart() {
	s.tb.Helper()
	s.start()
}

func (s *Server) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.stopped {
		return
	}
	s.stopped = true
	s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(startTimeout):
	}
}

// Cluster is a set of redis-server processes forming a Redis Cluster.
type Cluster struct {
	Servers []*Server
}

// URL returns the cluster URL form OpenStore accepts:
// redis://h1:p1,h2:p2,h3:p3?cluster=true.
func (c *Cluster) URL() string {
	addrs := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		addrs[i] = s.Addr()
	}
	return "redis://" + strings.Join(addrs, ",") + "?cluster=true"
}

// StartCluster starts n masters (n >= 3) with --cluster-enabled yes, joins
// them with redis-cli --cluster create and waits for cluster_state:ok.
// They are stopped in t.Cleanup.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	cli := lookPath(tb, "redis-cli")
	c := &Cluster{}
	for i := 0; i < n; i++ {
		c.Servers = append(c.Servers, StartServer(tb, "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"))
	}
	args := []string{"--cluster", "create"}
	for _, s := range c.Servers {
		args = append(args, s.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range c.Servers {
		for {
			info, err := command(s.Addr(), "CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("redistest: cluster not ok on %s: %v %s", s.Addr(), err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return c
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("redistest: free port: %v", err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	if port+10000 > 65535 {
		// The cluster bus listens on port+10000: pick again.
		return freePort(tb)
	}
	return port
}

func waitPing(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		var out string
		if out, err = command(addr, "PING"); err == nil && strings.HasPrefix(out, "PONG") {
			return nil
		}
		if err != nil && strings.Contains(err.Error(), "NOAUTH") {
			return nil // up, with --requirepass
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no PONG within %v: %v", timeout, err)
}

// command sends one RESP command and returns the reply as text (simple,
// error or bulk string).
func command(addr string, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case strings.HasPrefix(line, "+"):
		return line[1:], nil
	case strings.HasPrefix(line, "-"):
		return "", fmt.Errorf("redis: %s", line[1:])
	case strings.HasPrefix(line, "$"):
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("redis: bad reply %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return line, nil
}

// Sentinel is a redis-sentinel process monitoring one master.
type Sentinel struct {
	*Server
	MasterName string
}

// URL returns the Sentinel URL form OpenStore accepts:
// redis://127.0.0.1:PORT?master_name=NAME.
func (s *Sentinel) URL() string { return "redis://" + s.Addr() + "?master_name=" + s.MasterName }

// StartSentinel starts a Sentinel (quorum 1) that monitors master under
// masterName. It is stopped in t.Cleanup.
func StartSentinel(tb testing.TB, master *Server, masterName string) *Sentinel {
	tb.Helper()
	bin := lookPath(tb, "redis-server")
	s := &Server{tb: tb, port: freePort(tb), dir: tb.TempDir()}
	conf := filepath.Join(s.dir, "sentinel.conf")
	cfg := fmt.Sprintf("port %d\nbind 127.0.0.1\nprotected-mode no\ndir %s\nsentinel monitor %s %s %d 1\n",
		s.port, s.dir, masterName, "127.0.0.1", master.port)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	cmd := exec.Command(bin, conf, "--sentinel")
	logf, err := os.Create(filepath.Join(s.dir, "sentinel.log"))
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatalf("redistest: start sentinel: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	s.cmd, s.done = cmd, done
	tb.Cleanup(s.kill)
	if err := waitPing(s.Addr(), startTimeout); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "sentinel.log"))
		tb.Fatalf("redistest: sentinel on %s: %v\n%s", s.Addr(), err, log)
	}
	return &Sentinel{Server: s, MasterName: masterName}
}
