package deploy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const shieldConf = "compose/nginx/shield.conf"

// needNginx fails (never skips) when nginx is missing, saying how to get it.
func needNginx(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("nginx")
	if err != nil {
		t.Fatal("nginx not found: apt-get install -y nginx (deploy tests run nginx -t on the shield configuration, and run it)")
	}
	return p
}

// shieldFor writes a runnable nginx configuration into dir: shield.conf
// with its upstream servers replaced by upstream (compose's service names
// resolve only inside compose), its cache under dir, listening on listen,
// inside a main configuration that runs in the foreground as the current
// user. It returns the main configuration's path.
func shieldFor(t *testing.T, dir, upstream, listen string) string {
	t.Helper()
	b, err := os.ReadFile(shieldConf)
	if err != nil {
		t.Fatal(err)
	}
	conf := regexp.MustCompile(`server drmorigin-\d+:8080`).ReplaceAllString(string(b), "server "+upstream)
	conf = strings.Replace(conf, "/var/cache/nginx/drmorigin", filepath.Join(dir, "cache"), 1)
	conf = strings.Replace(conf, "listen 80;", "listen "+listen+";", 1)
	if err := os.WriteFile(filepath.Join(dir, "shield.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/shield.conf;
}
`, dir)
	p := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(p, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestShieldConfig: nginx -t accepts the shield configuration, and it
// follows docs/cdn.md's rules: keys and licenses never cached; nothing
// cached that the origin's Cache-Control does not allow (no
// proxy_cache_valid, Cache-Control not ignored); concurrent misses
// collapsed (proxy_cache_lock on).
func TestShieldConfig(t *testing.T) {
	nginx := needNginx(t)
	dir := t.TempDir()
	conf := shieldFor(t, dir, "127.0.0.1:1", "127.0.0.1:1")
	out, err := exec.Command(nginx, "-t", "-p", dir, "-e", "stderr", "-c", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t on %s: %v\n%s", shieldConf, err, out)
	}
	b, _ := os.ReadFile(shieldConf)
	text := regexp.MustCompile(`(?m)#.*$`).ReplaceAllString(string(b), "")
	blocks := locations(text)
	keys, ok := blocks["/keys/"]
	if !ok || !strings.Contains(keys, "proxy_cache off;") {
		t.Errorf("%s: location /keys/ must have proxy_cache off (key answers are per token)", shieldConf)
	}
	root := blocks["/"]
	for _, d := range []string{"proxy_cache drmorigin;", "proxy_cache_lock on;"} {
		if !strings.Contains(root, d) {
			t.Errorf("%s: location / lacks %q", shieldConf, d)
		}
	}
	for _, bad := range []string{"proxy_cache_valid", "proxy_ignore_headers"} {
		if strings.Contains(text, bad) {
			t.Errorf("%s: %s overrides the origin's Cache-Control (errors are no-store, manifests short-lived)", shieldConf, bad)
		}
	}
}

// locations returns the body of each location block, by its argument.
func locations(conf string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`location\s+(?:=\s+)?(\S+)\s*\{`).FindAllStringSubmatchIndex(conf, -1) {
		arg := conf[m[2]:m[3]]
		depth, i := 1, m[1]
		for ; i < len(conf) && depth > 0; i++ {
			switch conf[i] {
			case '{':
				depth++
			case '}':
				depth--
			}
		}
		out[arg] = conf[m[1] : i-1]
	}
	return out
}

// TestShieldCachesAsDocumented runs the shield configuration in nginx in
// front of a real origin (drmorigin serve --demo) and checks what it
// caches: segments and manifests are served from the cache the second
// time; errors are not cached; a key fetched with a token is not served to
// a request without one.
func TestShieldCachesAsDocumented(t *testing.T) {
	nginx := needNginx(t)
	shieldAddr := freeAddr(t)
	o := startDemo(t, "--public-base-url", "http://"+shieldAddr)
	dir := t.TempDir()
	conf := shieldFor(t, dir, o.addr, shieldAddr)
	cmd := exec.Command(nginx, "-p", dir, "-e", "stderr", "-c", conf)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("nginx said:\n%s", logs.String())
		}
	})
	waitHTTP(t, "http://"+shieldAddr+"/healthz")
	shield := "http://" + shieldAddr
	get := func(path string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", shield+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	cacheStatus := func(path string, want ...string) {
		t.Helper()
		for i, w := range want {
			resp, _ := get(path)
			if got := resp.Header.Get("X-Cache-Status"); got != w {
				t.Errorf("GET %s #%d: %d, X-Cache-Status %q, want %q", path, i+1, resp.StatusCode, got, w)
			}
		}
	}
	manifest := "/demo-clearkey/demo.ism/manifest(format=m3u8-cmaf,encryption=cbc)"
	segment := "/demo-clear/demo.ism/QualityLevels(600000)/Fragments(video=0,format=mpd-time-csf)"
	cacheStatus(manifest, "MISS", "HIT")
	cacheStatus(segment, "MISS", "HIT")
	cacheStatus("/nope/demo.ism/manifest", "MISS", "MISS")
	cacheStatus("/demo-clear/demo.ism/manifest(format=bogus)", "MISS", "MISS")

	_, body := get(manifest)
	keyURL := regexp.MustCompile(`URI="([^"]+/keys/aes/[^"]+)"`).FindStringSubmatch(string(body))
	if keyURL == nil || !strings.HasPrefix(keyURL[1], shield+"/keys/aes/") {
		t.Fatalf("the playlist's key URL is not on the shield (public.baseUrl): %q", body)
	}
	keyPath := strings.TrimPrefix(keyURL[1], shield)
	if resp, b := get(keyPath, "Authorization", "Bearer "+o.token); resp.StatusCode != 200 || len(b) != 16 {
		t.Fatalf("key through the shield with the token: %d, %d bytes", resp.StatusCode, len(b))
	}
	if resp, _ := get(keyPath); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("key through the shield without a token, after one with: %d, want 401 (a key must never be cached)", resp.StatusCode)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within 15 s (%v)", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// demoOrigin is drmorigin serve --demo over testdata/media.
type demoOrigin struct {
	addr  string // streaming listener, host:port
	token string // the demo's key token
}

var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// startDemo runs the binary's demo on loopback ports in a temporary
// directory and waits for the token it prints.
func startDemo(t *testing.T, extra ...string) *demoOrigin {
	t.Helper()
	bin := drmoriginBinary(t)
	media, err := filepath.Abs("../testdata/media")
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	args := append([]string{"serve", "--demo", "--storage-root", media, "--listen", addr,
		"--admin-listen", "127.0.0.1:0", "--store", "file://" + filepath.Join(t.TempDir(), "store.db")}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("drmorigin said:\n%s", stderr.String())
		}
	})
	tokens := make(chan string, 1)
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := jwtRE.FindString(sc.Text()); m != "" {
				once.Do(func() { tokens <- m })
			}
		}
	}()
	select {
	case tok := <-tokens:
		return &demoOrigin{addr: addr, token: tok}
	case <-time.After(30 * time.Second):
		t.Fatalf("drmorigin serve --demo printed no token within 30 s")
	}
	return nil
}
