package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// A static file server beside the floor: plain nginx, sendfile on, serving
// the floor's segment files from disk (the page cache) on the origin's
// core. The floor (fasthttp from memory) is the least an HTTP server in Go
// spends per segment; nginx is what a CDN's origin shield would spend on
// the same bytes as files (quality.md's "Faster than the peers" names it:
// plain nginx sending the same bytes as static files). The report prints
// both, so that the floor multiples can be read against either.

// errNoNginx is returned by startStaticNginx when no nginx is installed.
var errNoNginx = errors.New("nginx not installed (apt-get install nginx-light, or nginx)")

// nginxBinary is where the suite looks for nginx: PATH, then Debian's
// /usr/sbin (not in every PATH).
func nginxBinary() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx", nil
	}
	return "", errNoNginx
}

// nginxConf is the generated configuration: one process (master_process
// off, so that its CPU time is one PID's), no access log, sendfile, and
// every path under work so that it runs as any user. The segment files have
// no extension: default_type gives them the floor's content type.
const nginxConf = `daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_requests 1000000;
	keepalive_timeout 75s;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	types { }
	default_type video/mp4;
	server {
		listen %[2]s;
		root %[3]s;
		location / {
			add_header Cache-Control "public, max-age=31536000, immutable";
		}
	}
}
`

// startStaticNginx starts nginx pinned to core serving dir (the floor's
// files, at the floor's paths) on a loopback port, with its configuration
// and state under work, and waits until it accepts connections.
func startStaticNginx(core, dir, work string, logw io.Writer) (*floorProc, error) {
	bin, err := nginxBinary()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(work, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, work, addr, dir), 0o644); err != nil {
		return nil, err
	}
	// -e: the error log before the configuration is read (nginx >= 1.19.5),
	// so that nothing is written outside work.
	p, out, err := startProc(pinned(core, bin, "-e", filepath.Join(work, "error.log"), "-p", work, "-c", conf), nil, logw)
	if err != nil {
		return nil, fmt.Errorf("nginx: %w", err)
	}
	go io.Copy(logw, out)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.done:
			log, _ := os.ReadFile(filepath.Join(work, "error.log"))
			return nil, fmt.Errorf("nginx exited during start-up: %s", strings.TrimSpace(string(log)))
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return &floorProc{proc: p, base: "http://" + addr}, nil
		}
	}
	p.stop()
	return nil, fmt.Errorf("nginx did not accept connections on %s within 10 s", addr)
}
