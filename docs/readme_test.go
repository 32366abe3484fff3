package docs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The README's runnable blocks: an HTML comment, then a sh fence.
var readmeBlock = regexp.MustCompile("(?s)<!-- readme-test -->\n```sh\n(.*?)```")

// What the README's first block sets, which the test replaces with what the
// demo printed.
const (
	readmeOrigin = "ORIGIN=http://127.0.0.1:8080"
	readmeToken  = "TOKEN='<the token make run printed>'"
)

var (
	jwtRE    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	originRE = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)
)

func need(t *testing.T, tool, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s not found: apt-get install -y %s", tool, pkg)
	}
}

// TestREADMEPlaysProtectedStreams clones the repository's committed HEAD
// into a temporary directory, builds and starts the demo there as `make
// run` does (its serve line, on free loopback ports), runs the README's
// marked commands with the printed origin and token in one bash, and
// checks that what ffmpeg wrote decodes, frame for frame, to the demo's
// source tracks; and that the HLS command with a wrong token does not.
func TestREADMEPlaysProtectedStreams(t *testing.T) {
	for _, tool := range [][2]string{{"git", "git"}, {"make", "make"}, {"bash", "bash"}, {"curl", "curl"},
		{"ffmpeg", "ffmpeg"}, {"ffprobe", "ffmpeg"}, {"basenc", "coreutils"}} {
		need(t, tool[0], tool[1])
	}
	began := time.Now()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command("git", "-C", root, "status", "--porcelain", "README.md").Output(); len(out) > 0 {
		t.Logf("README.md has uncommitted changes: the test runs the committed README of the clone")
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	clone := filepath.Join(t.TempDir(), "drmorigin")
	run(t, "", "git", "clone", "--quiet", "--no-checkout", root, clone)
	run(t, clone, "git", "checkout", "--quiet", strings.TrimSpace(string(head)))

	readme, err := os.ReadFile(filepath.Join(clone, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range readmeBlock.FindAllSubmatch(readme, -1) {
		blocks = append(blocks, string(m[1]))
	}
	if len(blocks) < 3 || !strings.Contains(blocks[0], readmeOrigin) || !strings.Contains(blocks[0], readmeToken) {
		t.Fatalf("README.md: want <!-- readme-test --> sh blocks, the first setting %s and %s; found %d", readmeOrigin, readmeToken, len(blocks))
	}
	script := strings.Join(blocks, "\n")
	// make run, as the Makefile has it, but on free loopback ports.
	run(t, clone, "make", "--no-print-directory", "build")
	serve := serveLine(t, clone)
	t.Logf("clone and build: %.1fs", time.Since(began).Seconds())
	origin, token := startServe(t, clone, serve)

	work := t.TempDir()
	good := strings.Replace(strings.Replace(script, readmeOrigin, "ORIGIN="+origin, 1), readmeToken, "TOKEN='"+token+"'", 1)
	if out, err := bashScript(work, good); err != nil {
		t.Fatalf("the README's commands failed: %v\n%s", err, out)
	}
	sources := filepath.Join(clone, "testdata", "media", "demo")
	want := map[string][]string{}
	for _, f := range []string{"video_640x360.mp4", "video_320x180.mp4", "audio_eng.mp4", "audio_fra.mp4"} {
		want[f] = frames(t, filepath.Join(sources, f), "0")
	}
	matches := func(got []string, names ...string) string {
		for _, n := range names {
			if len(got) > 0 && slices.Equal(got, want[n]) {
				return n
			}
		}
		return ""
	}
	for _, out := range []struct {
		file  string
		audio bool
		short int // video frames the reader may drop at the end
	}{
		{"hls-aes128.mp4", true, 0},
		// ffmpeg 5.1's DASH demuxer, reading video and audio together,
		// stops at the MPD's duration (the audio's, 8.021 s) and drops the
		// video's last two packets in decode order (their frames are
		// presented at 8.0-8.08 s, after the B-frame delay); read alone,
		// the video has all 200 frames.
		{"dash-cenc.mp4", true, 2},
		{"video-cenc.mp4", false, 0},
	} {
		p := filepath.Join(work, out.file)
		if _, err := os.Stat(p); err != nil {
			t.Errorf("the README's commands wrote no %s", out.file)
			continue
		}
		got := frames(t, p, "v:0")
		m := matches(got, "video_640x360.mp4", "video_320x180.mp4")
		for _, n := range []string{"video_640x360.mp4", "video_320x180.mp4"} {
			if d := len(want[n]) - len(got); m == "" && d > 0 && d <= out.short && tailDrop(want[n], got, out.short+2) {
				m = fmt.Sprintf("%s less %d of its last %d frames", n, d, out.short+2)
			}
		}
		if m == "" {
			t.Errorf("%s: its video does not decode to a source video track's frames (%d frames)", out.file, len(got))
		} else {
			t.Logf("%s: video = %s, frame for frame", out.file, m)
		}
		if out.audio {
			if m := matches(frames(t, p, "a:0"), "audio_eng.mp4", "audio_fra.mp4"); m == "" {
				t.Errorf("%s: its audio does not decode to a source audio track's frames", out.file)
			}
		}
	}

	// The check can fail: the HLS command with a wrong token gives no key,
	// and what ffmpeg writes then is not the source.
	bad := t.TempDir()
	wrong := strings.Replace(strings.Replace(blocks[0]+"\n"+blocks[1], readmeOrigin, "ORIGIN="+origin, 1), readmeToken, "TOKEN=wrong", 1)
	_, _ = bashScript(bad, wrong)
	if got := frames(t, filepath.Join(bad, "hls-aes128.mp4"), "v:0"); matches(got, "video_640x360.mp4", "video_320x180.mp4") != "" {
		t.Errorf("with a wrong token the HLS command still decodes to the source: the check proves nothing")
	}
	t.Logf("whole test: %.1fs", time.Since(began).Seconds())
}

// tailDrop reports whether got is want with some frames left out, all of
// them among want's last `window` frames.
func tailDrop(want, got []string, window int) bool {
	j := 0
	for i, w := range want {
		if j < len(got) && got[j] == w {
			j++
			continue
		}
		if i < len(want)-window {
			return false
		}
	}
	return j == len(got)
}

// run runs a command in dir and fails the test if it fails.
func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = buildEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// buildEnv is the environment of the clone's commands: this one's (its
// build cache holds the dependencies, so make build in the clone compiles
// only the module's own packages).
func buildEnv() []string { return os.Environ() }

// serveLine is the serve command of `make run` (from make -n), with the
// streaming listener on a free loopback port and the admin listener too.
func serveLine(t *testing.T, dir string) []string {
	t.Helper()
	cmd := exec.Command("make", "--no-print-directory", "-n", "run")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make -n run: %v", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || !strings.HasSuffix(f[0], "drmorigin") || f[1] != "serve" || !slices.Contains(f, "--demo") {
			continue
		}
		i := slices.Index(f, "--listen")
		if i < 0 || i+1 >= len(f) {
			t.Fatalf("make run's serve line has no --listen: %q", l)
		}
		f[i+1] = "127.0.0.1:0"
		return append(f, "--admin-listen", "127.0.0.1:0", "--ingest-listen", "127.0.0.1:0")
	}
	t.Fatalf("make -n run prints no drmorigin serve --demo line:\n%s", out)
	return nil
}

// startServe starts the demo and returns the origin and token it prints.
func startServe(t *testing.T, dir string, argv []string) (origin, token string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	var mu sync.Mutex
	cmd.Stderr = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return stderr.Write(p) })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("the demo said:\n%s", stderr.String())
			mu.Unlock()
		}
	})
	type found struct{ origin, token string }
	ch := make(chan found, 1)
	go func() {
		var f found
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			l := sc.Text()
			if f.origin == "" {
				f.origin = originRE.FindString(l)
			}
			if tok := jwtRE.FindString(l); tok != "" && f.token == "" {
				f.token = tok
				ch <- f
			}
		}
	}()
	select {
	case f := <-ch:
		if f.origin == "" {
			t.Fatal("the demo printed a token but no http://127.0.0.1:PORT URL")
		}
		return f.origin, f.token
	case <-time.After(60 * time.Second):
		t.Fatal("the demo printed no token within 60 s")
	}
	return "", ""
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// bashScript runs script with bash -euo pipefail in dir, stdin empty.
func bashScript(dir, script string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// frames returns the MD5 of every decoded frame of one stream of file.
func frames(t *testing.T, file, stream string) []string {
	t.Helper()
	if _, err := os.Stat(file); err != nil {
		return nil
	}
	out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-i", file, "-map", "0:"+stream, "-f", "framemd5", "-").Output()
	if err != nil {
		return nil
	}
	var md5s []string
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, ",")
		md5s = append(md5s, strings.TrimSpace(f[len(f)-1]))
	}
	return md5s
}
