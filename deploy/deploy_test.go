package deploy

import (
	"bufio"
	"debug/elf"
	"encoding/base64"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/drmorigin/drmorigin/storage/azblob"
)

// configKey is one key of the binary's configuration table.
type configKey struct {
	key, flag string
}

// env is the key's environment form: DRMORIGIN_ + the key upper-cased,
// "." → "_" (docs/spec/README.md, "Running it").
func (k configKey) env() string {
	return "DRMORIGIN_" + strings.ToUpper(strings.ReplaceAll(k.key, ".", "_"))
}

// configKeys reads the table of keys from cmd/drmorigin/config.go (the
// `defaults` list of {key, flag, default, usage}) and checks it against
// the flags `drmorigin --help` prints, so that the table read is the one
// the binary uses.
func configKeys(t *testing.T) map[string]configKey {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../cmd/drmorigin/config.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]configKey{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "defaults" || len(vs.Values) != 1 {
			return true
		}
		list, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			return true
		}
		for _, e := range list.Elts {
			row, ok := e.(*ast.CompositeLit)
			if !ok || len(row.Elts) < 2 {
				continue
			}
			var s [2]string
			for i := range s {
				if lit, ok := row.Elts[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s[i], _ = strconv.Unquote(lit.Value)
				}
			}
			if s[0] != "" {
				k := configKey{key: s[0], flag: s[1]}
				keys[k.env()] = k
			}
		}
		return false
	})
	if len(keys) < 10 {
		t.Fatalf("cmd/drmorigin/config.go: found %d keys in `defaults`; has the configuration table moved? Teach configKeys where it is now", len(keys))
	}
	help, err := exec.Command(drmoriginBinary(t), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("drmorigin --help: %v: %s", err, help)
	}
	flags := map[string]bool{}
	for _, k := range keys {
		flags[k.flag] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z0-9-]+)`).FindAllStringSubmatch(string(help), -1) {
		if f := m[1]; !flags[f] && f != "config" && f != "help" {
			t.Errorf("drmorigin --help has --%s, which the table read from config.go lacks", f)
		}
	}
	return keys
}

// sdkEnv are the environment variables the object-store SDKs read
// (minio-go's credential chain; the Azure adapter's names).
var sdkEnv = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
	azblob.EnvConnectionString, azblob.EnvAccount, azblob.EnvKey, azblob.EnvSASToken}

// checkEnvName fails for a variable that nothing drmorigin runs reads.
func checkEnvName(t *testing.T, keys map[string]configKey, where, name string) {
	t.Helper()
	if strings.HasPrefix(name, "DRMORIGIN_") {
		if _, ok := keys[name]; !ok {
			t.Errorf("%s: %s is no configuration key's environment form (drmorigin --help lists the keys as flags)", where, name)
		}
		return
	}
	if !slices.Contains(sdkEnv, name) {
		t.Errorf("%s: %s is read by neither drmorigin nor its storage SDKs", where, name)
	}
}

// configAccepts runs `drmorigin config --strict` with exactly env (and
// PATH, HOME): it exits non-zero for an unknown DRMORIGIN_ variable or a
// value serve would refuse. Variables of the storage SDKs are dropped
// first (config does not know them; checkEnvName does).
func configAccepts(t *testing.T, where string, env map[string]string) {
	t.Helper()
	cmd := exec.Command(drmoriginBinary(t), "config", "--strict")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir}
	for k, v := range env {
		if strings.HasPrefix(k, "DRMORIGIN_") {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: drmorigin config --strict refuses it: %v\n%s", where, err, out)
	}
}

// sampleKEK is a valid KEK for configAccepts (32 bytes of 7, base64).
var sampleKEK = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x07", 32)))

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// drmoriginBinary builds cmd/drmorigin once, as the Dockerfile does
// (CGO_ENABLED=0), and returns its path.
func drmoriginBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "drmorigin-deploy")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "drmorigin")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/drmorigin")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// dockerInstr is one instruction of a Dockerfile.
type dockerInstr struct {
	line      int
	cmd, args string
}

// parseDockerfile joins continuation lines and drops comments.
func parseDockerfile(t *testing.T, path string) []dockerInstr {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstr
	var cur strings.Builder
	start := 0
	for i, l := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(l)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstr{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// TestDockerfile: two stages or more; the build stage makes a static
// binary of cmd/drmorigin (CGO_ENABLED=0, and the binary built so has no
// interpreter and no shared libraries); the runtime stage is distroless,
// scratch or a slim Debian, copies the binary from the build stage, runs
// as a non-root user, and has only configuration keys in its ENV.
func TestDockerfile(t *testing.T) {
	keys := configKeys(t)
	ins := parseDockerfile(t, "Dockerfile")
	var stages []string
	var bases []string
	last := -1
	for i, in := range ins {
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			if len(f) < 3 || !strings.EqualFold(f[1], "AS") {
				t.Errorf("Dockerfile:%d: FROM %s: name each stage (FROM image AS name)", in.line, in.args)
				continue
			}
			stages = append(stages, f[2])
			bases = append(bases, f[0])
			last = i
		}
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and a runtime stage", len(stages))
	}
	runtime := bases[len(bases)-1]
	if !strings.Contains(runtime, "distroless/static") && runtime != "scratch" && !strings.Contains(runtime, "debian") {
		t.Errorf("Dockerfile: the runtime stage is FROM %s, want distroless/static, scratch or debian-slim", runtime)
	}
	var built, copied, user, entry bool
	imageEnv := map[string]string{}
	for i, in := range ins {
		switch {
		case in.cmd == "RUN" && strings.Contains(in.args, "go build"):
			built = true
			if !strings.Contains(in.args, "CGO_ENABLED=0") {
				t.Errorf("Dockerfile:%d: go build without CGO_ENABLED=0: the binary would not be static", in.line)
			}
			if !strings.Contains(in.args, "./cmd/drmorigin") {
				t.Errorf("Dockerfile:%d: go build of something other than ./cmd/drmorigin", in.line)
			}
		case i > last && in.cmd == "COPY" && strings.Contains(in.args, "--from="+stages[0]) && strings.Contains(in.args, "drmorigin "):
			copied = true
		case i > last && in.cmd == "USER":
			u, _, _ := strings.Cut(in.args, ":")
			user = u != "" && u != "root" && u != "0"
			if !user {
				t.Errorf("Dockerfile:%d: USER %s: want a non-root user", in.line, in.args)
			}
		case i > last && in.cmd == "ENTRYPOINT":
			entry = strings.Contains(in.args, "drmorigin")
		case i > last && in.cmd == "ENV":
			for _, kv := range strings.Fields(in.args) {
				if name, v, ok := strings.Cut(kv, "="); ok {
					checkEnvName(t, keys, fmt.Sprintf("Dockerfile:%d", in.line), name)
					imageEnv[name] = v
				}
			}
		}
	}
	// The image's settings, with a KEK (the image's volume is where the
	// embedded store generates one) and its /media here.
	imageEnv["DRMORIGIN_STORAGE_ROOT"] = t.TempDir()
	imageEnv["DRMORIGIN_STORE"] = "file://" + filepath.Join(t.TempDir(), "drmorigin.db")
	configAccepts(t, "Dockerfile's ENV", imageEnv)
	for what, ok := range map[string]bool{"a RUN go build": built, "a COPY --from=" + stages[0] + " of the binary": copied,
		"a non-root USER in the runtime stage": user, "an ENTRYPOINT running drmorigin": entry} {
		if !ok {
			t.Errorf("Dockerfile: no %s", what)
		}
	}
	ign, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Errorf("the build context has no ignore file: %v", err)
	}
	for _, p := range []string{".git", "bin", "data", "web/node_modules"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(p) + `/?$`).Match(ign) {
			t.Errorf("Dockerfile.dockerignore does not leave out %s", p)
		}
	}
	// The binary built as the Dockerfile builds it is static.
	ef, err := elf.Open(drmoriginBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the CGO_ENABLED=0 binary has a dynamic loader: it is not static")
		}
	}
	if libs, _ := ef.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the CGO_ENABLED=0 binary needs %v", libs)
	}
}

// unitFile reads a systemd unit into section → key → values.
func unitFile(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string][]string{}
	sec := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			sec = l[1 : len(l)-1]
			out[sec] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok || sec == "" {
				t.Errorf("%s:%d: %q is not key=value in a section", path, n, l)
				continue
			}
			out[sec][k] = append(out[sec][k], v)
		}
	}
	return out
}

// TestSystemdUnit: systemd-analyze verify accepts the unit without a
// warning (with ExecStart pointed at a real binary), where systemd is
// installed; in any case the unit runs drmorigin serve with an
// EnvironmentFile, as a dynamic or named user, with the hardening settings
// docs/deployment.md promises; and the environment file sets only names
// drmorigin reads.
func TestSystemdUnit(t *testing.T) {
	keys := configKeys(t)
	const unit = "systemd/drmorigin.service"
	u := unitFile(t, unit)
	svc := u["Service"]
	if svc == nil || u["Unit"] == nil || u["Install"] == nil {
		t.Fatalf("%s: want [Unit], [Service] and [Install]", unit)
	}
	want := map[string]string{
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
		"PrivateDevices": "yes", "RestrictSUIDSGID": "yes", "CapabilityBoundingSet": "", "Restart": "on-failure",
	}
	for k, v := range want {
		if got := svc[k]; len(got) == 0 || got[len(got)-1] != v {
			t.Errorf("%s: %s=%v, want %s=%s", unit, k, got, k, v)
		}
	}
	if len(svc["DynamicUser"]) == 0 && len(svc["User"]) == 0 {
		t.Errorf("%s: neither DynamicUser= nor User=: it would run as root", unit)
	}
	if exec := svc["ExecStart"]; len(exec) != 1 || !strings.HasSuffix(strings.Fields(exec[0])[0], "/drmorigin") || !strings.Contains(exec[0], " serve") {
		t.Errorf("%s: ExecStart=%v, want drmorigin serve", unit, exec)
	}
	envFile := svc["EnvironmentFile"]
	if len(envFile) != 1 || envFile[0] != "/etc/drmorigin/drmorigin.env" {
		t.Errorf("%s: EnvironmentFile=%v, want /etc/drmorigin/drmorigin.env (systemd/drmorigin.env installed there)", unit, envFile)
	}
	env := envFileNames(t, "systemd/drmorigin.env")
	for _, name := range env {
		checkEnvName(t, keys, "systemd/drmorigin.env", name)
	}
	// Its active settings, filled in as the comments ask, with a storage
	// directory that exists here.
	values := envFileValues(t, "systemd/drmorigin.env")
	values["DRMORIGIN_KEK"], values["DRMORIGIN_ADMIN_TOKEN"] = sampleKEK, "a-long-random-token"
	values["DRMORIGIN_STORAGE_ROOT"] = t.TempDir()
	values["DRMORIGIN_STORE"] = "file://" + filepath.Join(t.TempDir(), "drmorigin.db")
	configAccepts(t, "systemd/drmorigin.env", values)
	for _, need := range []string{"DRMORIGIN_KEK", "DRMORIGIN_ADMIN_TOKEN", "DRMORIGIN_PUBLIC_BASEURL", "DRMORIGIN_STORE"} {
		if !slices.Contains(env, need) {
			t.Errorf("systemd/drmorigin.env does not set %s", need)
		}
	}

	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Logf("systemd-analyze not installed (apt-get install -y systemd): the unit's keys were checked, not verified by systemd")
		return
	}
	// verify wants ExecStart to exist: point it at the binary just built.
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tmp := filepath.Join(dir, "drmorigin.service")
	text := strings.Replace(string(b), "ExecStart=/usr/local/bin/drmorigin", "ExecStart="+drmoriginBinary(t), 1)
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", tmp).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, out)
	}
}

// envFileNames returns the variable names an environment file sets
// (commented-out examples included: they must be right too).
func envFileNames(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^#?([A-Z][A-Z0-9_]*)=`).FindAllSubmatch(b, -1) {
		names = append(names, string(m[1]))
	}
	if len(names) == 0 {
		t.Fatalf("%s sets nothing", path)
	}
	return names
}

// envFileValues returns the settings an environment file makes (not the
// commented-out ones).
func envFileValues(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z][A-Z0-9_]*)=(.*)$`).FindAllSubmatch(b, -1) {
		out[string(m[1])] = string(m[2])
	}
	return out
}

// interpolate does compose's ${VAR:-default}, ${VAR:?message} and ${VAR}
// with values for the required ones.
func interpolate(s string, values map[string]string) string {
	return regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}`).ReplaceAllStringFunc(s, func(m string) string {
		p := regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}`).FindStringSubmatch(m)
		if v, ok := values[p[1]]; ok {
			return v
		}
		if p[2] == "-" {
			return p[3]
		}
		return ""
	})
}

// composeFile is the part of a compose file the test reads.
type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   any               `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// TestCompose: compose.yaml (merge keys expanded) has two drmorigin
// replicas built from deploy/Dockerfile, Redis, MinIO and an nginx shield;
// the replicas set only configuration keys, share one Redis, one bucket,
// one KEK and one admin token; every ${VAR} it uses is in env.example;
// every file it mounts exists; the management port is published on
// loopback only.
func TestCompose(t *testing.T) {
	keys := configKeys(t)
	const path = "compose/compose.yaml"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var replicas []string
	images := map[string]string{}
	for name, s := range c.Services {
		images[name] = s.Image
		if s.Build != nil {
			if s.Build.Dockerfile != "deploy/Dockerfile" || filepath.Clean(filepath.Join("compose", s.Build.Context)) != ".." {
				t.Errorf("%s: %s builds %s in %s, want deploy/Dockerfile in the repository root", path, name, s.Build.Dockerfile, s.Build.Context)
			}
			replicas = append(replicas, name)
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join("compose", src)); err != nil {
					t.Errorf("%s: %s mounts %s: %v", path, name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s: %s mounts the volume %s, which volumes: does not declare", path, name, src)
			}
		}
		for _, p := range s.Ports {
			if strings.HasSuffix(p, ":8081") && !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s: %s publishes the management port on every interface (%s): bind it to 127.0.0.1", path, name, p)
			}
		}
	}
	sort.Strings(replicas)
	if len(replicas) < 2 {
		t.Fatalf("%s: %d drmorigin services, want two replicas", path, len(replicas))
	}
	for kind, pre := range map[string]string{"redis": "redis:", "minio": "minio/minio", "shield": "nginx:"} {
		if !strings.HasPrefix(images[kind], pre) {
			t.Errorf("%s: service %s is %q, want an image %s…", path, kind, images[kind], pre)
		}
	}
	first := c.Services[replicas[0]].Environment
	for _, r := range replicas {
		env := c.Services[r].Environment
		for name := range env {
			checkEnvName(t, keys, path+" "+r, name)
		}
		for _, shared := range []string{"DRMORIGIN_STORE", "DRMORIGIN_STORAGE_ROOT", "DRMORIGIN_KEK", "DRMORIGIN_ADMIN_TOKEN", "DRMORIGIN_PUBLIC_BASEURL"} {
			if env[shared] == "" || env[shared] != first[shared] {
				t.Errorf("%s: %s has %s=%q, %s %q: replicas must share it", path, r, shared, env[shared], replicas[0], first[shared])
			}
		}
		if !strings.HasPrefix(env["DRMORIGIN_STORE"], "redis://redis:") {
			t.Errorf("%s: %s stores keys in %q, want the redis service", path, r, env["DRMORIGIN_STORE"])
		}
		if !strings.HasPrefix(env["DRMORIGIN_STORAGE_ROOT"], "s3://") || !strings.HasPrefix(env["DRMORIGIN_STORAGE_S3_ENDPOINT"], "http://minio:") {
			t.Errorf("%s: %s reads assets from %q at %q, want s3:// at the minio service", path, r,
				env["DRMORIGIN_STORAGE_ROOT"], env["DRMORIGIN_STORAGE_S3_ENDPOINT"])
		}
		for _, secret := range []string{"DRMORIGIN_KEK", "DRMORIGIN_ADMIN_TOKEN"} {
			if !strings.Contains(env[secret], ":?") {
				t.Errorf("%s: %s=%q: make it required (${VAR:?message}), or replicas start with generated, different secrets", path, secret, env[secret])
			}
		}
		// The replica's settings as compose hands them over, with .env
		// filled in: the binary accepts every one.
		filled := map[string]string{}
		for k, v := range env {
			filled[k] = interpolate(v, map[string]string{"DRMORIGIN_KEK": sampleKEK, "DRMORIGIN_ADMIN_TOKEN": "a-long-random-token", "MINIO_ROOT_PASSWORD": "password"})
		}
		configAccepts(t, path+" "+r, filled)
	}
	// Every ${VAR} is in env.example.
	example := envFileNames(t, "compose/env.example")
	for _, m := range regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)`).FindAllStringSubmatch(string(raw), -1) {
		if !slices.Contains(example, m[1]) {
			t.Errorf("%s uses ${%s}, which env.example does not list", path, m[1])
		}
	}
	// The shield's upstreams are the replicas.
	conf, err := os.ReadFile("compose/nginx/shield.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range replicas {
		if !strings.Contains(string(conf), "server "+r+":8080") {
			t.Errorf("compose/nginx/shield.conf has no upstream server %s:8080", r)
		}
	}
}
