package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/drmorigin/drmorigin"

// libraryTrees are the module's library packages, as directories under the
// module root. Those that do not exist (codec and drm arrive with the codec
// split) are left out, so the rules hold for whichever are there.
var libraryTrees = []string{"crypto", "codec", "drm", "storage", "packager", "manifest"}

// forbidden says whether a library package may not depend on path, and
// why: they know nothing of HTTP, Redis, the embedded store or config
// (STYLE.md §1), and nothing of the packages wired above them.
func forbidden(path string) (reason string, bad bool) {
	for _, p := range []struct{ prefix, why string }{
		{"github.com/valyala/fasthttp", "HTTP"},
		{"net/http", "HTTP"},
		{"github.com/redis/go-redis", "Redis"},
		{"go.etcd.io/bbolt", "the embedded store"},
		{"github.com/spf13/", "config and CLI (viper, cobra)"},
		{module + "/origin", "the origin above it"},
		{module + "/keyclient", "the key client above it"},
		{module + "/cmd", "a command"},
	} {
		if under(path, p.prefix) {
			return p.why, true
		}
	}
	return "", false
}

// under reports whether path is prefix or a package below it; a prefix
// ending in "/" matches anything that starts with it.
func under(path, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix)
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// stdlibOnly lists the trees that import only the standard library plus
// the module packages named next to them: the codec parsers, the ciphers
// that use them, the DRM signalling leaf, and storage (but for its SDK
// adapters, below). A tree may import its own subpackages.
var stdlibOnly = map[string][]string{
	"crypto":  {module + "/codec", module + "/crypto"},
	"codec":   {module + "/codec"},
	"drm":     {module + "/drm"},
	"storage": {module + "/storage"},
}

// sdkAdapters are the library packages that wrap an object store's SDK,
// with the import path prefix of that SDK. Such a package imports the
// standard library (net/http included: its SDK speaks HTTP), storage, and
// its SDK, nothing else; what the SDK imports in turn is the SDK's
// business, except the rest of forbidden (no fasthttp, Redis, config or
// packages above). The packager and everything else that imports core
// storage still never reach net/http: importing an adapter would.
var sdkAdapters = map[string]string{
	module + "/storage/s3":     "github.com/minio/minio-go/v7",
	module + "/storage/azblob": "github.com/Azure/azure-sdk-for-go/sdk/",
}

// TestImportRules checks the import direction of STYLE.md §1 on the
// non-test build of every library package: `go list -deps` must name none
// of the forbidden packages, and crypto and codec reach outside the
// standard library only for the module's codec packages. A failure names
// the chain of imports that brings the package in.
func TestImportRules(t *testing.T) {
	root := moduleRoot(t)
	var patterns []string
	for _, d := range libraryTrees {
		if fi, err := os.Stat(filepath.Join(root, d)); err == nil && fi.IsDir() {
			patterns = append(patterns, "./"+d+"/...")
		}
	}
	if len(patterns) == 0 {
		t.Fatalf("none of %v under %s", libraryTrees, root)
	}
	g := listDeps(t, root, patterns)
	if len(g.roots) == 0 {
		t.Fatalf("go list %v: no packages", patterns)
	}

	for _, p := range g.roots {
		if sdk, ok := sdkAdapters[p.ImportPath]; ok {
			checkAdapter(t, g, p, sdk)
			continue
		}
		tree := strings.SplitN(strings.TrimPrefix(p.ImportPath, module+"/"), "/", 2)[0]
		// bad says why p may not depend on dep, or "".
		bad := func(dep string) string {
			if why, ok := forbidden(dep); ok {
				return "forbidden: " + why
			}
			allowed, ok := stdlibOnly[tree]
			if !ok || g.pkgs[dep] == nil || g.pkgs[dep].Standard ||
				slices.ContainsFunc(allowed, func(a string) bool { return under(dep, a) }) {
				return ""
			}
			return "only the standard library and " + strings.Join(allowed, ", ") + " are allowed here"
		}
		prev := g.shortestImports(p.ImportPath)
		for _, dep := range p.Deps {
			why := bad(dep)
			// Name only where the chain first goes wrong: not every
			// package of go-redis, but the import that brings it in.
			if why == "" || bad(prev[dep]) != "" {
				continue
			}
			t.Errorf("%s must not depend on %s (%s): %s", p.ImportPath, dep, why, chain(prev, dep))
		}
	}
	t.Logf("checked %d packages in %v", len(g.roots), patterns)
}

// checkAdapter checks an SDK adapter (sdkAdapters): its own imports are
// the standard library, storage and sdk; nothing it depends on, through
// the SDK or not, is forbidden, net/http aside.
func checkAdapter(t *testing.T, g *depGraph, p *listedPackage, sdk string) {
	t.Helper()
	for _, imp := range p.Imports {
		if q := g.pkgs[imp]; q != nil && q.Standard || imp == module+"/storage" || under(imp, sdk) {
			continue
		}
		t.Errorf("%s must not import %s: an SDK adapter imports only the standard library, %s and %s",
			p.ImportPath, imp, module+"/storage", strings.TrimSuffix(sdk, "/"))
	}
	prev := g.shortestImports(p.ImportPath)
	for _, dep := range p.Deps {
		why, bad := forbidden(dep)
		if !bad || under(dep, "net/http") {
			continue
		}
		if _, badPrev := forbidden(prev[dep]); badPrev && !under(prev[dep], "net/http") {
			continue // named where the chain first goes wrong
		}
		t.Errorf("%s must not depend on %s (forbidden: %s): %s", p.ImportPath, dep, why, chain(prev, dep))
	}
}

// TestBenchImportsNoOrigin: bench measures the origin from the outside,
// like a player, in its tests too (they start the built binary), so no
// file of bench, test or not, imports another package of this module.
func TestBenchImportsNoOrigin(t *testing.T) {
	root := moduleRoot(t)
	args := []string{"list", "-json=ImportPath,Imports,TestImports,XTestImports", "./bench/..."}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath                         string
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			if under(imp, module) && !under(imp, module+"/bench") {
				t.Errorf("%s imports %s: bench talks to the origin over HTTP only", p.ImportPath, imp)
			}
		}
	}
}

// listedPackage is the part of `go list -json` the rules read.
type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
	DepOnly    bool
}

type depGraph struct {
	roots []*listedPackage          // the packages the patterns matched
	pkgs  map[string]*listedPackage // every package in their builds
}

// listDeps runs `go list -deps -json` on patterns from the module root.
func listDeps(t *testing.T, root string, patterns []string) *depGraph {
	t.Helper()
	args := append([]string{"list", "-deps", "-json=ImportPath,Imports,Deps,Standard,DepOnly"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	g := &depGraph{pkgs: map[string]*listedPackage{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listedPackage)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		g.pkgs[p.ImportPath] = p
		if !p.DepOnly {
			g.roots = append(g.roots, p)
		}
	}
	return g
}

// shortestImports walks the import graph breadth first from a package and
// returns, for each package it reaches, the one that imports it on a
// shortest chain.
func (g *depGraph) shortestImports(from string) map[string]string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if g.pkgs[p] == nil {
			continue
		}
		for _, q := range g.pkgs[p].Imports {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return prev
}

// chain spells the import chain that ends at to, as "a imports b imports c".
func chain(prev map[string]string, to string) string {
	var path []string
	for p := to; p != ""; p = prev[p] {
		path = append(path, p)
	}
	slices.Reverse(path)
	return strings.Join(path, " imports ")
}

// moduleRoot is the directory of the module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("go env GOMOD: not in a module")
	}
	return filepath.Dir(gomod)
}

// TestNoMetricsLibraryBelowOrigin: the packages the origin wires (the
// library trees, and keyclient) keep plain counters (Stats methods) and
// never import a metrics library: origin exports them to Prometheus.
func TestNoMetricsLibraryBelowOrigin(t *testing.T) {
	root := moduleRoot(t)
	patterns := []string{"./keyclient/..."}
	for _, d := range libraryTrees {
		if fi, err := os.Stat(filepath.Join(root, d)); err == nil && fi.IsDir() {
			patterns = append(patterns, "./"+d+"/...")
		}
	}
	g := listDeps(t, root, patterns)
	for _, p := range g.roots {
		prev := g.shortestImports(p.ImportPath)
		for _, dep := range p.Deps {
			if under(dep, "github.com/prometheus/") && !under(prev[dep], "github.com/prometheus/") {
				t.Errorf("%s must not depend on %s (metrics are the origin's): %s", p.ImportPath, dep, chain(prev, dep))
			}
		}
	}
}
