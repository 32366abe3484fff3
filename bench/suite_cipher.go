package bench

import (
	"bufio"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// GoBench is one line of `go test -bench -benchmem`.
type GoBench struct {
	Package     string  `json:"package"`
	Name        string  `json:"name"`
	Iterations  int64   `json:"iterations"`
	NsPerOp     float64 `json:"ns_per_op"`
	MBPerSec    float64 `json:"mb_per_s,omitempty"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
	Line        string  `json:"line"`
}

// runGoBenchmarks builds the test binaries of pkgs (those that exist) in
// repo on every online CPU, runs their benchmarks pinned to core (the
// origin's core, idle at this point), echoes the output to w and returns the
// parsed lines.
func runGoBenchmarks(ctx context.Context, repo, tmp, core string, pkgs []string, benchtime string, w io.Writer) ([]GoBench, error) {
	var res []GoBench
	var errs []error
	for _, p := range pkgs {
		if m, _ := filepath.Glob(filepath.Join(repo, p, "*_test.go")); len(m) == 0 {
			continue
		}
		bin := filepath.Join(tmp, strings.ReplaceAll(strings.Trim(p, "./"), "/", "_")+".test")
		build := exec.CommandContext(ctx, goTool(), "test", "-c", "-o", bin, p)
		if online := onlineCPUs(); online != "" {
			argv := pinned(online, goTool(), "test", "-c", "-o", bin, p)
			build = exec.CommandContext(ctx, argv[0], argv[1:]...)
		}
		build.Dir = repo
		build.Stdout, build.Stderr = w, w
		if err := build.Run(); err != nil {
			errs = append(errs, fmt.Errorf("build %s benchmarks: %w", p, err))
			continue
		}
		if _, err := os.Stat(bin); err != nil {
			continue // no test files after all
		}
		args := []string{bin, "-test.run", "^$", "-test.bench", ".", "-test.benchmem", "-test.count", "1", "-test.timeout", "20m"}
		if benchtime != "" {
			args = append(args, "-test.benchtime", benchtime)
		}
		argv := pinned(core, args...)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir = filepath.Join(repo, p)
		out, err := cmd.StdoutPipe()
		if err != nil {
			return res, err
		}
		cmd.Stderr = w
		if err := cmd.Start(); err != nil {
			return res, err
		}
		pkg := p
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(w, line)
			if v, ok := strings.CutPrefix(line, "pkg: "); ok {
				pkg = v
			}
			if b, ok := parseBenchLine(line); ok {
				b.Package = pkg
				res = append(res, b)
			}
		}
		if err := cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("%s benchmarks: %w", p, err))
		}
	}
	return res, errors.Join(errs...)
}

// onlineCPUs is the kernel's list of online CPUs ("0-1"), so that a child
// of a pinned process can use them all.
func onlineCPUs() string {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func parseBenchLine(line string) (GoBench, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
		return GoBench{}, false
	}
	b := GoBench{Name: f[0], Line: line}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return GoBench{}, false
	}
	b.Iterations = n
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			continue
		}
		switch f[i+1] {
		case "ns/op":
			b.NsPerOp = v
		case "MB/s":
			b.MBPerSec = v
		case "B/op":
			b.BytesPerOp = v
		case "allocs/op":
			b.AllocsPerOp = v
		}
	}
	return b, true
}

func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// rawCipherSpeed measures crypto/aes AES-128 CTR and CBC encryption in
// bytes per second over a 1 MiB buffer for about d each.
func rawCipherSpeed(d time.Duration) (ctr, cbc float64) {
	key := make([]byte, 16)
	iv := make([]byte, 16)
	buf := make([]byte, 1<<20)
	block, _ := aes.NewCipher(key)
	measure := func(f func()) float64 {
		f() // warm up
		n := 0
		start := time.Now()
		for time.Since(start) < d {
			f()
			n++
		}
		return float64(n*len(buf)) / time.Since(start).Seconds()
	}
	ctr = measure(func() { cipher.NewCTR(block, iv).XORKeyStream(buf, buf) })
	cbc = measure(func() { cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf) })
	return
}

// opensslSpeed runs `openssl speed -evp alg` on 16 KiB blocks and returns
// bytes per second (0 when openssl is missing or its output unreadable).
func opensslSpeed(ctx context.Context, alg string, seconds int) float64 {
	path, err := exec.LookPath("openssl")
	if err != nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds+20)*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "speed", "-evp", alg, "-bytes", "16384", "-seconds", strconv.Itoa(seconds)).Output()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.EqualFold(f[0], alg) {
			v := strings.TrimSuffix(f[len(f)-1], "k")
			k, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return k * 1000
			}
		}
	}
	return 0
}
